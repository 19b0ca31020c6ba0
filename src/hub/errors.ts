import { isHubApiError } from './hub-client.ts';

/**
 * Typed errors for everything that talks to the Hub. Responses are classified by `X-Error-Code`
 * first and by status second (hub-spec.md, "Errors in general"), so that a gated repo, a missing
 * repo and a bad token — all of which can answer 401 — reach the user as different, actionable
 * messages. Every class has a stable `code` that survives `postMessage` and is safe to test against.
 */

/** What the caller knows about the request, to make messages specific. */
export interface HubRequestContext {
  /** `namespace/name` of the repo the request was about, if any. */
  repo?: string;
  /** Whether an `Authorization` header was sent. */
  authenticated?: boolean;
  /** The hub's origin, for links in messages (e.g. to request access to a gated repo). */
  hubUrl?: string;
}

/** The parts of an error response that classification needs. */
export interface HubErrorResponse {
  status: number;
  /** `X-Error-Code`: RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo. */
  errorCode?: string | null;
  /** `X-Error-Message`, or the JSON body's `error` / `error_description`. */
  errorMessage?: string | null;
  requestId?: string | null;
  /** `Retry-After` in seconds, when the hub sent one. */
  retryAfterSeconds?: number | null;
}

export interface HubErrorDetails {
  status?: number;
  requestId?: string;
  /** The hub's own wording, kept for diagnostics; the `message` is written for the user. */
  hubMessage?: string;
  cause?: unknown;
}

export abstract class HubError extends Error {
  abstract readonly code: string;
  readonly status: number | undefined;
  readonly requestId: string | undefined;
  readonly hubMessage: string | undefined;

  constructor(message: string, details: HubErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.status = details.status;
    this.requestId = details.requestId;
    this.hubMessage = details.hubMessage;
  }
}

export class InvalidTokenError extends HubError {
  readonly code = 'invalid-token';
  override name = 'InvalidTokenError';
  constructor(details: HubErrorDetails = {}) {
    super(
      'Hugging Face rejected this token. Check that it starts with hf_ and has the Read permission, or generate a new one (Hugging Face → Settings → Access Tokens).',
      details,
    );
  }
}

/** A 401 for a request sent without a token, about no particular repo: the user must log in. */
export class AuthenticationRequiredError extends HubError {
  readonly code = 'authentication-required';
  override name = 'AuthenticationRequiredError';
  constructor(details: HubErrorDetails = {}) {
    super('Hugging Face needs a token for this. Save a Read token in Settings → Hugging Face authentication.', details);
  }
}

export class GatedRepoError extends HubError {
  readonly code = 'gated-repo';
  override name = 'GatedRepoError';
  readonly repo: string | undefined;
  constructor(context: HubRequestContext, details: HubErrorDetails = {}) {
    const what = context.repo ? `The model ${context.repo}` : 'This model';
    const page = context.repo && context.hubUrl ? ` at ${context.hubUrl}/${context.repo}` : ' on its Hugging Face page';
    super(
      context.authenticated
        ? `${what} is gated and your account has not been granted access yet. Accept its terms${page}, then try again.`
        : `${what} is gated. Save a Hugging Face token in Settings and accept the model's terms${page}.`,
      details,
    );
    this.repo = context.repo;
  }
}

export class RepoNotFoundError extends HubError {
  readonly code = 'repo-not-found';
  override name = 'RepoNotFoundError';
  readonly repo: string | undefined;
  constructor(context: HubRequestContext, details: HubErrorDetails = {}) {
    const what = context.repo ? `The repo ${context.repo}` : 'The repo';
    super(
      context.authenticated
        ? `${what} was not found, or your token cannot read it. Check the name (org/name).`
        : `${what} was not found. Check the name (org/name); if it is private, save a token that can read it in Settings.`,
      details,
    );
    this.repo = context.repo;
  }
}

export class RevisionNotFoundError extends HubError {
  readonly code = 'revision-not-found';
  override name = 'RevisionNotFoundError';
  constructor(context: HubRequestContext, details: HubErrorDetails = {}) {
    super(`The requested revision of ${context.repo ?? 'this repo'} does not exist.`, details);
  }
}

export class EntryNotFoundError extends HubError {
  readonly code = 'entry-not-found';
  override name = 'EntryNotFoundError';
  constructor(context: HubRequestContext, details: HubErrorDetails = {}) {
    super(`A file is missing from ${context.repo ?? 'this repo'}; it may not be a complete ONNX model.`, details);
  }
}

export class AccessDisabledError extends HubError {
  readonly code = 'access-disabled';
  override name = 'AccessDisabledError';
  constructor(context: HubRequestContext, details: HubErrorDetails = {}) {
    super(`Access to ${context.repo ?? 'this resource'} has been disabled on Hugging Face.`, details);
  }
}

export class ForbiddenError extends HubError {
  readonly code = 'forbidden';
  override name = 'ForbiddenError';
  constructor(context: HubRequestContext, details: HubErrorDetails = {}) {
    super(
      `Hugging Face refused access to ${context.repo ?? 'this resource'}. Check that your token has the Read permission for it.`,
      details,
    );
  }
}

export class RateLimitedError extends HubError {
  readonly code = 'rate-limited';
  override name = 'RateLimitedError';
  readonly retryAfterSeconds: number | undefined;
  constructor(retryAfterSeconds: number | undefined, details: HubErrorDetails = {}) {
    const when = retryAfterSeconds ? `in about ${formatWait(retryAfterSeconds)}` : 'shortly';
    super(`Hugging Face is limiting requests right now. Please try again ${when}.`, details);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export class HubServerError extends HubError {
  readonly code = 'hub-server-error';
  override name = 'HubServerError';
  constructor(details: HubErrorDetails = {}) {
    super('Hugging Face had a problem answering (server error). Please try again later.', details);
  }
}

/** The hub could not be reached at all: offline, DNS, connection refused, CORS or CSP block. */
export class HubUnreachableError extends HubError {
  readonly code = 'hub-unreachable';
  override name = 'HubUnreachableError';
  constructor(details: HubErrorDetails = {}) {
    super("Can't reach Hugging Face. Check your internet connection and try again.", details);
  }
}

export class UnexpectedHubResponseError extends HubError {
  readonly code = 'unexpected-hub-response';
  override name = 'UnexpectedHubResponseError';
  constructor(details: HubErrorDetails = {}) {
    super(`Hugging Face answered unexpectedly${details.status ? ` (HTTP ${details.status})` : ''}. Please try again later.`, details);
  }
}

function formatWait(seconds: number): string {
  return seconds < 90 ? `${Math.ceil(seconds)} seconds` : `${Math.ceil(seconds / 60)} minutes`;
}

/** Maps an error response to its typed error. */
export function classifyHubResponse(response: HubErrorResponse, context: HubRequestContext = {}): HubError {
  const details: HubErrorDetails = {
    status: response.status,
    requestId: response.requestId ?? undefined,
    hubMessage: response.errorMessage ?? undefined,
  };
  switch (response.errorCode) {
    case 'GatedRepo':
      return new GatedRepoError(context, details);
    case 'RepoNotFound':
      return new RepoNotFoundError(context, details);
    case 'RevisionNotFound':
      return new RevisionNotFoundError(context, details);
    case 'EntryNotFound':
      return new EntryNotFoundError(context, details);
  }
  const message = response.errorMessage ?? '';
  if (response.status === 401) {
    // Without an X-Error-Code a 401 is about the credentials; with none sent it means "log in".
    return context.authenticated === false && !/invalid credentials/i.test(message)
      ? new AuthenticationRequiredError(details)
      : new InvalidTokenError(details);
  }
  if (response.status === 403) {
    return /disabled/i.test(message) ? new AccessDisabledError(context, details) : new ForbiddenError(context, details);
  }
  if (response.status === 404) return new RepoNotFoundError(context, details);
  if (response.status === 429) return new RateLimitedError(response.retryAfterSeconds ?? undefined, details);
  if (response.status >= 500) return new HubServerError(details);
  return new UnexpectedHubResponseError(details);
}

/** Reads the headers classification needs from a fetch `Response`. */
export function errorResponseOf(response: Response, bodyMessage?: string): HubErrorResponse {
  const retryAfter = Number.parseInt(response.headers.get('Retry-After') ?? '', 10);
  return {
    status: response.status,
    errorCode: response.headers.get('X-Error-Code'),
    errorMessage: response.headers.get('X-Error-Message') ?? bodyMessage ?? null,
    requestId: response.headers.get('X-Request-Id'),
    retryAfterSeconds: Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : null,
  };
}

export function classifyFetchResponse(response: Response, context: HubRequestContext = {}): HubError {
  return classifyHubResponse(errorResponseOf(response), context);
}

export function isAbortError(error: unknown): boolean {
  return (
    (error instanceof DOMException || error instanceof Error) && (error.name === 'AbortError' || error.name === 'TimeoutError')
  );
}

/**
 * Any failure of a hub call as a typed error: a `HubError` stays as it is, a `HubApiError` from
 * `@huggingface/hub` is classified by its status (and by `response` headers when the caller captured
 * them, since the library drops `X-Error-Code`), and a `TypeError` from `fetch` means the hub could
 * not be reached. Abort errors are not hub errors: callers rethrow them before classifying.
 */
export function classifyHubError(error: unknown, context: HubRequestContext = {}, response?: HubErrorResponse): HubError {
  if (error instanceof HubError) return error;
  if (isHubApiError(error)) {
    const bodyError = error.data?.['error'];
    return classifyHubResponse(
      {
        status: error.statusCode,
        requestId: error.requestId,
        ...response,
        errorMessage: response?.errorMessage ?? (typeof bodyError === 'string' ? bodyError : null),
      },
      context,
    );
  }
  if (response) return classifyHubResponse(response, context);
  if (error instanceof TypeError) return new HubUnreachableError({ cause: error });
  return new UnexpectedHubResponseError({ cause: error });
}

export interface HubCallOptions {
  signal?: AbortSignal;
  context?: HubRequestContext;
  /** The fetch to wrap (tests pass a fake); defaults to the global one. */
  fetch?: typeof fetch;
}

/**
 * Runs one or more `@huggingface/hub` calls with a fetch that carries `signal`, never caches or
 * sends cookies or a referrer, and remembers the error headers of a failed response, then turns any
 * failure into a typed `HubError` (an abort is rethrown unchanged).
 *
 *   const info = await withHubErrors((fetch) => modelInfo({ name, hubUrl, fetch }), { signal });
 */
export async function withHubErrors<T>(call: (fetch: typeof globalThis.fetch) => Promise<T>, options: HubCallOptions = {}): Promise<T> {
  const { signal, context = {} } = options;
  const baseFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  let lastErrorResponse: HubErrorResponse | undefined;
  const hubFetch: typeof fetch = async (input, init) => {
    let response: Response;
    try {
      response = await baseFetch(input, {
        ...init,
        signal: init?.signal && signal ? AbortSignal.any([init.signal, signal]) : (init?.signal ?? signal ?? null),
        cache: 'no-store',
        credentials: 'omit',
        referrerPolicy: 'no-referrer',
      });
    } catch (error) {
      if (isAbortError(error) || signal?.aborted) throw error;
      // fetch rejects with a TypeError only when no response came back at all.
      throw new HubUnreachableError({ cause: error });
    }
    if (!response.ok && response.status !== 304) lastErrorResponse = errorResponseOf(response);
    return response;
  };
  try {
    signal?.throwIfAborted();
    return await call(hubFetch);
  } catch (error) {
    if (signal?.aborted) throw signal.reason ?? error;
    if (isAbortError(error)) throw error;
    throw classifyHubError(error, context, isHubApiError(error) ? lastErrorResponse : undefined);
  }
}

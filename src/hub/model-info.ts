import type { ListFileEntry } from '@huggingface/hub';
import { loadHubClient } from './hub-client.ts';
import { getHubCredentials, type HubCallCredentials } from './credentials.ts';
import { GatedRepoError, InvalidTokenError, RepoNotFoundError, classifyFetchResponse, HubUnreachableError, isAbortError, withHubErrors } from './errors.ts';

/**
 * What the app asks the hub about a model repo: its commit, gating and files (with the sizes and
 * hashes downloads are verified against), and whether the saved token may read its files. Metadata
 * of gated repos is public (hub-spec.md), so access is checked separately, before the first byte.
 */

export interface RepoSnapshot {
  repo: string;
  /** The 40-hex commit the revision resolved to: downloads are keyed and fetched by it. */
  commit: string;
  gated: false | 'auto' | 'manual';
  private: boolean;
  licence: string | null;
  files: ListFileEntry[];
}

export interface HubQueryOptions {
  signal?: AbortSignal;
  /** Tests inject their own; the app uses the one credentials door. */
  credentials?: () => Promise<HubCallCredentials>;
  fetch?: typeof fetch;
}

const COMMIT = /^[0-9a-f]{40}$/;

export const REPO_ID_PATTERN = /^[A-Za-z0-9][\w.-]{0,95}\/[\w.-]{1,96}$/;

export class InvalidRepoIdError extends Error {
  readonly code = 'invalid-repo-id';
  override name = 'InvalidRepoIdError';
  constructor(input: string) {
    super(`"${input}" is not a Hugging Face repo id. Type it as org/name, e.g. schmuell/sd-turbo-ort-web.`);
  }
}

/** `org/name` from what the user typed: trims, and accepts a pasted model page URL. */
export function normaliseRepoId(input: string, hubUrl: string): string {
  let value = input.trim();
  const pagePrefix = `${hubUrl.replace(/\/$/, '')}/`;
  for (const prefix of [pagePrefix, 'https://huggingface.co/']) {
    if (value.startsWith(prefix)) value = value.slice(prefix.length);
  }
  value = value.replace(/\/(tree|blob|resolve)\/.*$/, '').replace(/\/+$/, '');
  if (!REPO_ID_PATTERN.test(value)) throw new InvalidRepoIdError(input);
  return value;
}

async function credentialsFor(options: HubQueryOptions): Promise<HubCallCredentials> {
  return (options.credentials ?? (() => getHubCredentials({ signal: options.signal })))();
}

/** Model info and the full recursive tree of `repo` at `revision`. */
export async function fetchRepoSnapshot(repo: string, revision: string, options: HubQueryOptions = {}): Promise<RepoSnapshot> {
  const { signal } = options;
  const credentials = await credentialsFor(options);
  const { listFiles, modelInfo } = await loadHubClient();
  const context = { repo, authenticated: credentials.accessToken !== undefined, hubUrl: credentials.hubUrl };
  const info = await withHubErrors(
    (fetch) => modelInfo({ name: repo, revision, additionalFields: ['sha', 'cardData'], ...credentials, fetch }),
    { signal, context, fetch: options.fetch },
  ).catch((error: unknown) => rethrowWithTokenHint(error, options));
  const commit = info.sha;
  if (typeof commit !== 'string' || !COMMIT.test(commit)) {
    throw new RepoNotFoundError(context, { hubMessage: `model info for ${repo} has no commit sha` });
  }
  // The tree of the resolved commit, so file list, hashes and downloads all describe one snapshot.
  const files = await withHubErrors(
    async (fetch) => {
      const entries: ListFileEntry[] = [];
      for await (const entry of listFiles({ repo, revision: commit, recursive: true, ...credentials, fetch })) entries.push(entry);
      return entries;
    },
    { signal, context, fetch: options.fetch },
  );
  const licence = (info.cardData as { license?: unknown } | undefined)?.license;
  return {
    repo,
    commit,
    gated: info.gated ?? false,
    private: info.private ?? false,
    licence: typeof licence === 'string' ? licence : null,
    files,
  };
}

/**
 * Whether the saved token may read the files of `repo` (`GET /api/models/{id}/auth-check`), before
 * any byte is downloaded. Resolves when it may; rejects with `GatedRepoError` (not logged in, or
 * terms not accepted), `InvalidTokenError`, `RepoNotFoundError` (missing or private) or another
 * `HubError`.
 */
export async function checkRepoAccess(repo: string, options: HubQueryOptions = {}): Promise<void> {
  const { signal } = options;
  const credentials = await credentialsFor(options);
  const context = { repo, authenticated: credentials.accessToken !== undefined, hubUrl: credentials.hubUrl };
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(`${credentials.hubUrl}/api/models/${repo}/auth-check`, {
      headers: credentials.accessToken ? { Authorization: `Bearer ${credentials.accessToken}` } : {},
      signal,
      cache: 'no-store',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
    });
  } catch (error) {
    if (isAbortError(error) || signal?.aborted) throw error;
    throw new HubUnreachableError({ cause: error });
  }
  if (response.ok) return;
  await rethrowWithTokenHint(classifyFetchResponse(response, context), options);
}

/**
 * A token the hub rejected is not handed out for calls (public files keep working without it), so
 * a gated or private repo then looks like "not logged in". When such a token is saved, say that it
 * is the token that needs fixing in Settings.
 */
async function rethrowWithTokenHint(error: unknown, options: HubQueryOptions): Promise<never> {
  const anonymousRefusal =
    (error instanceof GatedRepoError || error instanceof RepoNotFoundError) && error.status === 401 && !options.credentials;
  if (anonymousRefusal) {
    const withRejected = await getHubCredentials({ signal: options.signal, includeRejected: true }).catch(() => undefined);
    if (withRejected?.accessToken) throw new InvalidTokenError({ status: 401, cause: error });
  }
  throw error;
}

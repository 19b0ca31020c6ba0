import { loadHubClient } from './hub-client.ts';
import { defaultTokenVault } from '../vault/default-vault.ts';
import { VaultCorruptRecordError, VaultDecryptError, VaultError, VaultHubMismatchError, VaultKeyMissingError } from '../vault/errors.ts';
import { PASSPHRASE_MIN_LENGTH, WeakPassphraseError } from '../vault/passphrase.ts';
import type { StoredIdentity, TokenLockState, TokenVault } from '../vault/token-vault.ts';
import { getHubCredentials } from './credentials.ts';
import {
  HubError,
  HubUnreachableError,
  InvalidTokenError,
  RateLimitedError,
  UnexpectedHubResponseError,
  isAbortError,
  withHubErrors,
} from './errors.ts';

/**
 * Signing in to the Hub: checking what the user pasted, asking the hub who the token belongs to,
 * keeping the result in the vault, and the state the Settings panel shows. The token itself only
 * passes through here on its way into the vault or into `whoAmI`; it never enters `AuthState`.
 */

// ---------------------------------------------------------------------------------------------
// Token format, checked before anything is sent.

/** hub-spec.md: `hf_` + 34 ASCII letters. Lenient bounds, so only obvious garbage is refused. */
export const TOKEN_PREFIX = 'hf_';
export const TOKEN_MIN_LENGTH = 30;
export const TOKEN_MAX_LENGTH = 200;

export type TokenFormatProblem =
  | 'empty'
  | 'bearer-prefix'
  | 'whitespace'
  | 'non-ascii'
  | 'org-token'
  | 'missing-prefix'
  | 'too-short'
  | 'too-long'
  | 'pasted-twice'
  | 'bad-characters';

/** What the user typed cannot be a token; the message says exactly why and never repeats the input. */
export class TokenFormatError extends Error {
  readonly code = 'invalid-token-format';
  override name = 'TokenFormatError';
  readonly problem: TokenFormatProblem;
  constructor(problem: TokenFormatProblem, message: string) {
    super(message);
    this.problem = problem;
  }
}

export type TokenFormatResult = { ok: true; token: string } | { ok: false; error: TokenFormatError };

export function checkTokenFormat(input: string): TokenFormatResult {
  const token = input.trim();
  const fail = (problem: TokenFormatProblem, message: string): TokenFormatResult => ({
    ok: false,
    error: new TokenFormatError(problem, message),
  });
  if (!token) return fail('empty', 'Paste your Hugging Face token first.');
  if (/^bearer\s/i.test(token)) return fail('bearer-prefix', 'Paste only the token itself, without the "Bearer " in front of it.');
  if (/\s/.test(token)) return fail('whitespace', 'The token contains a space or a line break. Paste it again as one word.');
  const nonAscii = [...token].find((c) => c.charCodeAt(0) > 0x7e || c.charCodeAt(0) < 0x20);
  if (nonAscii !== undefined) {
    const shown = /\p{L}|\p{N}|\p{P}|\p{S}/u.test(nonAscii) ? `"${nonAscii}"` : `U+${nonAscii.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    return fail('non-ascii', `The token contains the character ${shown}, which is never part of a token. Copy it again from your Hugging Face settings.`);
  }
  if (token.startsWith('api_org_')) {
    return fail('org-token', 'Organization API tokens (api_org_…) are not supported. Create a personal access token; it starts with hf_.');
  }
  if (!token.startsWith(TOKEN_PREFIX)) return fail('missing-prefix', 'A Hugging Face token starts with hf_. Check that you copied the whole token.');
  // Tokens never contain "hf_" again after the prefix: a second one means a double paste.
  if (token.includes(TOKEN_PREFIX, TOKEN_PREFIX.length)) {
    return fail('pasted-twice', 'The token contains hf_ twice, as if it was pasted twice. Paste it once.');
  }
  if (token.length < TOKEN_MIN_LENGTH) {
    return fail('too-short', `The token is too short (${token.length} characters; Hugging Face tokens have about 37). Check that you copied all of it.`);
  }
  if (token.length > TOKEN_MAX_LENGTH) {
    return fail('too-long', `The token is too long (${token.length} characters; Hugging Face tokens have about 37). Paste only the token.`);
  }
  if (!/^hf_[A-Za-z0-9_-]+$/.test(token)) {
    return fail('bad-characters', 'After hf_, a token has only letters and digits. Check that nothing else was copied with it.');
  }
  return { ok: true, token };
}

// ---------------------------------------------------------------------------------------------
// Asking the hub who a token belongs to.

/** Roles that can change things on the hub: more than this app ever needs. */
const WRITE_ROLES = new Set(['write', 'admin', 'contributor']);

export function needsReadOnlyWarning(identity: Pick<StoredIdentity, 'role' | 'canWrite'>): boolean {
  return WRITE_ROLES.has(identity.role ?? '') || identity.canWrite === true;
}

/** The avatar as an absolute http(s) URL (the hub often answers with a path), or undefined. */
export function avatarSource(avatarUrl: string | undefined, hubUrl: string): string | undefined {
  if (!avatarUrl) return undefined;
  try {
    const url = new URL(avatarUrl, hubUrl);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a fine-grained token may write anywhere (the whoami types omit these fields). */
function fineGrainedCanWrite(accessToken: unknown): boolean {
  const fineGrained = (accessToken as { fineGrained?: { global?: unknown; scoped?: unknown } } | undefined)?.fineGrained;
  if (!fineGrained) return false;
  const permissions: unknown[] = [];
  if (Array.isArray(fineGrained.global)) permissions.push(...fineGrained.global);
  if (Array.isArray(fineGrained.scoped)) {
    for (const scope of fineGrained.scoped) {
      const list = (scope as { permissions?: unknown } | null)?.permissions;
      if (Array.isArray(list)) permissions.push(...list);
    }
  }
  return permissions.some((p) => typeof p === 'string' && /\.(write|manage)$|^(write|manage)$/.test(p));
}

/** How long whoami may take before the hub counts as unreachable (a hung proxy must not leave "Checking…" forever). */
export const WHOAMI_TIMEOUT_MS = 20_000;

export interface CheckTokenOptions {
  hubUrl: string;
  signal?: AbortSignal;
  /** Default `WHOAMI_TIMEOUT_MS`. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
}

/** GET /api/whoami-v2 with `token`; resolves to the identity or rejects with a typed `HubError`. */
export async function checkToken(token: string, options: CheckTokenOptions): Promise<StoredIdentity> {
  const { hubUrl, signal } = options;
  const timeout = AbortSignal.timeout(options.timeoutMs ?? WHOAMI_TIMEOUT_MS);
  const { whoAmI } = await loadHubClient();
  let answer: Awaited<ReturnType<typeof whoAmI>>;
  try {
    answer = await withHubErrors((fetch) => whoAmI({ accessToken: token, hubUrl, fetch }), {
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      fetch: options.fetch,
      context: { authenticated: true, hubUrl },
    });
  } catch (error) {
    // Our own deadline, not the caller's abort: report it like a network failure.
    if (timeout.aborted && !signal?.aborted) throw new HubUnreachableError({ cause: error });
    throw error;
  }
  if (answer.type !== 'user' || typeof answer.name !== 'string') {
    throw new UnexpectedHubResponseError({ hubMessage: `whoami answered type ${String(answer.type)}` });
  }
  const accessToken = answer.auth?.accessToken;
  const identity: StoredIdentity = { name: answer.name, validatedAt: (options.now ?? Date.now)() };
  if (answer.fullname) identity.fullName = answer.fullname;
  if (answer.avatarUrl) identity.avatarUrl = answer.avatarUrl;
  if (accessToken?.role) identity.role = accessToken.role;
  if (fineGrainedCanWrite(accessToken)) identity.canWrite = true;
  return identity;
}

// ---------------------------------------------------------------------------------------------
// The sign-in state the UI renders.

export type AuthStatus = 'checking' | 'logged-in' | 'invalid' | 'logged-out' | 'unreachable';

/** Which token the status is about: the saved one, or one just typed that was not saved. */
export type AuthSubject = 'saved' | 'entered';

export interface AuthProblem {
  code: string;
  message: string;
}

export interface AuthState {
  status: AuthStatus;
  subject: AuthSubject;
  /** The saved token's identity as last confirmed by the hub (shown even while offline). */
  identity: StoredIdentity | undefined;
  /** Something the user must read: a refused input, a rejected token, a damaged vault, 429. */
  problem: AuthProblem | undefined;
  /** A save is in flight (the form is disabled meanwhile). */
  saving: boolean;
  /** The optional passphrase lock: none, locked (token unusable until unlocked), unlocked this session. */
  lock: TokenLockState;
  /** Locking, unlocking or removing the lock is in flight (a key derivation takes about a second). */
  lockBusy: boolean;
}

export type { TokenLockState };

/**
 * Whether the saved token is passphrase-locked and not unlocked in this session, for messages that
 * must say "unlock in Settings" rather than "log in". Never reveals the token; false when unsure.
 */
export async function isSavedTokenLocked(vault?: TokenVault): Promise<boolean> {
  try {
    return (await (vault ?? defaultTokenVault()).lockState()) === 'locked';
  } catch {
    return false;
  }
}

/** Connectivity as the browser reports it; injectable so tests decide when "online" happens. */
export interface Connectivity {
  isOnline(): boolean;
  /** Calls `listener` at the next `online` event; returns an unsubscribe function. */
  onceOnline(listener: () => void): () => void;
}

export const browserConnectivity: Connectivity = {
  isOnline: () => (typeof navigator === 'undefined' ? true : navigator.onLine),
  onceOnline(listener) {
    if (typeof window === 'undefined') return () => undefined;
    window.addEventListener('online', listener, { once: true });
    return () => window.removeEventListener('online', listener);
  },
};

export interface AuthServiceOptions {
  vault?: TokenVault;
  fetch?: typeof fetch;
  connectivity?: Connectivity;
  now?: () => number;
  /** Runs `run` after `delayMs`; returns a cancel function (injectable so tests fire re-checks). */
  schedule?: (run: () => void, delayMs: number) => () => void;
}

/**
 * Delays between re-checks while the browser says it is online but the hub cannot be reached
 * (a captive portal, a VPN, the hub down; or Chromium, whose page reloaded while offline may report
 * `navigator.onLine` true and never fire `online`): 3 s, then slower, at most every 5 minutes.
 */
export const UNREACHABLE_RETRY_DELAYS_MS: readonly number[] = [3_000, 10_000, 30_000, 60_000, 300_000];

const timerSchedule = (run: () => void, delayMs: number) => {
  const timer = setTimeout(run, delayMs);
  return () => clearTimeout(timer);
};

/**
 * The sign-in lifecycle: `start()` shows the saved identity at once and re-checks it once online;
 * `save()` validates a new token and keeps it only when the hub accepts it; `forget()` erases it.
 * Fires `change` after every state update.
 */
export class AuthService extends EventTarget {
  readonly hubUrl: string;
  private readonly _vault: TokenVault;
  private readonly _fetch: typeof fetch | undefined;
  private readonly _connectivity: Connectivity;
  private readonly _now: () => number;
  private readonly _schedule: (run: () => void, delayMs: number) => () => void;
  /** Re-checks in a row that found the hub unreachable while the browser said it was online. */
  private _unreachableRetries = 0;
  private _state: AuthState = {
    status: 'checking',
    subject: 'saved',
    identity: undefined,
    problem: undefined,
    saving: false,
    lock: 'none',
    lockBusy: false,
  };
  private _started: Promise<void> | undefined;
  /** Aborts the running check when a newer operation supersedes it. */
  private _current: AbortController | undefined;
  private _stopWaitingForOnline: (() => void) | undefined;
  /** Bumped by save and forget, so the start-up check never overrides what the user just did. */
  private _userRevision = 0;
  /** Vault writes run one at a time, so a late save can never resurrect a token just forgotten. */
  private _vaultQueue: Promise<unknown> = Promise.resolve();

  constructor(options: AuthServiceOptions = {}) {
    super();
    this._vault = options.vault ?? defaultTokenVault();
    this.hubUrl = this._vault.hubUrl;
    this._fetch = options.fetch;
    this._connectivity = options.connectivity ?? browserConnectivity;
    this._now = options.now ?? Date.now;
    this._schedule = options.schedule ?? timerSchedule;
  }

  get state(): AuthState {
    return this._state;
  }

  /** Idempotent: the first call loads the saved identity and re-checks it; later calls return the same promise. */
  start(): Promise<void> {
    this._started ??= this._start();
    return this._started;
  }

  /** Checks `input` and, when the hub accepts it, stores it. Resolves to whether it was saved. */
  async save(input: string, { signal }: { signal?: AbortSignal } = {}): Promise<boolean> {
    const format = checkTokenFormat(input);
    if (!format.ok) {
      this._set({ problem: { code: format.error.code, message: format.error.message } });
      return false;
    }
    this._userRevision++;
    const operation = this._begin(signal);
    const before = this._state;
    this._set({ status: 'checking', subject: 'entered', problem: undefined, saving: true });
    try {
      const identity = await checkToken(format.token, { hubUrl: this.hubUrl, signal: operation.signal, fetch: this._fetch, now: this._now });
      await this._serial(async () => {
        operation.signal.throwIfAborted();
        await this._vault.save(format.token, identity);
      });
      // The hub answered: a pending re-check of the previous token has nothing left to do.
      this._stopWaitingForOnline?.();
      this._unreachableRetries = 0;
      this._set({ status: 'logged-in', subject: 'saved', identity, problem: undefined, saving: false, lock: 'none' });
      return true;
    } catch (error) {
      if (operation.signal.aborted || isAbortError(error)) {
        if (this._current === operation) this._set({ ...before, saving: false });
        return false;
      }
      this._set({ ...this._outcomeOfFailedSave(error, before), saving: false });
      return false;
    } finally {
      if (this._current === operation) this._current = undefined;
    }
  }

  /** Deletes the saved token and its key. */
  async forget(): Promise<void> {
    this._userRevision++;
    this._current?.abort();
    this._current = undefined;
    this._stopWaitingForOnline?.();
    await this._serial(() => this._vault.forget());
    this._set({ status: 'logged-out', subject: 'saved', identity: undefined, problem: undefined, saving: false, lock: 'none', lockBusy: false });
  }

  /**
   * Adds a passphrase lock to the saved token (this session stays unlocked). Resolves to whether it
   * was locked; a refusal (too short, confirmation differs) is shown as the problem.
   */
  async lockWithPassphrase(passphrase: string, confirmation: string): Promise<boolean> {
    if ([...passphrase].length < PASSPHRASE_MIN_LENGTH) return this._refuse(new WeakPassphraseError());
    if (passphrase !== confirmation) {
      this._set({ problem: { code: 'passphrase-mismatch', message: 'The two passphrases differ. Type the same passphrase twice.' } });
      return false;
    }
    return this._lockOperation(async () => {
      await this._vault.lockWithPassphrase(passphrase);
      return 'unlocked';
    });
  }

  /** Unlocks the saved token for this session and re-checks it with the hub (skipped at start while locked). */
  async unlock(passphrase: string): Promise<boolean> {
    const unlocked = await this._lockOperation(async () => {
      await this._vault.unlock(passphrase);
      return 'unlocked';
    });
    if (unlocked) void this._revalidateWhenOnline();
    return unlocked;
  }

  /** Checks the passphrase and stores the token under the vault key alone again. */
  async removePassphraseLock(passphrase: string): Promise<boolean> {
    return this._lockOperation(async () => {
      await this._vault.removePassphraseLock(passphrase);
      return 'none';
    });
  }

  /** Clears the alert (e.g. when the user edits the field). */
  dismissProblem(): void {
    if (this._state.problem) this._set({ problem: undefined });
  }

  dispose(): void {
    this._current?.abort();
    this._stopWaitingForOnline?.();
  }

  private async _lockOperation(operation: () => Promise<TokenLockState>): Promise<boolean> {
    if (this._state.lockBusy || !this._state.identity) return false;
    this._set({ lockBusy: true, problem: undefined });
    try {
      const lock = await this._serial(operation);
      this._set({ lock, lockBusy: false });
      return true;
    } catch (error) {
      // A wrong passphrase changes nothing stored; a damaged record was removed by the vault.
      const removed = [VaultDecryptError, VaultKeyMissingError, VaultCorruptRecordError, VaultHubMismatchError].some((type) => error instanceof type);
      this._set({ lockBusy: false, problem: problemOf(error), ...(removed ? { status: 'logged-out' as const, identity: undefined, lock: 'none' as const } : {}) });
      return false;
    }
  }

  private _refuse(error: VaultError): false {
    this._set({ problem: problemOf(error) });
    return false;
  }

  private async _start(): Promise<void> {
    const revision = this._userRevision;
    let identity: StoredIdentity | undefined;
    try {
      identity = await this._vault.readIdentity();
    } catch (error) {
      if (revision === this._userRevision) this._set({ status: 'logged-out', identity: undefined, problem: problemOf(error) });
      return;
    }
    if (revision !== this._userRevision) return;
    if (!identity) {
      this._set({ status: 'logged-out', identity: undefined });
      return;
    }
    let lock: TokenLockState;
    try {
      lock = await this._vault.lockState();
    } catch (error) {
      if (revision === this._userRevision) this._set({ status: 'logged-out', identity: undefined, problem: problemOf(error) });
      return;
    }
    if (revision !== this._userRevision) return;
    if (lock === 'locked') {
      // The token cannot be sent without the passphrase: show what was last confirmed, check after unlocking.
      this._set({ status: identity.rejectedAt !== undefined ? 'invalid' : 'logged-in', identity, lock });
      return;
    }
    this._set({ status: identity.rejectedAt !== undefined ? 'invalid' : 'checking', identity, lock });
    await this._revalidateWhenOnline();
  }

  private async _revalidateWhenOnline(): Promise<void> {
    if (this._connectivity.isOnline()) return this._revalidate();
    this._set({ status: 'unreachable', subject: 'saved' });
    this._waitForOnline();
  }

  /**
   * One re-check at the next `online` event, or, when the browser already says it is online, after
   * the next backoff delay (whichever comes first); each unreachable answer waits longer.
   */
  private _waitForOnline(): void {
    this._stopWaitingForOnline?.();
    const cancels: (() => void)[] = [];
    const stop = () => {
      cancels.forEach((cancel) => cancel());
      if (this._stopWaitingForOnline === stop) this._stopWaitingForOnline = undefined;
    };
    const recheck = () => {
      stop();
      void this._revalidate();
    };
    cancels.push(this._connectivity.onceOnline(recheck));
    if (this._connectivity.isOnline()) cancels.push(this._schedule(recheck, this._nextRetryDelay()));
    this._stopWaitingForOnline = stop;
  }

  private _nextRetryDelay(): number {
    const delays = UNREACHABLE_RETRY_DELAYS_MS;
    return delays[Math.min(this._unreachableRetries++, delays.length - 1)]!;
  }

  /** Re-checks the saved token with the hub; the saved identity stays visible throughout. */
  private async _revalidate(): Promise<void> {
    const identity = this._state.identity;
    // A save in flight checks its own token; the saved one would be replaced anyway.
    if (!identity || this._state.saving) return;
    const operation = this._begin();
    this._set({ status: 'checking', subject: 'saved' });
    try {
      const credentials = await getHubCredentials({ vault: this._vault, includeRejected: true, signal: operation.signal });
      if (credentials.locked) {
        // Locked again meanwhile (another tab re-locked it): nothing to check until unlocked.
        this._set({ status: identity.rejectedAt !== undefined ? 'invalid' : 'logged-in', lock: 'locked' });
        return;
      }
      if (!credentials.accessToken) {
        this._set({ status: 'logged-out', identity: undefined });
        return;
      }
      const confirmed = await checkToken(credentials.accessToken, { hubUrl: this.hubUrl, signal: operation.signal, fetch: this._fetch, now: this._now });
      this._unreachableRetries = 0;
      await this._serial(async () => {
        operation.signal.throwIfAborted();
        await this._vault.updateIdentity(confirmed);
      });
      this._set({ status: 'logged-in', identity: confirmed });
    } catch (error) {
      if (operation.signal.aborted || isAbortError(error)) return;
      // Any answer from the hub (a rejection, 429, 5xx) restarts the backoff.
      if (!(error instanceof HubUnreachableError)) this._unreachableRetries = 0;
      if (error instanceof VaultError) {
        this._set({ status: 'logged-out', identity: undefined, problem: problemOf(error) });
      } else if (error instanceof InvalidTokenError) {
        const rejected = { ...identity, rejectedAt: this._now() };
        await this._serial(async () => {
          if (!operation.signal.aborted) await this._vault.updateIdentity(rejected);
        }).catch(() => undefined);
        if (operation.signal.aborted) return;
        this._set({
          status: 'invalid',
          identity: rejected,
          problem: {
            code: error.code,
            message: `Hugging Face no longer accepts your saved token (it may have been revoked or deleted). Paste a new token, or forget this one. ${ADVICE}`,
          },
        });
      } else if (error instanceof HubUnreachableError) {
        this._set({ status: 'unreachable' });
        this._waitForOnline();
      } else {
        // 429 or a server error: keep showing what was last known, and say why it wasn't re-checked.
        this._set({
          status: identity.rejectedAt !== undefined ? 'invalid' : 'logged-in',
          problem: problemOf(error, "Your saved token couldn't be re-checked just now. "),
        });
      }
    } finally {
      if (this._current === operation) this._current = undefined;
    }
  }

  private _outcomeOfFailedSave(error: unknown, before: AuthState): Partial<AuthState> {
    if (error instanceof InvalidTokenError) {
      return { status: 'invalid', subject: 'entered', problem: problemOf(error) };
    }
    if (error instanceof HubUnreachableError) {
      return {
        status: 'unreachable',
        subject: 'entered',
        problem: { code: error.code, message: "The token was not saved: Hugging Face can't be reached to check it. Check your connection and try again." },
      };
    }
    if (error instanceof RateLimitedError) {
      return { status: before.status, subject: before.subject, problem: problemOf(error, 'The token was not checked or saved. ') };
    }
    // A vault failure after the hub accepted the token, or another hub answer: nothing was saved.
    return { status: before.status, subject: before.subject, problem: problemOf(error, error instanceof HubError ? 'The token was not saved. ' : '') };
  }

  private _serial<T>(write: () => Promise<T>): Promise<T> {
    const result = this._vaultQueue.then(write, write);
    this._vaultQueue = result.catch(() => undefined);
    return result;
  }

  /** Supersedes whatever check is running. */
  private _begin(signal?: AbortSignal): AbortController {
    this._current?.abort();
    const controller = new AbortController();
    signal?.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
    this._current = controller;
    return controller;
  }

  private _set(patch: Partial<AuthState>): void {
    this._state = Object.freeze({ ...this._state, ...patch });
    this.dispatchEvent(new Event('change'));
  }
}

const ADVICE = 'A valid token starts with hf_ and has at least the Read permission.';

function problemOf(error: unknown, prefix = ''): AuthProblem {
  if (error instanceof HubError || error instanceof VaultError || error instanceof TokenFormatError) {
    return { code: error.code, message: prefix + error.message };
  }
  return { code: 'unexpected', message: `${prefix}Something unexpected went wrong. Please try again.` };
}

import { defaultTokenVault } from '../vault/default-vault.ts';
import { TokenLockedError } from '../vault/passphrase.ts';
import type { TokenVault } from '../vault/token-vault.ts';

/**
 * THE ONE DOOR TO THE DECRYPTED TOKEN.
 *
 * Only code that sends requests to the hub may import this module (src/hub/**: whoami, model info,
 * gated downloads). Components, controllers, workers, the service worker and logging must not: they
 * get `AuthService` state (who is logged in), never the token. ESLint's `no-restricted-imports`
 * enforces this outside src/hub (see eslint.config.js).
 *
 * Rules for callers: pass the result straight into `@huggingface/hub` calls (or an `Authorization`
 * header to `hubUrl` only), do not store it, log it, put it in a URL or post it to a worker, and ask
 * again for each operation rather than keeping it around.
 */

/** Spread into `@huggingface/hub` calls: `modelInfo({ name, ...(await getHubCredentials()) })`. */
export interface HubCallCredentials {
  /** The build-time hub origin; the token is only valid there. */
  hubUrl: string;
  /** Absent when no token is saved, or when the hub rejected the saved one (public files still work). */
  accessToken?: string;
  /**
   * A token is saved but passphrase-locked and not unlocked in this session: no token is handed
   * out, and a refusal of a gated or private repo means "unlock in Settings", not "log in".
   */
  locked?: true;
}

export interface GetHubCredentialsOptions {
  signal?: AbortSignal;
  /** Tests and the auth service pass their vault; the app uses the default one. */
  vault?: TokenVault;
  /** Also hand out a token the hub rejected last time (the auth service re-checks it on start). */
  includeRejected?: boolean;
}

/**
 * Credentials for one hub operation. Throws a `VaultError` when a saved token exists but cannot be
 * decrypted (the vault has removed it by then, so the next call proceeds without a token).
 */
export async function getHubCredentials(options: GetHubCredentialsOptions = {}): Promise<HubCallCredentials> {
  const vault = options.vault ?? defaultTokenVault();
  options.signal?.throwIfAborted();
  const identity = await vault.readIdentity();
  if (!identity || (identity.rejectedAt !== undefined && !options.includeRejected)) return { hubUrl: vault.hubUrl };
  let accessToken: string | undefined;
  try {
    accessToken = await vault.decryptToken();
  } catch (error) {
    if (error instanceof TokenLockedError) return { hubUrl: vault.hubUrl, locked: true };
    throw error;
  }
  options.signal?.throwIfAborted();
  return accessToken === undefined ? { hubUrl: vault.hubUrl } : { hubUrl: vault.hubUrl, accessToken };
}

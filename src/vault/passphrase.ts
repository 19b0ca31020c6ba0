import { VaultError, VaultUnavailableError } from './errors.ts';

/**
 * The optional passphrase lock: a second layer of encryption of the token under a key derived from a
 * passphrase the user types, so that someone with the (running) browser profile still needs the
 * passphrase. The vault's own non-extractable AES-GCM key cannot be wrapped (wrapKey needs an
 * extractable key), so the token is encrypted under the derived key instead, and that ciphertext is
 * what the vault encrypts under its own key (two layers: the profile's key and the passphrase).
 *
 * - PBKDF2-SHA256, 600,000 iterations (OWASP 2023), 16-byte random salt per lock.
 * - AES-GCM-256 with a fresh 12-byte IV; the hub origin is the additional authenticated data.
 * - A wrong passphrase is a `WrongPassphraseError`; the locked data is never deleted for it, and
 *   there is no lockout (the cost of each guess is the iteration count).
 */

export const PBKDF2_ITERATIONS = 600_000;
export const PASSPHRASE_MIN_LENGTH = 8;
const SALT_BYTES = 16;
const IV_BYTES = 12;

/** What is stored for a locked secret: everything but the passphrase. */
export interface PassphraseLockedSecret {
  version: 1;
  kdf: 'PBKDF2-SHA256';
  iterations: number;
  salt: Uint8Array<ArrayBuffer>;
  iv: Uint8Array<ArrayBuffer>;
  ciphertext: ArrayBuffer;
}

export class WrongPassphraseError extends VaultError {
  readonly code = 'vault-wrong-passphrase';
  override name = 'WrongPassphraseError';
  constructor(options?: ErrorOptions) {
    super('Wrong passphrase: it does not unlock your saved token. Check it and try again; your token is kept.', options);
  }
}

export class WeakPassphraseError extends VaultError {
  readonly code = 'vault-weak-passphrase';
  override name = 'WeakPassphraseError';
  constructor() {
    super(`Choose a passphrase of at least ${PASSPHRASE_MIN_LENGTH} characters.`);
  }
}

/** The locked data is not in a form this version understands (tampering, or a newer app). */
export class PassphraseLockFormatError extends VaultError {
  readonly code = 'vault-lock-format';
  override name = 'PassphraseLockFormatError';
  constructor(detail: string) {
    super(`The passphrase lock of your saved token is damaged (${detail}).`);
  }
}

/** The saved token is passphrase-locked and has not been unlocked in this session. */
export class TokenLockedError extends VaultError {
  readonly code = 'vault-token-locked';
  override name = 'TokenLockedError';
  constructor() {
    super('Your saved Hugging Face token is locked with a passphrase. Unlock it in Settings first.');
  }
}

/** Locking a token that is already locked, or unlocking one that is not (e.g. another tab changed it). */
export class PassphraseLockStateError extends VaultError {
  readonly code = 'vault-lock-state';
  override name = 'PassphraseLockStateError';
  constructor(detail: string) {
    super(detail);
  }
}

export interface PassphraseCryptoOptions {
  /** Bound as additional authenticated data: the hub origin the secret belongs to. */
  aad: string;
  /** Default: the global Web Crypto. */
  subtle?: SubtleCrypto;
  signal?: AbortSignal;
}

async function deriveKey(subtle: SubtleCrypto, passphrase: string, salt: Uint8Array<ArrayBuffer>, iterations: number): Promise<CryptoKey> {
  // NFC so that the same passphrase typed on another keyboard layout derives the same key.
  const material = await subtle.importKey('raw', new TextEncoder().encode(passphrase.normalize('NFC')), 'PBKDF2', false, ['deriveKey']);
  return subtle.deriveKey({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, material, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
}

function subtleOf(options: PassphraseCryptoOptions): SubtleCrypto {
  const subtle = options.subtle ?? globalThis.crypto?.subtle;
  if (!subtle) throw new VaultUnavailableError();
  return subtle;
}

/** Encrypts `secret` under a key derived from `passphrase` with a fresh salt and IV. */
export async function lockWithPassphrase(secret: string, passphrase: string, options: PassphraseCryptoOptions): Promise<PassphraseLockedSecret> {
  return (await lockWithPassphraseKey(secret, passphrase, options)).locked;
}

/**
 * As `lockWithPassphrase`, also handing back the derived (non-extractable) key, so that the session
 * that just locked stays unlocked without a second 600,000-iteration derivation.
 */
export async function lockWithPassphraseKey(
  secret: string,
  passphrase: string,
  options: PassphraseCryptoOptions,
): Promise<{ locked: PassphraseLockedSecret; key: CryptoKey }> {
  if ([...passphrase].length < PASSPHRASE_MIN_LENGTH) throw new WeakPassphraseError();
  const subtle = subtleOf(options);
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const key = await deriveKey(subtle, passphrase, salt, PBKDF2_ITERATIONS);
  options.signal?.throwIfAborted();
  const ciphertext = await subtle.encrypt({ name: 'AES-GCM', iv, additionalData: new TextEncoder().encode(options.aad) }, key, new TextEncoder().encode(secret));
  return { locked: { version: 1, kdf: 'PBKDF2-SHA256', iterations: PBKDF2_ITERATIONS, salt, iv, ciphertext }, key };
}

/** The secret, or a `WrongPassphraseError` (the locked data is left as it is). */
export async function unlockWithPassphrase(locked: PassphraseLockedSecret, passphrase: string, options: PassphraseCryptoOptions): Promise<string> {
  return (await unlockWithPassphraseKey(locked, passphrase, options)).secret;
}

/** As `unlockWithPassphrase`, also handing back the derived key for later `unlockWithKey` calls. */
export async function unlockWithPassphraseKey(
  locked: PassphraseLockedSecret,
  passphrase: string,
  options: PassphraseCryptoOptions,
): Promise<{ secret: string; key: CryptoKey }> {
  const problem = lockProblem(locked);
  if (problem) throw new PassphraseLockFormatError(problem);
  const key = await deriveKey(subtleOf(options), passphrase, locked.salt, locked.iterations);
  options.signal?.throwIfAborted();
  return { secret: await unlockWithKey(locked, key, options), key };
}

/** Decrypts with a key derived earlier in this session; a key that does not fit is a `WrongPassphraseError`. */
export async function unlockWithKey(locked: PassphraseLockedSecret, key: CryptoKey, options: PassphraseCryptoOptions): Promise<string> {
  const problem = lockProblem(locked);
  if (problem) throw new PassphraseLockFormatError(problem);
  let plain: ArrayBuffer;
  try {
    plain = await subtleOf(options).decrypt({ name: 'AES-GCM', iv: locked.iv, additionalData: new TextEncoder().encode(options.aad) }, key, locked.ciphertext);
  } catch (error) {
    // GCM cannot tell a wrong key from tampered bytes; a wrong passphrase is by far the likelier.
    throw new WrongPassphraseError({ cause: error });
  }
  return new TextDecoder('utf-8', { fatal: true }).decode(plain);
}

/**
 * Removing the lock: checks the passphrase and hands back the secret, for the vault to store it
 * under its own key alone (a fresh IV on that write re-encrypts it).
 */
export async function removePassphraseLock(locked: PassphraseLockedSecret, passphrase: string, options: PassphraseCryptoOptions): Promise<string> {
  return unlockWithPassphrase(locked, passphrase, options);
}

/** Why `value` is not a usable lock, or undefined when it is one. Refuses weakened iteration counts. */
export function lockProblem(value: unknown): string | undefined {
  if (!value || typeof value !== 'object') return 'not a lock';
  const v = value as Partial<Record<keyof PassphraseLockedSecret, unknown>>;
  if (v.version !== 1 || v.kdf !== 'PBKDF2-SHA256') return 'unknown format';
  if (typeof v.iterations !== 'number' || !Number.isInteger(v.iterations) || v.iterations < PBKDF2_ITERATIONS) return 'too few iterations';
  if (!(v.salt instanceof Uint8Array) || v.salt.byteLength !== SALT_BYTES) return 'bad salt';
  if (!(v.iv instanceof Uint8Array) || v.iv.byteLength !== IV_BYTES) return 'bad IV';
  if (!(v.ciphertext instanceof ArrayBuffer) || v.ciphertext.byteLength <= 16) return 'bad ciphertext';
  return undefined;
}

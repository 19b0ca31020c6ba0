import {
  VaultCorruptRecordError,
  VaultDecryptError,
  VaultError,
  VaultHubMismatchError,
  VaultKeyMissingError,
  VaultUnavailableError,
} from './errors.ts';
import {
  PassphraseLockStateError,
  TokenLockedError,
  lockProblem,
  lockWithPassphraseKey,
  unlockWithKey,
  unlockWithPassphraseKey,
  type PassphraseLockedSecret,
} from './passphrase.ts';
import { indexedDbVaultStorage, type VaultStorage } from './vault-storage.ts';

/**
 * The encrypted store of the user's Hugging Face token.
 *
 * - AES-GCM with a 256-bit key generated once per origin, non-extractable, kept in the vault's own
 *   IndexedDB store by structured clone: script can use it but never read its bytes.
 * - A fresh random 12-byte IV on every write.
 * - The hub origin is the additional authenticated data, so a record only decrypts for the hub it
 *   was validated against, even if someone edits the plain `hubUrl` field beside it.
 * - Beside the ciphertext, in the clear: who the token belongs to, for showing the identity at once.
 * - Optionally passphrase-locked (`lockWithPassphrase`): the vault key then encrypts the token's
 *   passphrase-layer ciphertext, and the KDF parameters sit beside it. The key derived from the
 *   passphrase is kept in this object's memory only, for the rest of the session (page load).
 *
 * Reading the token is deliberately awkward: only `src/hub/credentials.ts` calls `decryptToken`
 * (an ESLint rule keeps this module and that one inside src/hub and src/vault).
 */

/** Who a token belongs to, as the hub said when it was last validated. */
export interface StoredIdentity {
  name: string;
  fullName?: string;
  /** As the hub returned it: may be relative to the hub origin. */
  avatarUrl?: string;
  /** `auth.accessToken.role`: read, write, fineGrained, admin, contributor. */
  role?: string;
  /** Set for fine-grained tokens that can write somewhere (a read token is enough for this app). */
  canWrite?: boolean;
  /** When the hub last accepted the token, in ms since the epoch. */
  validatedAt: number;
  /** When the hub last rejected the saved token (revoked, expired); cleared by a later success. */
  rejectedAt?: number;
}

interface TokenRecordV1 {
  version: 1;
  hubUrl: string;
  iv: Uint8Array<ArrayBuffer>;
  /** The token (UTF-8), or with `passphraseLock` the passphrase layer's ciphertext. */
  ciphertext: ArrayBuffer;
  identity: StoredIdentity;
  /** Present when the token is passphrase-locked: how to derive the inner key (never the key). */
  passphraseLock?: Omit<PassphraseLockedSecret, 'ciphertext'>;
}

/** none: no passphrase lock; locked: locked and not unlocked in this session; unlocked: usable until reload. */
export type TokenLockState = 'none' | 'locked' | 'unlocked';

export const KEY_ENTRY = 'token-key';
export const RECORD_ENTRY = 'token-record';
const IV_BYTES = 12;
const GCM_TAG_BYTES = 16;

export interface TokenVaultOptions {
  /** The hub this build talks to; records are bound to its origin. */
  hubUrl: string;
  storage?: VaultStorage;
  /** Web Crypto to use; defaults to the global one; null simulates a browser without it. */
  subtle?: SubtleCrypto | null;
}

export class TokenVault {
  readonly hubUrl: string;
  private readonly _storage: VaultStorage;
  private readonly _subtle: SubtleCrypto | undefined;
  private readonly _aad: Uint8Array<ArrayBuffer>;
  /** Two saves racing on a fresh vault must not each create (and store) their own key. */
  private _creatingKey: Promise<CryptoKey> | undefined;
  /** The passphrase-derived key of this session, with the salt it belongs to. Memory only. */
  private _sessionKey: { salt: Uint8Array<ArrayBuffer>; key: CryptoKey } | undefined;

  constructor(options: TokenVaultOptions) {
    this.hubUrl = new URL(options.hubUrl).origin;
    this._storage = options.storage ?? indexedDbVaultStorage();
    this._subtle = options.subtle === undefined ? globalThis.crypto?.subtle : (options.subtle ?? undefined);
    this._aad = new TextEncoder().encode(this.hubUrl);
  }

  /** Encrypts and stores `token` with the identity the hub just confirmed, replacing any record. */
  async save(token: string, identity: StoredIdentity): Promise<void> {
    const record = await this._sealed(new TextEncoder().encode(token), identity);
    await this._write(RECORD_ENTRY, record);
    // A new token replaces the record, lock included.
    this._sessionKey = undefined;
  }

  /** Whether the saved token is passphrase-locked, and if so whether this session unlocked it. */
  async lockState(): Promise<TokenLockState> {
    const record = await this._readRecord();
    if (!record?.passphraseLock) return 'none';
    return this._sessionKeyFor(record) ? 'unlocked' : 'locked';
  }

  /**
   * Adds the passphrase layer to the saved token and keeps this session unlocked. Throws
   * `WeakPassphraseError`, `PassphraseLockStateError` (no token, or already locked) or a `VaultError`.
   */
  async lockWithPassphrase(passphrase: string, { signal }: { signal?: AbortSignal } = {}): Promise<void> {
    const record = await this._readRecord();
    if (!record) throw new PassphraseLockStateError('There is no saved token to lock.');
    if (record.passphraseLock) throw new PassphraseLockStateError('Your saved token is already locked with a passphrase.');
    const token = new TextDecoder('utf-8', { fatal: true }).decode(await this._openOuter(record));
    const { locked, key } = await lockWithPassphraseKey(token, passphrase, { aad: this.hubUrl, subtle: this._requireSubtle(), signal });
    const { ciphertext: inner, ...passphraseLock } = locked;
    const sealed = await this._sealed(new Uint8Array(inner), record.identity);
    signal?.throwIfAborted();
    await this._write(RECORD_ENTRY, { ...sealed, passphraseLock } satisfies TokenRecordV1);
    this._sessionKey = { salt: passphraseLock.salt, key };
  }

  /**
   * Unlocks the saved token for this session. A wrong passphrase is a `WrongPassphraseError` and
   * changes nothing stored; there is no lockout.
   */
  async unlock(passphrase: string, { signal }: { signal?: AbortSignal } = {}): Promise<void> {
    const { record, locked } = await this._readLocked();
    const { key } = await unlockWithPassphraseKey(locked, passphrase, { aad: this.hubUrl, subtle: this._requireSubtle(), signal });
    this._sessionKey = { salt: record.passphraseLock!.salt, key };
  }

  /** Checks the passphrase and stores the token under the vault key alone again (fresh IV). */
  async removePassphraseLock(passphrase: string, { signal }: { signal?: AbortSignal } = {}): Promise<void> {
    const { record, locked } = await this._readLocked();
    const { secret } = await unlockWithPassphraseKey(locked, passphrase, { aad: this.hubUrl, subtle: this._requireSubtle(), signal });
    signal?.throwIfAborted();
    await this._write(RECORD_ENTRY, await this._sealed(new TextEncoder().encode(secret), record.identity));
    this._sessionKey = undefined;
  }

  /**
   * The stored identity, without decrypting anything; undefined when no token is saved. A record
   * that is damaged or bound to another hub is removed and reported as a `VaultError`.
   */
  async readIdentity(): Promise<StoredIdentity | undefined> {
    const record = await this._readRecord();
    return record && { ...record.identity };
  }

  /** Replaces the identity beside the token (after a successful revalidation); no-op without a record. */
  async updateIdentity(identity: StoredIdentity): Promise<void> {
    const record = await this._readRecord();
    if (record) await this._write(RECORD_ENTRY, { ...record, identity: { ...identity } });
  }

  /**
   * The decrypted token, or undefined when none is saved. For `src/hub/credentials.ts` only.
   * Any failure removes the record and throws a `VaultError` naming what went wrong.
   */
  async decryptToken(): Promise<string | undefined> {
    const record = await this._readRecord();
    if (!record) return undefined;
    if (record.passphraseLock) {
      // Locked and not unlocked: nothing is decrypted and nothing is removed.
      const session = this._sessionKeyFor(record);
      if (!session) throw new TokenLockedError();
      const inner = await this._openOuter(record);
      try {
        return await unlockWithKey({ ...record.passphraseLock, ciphertext: inner }, session.key, { aad: this.hubUrl, subtle: this._requireSubtle() });
      } catch {
        // Another tab re-locked it meanwhile: ask for the passphrase again rather than delete anything.
        this._sessionKey = undefined;
        throw new TokenLockedError();
      }
    }
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(await this._openOuter(record));
    } catch (error) {
      if (error instanceof VaultError) throw error;
      return this._discard(new VaultDecryptError({ cause: error }));
    }
  }

  /** Deletes the record and the key: nothing of the token can be recovered afterwards. */
  async forget(): Promise<void> {
    this._sessionKey = undefined;
    await Promise.all([this._storage.delete(RECORD_ENTRY), this._storage.delete(KEY_ENTRY)].map((p) => p.catch(() => undefined)));
  }

  /** Encrypts `plain` under the vault key (created on first use) with a fresh IV. */
  private async _sealed(plain: Uint8Array<ArrayBuffer>, identity: StoredIdentity): Promise<TokenRecordV1> {
    const subtle = this._requireSubtle();
    const key = await this._loadOrCreateKey(subtle);
    const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
    let ciphertext: ArrayBuffer;
    try {
      ciphertext = await subtle.encrypt({ name: 'AES-GCM', iv, additionalData: this._aad }, key, plain);
    } catch (error) {
      throw new VaultUnavailableError({ cause: error });
    }
    return { version: 1, hubUrl: this.hubUrl, iv, ciphertext, identity: { ...identity } };
  }

  /** The vault-key layer's plaintext; a missing key or failed decryption removes the record. */
  private async _openOuter(record: TokenRecordV1): Promise<ArrayBuffer> {
    const subtle = this._requireSubtle();
    const key = await this._readKey();
    if (!key) return this._discard(new VaultKeyMissingError());
    try {
      return await subtle.decrypt({ name: 'AES-GCM', iv: record.iv, additionalData: this._aad }, key, record.ciphertext);
    } catch (error) {
      return this._discard(new VaultDecryptError({ cause: error }));
    }
  }

  private async _readLocked(): Promise<{ record: TokenRecordV1; locked: PassphraseLockedSecret }> {
    const record = await this._readRecord();
    if (!record?.passphraseLock) throw new PassphraseLockStateError('Your saved token is not locked with a passphrase.');
    return { record, locked: { ...record.passphraseLock, ciphertext: await this._openOuter(record) } };
  }

  private _sessionKeyFor(record: TokenRecordV1): { key: CryptoKey } | undefined {
    const session = this._sessionKey;
    const salt = record.passphraseLock?.salt;
    if (!session || !salt || session.salt.byteLength !== salt.byteLength || !session.salt.every((byte, i) => byte === salt[i])) return undefined;
    return session;
  }

  private _requireSubtle(): SubtleCrypto {
    if (!this._subtle) throw new VaultUnavailableError();
    return this._subtle;
  }

  private async _discard(error: VaultError): Promise<never> {
    await this.forget();
    throw error;
  }

  private async _read(name: string): Promise<unknown> {
    try {
      return await this._storage.get(name);
    } catch (error) {
      throw new VaultUnavailableError({ cause: error });
    }
  }

  private async _write(name: string, value: unknown): Promise<void> {
    try {
      await this._storage.set(name, value);
    } catch (error) {
      throw new VaultUnavailableError({ cause: error });
    }
  }

  private async _readKey(): Promise<CryptoKey | undefined> {
    const value = await this._read(KEY_ENTRY);
    if (value === undefined) return undefined;
    if (!isAesGcmKey(value)) return this._discard(new VaultCorruptRecordError('the stored key is not an AES-GCM key'));
    return value;
  }

  private async _loadOrCreateKey(subtle: SubtleCrypto): Promise<CryptoKey> {
    // Read every time rather than caching: another tab may have forgotten the key meanwhile.
    const existing = await this._readKey();
    if (existing) return existing;
    this._creatingKey ??= this._createKey(subtle).finally(() => (this._creatingKey = undefined));
    return this._creatingKey;
  }

  private async _createKey(subtle: SubtleCrypto): Promise<CryptoKey> {
    let key: CryptoKey;
    try {
      key = await subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
    } catch (error) {
      throw new VaultUnavailableError({ cause: error });
    }
    await this._write(KEY_ENTRY, key);
    return key;
  }

  private async _readRecord(): Promise<TokenRecordV1 | undefined> {
    const value = await this._read(RECORD_ENTRY);
    if (value === undefined) return undefined;
    const problem = recordProblem(value);
    if (problem) return this._discard(new VaultCorruptRecordError(problem));
    const record = value as TokenRecordV1;
    if (record.hubUrl !== this.hubUrl) return this._discard(new VaultHubMismatchError(record.hubUrl, this.hubUrl));
    return record;
  }
}

function isAesGcmKey(value: unknown): value is CryptoKey {
  return typeof CryptoKey !== 'undefined' && value instanceof CryptoKey && value.algorithm.name === 'AES-GCM' && value.type === 'secret';
}

/** Why `value` is not a usable record, or undefined when it is one. */
function recordProblem(value: unknown): string | undefined {
  if (!value || typeof value !== 'object') return 'not a record';
  const r = value as Partial<Record<keyof TokenRecordV1, unknown>>;
  if (r.version !== 1) return `unknown version ${String(r.version)}`;
  if (typeof r.hubUrl !== 'string') return 'no hub origin';
  if (!(r.iv instanceof Uint8Array) || r.iv.byteLength !== IV_BYTES) return 'bad IV';
  if (!(r.ciphertext instanceof ArrayBuffer) || r.ciphertext.byteLength <= GCM_TAG_BYTES) return 'bad ciphertext';
  const identity = r.identity as Partial<StoredIdentity> | undefined;
  if (!identity || typeof identity !== 'object' || typeof identity.name !== 'string' || typeof identity.validatedAt !== 'number') {
    return 'bad identity';
  }
  if (r.passphraseLock !== undefined) {
    // Checked with a stand-in ciphertext: the real one is inside the vault-key layer.
    const problem = lockProblem({ ...(r.passphraseLock as object), ciphertext: new ArrayBuffer(GCM_TAG_BYTES + 1) });
    if (problem) return `passphrase lock: ${problem}`;
  }
  return undefined;
}

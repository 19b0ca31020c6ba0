import {
  VaultCorruptRecordError,
  VaultDecryptError,
  VaultError,
  VaultHubMismatchError,
  VaultKeyMissingError,
  VaultUnavailableError,
} from './errors.ts';
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
  ciphertext: ArrayBuffer;
  identity: StoredIdentity;
}

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

  constructor(options: TokenVaultOptions) {
    this.hubUrl = new URL(options.hubUrl).origin;
    this._storage = options.storage ?? indexedDbVaultStorage();
    this._subtle = options.subtle === undefined ? globalThis.crypto?.subtle : (options.subtle ?? undefined);
    this._aad = new TextEncoder().encode(this.hubUrl);
  }

  /** Encrypts and stores `token` with the identity the hub just confirmed, replacing any record. */
  async save(token: string, identity: StoredIdentity): Promise<void> {
    const subtle = this._requireSubtle();
    const key = await this._loadOrCreateKey(subtle);
    const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
    let ciphertext: ArrayBuffer;
    try {
      ciphertext = await subtle.encrypt({ name: 'AES-GCM', iv, additionalData: this._aad }, key, new TextEncoder().encode(token));
    } catch (error) {
      throw new VaultUnavailableError({ cause: error });
    }
    const record: TokenRecordV1 = { version: 1, hubUrl: this.hubUrl, iv, ciphertext, identity: { ...identity } };
    await this._write(RECORD_ENTRY, record);
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
    const subtle = this._requireSubtle();
    const key = await this._readKey();
    if (!key) return this._discard(new VaultKeyMissingError());
    try {
      const plain = await subtle.decrypt({ name: 'AES-GCM', iv: record.iv, additionalData: this._aad }, key, record.ciphertext);
      return new TextDecoder('utf-8', { fatal: true }).decode(plain);
    } catch (error) {
      return this._discard(new VaultDecryptError({ cause: error }));
    }
  }

  /** Deletes the record and the key: nothing of the token can be recovered afterwards. */
  async forget(): Promise<void> {
    await Promise.all([this._storage.delete(RECORD_ENTRY), this._storage.delete(KEY_ENTRY)].map((p) => p.catch(() => undefined)));
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
  return undefined;
}

import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';

// src/config/hub.ts reads the build-time constant Vite normally injects.
vi.hoisted(() => {
  (globalThis as { __HUB_CONFIG__?: unknown }).__HUB_CONFIG__ = { endpoint: 'https://hub.test', cdnOrigins: [] };
});

import { createStore, entries } from 'idb-keyval';
import { getHubCredentials } from '../../src/hub/credentials.ts';
import {
  VaultCorruptRecordError,
  VaultDecryptError,
  VaultError,
  VaultHubMismatchError,
  VaultKeyMissingError,
  VaultUnavailableError,
} from '../../src/vault/errors.ts';
import { KEY_ENTRY, RECORD_ENTRY, TokenVault, type StoredIdentity } from '../../src/vault/token-vault.ts';
import { VAULT_DB_NAME, VAULT_STORE_NAME, indexedDbVaultStorage, memoryVaultStorage } from '../../src/vault/vault-storage.ts';

const HUB_A = 'https://hub-a.test';
const HUB_B = 'https://hub-b.test';
const TOKEN = 'hf_' + 'VaultTestToken'.padEnd(34, 'Q');
const ALICE: StoredIdentity = { name: 'alice', fullName: 'Alice Example', avatarUrl: '/avatars/alice.svg', role: 'read', validatedAt: 1_700_000_000_000 };

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/** Everything stored, rendered the way the e2e leak test renders IndexedDB: text and base64 of bytes. */
function renderStored(map: Map<string, unknown>): string {
  return JSON.stringify([...map.values()], (_key, value: unknown) => {
    if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
      const bytes = value instanceof ArrayBuffer ? Buffer.from(value) : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      return { latin1: bytes.toString('latin1'), base64: bytes.toString('base64') };
    }
    return value;
  });
}

async function savedVault(hubUrl = HUB_A) {
  const storage = memoryVaultStorage();
  const vault = new TokenVault({ hubUrl, storage });
  await vault.save(TOKEN, ALICE);
  return { storage, vault };
}

async function expectVaultError<E extends VaultError>(promise: Promise<unknown>, type: new (...args: never[]) => E, code: string): Promise<E> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(type);
  expect((error as E).code).toBe(code);
  expect((error as Error).message).not.toContain(TOKEN);
  return error as E;
}

describe('TokenVault', () => {
  it('round-trips a token and keeps the identity beside it', async () => {
    const { vault } = await savedVault();
    expect(await vault.decryptToken()).toBe(TOKEN);
    expect(await vault.readIdentity()).toEqual(ALICE);
  });

  it('stores neither the token nor its base64, and the key is a non-extractable AES-GCM-256 key', async () => {
    const { storage } = await savedVault();
    const stored = renderStored(storage.entries);
    expect(stored).not.toContain(TOKEN);
    expect(stored).not.toContain(base64(TOKEN));
    expect(stored).not.toContain(TOKEN.slice(3));
    const key = storage.entries.get(KEY_ENTRY) as CryptoKey;
    expect(key).toBeInstanceOf(CryptoKey);
    expect(key.extractable).toBe(false);
    expect(key.algorithm).toMatchObject({ name: 'AES-GCM', length: 256 });
    await expect(crypto.subtle.exportKey('raw', key)).rejects.toThrow();
  });

  it('uses a fresh 12-byte IV for every write and keeps the key generated the first time', async () => {
    const { storage, vault } = await savedVault();
    const first = storage.entries.get(RECORD_ENTRY) as { iv: Uint8Array; ciphertext: ArrayBuffer };
    const key = storage.entries.get(KEY_ENTRY);
    await vault.save(TOKEN, ALICE);
    const second = storage.entries.get(RECORD_ENTRY) as { iv: Uint8Array; ciphertext: ArrayBuffer };
    expect(first.iv.byteLength).toBe(12);
    expect(Buffer.from(second.iv).equals(Buffer.from(first.iv))).toBe(false);
    expect(Buffer.from(second.ciphertext).equals(Buffer.from(first.ciphertext))).toBe(false);
    expect(storage.entries.get(KEY_ENTRY)).toBe(key);
    expect(await vault.decryptToken()).toBe(TOKEN);
  });

  it('reports tampered ciphertext as VaultDecryptError and removes the record and the key', async () => {
    const { storage, vault } = await savedVault();
    const record = storage.entries.get(RECORD_ENTRY) as { ciphertext: ArrayBuffer };
    new Uint8Array(record.ciphertext)[0]! ^= 0x01;
    await expectVaultError(vault.decryptToken(), VaultDecryptError, 'vault-decrypt-failed');
    expect(storage.entries.size).toBe(0);
    expect(await vault.readIdentity()).toBeUndefined();
  });

  it('reports a tampered IV as VaultDecryptError', async () => {
    const { storage, vault } = await savedVault();
    (storage.entries.get(RECORD_ENTRY) as { iv: Uint8Array }).iv[11]! ^= 0x80;
    await expectVaultError(vault.decryptToken(), VaultDecryptError, 'vault-decrypt-failed');
  });

  it('refuses a record saved for another hub with VaultHubMismatchError, and removes it', async () => {
    const { storage } = await savedVault(HUB_A);
    const other = new TokenVault({ hubUrl: HUB_B, storage });
    const error = await expectVaultError(other.readIdentity(), VaultHubMismatchError, 'vault-hub-mismatch');
    expect(error.recordHubUrl).toBe(HUB_A);
    expect(storage.entries.size).toBe(0);
  });

  it('binds the hub origin as AAD: editing the clear hubUrl field does not make the record usable elsewhere', async () => {
    const { storage } = await savedVault(HUB_A);
    (storage.entries.get(RECORD_ENTRY) as { hubUrl: string }).hubUrl = HUB_B;
    const other = new TokenVault({ hubUrl: HUB_B, storage });
    expect(await other.readIdentity()).toEqual(ALICE);
    await expectVaultError(other.decryptToken(), VaultDecryptError, 'vault-decrypt-failed');
  });

  it('reports a record whose key is gone as VaultKeyMissingError and removes the record', async () => {
    const { storage, vault } = await savedVault();
    storage.entries.delete(KEY_ENTRY);
    await expectVaultError(vault.decryptToken(), VaultKeyMissingError, 'vault-key-missing');
    expect(storage.entries.has(RECORD_ENTRY)).toBe(false);
  });

  it.each([
    ['a string', 'garbage'],
    ['another version', { version: 2 }],
    ['a short IV', { version: 1, hubUrl: HUB_A, iv: new Uint8Array(4), ciphertext: new ArrayBuffer(40), identity: ALICE }],
    ['no identity', { version: 1, hubUrl: HUB_A, iv: new Uint8Array(12), ciphertext: new ArrayBuffer(40) }],
  ])('reports %s as VaultCorruptRecordError without crashing, and removes it', async (_what, value) => {
    const storage = memoryVaultStorage(new Map([[RECORD_ENTRY, value]]));
    const vault = new TokenVault({ hubUrl: HUB_A, storage });
    await expectVaultError(vault.readIdentity(), VaultCorruptRecordError, 'vault-record-corrupt');
    expect(storage.entries.size).toBe(0);
  });

  it('forget() deletes the record and the key', async () => {
    const { storage, vault } = await savedVault();
    await vault.forget();
    expect(storage.entries.size).toBe(0);
    expect(await vault.decryptToken()).toBeUndefined();
  });

  it('updates the identity without touching the ciphertext', async () => {
    const { storage, vault } = await savedVault();
    const before = (storage.entries.get(RECORD_ENTRY) as { ciphertext: ArrayBuffer }).ciphertext;
    await vault.updateIdentity({ ...ALICE, validatedAt: ALICE.validatedAt + 1 });
    const after = storage.entries.get(RECORD_ENTRY) as { ciphertext: ArrayBuffer; identity: StoredIdentity };
    expect(Buffer.from(after.ciphertext).equals(Buffer.from(before))).toBe(true);
    expect(after.identity.validatedAt).toBe(ALICE.validatedAt + 1);
    expect(await vault.decryptToken()).toBe(TOKEN);
  });

  it('reports a missing Web Crypto as VaultUnavailableError', async () => {
    const vault = new TokenVault({ hubUrl: HUB_A, storage: memoryVaultStorage(), subtle: null });
    await expectVaultError(vault.save(TOKEN, ALICE), VaultUnavailableError, 'vault-unavailable');
  });

  it('persists in its own IndexedDB store (local-sd-vault/keys) by structured clone', async () => {
    const store = createStore(VAULT_DB_NAME, VAULT_STORE_NAME);
    const vault = new TokenVault({ hubUrl: HUB_A, storage: indexedDbVaultStorage(store) });
    await vault.save(TOKEN, ALICE);
    // A second instance, as after a reload, reads what the first wrote.
    const reloaded = new TokenVault({ hubUrl: HUB_A, storage: indexedDbVaultStorage(createStore(VAULT_DB_NAME, VAULT_STORE_NAME)) });
    expect(await reloaded.decryptToken()).toBe(TOKEN);
    const stored = await entries(store);
    expect(stored.map(([k]) => k).sort()).toEqual([RECORD_ENTRY, KEY_ENTRY].sort());
    expect(renderStored(new Map(stored.map(([k, v]) => [String(k), v])))).not.toContain(base64(TOKEN));
    await reloaded.forget();
    expect(await entries(store)).toEqual([]);
  });
});

describe('getHubCredentials (the one door to the token)', () => {
  it('gives only the hub origin when no token is saved', async () => {
    const vault = new TokenVault({ hubUrl: HUB_A, storage: memoryVaultStorage() });
    expect(await getHubCredentials({ vault })).toEqual({ hubUrl: HUB_A });
  });

  it('gives the saved token with the hub it belongs to', async () => {
    const { vault } = await savedVault();
    expect(await getHubCredentials({ vault })).toEqual({ hubUrl: HUB_A, accessToken: TOKEN });
  });

  it('withholds a token the hub rejected, unless the auth service asks to re-check it', async () => {
    const { vault } = await savedVault();
    await vault.updateIdentity({ ...ALICE, rejectedAt: Date.now() });
    expect(await getHubCredentials({ vault })).toEqual({ hubUrl: HUB_A });
    expect(await getHubCredentials({ vault, includeRejected: true })).toEqual({ hubUrl: HUB_A, accessToken: TOKEN });
  });

  it('honours an aborted signal', async () => {
    const { vault } = await savedVault();
    const controller = new AbortController();
    controller.abort();
    await expect(getHubCredentials({ vault, signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });
});

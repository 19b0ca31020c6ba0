import { describe, expect, it, vi } from 'vitest';

// src/config/hub.ts reads the build-time constant Vite normally injects.
vi.hoisted(() => {
  (globalThis as { __HUB_CONFIG__?: unknown }).__HUB_CONFIG__ = { endpoint: 'https://hub.test', cdnOrigins: [] };
});

import { getHubCredentials } from '../../src/hub/credentials.ts';
import { PBKDF2_ITERATIONS, PassphraseLockStateError, TokenLockedError, WeakPassphraseError, WrongPassphraseError } from '../../src/vault/passphrase.ts';
import { RECORD_ENTRY, TokenVault, type StoredIdentity } from '../../src/vault/token-vault.ts';
import { memoryVaultStorage } from '../../src/vault/vault-storage.ts';

const HUB = 'https://hub-a.test';
const TOKEN = 'hf_' + 'LockedVaultToken'.padEnd(34, 'L');
const PASSPHRASE = 'correct horse battery staple';
const ALICE: StoredIdentity = { name: 'alice', fullName: 'Alice Example', role: 'read', validatedAt: 1_700_000_000_000 };

/** Everything stored, as text and base64 of every byte array (as the e2e leak test renders it). */
function renderStored(map: Map<string, unknown>): string {
  return JSON.stringify([...map.values()], (_key, value: unknown) => {
    if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
      const bytes = value instanceof ArrayBuffer ? Buffer.from(value) : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      return { latin1: bytes.toString('latin1'), base64: bytes.toString('base64') };
    }
    return value;
  });
}

/** A vault with a saved token, plus a way to open the same storage as after a page reload. */
async function lockedVault() {
  const storage = memoryVaultStorage();
  const vault = new TokenVault({ hubUrl: HUB, storage });
  await vault.save(TOKEN, ALICE);
  await vault.lockWithPassphrase(PASSPHRASE);
  const reload = () => new TokenVault({ hubUrl: HUB, storage });
  return { storage, vault, reload };
}

describe('TokenVault passphrase lock', () => {
  it('locks: the session that locked stays unlocked, a new session is locked but shows the identity', async () => {
    const { vault, reload } = await lockedVault();
    expect(await vault.lockState()).toBe('unlocked');
    expect(await vault.decryptToken()).toBe(TOKEN);

    const next = reload();
    expect(await next.lockState()).toBe('locked');
    expect(await next.readIdentity()).toEqual(ALICE);
    await expect(next.decryptToken()).rejects.toBeInstanceOf(TokenLockedError);
    // Asking for the token while locked deletes nothing.
    expect(await next.readIdentity()).toEqual(ALICE);
  });

  it('stores the KDF parameters (600,000 iterations, 16-byte salt) and neither the token nor the passphrase', async () => {
    const { storage } = await lockedVault();
    const record = storage.entries.get(RECORD_ENTRY) as { passphraseLock: { iterations: number; salt: Uint8Array; kdf: string } };
    expect(record.passphraseLock).toMatchObject({ kdf: 'PBKDF2-SHA256', iterations: PBKDF2_ITERATIONS });
    expect(record.passphraseLock.salt.byteLength).toBe(16);
    const stored = renderStored(storage.entries);
    for (const secret of [TOKEN, TOKEN.slice(3), Buffer.from(TOKEN).toString('base64'), PASSPHRASE, Buffer.from(PASSPHRASE).toString('base64')]) {
      expect(stored).not.toContain(secret);
    }
  });

  it('unlocks once per session with the right passphrase', async () => {
    const { reload } = await lockedVault();
    const next = reload();
    await next.unlock(PASSPHRASE);
    expect(await next.lockState()).toBe('unlocked');
    expect(await next.decryptToken()).toBe(TOKEN);
    expect(await next.decryptToken()).toBe(TOKEN);
    // Another session is still locked: the derived key lives in memory only.
    expect(await reload().lockState()).toBe('locked');
  });

  it('a wrong passphrase is a WrongPassphraseError, deletes nothing, and the right one still works (no lockout)', async () => {
    const { storage, reload } = await lockedVault();
    const before = renderStored(storage.entries);
    const next = reload();
    for (const wrong of ['correct horse battery stapler', 'x'.repeat(8)]) {
      const error = await next.unlock(wrong).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WrongPassphraseError);
      expect((error as Error).message).toMatch(/^Wrong passphrase/);
    }
    expect(renderStored(storage.entries)).toBe(before);
    expect(await next.lockState()).toBe('locked');
    await next.unlock(PASSPHRASE);
    expect(await next.decryptToken()).toBe(TOKEN);
  });

  it('removing the lock needs the passphrase and re-encrypts under the vault key alone', async () => {
    const { storage, reload } = await lockedVault();
    const next = reload();
    await expect(next.removePassphraseLock('not the passphrase')).rejects.toBeInstanceOf(WrongPassphraseError);
    expect(await next.lockState()).toBe('locked');
    const lockedIv = Buffer.from((storage.entries.get(RECORD_ENTRY) as { iv: Uint8Array }).iv).toString('hex');
    await next.removePassphraseLock(PASSPHRASE);
    const record = storage.entries.get(RECORD_ENTRY) as { iv: Uint8Array; passphraseLock?: unknown; identity: StoredIdentity };
    expect(record.passphraseLock).toBeUndefined();
    expect(Buffer.from(record.iv).toString('hex')).not.toBe(lockedIv);
    expect(record.identity).toEqual(ALICE);
    // Any session now reads it without a passphrase.
    const after = reload();
    expect(await after.lockState()).toBe('none');
    expect(await after.decryptToken()).toBe(TOKEN);
  });

  it('refuses a short passphrase, locking twice, and locking or unlocking without a token', async () => {
    const storage = memoryVaultStorage();
    const vault = new TokenVault({ hubUrl: HUB, storage });
    await expect(vault.lockWithPassphrase(PASSPHRASE)).rejects.toBeInstanceOf(PassphraseLockStateError);
    await expect(vault.unlock(PASSPHRASE)).rejects.toBeInstanceOf(PassphraseLockStateError);
    await vault.save(TOKEN, ALICE);
    await expect(vault.lockWithPassphrase('short')).rejects.toBeInstanceOf(WeakPassphraseError);
    expect(await vault.lockState()).toBe('none');
    await vault.lockWithPassphrase(PASSPHRASE);
    await expect(vault.lockWithPassphrase(PASSPHRASE)).rejects.toBeInstanceOf(PassphraseLockStateError);
  });

  it('keeps the lock when the identity is updated; saving a new token or forgetting replaces it', async () => {
    const { storage, vault, reload } = await lockedVault();
    await vault.updateIdentity({ ...ALICE, validatedAt: 1_800_000_000_000 });
    expect(await reload().lockState()).toBe('locked');
    await vault.save(TOKEN, ALICE);
    expect(await reload().lockState()).toBe('none');
    await vault.lockWithPassphrase(PASSPHRASE);
    await vault.forget();
    expect(storage.entries.size).toBe(0);
    expect(await vault.lockState()).toBe('none');
  });

  it('a lock record whose iteration count was lowered is refused as damaged', async () => {
    const { storage, reload } = await lockedVault();
    (storage.entries.get(RECORD_ENTRY) as { passphraseLock: { iterations: number } }).passphraseLock.iterations = 1000;
    await expect(reload().lockState()).rejects.toMatchObject({ code: 'vault-record-corrupt' });
  });
});

describe('getHubCredentials with a passphrase lock', () => {
  it('hands out no token and says "locked" until this session unlocks', async () => {
    const { reload } = await lockedVault();
    const next = reload();
    expect(await getHubCredentials({ vault: next })).toEqual({ hubUrl: HUB, locked: true });
    expect(await getHubCredentials({ vault: next, includeRejected: true })).toEqual({ hubUrl: HUB, locked: true });
    await next.unlock(PASSPHRASE);
    expect(await getHubCredentials({ vault: next })).toEqual({ hubUrl: HUB, accessToken: TOKEN });
  });

  it('a session key from before another tab re-locked with a new passphrase asks again instead of deleting', async () => {
    const { vault, reload } = await lockedVault();
    const otherTab = reload();
    await otherTab.unlock(PASSPHRASE);
    await otherTab.removePassphraseLock(PASSPHRASE);
    await otherTab.lockWithPassphrase('another passphrase');
    expect(await getHubCredentials({ vault })).toEqual({ hubUrl: HUB, locked: true });
    expect(await vault.readIdentity()).toEqual(ALICE);
    await vault.unlock('another passphrase');
    expect(await getHubCredentials({ vault })).toEqual({ hubUrl: HUB, accessToken: TOKEN });
  });
});

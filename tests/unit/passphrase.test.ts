import { describe, expect, it } from 'vitest';
import {
  PBKDF2_ITERATIONS,
  PassphraseLockFormatError,
  WeakPassphraseError,
  WrongPassphraseError,
  lockWithPassphrase,
  removePassphraseLock,
  unlockWithPassphrase,
} from '../../src/vault/passphrase.ts';
import { VaultError } from '../../src/vault/errors.ts';

const HUB = 'https://huggingface.co';
const TOKEN = 'hf_' + 'AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh';
const PASSPHRASE = 'correct horse battery staple';

describe('passphrase lock', () => {
  it('locks with PBKDF2-SHA256 (600,000 iterations, random salt) and unlocks to the same token', async () => {
    const locked = await lockWithPassphrase(TOKEN, PASSPHRASE, { aad: HUB });
    expect(locked).toMatchObject({ version: 1, kdf: 'PBKDF2-SHA256', iterations: PBKDF2_ITERATIONS });
    expect(PBKDF2_ITERATIONS).toBeGreaterThanOrEqual(600_000);
    expect(locked.salt.byteLength).toBe(16);
    // Nothing of the token is visible in what would be stored.
    const stored = Buffer.from(locked.ciphertext).toString('latin1');
    expect(stored).not.toContain(TOKEN.slice(3, 12));
    expect(await unlockWithPassphrase(structuredClone(locked), PASSPHRASE, { aad: HUB })).toBe(TOKEN);
  });

  it('two locks of the same token differ (fresh salt and IV)', async () => {
    const [a, b] = await Promise.all([lockWithPassphrase(TOKEN, PASSPHRASE, { aad: HUB }), lockWithPassphrase(TOKEN, PASSPHRASE, { aad: HUB })]);
    expect(Buffer.from(a.salt).equals(Buffer.from(b.salt))).toBe(false);
    expect(Buffer.from(a.iv).equals(Buffer.from(b.iv))).toBe(false);
    expect(Buffer.from(a.ciphertext).equals(Buffer.from(b.ciphertext))).toBe(false);
  });

  it('a wrong passphrase is a typed error and leaves the locked data usable (no lockout)', async () => {
    const locked = await lockWithPassphrase(TOKEN, PASSPHRASE, { aad: HUB });
    const before = Buffer.from(locked.ciphertext).toString('hex');
    const error = await unlockWithPassphrase(locked, 'correct horse battery stapler', { aad: HUB }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WrongPassphraseError);
    expect(error).toBeInstanceOf(VaultError);
    expect((error as WrongPassphraseError).code).toBe('vault-wrong-passphrase');
    expect((error as Error).message).not.toContain(TOKEN);
    expect(Buffer.from(locked.ciphertext).toString('hex')).toBe(before);
    // The right passphrase still works right after a wrong one.
    expect(await unlockWithPassphrase(locked, PASSPHRASE, { aad: HUB })).toBe(TOKEN);
  });

  it('the lock is bound to the hub origin', async () => {
    const locked = await lockWithPassphrase(TOKEN, PASSPHRASE, { aad: HUB });
    await expect(unlockWithPassphrase(locked, PASSPHRASE, { aad: 'https://evil.example' })).rejects.toBeInstanceOf(WrongPassphraseError);
  });

  it('refuses short passphrases, and locks whose iteration count was lowered', async () => {
    await expect(lockWithPassphrase(TOKEN, 'short', { aad: HUB })).rejects.toBeInstanceOf(WeakPassphraseError);
    const locked = await lockWithPassphrase(TOKEN, PASSPHRASE, { aad: HUB });
    await expect(unlockWithPassphrase({ ...locked, iterations: 1 }, PASSPHRASE, { aad: HUB })).rejects.toBeInstanceOf(PassphraseLockFormatError);
  });

  it('removing the lock needs the passphrase and hands back the token for re-encryption', async () => {
    const locked = await lockWithPassphrase(TOKEN, PASSPHRASE, { aad: HUB });
    await expect(removePassphraseLock(locked, 'not the passphrase', { aad: HUB })).rejects.toBeInstanceOf(WrongPassphraseError);
    expect(await removePassphraseLock(locked, PASSPHRASE, { aad: HUB })).toBe(TOKEN);
  });

  it('the same passphrase in another Unicode normalisation unlocks', async () => {
    const locked = await lockWithPassphrase(TOKEN, 'pass-phrase-\u00e9t\u00e9', { aad: HUB });
    expect(await unlockWithPassphrase(locked, 'pass-phrase-e\u0301te\u0301', { aad: HUB })).toBe(TOKEN);
  });
});

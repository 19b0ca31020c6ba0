import { describe, expect, it, vi } from 'vitest';

// src/config/hub.ts reads the build-time constant Vite normally injects.
vi.hoisted(() => {
  (globalThis as { __HUB_CONFIG__?: unknown }).__HUB_CONFIG__ = { endpoint: 'https://hub.test', cdnOrigins: [] };
});

import { AuthService, isSavedTokenLocked, type Connectivity } from '../../src/hub/auth.ts';
import { TokenVault } from '../../src/vault/token-vault.ts';
import { memoryVaultStorage } from '../../src/vault/vault-storage.ts';

const HUB = 'https://hub.test';
const ALICE_TOKEN = 'hf_' + 'aliceReadToken'.padEnd(34, 'A');
const PASSPHRASE = 'correct horse battery staple';

/** whoami that knows alice's token, counting calls. */
function scriptedHub() {
  const calls: (string | null)[] = [];
  const fetch = (async (_input: RequestInfo | URL, init?: RequestInit) => {
    const authorization = new Headers(init?.headers).get('Authorization');
    calls.push(authorization);
    if (authorization !== `Bearer ${ALICE_TOKEN}`) {
      return new Response('{"error":"Invalid credentials in Authorization header"}', {
        status: 401,
        headers: { 'Content-Type': 'application/json', 'X-Error-Message': 'Invalid credentials in Authorization header' },
      });
    }
    const body = { type: 'user', name: 'alice', fullname: 'Alice Example', auth: { type: 'access_token', accessToken: { role: 'read', displayName: 'x' } } };
    return new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } });
  }) as typeof globalThis.fetch;
  return { calls, fetch };
}

const online: Connectivity = { isOnline: () => true, onceOnline: () => () => undefined };

function setup() {
  const hub = scriptedHub();
  const storage = memoryVaultStorage();
  /** A page load: a fresh vault object (no session key) over the same stored data. */
  const session = () => {
    const vault = new TokenVault({ hubUrl: HUB, storage });
    return { vault, auth: new AuthService({ vault, fetch: hub.fetch, connectivity: online, now: () => 1_767_225_600_000 }) };
  };
  return { hub, storage, session };
}

async function lockedSetup() {
  const setupResult = setup();
  const { auth } = setupResult.session();
  await auth.start();
  expect(await auth.save(ALICE_TOKEN)).toBe(true);
  expect(await auth.lockWithPassphrase(PASSPHRASE, PASSPHRASE)).toBe(true);
  expect(auth.state).toMatchObject({ lock: 'unlocked', lockBusy: false, problem: undefined });
  setupResult.hub.calls.length = 0;
  return setupResult;
}

describe('AuthService with a passphrase lock', () => {
  it('refuses a short passphrase and a confirmation that differs, without touching the vault', async () => {
    const { session, storage } = setup();
    const { auth } = session();
    await auth.start();
    await auth.save(ALICE_TOKEN);
    const before = [...storage.entries.values()];
    expect(await auth.lockWithPassphrase('short', 'short')).toBe(false);
    expect(auth.state.problem?.message).toMatch(/at least 8 characters/);
    expect(await auth.lockWithPassphrase(PASSPHRASE, PASSPHRASE + '!')).toBe(false);
    expect(auth.state.problem).toMatchObject({ code: 'passphrase-mismatch' });
    expect(auth.state.lock).toBe('none');
    expect([...storage.entries.values()]).toEqual(before);
  });

  it('at start while locked: shows the saved identity as logged in, skips the revalidation, hands out no token', async () => {
    const { session, hub } = await lockedSetup();
    const { auth, vault } = session();
    await auth.start();
    expect(auth.state).toMatchObject({ status: 'logged-in', identity: { name: 'alice' }, lock: 'locked', problem: undefined });
    expect(hub.calls).toHaveLength(0);
    expect(await isSavedTokenLocked(vault)).toBe(true);
  });

  it('a wrong passphrase is an alert that keeps everything; the right one unlocks and re-checks once', async () => {
    const { session, hub, storage } = await lockedSetup();
    const { auth, vault } = session();
    await auth.start();
    const stored = storage.entries.size;
    expect(await auth.unlock('not the passphrase')).toBe(false);
    expect(auth.state).toMatchObject({ status: 'logged-in', lock: 'locked', identity: { name: 'alice' }, problem: { code: 'vault-wrong-passphrase' } });
    expect(auth.state.problem?.message).toMatch(/^Wrong passphrase/);
    expect(storage.entries.size).toBe(stored);
    expect(hub.calls).toHaveLength(0);

    expect(await auth.unlock(PASSPHRASE)).toBe(true);
    expect(auth.state).toMatchObject({ lock: 'unlocked', problem: undefined });
    await vi.waitFor(() => expect(auth.state.status).toBe('logged-in'));
    await vi.waitFor(() => expect(hub.calls).toEqual([`Bearer ${ALICE_TOKEN}`]));
    expect(await isSavedTokenLocked(vault)).toBe(false);
  });

  it('removing the lock asks the passphrase; forgetting works while locked', async () => {
    const { session, storage } = await lockedSetup();
    let { auth } = session();
    await auth.start();
    expect(await auth.removePassphraseLock('not the passphrase')).toBe(false);
    expect(auth.state).toMatchObject({ lock: 'locked', problem: { code: 'vault-wrong-passphrase' } });
    expect(await auth.removePassphraseLock(PASSPHRASE)).toBe(true);
    expect(auth.state).toMatchObject({ lock: 'none', problem: undefined });
    ({ auth } = session());
    await auth.start();
    expect(auth.state).toMatchObject({ status: 'logged-in', lock: 'none' });

    await auth.lockWithPassphrase(PASSPHRASE, PASSPHRASE);
    ({ auth } = session());
    await auth.start();
    expect(auth.state.lock).toBe('locked');
    await auth.forget();
    expect(auth.state).toMatchObject({ status: 'logged-out', lock: 'none', identity: undefined });
    expect(storage.entries.size).toBe(0);
  });
});

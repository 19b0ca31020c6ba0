import { describe, expect, it, vi } from 'vitest';

// src/config/hub.ts reads the build-time constant Vite normally injects.
vi.hoisted(() => {
  (globalThis as { __HUB_CONFIG__?: unknown }).__HUB_CONFIG__ = { endpoint: 'https://hub.test', cdnOrigins: [] };
});

import { HubApiError } from '@huggingface/hub';
import {
  AuthService,
  avatarSource,
  checkToken,
  checkTokenFormat,
  needsReadOnlyWarning,
  UNREACHABLE_RETRY_DELAYS_MS,
  type Connectivity,
  type TokenFormatProblem,
} from '../../src/hub/auth.ts';
import {
  AccessDisabledError,
  AuthenticationRequiredError,
  EntryNotFoundError,
  ForbiddenError,
  GatedRepoError,
  HubServerError,
  HubUnreachableError,
  InvalidTokenError,
  RateLimitedError,
  RepoNotFoundError,
  RevisionNotFoundError,
  UnexpectedHubResponseError,
  classifyHubError,
  classifyHubResponse,
  withHubErrors,
} from '../../src/hub/errors.ts';
import { RECORD_ENTRY, TokenVault } from '../../src/vault/token-vault.ts';
import { memoryVaultStorage } from '../../src/vault/vault-storage.ts';

const HUB = 'https://hub.test';
const ALICE_TOKEN = 'hf_' + 'aliceReadToken'.padEnd(34, 'A');
const BOB_TOKEN = 'hf_' + 'bobWriteToken'.padEnd(34, 'B');
const REVOKED_TOKEN = 'hf_' + 'revokedToken'.padEnd(34, 'R');

// ---------------------------------------------------------------------------------------------
// A scripted hub: whoami answers by token, with switchable outages.

interface Call {
  url: string;
  authorization: string | null;
  signal: AbortSignal | null | undefined;
}

type Mode = 'normal' | 'down' | 'rate-limited';

function whoamiBody(name: string, role: string, extra: Record<string, unknown> = {}) {
  return {
    type: 'user',
    id: '62f264b9f3c90f4b6514a269',
    name,
    fullname: name === 'alice' ? 'Alice Example' : 'Bob Example',
    avatarUrl: `/avatars/${name}.svg`,
    orgs: [],
    auth: { type: 'access_token', accessToken: { displayName: 'local-sd', role, createdAt: '2026-01-01T00:00:00.000Z', ...extra } },
  };
}

function scriptedHub() {
  const calls: Call[] = [];
  const valid = new Map<string, object>([
    [ALICE_TOKEN, whoamiBody('alice', 'read')],
    [BOB_TOKEN, whoamiBody('bob', 'write')],
  ]);
  const hub = {
    calls,
    mode: 'normal' as Mode,
    revoke: (token: string) => valid.delete(token),
    fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input);
      const authorization = new Headers(init?.headers).get('Authorization');
      calls.push({ url, authorization, signal: init?.signal });
      if (hub.mode === 'down') throw new TypeError('Failed to fetch');
      if (hub.mode === 'rate-limited') {
        return new Response(JSON.stringify({ error: 'Too many requests' }), { status: 429, headers: { 'Content-Type': 'application/json', 'Retry-After': '30' } });
      }
      const body = valid.get(authorization?.replace(/^Bearer /, '') ?? '');
      if (!body) {
        return new Response(JSON.stringify({ error: 'Invalid credentials in Authorization header' }), {
          status: 401,
          headers: { 'Content-Type': 'application/json', 'X-Error-Message': 'Invalid credentials in Authorization header', 'X-Request-Id': 'req-1' },
        });
      }
      return new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } });
    }) as typeof fetch,
  };
  return hub;
}

function manualConnectivity(online: boolean) {
  const listeners = new Set<() => void>();
  const connectivity: Connectivity & { goOnline(): void; online: boolean } = {
    online,
    isOnline: () => connectivity.online,
    onceOnline(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    goOnline() {
      connectivity.online = true;
      const pending = [...listeners];
      listeners.clear();
      pending.forEach((l) => l());
    },
  };
  return connectivity;
}

/** An `AuthServiceOptions.schedule` that only records: tests fire (`run`) or inspect each timer. */
function recordingSchedule() {
  const timers: { delayMs: number; run: () => void; cancelled: boolean }[] = [];
  const schedule = (run: () => void, delayMs: number) => {
    const timer = { delayMs, run, cancelled: false };
    timers.push(timer);
    return () => void (timer.cancelled = true);
  };
  return { timers, schedule };
}

function setup({ online = true } = {}) {
  const hub = scriptedHub();
  const storage = memoryVaultStorage();
  const vault = new TokenVault({ hubUrl: HUB, storage });
  const connectivity = manualConnectivity(online);
  // Re-check timers are only recorded: a test fires them (`run`) or checks they were cancelled.
  const { timers, schedule } = recordingSchedule();
  const service = () => new AuthService({ vault, fetch: hub.fetch, connectivity, now: () => 1_767_225_600_000, schedule });
  return { hub, storage, vault, connectivity, service, timers };
}

/** A saved token, then a new service started while the hub is down (the browser says online). */
async function startedWithHubDown() {
  const context = setup();
  await context.service().save(ALICE_TOKEN);
  context.hub.mode = 'down';
  const auth = context.service();
  await auth.start();
  return { ...context, auth };
}

/** Resolves when the service's state satisfies `predicate` (state changes are events, not timers). */
function until(service: AuthService, predicate: (s: AuthService['state']) => boolean): Promise<AuthService['state']> {
  if (predicate(service.state)) return Promise.resolve(service.state);
  return new Promise((resolve) => {
    const onChange = () => {
      if (!predicate(service.state)) return;
      service.removeEventListener('change', onChange);
      resolve(service.state);
    };
    service.addEventListener('change', onChange);
  });
}

// ---------------------------------------------------------------------------------------------

describe('checkTokenFormat', () => {
  it('accepts a well-formed token and trims the white space around it', () => {
    expect(checkTokenFormat(`  ${ALICE_TOKEN}\n`)).toEqual({ ok: true, token: ALICE_TOKEN });
    expect(checkTokenFormat('hf_' + 'a1'.repeat(20))).toMatchObject({ ok: true });
  });

  it.each<[string, string, TokenFormatProblem, RegExp]>([
    ['empty', '   ', 'empty', /Paste your Hugging Face token/],
    ['no hf_ prefix', 'xx_' + 'A'.repeat(34), 'missing-prefix', /starts with hf_/],
    ['an org token', 'api_org_' + 'A'.repeat(34), 'org-token', /api_org_.*not supported/],
    ['a space inside', 'hf_' + 'A'.repeat(17) + ' ' + 'A'.repeat(17), 'whitespace', /space or a line break/],
    ['a line break inside', 'hf_' + 'A'.repeat(17) + '\n' + 'A'.repeat(17), 'whitespace', /space or a line break/],
    ['a Bearer prefix', `Bearer ${ALICE_TOKEN}`, 'bearer-prefix', /without the "Bearer "/],
    ['too short', 'hf_abc', 'too-short', /too short \(6 characters/],
    ['too long', 'hf_' + 'A'.repeat(300), 'too-long', /too long \(303 characters/],
    ['a non-ASCII letter', 'hf_' + 'A'.repeat(33) + 'é', 'non-ascii', /character "é"/],
    ['a curly quote', '“' + ALICE_TOKEN + '”', 'non-ascii', /character "“"/],
    ['a zero-width space', 'hf_' + 'A'.repeat(20) + '\u200b' + 'A'.repeat(13), 'non-ascii', /U\+200B/],
    ['punctuation', 'hf_' + 'A'.repeat(30) + '!?;', 'bad-characters', /only letters and digits/],
  ])('refuses %s, saying what is wrong without echoing the input', (_what, input, problem, message) => {
    const result = checkTokenFormat(input);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.problem).toBe(problem);
    expect(result.error.code).toBe('invalid-token-format');
    expect(result.error.message).toMatch(message);
    const echoed = input.trim().slice(3, 20);
    if (echoed.length > 3) expect(result.error.message).not.toContain(echoed);
  });
});

describe('hub error classification', () => {
  const repo = { repo: 'org/model', hubUrl: HUB };
  it.each([
    [{ status: 401, errorCode: 'GatedRepo' }, { ...repo, authenticated: false }, GatedRepoError, 'gated-repo'],
    [{ status: 403, errorCode: 'GatedRepo' }, { ...repo, authenticated: true }, GatedRepoError, 'gated-repo'],
    [{ status: 401, errorCode: 'RepoNotFound' }, { ...repo, authenticated: false }, RepoNotFoundError, 'repo-not-found'],
    [{ status: 404, errorCode: 'RepoNotFound' }, { ...repo, authenticated: true }, RepoNotFoundError, 'repo-not-found'],
    [{ status: 404, errorCode: 'RevisionNotFound' }, repo, RevisionNotFoundError, 'revision-not-found'],
    [{ status: 404, errorCode: 'EntryNotFound' }, repo, EntryNotFoundError, 'entry-not-found'],
    [{ status: 401, errorMessage: 'Invalid credentials in Authorization header' }, { authenticated: true }, InvalidTokenError, 'invalid-token'],
    [{ status: 401 }, { authenticated: false }, AuthenticationRequiredError, 'authentication-required'],
    [{ status: 403, errorMessage: 'Access to this resource is disabled.' }, repo, AccessDisabledError, 'access-disabled'],
    [{ status: 403 }, repo, ForbiddenError, 'forbidden'],
    [{ status: 404 }, repo, RepoNotFoundError, 'repo-not-found'],
    [{ status: 429, retryAfterSeconds: 30 }, {}, RateLimitedError, 'rate-limited'],
    [{ status: 503 }, {}, HubServerError, 'hub-server-error'],
    [{ status: 418 }, {}, UnexpectedHubResponseError, 'unexpected-hub-response'],
  ] as const)('%o %o → %s', (response, context, type, code) => {
    const error = classifyHubResponse(response, context);
    expect(error).toBeInstanceOf(type);
    expect(error.code).toBe(code);
    expect(error.status).toBe(response.status);
    expect(error.message.length).toBeGreaterThan(20);
  });

  it('writes messages the user can act on', () => {
    expect(classifyHubResponse({ status: 403, errorCode: 'GatedRepo' }, { ...repo, authenticated: true }).message).toContain(`${HUB}/org/model`);
    expect(classifyHubResponse({ status: 401, errorCode: 'GatedRepo' }, { ...repo, authenticated: false }).message).toMatch(/token in Settings/);
    expect(classifyHubResponse({ status: 429, retryAfterSeconds: 30 }).message).toMatch(/try again in about 30 seconds/);
    expect(classifyHubResponse({ status: 429 }).message).toMatch(/try again shortly/);
    expect(new InvalidTokenError().message).toMatch(/starts with hf_.*Read permission.*generate a new one/);
  });

  it('classifies HubApiError by status, or by the headers captured for it, and a fetch TypeError as unreachable', () => {
    expect(classifyHubError(new HubApiError('u', 401), { authenticated: true })).toBeInstanceOf(InvalidTokenError);
    expect(classifyHubError(new HubApiError('u', 403), repo, { status: 403, errorCode: 'GatedRepo' })).toBeInstanceOf(GatedRepoError);
    expect(classifyHubError(new TypeError('Failed to fetch'))).toBeInstanceOf(HubUnreachableError);
    const typed = new RateLimitedError(5);
    expect(classifyHubError(typed)).toBe(typed);
    expect(classifyHubError(new Error('?'))).toBeInstanceOf(UnexpectedHubResponseError);
  });

  it('withHubErrors keeps X-Error-Code that @huggingface/hub drops, passes the signal, and rethrows aborts unchanged', async () => {
    const seen: (AbortSignal | null | undefined)[] = [];
    const gated: typeof fetch = async (_input, init) => {
      seen.push(init?.signal);
      return new Response('{"error":"restricted"}', { status: 403, headers: { 'X-Error-Code': 'GatedRepo', 'Content-Type': 'application/json' } });
    };
    const controller = new AbortController();
    const call = withHubErrors(
      async (f) => {
        const response = await f(`${HUB}/org/model/resolve/main/unet/model.onnx`);
        throw new HubApiError(response.url, response.status);
      },
      { fetch: gated, signal: controller.signal, context: { ...repo, authenticated: true } },
    );
    await expect(call).rejects.toBeInstanceOf(GatedRepoError);
    expect(seen[0]).toBe(controller.signal);

    const aborted = new AbortController();
    const never: typeof fetch = (_input, init) =>
      new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(new DOMException('Aborted', 'AbortError'))));
    const pending = withHubErrors((f) => f(HUB), { fetch: never, signal: aborted.signal });
    aborted.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });

    const down: typeof fetch = async () => {
      throw new TypeError('Failed to fetch');
    };
    await expect(withHubErrors((f) => f(HUB), { fetch: down })).rejects.toBeInstanceOf(HubUnreachableError);
  });
});

describe('checkToken (whoami-v2)', () => {
  it('returns the identity and sends the token only as a bearer header to the hub', async () => {
    const hub = scriptedHub();
    const identity = await checkToken(ALICE_TOKEN, { hubUrl: HUB, fetch: hub.fetch, now: () => 42 });
    expect(identity).toEqual({ name: 'alice', fullName: 'Alice Example', avatarUrl: '/avatars/alice.svg', role: 'read', validatedAt: 42 });
    expect(hub.calls).toMatchObject([{ url: `${HUB}/api/whoami-v2`, authorization: `Bearer ${ALICE_TOKEN}` }]);
  });

  it('flags write tokens and fine-grained tokens that can write', async () => {
    const hub = scriptedHub();
    const bob = await checkToken(BOB_TOKEN, { hubUrl: HUB, fetch: hub.fetch });
    expect(needsReadOnlyWarning(bob)).toBe(true);
    const fineGrained: typeof fetch = async () =>
      Response.json(whoamiBody('alice', 'fineGrained', { fineGrained: { global: [], scoped: [{ entity: { type: 'user', name: 'alice' }, permissions: ['repo.content.read', 'repo.write'] }] } }));
    const fg = await checkToken(ALICE_TOKEN, { hubUrl: HUB, fetch: fineGrained });
    expect(fg).toMatchObject({ role: 'fineGrained', canWrite: true });
    expect(needsReadOnlyWarning({ role: 'read' })).toBe(false);
  });

  it('maps 401 to InvalidTokenError, a network failure to HubUnreachableError and 429 to RateLimitedError', async () => {
    const hub = scriptedHub();
    await expect(checkToken(REVOKED_TOKEN, { hubUrl: HUB, fetch: hub.fetch })).rejects.toBeInstanceOf(InvalidTokenError);
    hub.mode = 'down';
    await expect(checkToken(ALICE_TOKEN, { hubUrl: HUB, fetch: hub.fetch })).rejects.toBeInstanceOf(HubUnreachableError);
    hub.mode = 'rate-limited';
    await expect(checkToken(ALICE_TOKEN, { hubUrl: HUB, fetch: hub.fetch })).rejects.toMatchObject({ code: 'rate-limited', retryAfterSeconds: 30 });
  });

  it('resolves relative avatar URLs against the hub and refuses other schemes', () => {
    expect(avatarSource('/avatars/alice.svg', HUB)).toBe(`${HUB}/avatars/alice.svg`);
    expect(avatarSource('https://cdn-avatars.huggingface.co/a.png', HUB)).toBe('https://cdn-avatars.huggingface.co/a.png');
    expect(avatarSource('javascript:alert(1)', HUB)).toBeUndefined();
    expect(avatarSource(undefined, HUB)).toBeUndefined();
  });
});

describe('AuthService', () => {
  it('saves a token the hub accepts and reports who it belongs to', async () => {
    const { hub, vault, service } = setup();
    const auth = service();
    await auth.start();
    expect(auth.state.status).toBe('logged-out');
    expect(await auth.save(`  ${ALICE_TOKEN} `)).toBe(true);
    expect(auth.state).toMatchObject({ status: 'logged-in', identity: { name: 'alice', role: 'read' }, problem: undefined });
    expect(await vault.decryptToken()).toBe(ALICE_TOKEN);
    expect(hub.calls).toHaveLength(1);
    expect(JSON.stringify(auth.state)).not.toContain(ALICE_TOKEN);
  });

  it('refuses a malformed token before any request', async () => {
    const { hub, storage, service } = setup();
    const auth = service();
    await auth.start();
    expect(await auth.save('api_org_' + 'A'.repeat(34))).toBe(false);
    expect(auth.state).toMatchObject({ status: 'logged-out', problem: { code: 'invalid-token-format' } });
    expect(hub.calls).toHaveLength(0);
    expect(storage.entries.size).toBe(0);
  });

  it('does not store a new token the hub rejects, and keeps the saved one', async () => {
    const { hub, vault, service } = setup();
    const auth = service();
    await auth.start();
    await auth.save(ALICE_TOKEN);
    expect(await auth.save(REVOKED_TOKEN)).toBe(false);
    expect(auth.state).toMatchObject({ status: 'invalid', subject: 'entered', identity: { name: 'alice' }, problem: { code: 'invalid-token' } });
    expect(auth.state.problem?.message).toMatch(/starts with hf_/);
    expect(await vault.decryptToken()).toBe(ALICE_TOKEN);
    expect(hub.calls).toHaveLength(2);
  });

  it('reports a network failure as unreachable, never as invalid, and saves nothing', async () => {
    const { hub, storage, service } = setup();
    const auth = service();
    await auth.start();
    hub.mode = 'down';
    expect(await auth.save(ALICE_TOKEN)).toBe(false);
    expect(auth.state).toMatchObject({ status: 'unreachable', subject: 'entered', problem: { code: 'hub-unreachable' } });
    expect(storage.entries.size).toBe(0);
  });

  it('answers 429 with a "try again" problem, keeps the previous status and does not retry', async () => {
    const { hub, storage, service } = setup();
    const auth = service();
    await auth.start();
    hub.mode = 'rate-limited';
    expect(await auth.save(ALICE_TOKEN)).toBe(false);
    expect(auth.state).toMatchObject({ status: 'logged-out', problem: { code: 'rate-limited' } });
    expect(auth.state.problem?.message).toMatch(/try again/);
    expect(hub.calls).toHaveLength(1);
    expect(storage.entries.size).toBe(0);
  });

  it('on start shows the saved identity at once, then re-checks it once', async () => {
    const { hub, service } = setup();
    await service().save(ALICE_TOKEN);
    hub.calls.length = 0;
    const auth = service();
    const started = auth.start();
    await until(auth, (s) => s.identity !== undefined);
    expect(auth.state).toMatchObject({ status: 'checking', identity: { name: 'alice' } });
    await started;
    expect(auth.state.status).toBe('logged-in');
    expect(hub.calls).toHaveLength(1);
    await auth.start();
    expect(hub.calls).toHaveLength(1);
  });

  it('turns a revoked saved token into "invalid" on the next start, keeps it, and stops handing it out', async () => {
    const { hub, vault, storage, service } = setup();
    await service().save(ALICE_TOKEN);
    hub.revoke(ALICE_TOKEN);
    const auth = service();
    await auth.start();
    expect(auth.state).toMatchObject({ status: 'invalid', subject: 'saved', identity: { name: 'alice' }, problem: { code: 'invalid-token' } });
    expect(storage.entries.has(RECORD_ENTRY)).toBe(true);
    const { getHubCredentials } = await import('../../src/hub/credentials.ts');
    expect(await getHubCredentials({ vault })).toEqual({ hubUrl: HUB });
    // Forgetting it erases the record and the key.
    await auth.forget();
    expect(auth.state.status).toBe('logged-out');
    expect(storage.entries.size).toBe(0);
  });

  it('offline, keeps the last identity as unreachable and re-checks once when back online', async () => {
    const { hub, connectivity, service } = setup();
    await service().save(ALICE_TOKEN);
    hub.calls.length = 0;
    connectivity.online = false;
    const auth = service();
    await auth.start();
    expect(auth.state).toMatchObject({ status: 'unreachable', identity: { name: 'alice' } });
    expect(hub.calls).toHaveLength(0);
    connectivity.goOnline();
    await until(auth, (s) => s.status === 'logged-in');
    expect(hub.calls).toHaveLength(1);
  });

  it('online but the hub is down: unreachable with the last identity, not invalid', async () => {
    const { auth } = await startedWithHubDown();
    expect(auth.state).toMatchObject({ status: 'unreachable', identity: { name: 'alice' } });
  });

  it('online but the hub is down: re-checks on a growing backoff (no "online" event will come) until the hub answers', async () => {
    const { hub, auth, connectivity, timers } = await startedWithHubDown();
    expect(auth.state).toMatchObject({ status: 'unreachable', identity: { name: 'alice' } });
    // Still down at the first two re-checks: each waits longer than the one before.
    for (let i = 0; i < 2; i++) {
      const calls = hub.calls.length;
      timers.at(-1)!.run();
      await vi.waitFor(() => expect(timers).toHaveLength(i + 2));
      expect(auth.state.status).toBe('unreachable');
      expect(hub.calls.length).toBe(calls + 1);
    }
    expect(timers.map((t) => t.delayMs)).toEqual(UNREACHABLE_RETRY_DELAYS_MS.slice(0, 3));
    hub.mode = 'normal';
    timers.at(-1)!.run();
    await until(auth, (s) => s.status === 'logged-in');
    // Answered: no timer is left, and a later "online" event re-checks nothing.
    expect(timers).toHaveLength(3);
    const calls = hub.calls.length;
    connectivity.goOnline();
    expect(hub.calls.length).toBe(calls);
  });

  it('an "online" event before the retry timer re-checks once, and cancels the timer', async () => {
    const { hub, auth, connectivity, timers } = await startedWithHubDown();
    expect(auth.state.status).toBe('unreachable');
    hub.mode = 'normal';
    const calls = hub.calls.length;
    connectivity.goOnline();
    await until(auth, (s) => s.status === 'logged-in');
    expect(hub.calls.length).toBe(calls + 1);
    expect(timers.map((t) => t.cancelled)).toEqual([true]);
  });

  it('saving a token while a re-check is pending cancels it', async () => {
    const { hub, auth, timers } = await startedWithHubDown();
    expect(timers.map((t) => t.cancelled)).toEqual([false]);
    hub.mode = 'normal';
    expect(await auth.save(ALICE_TOKEN)).toBe(true);
    expect(timers.map((t) => t.cancelled)).toEqual([true]);
  });

  it('offline (no timer: the browser will say when it is back), and dispose cancels a pending retry', async () => {
    const { hub, connectivity, service, timers } = setup();
    await service().save(ALICE_TOKEN);
    connectivity.online = false;
    const offline = service();
    await offline.start();
    expect(offline.state.status).toBe('unreachable');
    expect(timers).toHaveLength(0);
    offline.dispose();
    connectivity.online = true;
    hub.mode = 'down';
    const auth = service();
    await auth.start();
    expect(timers.map((t) => t.cancelled)).toEqual([false]);
    auth.dispose();
    expect(timers.map((t) => t.cancelled)).toEqual([true]);
  });

  it('reports a damaged record and removes it instead of crashing', async () => {
    const { storage, service } = setup();
    await service().save(ALICE_TOKEN);
    (storage.entries.get(RECORD_ENTRY) as { ciphertext: ArrayBuffer }).ciphertext = new ArrayBuffer(40);
    const auth = service();
    await auth.start();
    expect(auth.state).toMatchObject({ status: 'logged-out', identity: undefined, problem: { code: 'vault-decrypt-failed' } });
    expect(storage.entries.size).toBe(0);
  });

  it('a save supersedes the start-up check, and a forget during a save leaves nothing stored', async () => {
    const { vault, storage, service } = setup();
    await service().save(ALICE_TOKEN);
    const auth = service();
    void auth.start();
    const saving = auth.save(BOB_TOKEN);
    await expect(saving).resolves.toBe(true);
    expect(auth.state.identity?.name).toBe('bob');
    expect(await vault.decryptToken()).toBe(BOB_TOKEN);

    const again = auth.save(ALICE_TOKEN);
    await auth.forget();
    await again;
    expect(auth.state.status).toBe('logged-out');
    expect(storage.entries.size).toBe(0);
  });
});

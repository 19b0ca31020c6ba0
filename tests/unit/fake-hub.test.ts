import { createHash } from 'node:crypto';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkRepoAccess, downloadFile, HubApiError, listFiles, modelInfo, whoAmI } from '@huggingface/hub';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeHubControl, FakeHubControlError } from '../fake-hub/control-client.ts';
import {
  createDemoFixture,
  DEMO_REPOS,
  DEMO_TOKENS,
  generatedModelFiles,
  type FakeHubFixture,
} from '../fake-hub/fixtures.ts';
import { CDN_EXPOSED_HEADERS, HUB_EXPOSED_HEADERS, startFakeHub, type FakeHub } from '../fake-hub/server.ts';

const APP_ORIGIN = 'http://localhost:5173';
const LFS_FILE = 'unet/model.onnx';
const SMALL_FILE = 'model_index.json';
const MISSING_DIR = join(tmpdir(), 'local-sd-no-such-model-dir');
const GENERATED = generatedModelFiles();

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const gitBlobSha1 = (data: Uint8Array) =>
  createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');
const bytesOf = (path: string) => {
  const source = GENERATED[path];
  return typeof source === 'string' ? new TextEncoder().encode(source) : (source as Uint8Array);
};
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

function testFixture(): FakeHubFixture {
  const fixture = createDemoFixture({ modelDir: MISSING_DIR });
  fixture.repos.push({ id: 'local-sd/disabled', disabled: true, files: { 'a.txt': 'a' } });
  return fixture;
}

let hub: FakeHub;
const hubUrl = () => hub.hubUrl;
const resolveUrl = (repo: string, path: string, revision = 'main') => `${hub.hubUrl}/${repo}/resolve/${revision}/${path}`;

beforeAll(async () => {
  hub = await startFakeHub({ fixture: testFixture() });
});
afterAll(async () => {
  await hub.close();
});
afterEach(() => {
  hub.reset();
});

/** Asserts the hub's error shape: status, X-Error-Code, and the message in X-Error-Message and JSON `error`. */
async function expectHubError(response: Response, status: number, code: string | null, message?: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get('x-error-code')).toBe(code);
  expect(response.headers.get('x-request-id')).toBeTruthy();
  const headerMessage = response.headers.get('x-error-message');
  if (message !== undefined) expect(headerMessage).toBe(message);
  const text = await response.text();
  // HEAD answers carry the headers only.
  if (text !== '' && response.headers.get('content-type')?.startsWith('application/json')) {
    expect((JSON.parse(text) as { error: string }).error).toBe(headerMessage);
  }
}

async function readUntilError(response: Response): Promise<{ received: number; error: unknown }> {
  const reader = response.body!.getReader();
  let received = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { received, error: null };
      received += value.length;
    }
  } catch (error) {
    return { received, error };
  }
}

async function treeEntries(repo: string) {
  const response = await fetch(`${hubUrl()}/api/models/${repo}/tree/main?recursive=true`);
  return (await response.json()) as { type: string; path: string; oid: string; size: number; lfs?: { oid: string; size: number; pointerSize: number } }[];
}

describe('GET /api/whoami-v2', () => {
  it('answers the spec shape with the token role', async () => {
    const response = await fetch(`${hubUrl()}/api/whoami-v2`, { headers: bearer(DEMO_TOKENS.aliceRead) });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      type: 'user',
      id: expect.stringMatching(/^[0-9a-f]{24}$/),
      name: 'alice',
      fullname: 'Alice Example',
      email: 'alice@example.com',
      emailVerified: true,
      canPay: false,
      isPro: false,
      periodEnd: null,
      avatarUrl: '/avatars/alice.svg',
      orgs: [],
      auth: {
        type: 'access_token',
        accessToken: { displayName: 'local-sd', role: 'read', createdAt: '2026-01-01T00:00:00.000Z' },
      },
    });
  });

  it('reports write and fine-grained roles', async () => {
    const bob = await whoAmI({ accessToken: DEMO_TOKENS.bobWrite, hubUrl: hubUrl() });
    expect(bob.name).toBe('bob');
    expect(bob.auth.accessToken?.role).toBe('write');
    const fine = await fetch(`${hubUrl()}/api/whoami-v2`, { headers: bearer(DEMO_TOKENS.aliceFineGrained) });
    const body = (await fine.json()) as { auth: { accessToken: { role: string; fineGrained: { canReadGatedRepos: boolean } } } };
    expect(body.auth.accessToken.role).toBe('fineGrained');
    expect(body.auth.accessToken.fineGrained.canReadGatedRepos).toBe(false);
  });

  it('refuses an invalid, a revoked and a missing token with 401 JSON', async () => {
    const invalid = await fetch(`${hubUrl()}/api/whoami-v2`, { headers: bearer('hf_notARealTokenXXXXXXXXXXXXXXXXXXXXXX') });
    await expectHubError(invalid, 401, null, 'Invalid credentials in Authorization header');
    const missing = await fetch(`${hubUrl()}/api/whoami-v2`);
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as { error: string }).error).toEqual(expect.any(String));

    hub.revokeToken(DEMO_TOKENS.aliceRead);
    const revoked = await fetch(`${hubUrl()}/api/whoami-v2`, { headers: bearer(DEMO_TOKENS.aliceRead) });
    await expectHubError(revoked, 401, null, 'Invalid credentials in Authorization header');
  });

  it("works with @huggingface/hub's whoAmI, which surfaces the error message", async () => {
    const alice = await whoAmI({ accessToken: DEMO_TOKENS.aliceRead, hubUrl: hubUrl() });
    expect(alice).toMatchObject({ name: 'alice', fullname: 'Alice Example', avatarUrl: '/avatars/alice.svg' });
    expect(alice.auth.accessToken?.createdAt).toBeInstanceOf(Date);
    hub.revokeToken(DEMO_TOKENS.aliceRead);
    const error = await whoAmI({ accessToken: DEMO_TOKENS.aliceRead, hubUrl: hubUrl() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HubApiError);
    expect((error as HubApiError).statusCode).toBe(401);
    expect((error as HubApiError).message).toContain('Invalid credentials in Authorization header');
  });

  it('serves the relative avatar URL', async () => {
    const response = await fetch(`${hubUrl()}/avatars/alice.svg`);
    expect(response.headers.get('content-type')).toBe('image/svg+xml');
    expect(await response.text()).toContain('<svg');
  });
});

describe('the error table of hub-spec.md', () => {
  const gatedAnonymous = (id: string) =>
    `Access to model ${id} is restricted. You must have access to it and be authenticated to access it. Please log in.`;
  const gatedNotAccepted = (id: string) =>
    `Access to model ${id} is restricted and you are not in the authorized list. Visit https://huggingface.co/${id} to ask for access.`;

  for (const [repo, mode] of [
    [DEMO_REPOS.gatedAuto, 'auto'],
    [DEMO_REPOS.gatedManual, 'manual'],
  ] as const) {
    it(`gated (${mode}) repo: metadata is public, files need a token that accepted the terms`, async () => {
      const info = await fetch(`${hubUrl()}/api/models/${repo}`);
      expect(info.status).toBe(200);
      expect(((await info.json()) as { gated: string }).gated).toBe(mode);
      expect((await fetch(`${hubUrl()}/api/models/${repo}/tree/main`)).status).toBe(200);

      for (const method of ['GET', 'HEAD']) {
        await expectHubError(await fetch(resolveUrl(repo, SMALL_FILE), { method }), 401, 'GatedRepo', gatedAnonymous(repo));
        const notAccepted = await fetch(resolveUrl(repo, SMALL_FILE), { method, headers: bearer(DEMO_TOKENS.aliceRead) });
        await expectHubError(notAccepted, 403, 'GatedRepo', gatedNotAccepted(repo));
        const accepted = await fetch(resolveUrl(repo, SMALL_FILE), { method, headers: bearer(DEMO_TOKENS.bobWrite) });
        expect(accepted.status).toBe(200);
      }
      await expectHubError(await fetch(`${hubUrl()}/api/models/${repo}/auth-check`), 401, 'GatedRepo');
      const check = await fetch(`${hubUrl()}/api/models/${repo}/auth-check`, { headers: bearer(DEMO_TOKENS.aliceRead) });
      await expectHubError(check, 403, 'GatedRepo');

      hub.acceptTerms('alice', repo);
      const afterAccepting = await fetch(resolveUrl(repo, SMALL_FILE), { headers: bearer(DEMO_TOKENS.aliceRead) });
      expect(afterAccepting.status).toBe(200);
      const checkAfter = await fetch(`${hubUrl()}/api/models/${repo}/auth-check`, { headers: bearer(DEMO_TOKENS.aliceRead) });
      expect(checkAfter.status).toBe(200);
    });
  }

  it('gated repo: a fine-grained token without gated access is refused 403 GatedRepo', async () => {
    hub.acceptTerms('alice', DEMO_REPOS.gatedAuto);
    const response = await fetch(resolveUrl(DEMO_REPOS.gatedAuto, SMALL_FILE), { headers: bearer(DEMO_TOKENS.aliceFineGrained) });
    await expectHubError(response, 403, 'GatedRepo');
  });

  for (const [label, repo] of [
    ['private', DEMO_REPOS.private],
    ['missing', 'nobody/no-such-repo'],
  ] as const) {
    it(`${label} repo: 401 RepoNotFound without a token, 404 with a token without access`, async () => {
      await expectHubError(await fetch(`${hubUrl()}/api/models/${repo}`), 401, 'RepoNotFound');
      await expectHubError(await fetch(`${hubUrl()}/api/models/${repo}/tree/main`), 401, 'RepoNotFound');
      for (const method of ['GET', 'HEAD']) {
        await expectHubError(await fetch(resolveUrl(repo, SMALL_FILE), { method }), 401, 'RepoNotFound');
        const withBob = await fetch(resolveUrl(repo, SMALL_FILE), { method, headers: bearer(DEMO_TOKENS.bobWrite) });
        await expectHubError(withBob, 404, 'RepoNotFound');
      }
      const info = await fetch(`${hubUrl()}/api/models/${repo}`, { headers: bearer(DEMO_TOKENS.bobWrite) });
      await expectHubError(info, 404, 'RepoNotFound', 'Repository not found');
    });
  }

  it('private repo: readable by its owner', async () => {
    const info = await fetch(`${hubUrl()}/api/models/${DEMO_REPOS.private}`, { headers: bearer(DEMO_TOKENS.aliceRead) });
    expect(((await info.json()) as { private: boolean }).private).toBe(true);
    const file = await fetch(resolveUrl(DEMO_REPOS.private, SMALL_FILE), { headers: bearer(DEMO_TOKENS.aliceRead) });
    expect(file.status).toBe(200);
  });

  it('unknown revision: 404 RevisionNotFound', async () => {
    await expectHubError(
      await fetch(`${hubUrl()}/api/models/${DEMO_REPOS.public}/revision/no-such-branch`),
      404,
      'RevisionNotFound',
    );
    for (const method of ['GET', 'HEAD']) {
      const response = await fetch(resolveUrl(DEMO_REPOS.public, SMALL_FILE, 'no-such-branch'), { method });
      await expectHubError(response, 404, 'RevisionNotFound');
    }
  });

  it('missing file: 404 EntryNotFound, still with X-Repo-Commit', async () => {
    for (const method of ['GET', 'HEAD']) {
      const response = await fetch(resolveUrl(DEMO_REPOS.public, 'no/such/file.onnx'), { method });
      await expectHubError(response, 404, 'EntryNotFound');
      expect(response.headers.get('x-repo-commit')).toBe('1'.repeat(40));
    }
  });

  it('invalid token: 401 "Invalid credentials in Authorization header" on every endpoint', async () => {
    const headers = bearer('hf_notARealTokenXXXXXXXXXXXXXXXXXXXXXX');
    for (const url of [
      `${hubUrl()}/api/models/${DEMO_REPOS.public}`,
      `${hubUrl()}/api/models/${DEMO_REPOS.public}/tree/main`,
      `${hubUrl()}/api/models/${DEMO_REPOS.public}/auth-check`,
      resolveUrl(DEMO_REPOS.public, SMALL_FILE),
      resolveUrl(DEMO_REPOS.public, LFS_FILE),
    ]) {
      await expectHubError(await fetch(url, { headers }), 401, null, 'Invalid credentials in Authorization header');
    }
    const malformed = await fetch(`${hubUrl()}/api/models/${DEMO_REPOS.public}`, { headers: { Authorization: 'Basic abc' } });
    await expectHubError(malformed, 401, null, 'Invalid credentials in Authorization header');
  });

  it('rate limiting: 429 for the next n requests under a path prefix', async () => {
    hub.setRateLimited('/api/whoami-v2', 2);
    const headers = bearer(DEMO_TOKENS.aliceRead);
    await expectHubError(await fetch(`${hubUrl()}/api/whoami-v2`, { headers }), 429, null);
    await expectHubError(await fetch(`${hubUrl()}/api/whoami-v2`, { headers }), 429, null);
    expect((await fetch(`${hubUrl()}/api/whoami-v2`, { headers })).status).toBe(200);
  });

  it('disabled repo: 403 "Access to this resource is disabled."', async () => {
    await expectHubError(
      await fetch(`${hubUrl()}/api/models/local-sd/disabled`),
      403,
      null,
      'Access to this resource is disabled.',
    );
  });

  it('renamed repo: 307 with a relative Location, followed by fetch', async () => {
    const redirect = await fetch(`${hubUrl()}/api/models/${DEMO_REPOS.renamed}/revision/main?expand=sha`, { redirect: 'manual' });
    expect(redirect.status).toBe(307);
    expect(redirect.headers.get('location')).toBe(`/api/models/${DEMO_REPOS.public}/revision/main?expand=sha`);
    const followed = await fetch(resolveUrl(DEMO_REPOS.renamed, SMALL_FILE));
    expect(followed.status).toBe(200);
    expect(new Uint8Array(await followed.arrayBuffer())).toEqual(bytesOf(SMALL_FILE));
  });
});

describe('model info and tree', () => {
  it('answers model info with siblings, sha, gated, private and cardData', async () => {
    const response = await fetch(`${hubUrl()}/api/models/${DEMO_REPOS.public}`);
    const info = (await response.json()) as Record<string, unknown>;
    expect(info).toMatchObject({
      id: DEMO_REPOS.public,
      private: false,
      gated: false,
      pipeline_tag: 'text-to-image',
      sha: '1'.repeat(40),
      cardData: { license: 'mit' },
    });
    expect(info.siblings).toEqual(Object.keys(GENERATED).sort().map((rfilename) => ({ rfilename })));
  });

  it('honours expand= and revisions (HEAD, tags, commit shas)', async () => {
    const url = `${hubUrl()}/api/models/${DEMO_REPOS.public}/revision/v1?expand=sha&expand=gated`;
    expect(await (await fetch(url)).json()).toEqual({
      _id: expect.any(String),
      id: DEMO_REPOS.public,
      sha: '2'.repeat(40),
      gated: false,
    });
    const byCommit = await fetch(resolveUrl(DEMO_REPOS.public, SMALL_FILE, '2'.repeat(40)));
    expect(byCommit.headers.get('x-repo-commit')).toBe('2'.repeat(40));
  });

  it("works with @huggingface/hub's modelInfo and checkRepoAccess", async () => {
    const info = await modelInfo({
      name: DEMO_REPOS.gatedManual,
      hubUrl: hubUrl(),
      additionalFields: ['sha', 'cardData', 'tags', 'filePaths'],
    });
    expect(info).toMatchObject({ name: DEMO_REPOS.gatedManual, gated: 'manual', private: false, task: 'text-to-image' });
    expect(info.sha).toBe('4'.repeat(40));
    expect(info.cardData).toEqual({ license: 'mit' });
    expect(info.filePaths).toContain(LFS_FILE);
    await expect(checkRepoAccess({ repo: DEMO_REPOS.private, hubUrl: hubUrl(), accessToken: DEMO_TOKENS.aliceRead })).resolves.toBeUndefined();
    await expect(checkRepoAccess({ repo: DEMO_REPOS.private, hubUrl: hubUrl(), accessToken: DEMO_TOKENS.bobWrite })).rejects.toMatchObject({ statusCode: 404 });
  });

  it('lists the tree with git oids and LFS sha256, recursively or one level', async () => {
    const entries = await treeEntries(DEMO_REPOS.public);
    const files = entries.filter((entry) => entry.type === 'file');
    expect(files.map((entry) => entry.path).sort()).toEqual(Object.keys(GENERATED).sort());
    expect(entries.filter((entry) => entry.type === 'directory').map((entry) => entry.path)).toEqual(
      expect.arrayContaining(['unet', 'tokenizer', 'scheduler']),
    );
    const small = files.find((entry) => entry.path === SMALL_FILE)!;
    expect(small).toEqual({ type: 'file', path: SMALL_FILE, size: bytesOf(SMALL_FILE).length, oid: gitBlobSha1(bytesOf(SMALL_FILE)) });
    const lfs = files.find((entry) => entry.path === LFS_FILE)!;
    expect(lfs.lfs).toEqual({ oid: sha256(bytesOf(LFS_FILE)), size: bytesOf(LFS_FILE).length, pointerSize: expect.any(Number) });

    const top = (await (await fetch(`${hubUrl()}/api/models/${DEMO_REPOS.public}/tree/main`)).json()) as { path: string }[];
    expect(top.every((entry) => !entry.path.includes('/'))).toBe(true);
    const unet = (await (await fetch(`${hubUrl()}/api/models/${DEMO_REPOS.public}/tree/main/unet`)).json()) as { path: string }[];
    expect(unet.map((entry) => entry.path)).toEqual([LFS_FILE]);
  });

  it('paginates with an absolute Link rel="next", followed by listFiles', async () => {
    const paged = await startFakeHub({ fixture: testFixture(), treePageSize: 4 });
    try {
      const first = await fetch(`${paged.hubUrl}/api/models/${DEMO_REPOS.public}/tree/main?recursive=true`);
      expect(first.headers.get('link')).toMatch(new RegExp(`^<${paged.hubUrl}/api/models/${DEMO_REPOS.public}/tree/main\\?recursive=true&cursor=[^>]+>; rel="next"$`));
      expect(((await first.json()) as unknown[]).length).toBe(4);

      const listed = [];
      for await (const entry of listFiles({ repo: DEMO_REPOS.public, recursive: true, hubUrl: paged.hubUrl })) listed.push(entry);
      expect(listed).toEqual(await treeEntries(DEMO_REPOS.public));
      const treeRequests = paged.requests.filter((request) => request.url.includes('/tree/'));
      expect(treeRequests.length).toBe(1 + Math.ceil(listed.length / 4));
    } finally {
      await paged.close();
    }
  });
});

describe('file downloads', () => {
  it('serves a small file directly with git ETag, X-Repo-Commit and ranges', async () => {
    const content = bytesOf(SMALL_FILE);
    const full = await fetch(resolveUrl(DEMO_REPOS.public, SMALL_FILE));
    expect(full.status).toBe(200);
    expect(full.headers.get('etag')).toBe(`"${gitBlobSha1(content)}"`);
    expect(full.headers.get('x-repo-commit')).toBe('1'.repeat(40));
    expect(full.headers.get('content-length')).toBe(String(content.length));
    expect(full.headers.get('accept-ranges')).toBe('bytes');
    expect(new Uint8Array(await full.arrayBuffer())).toEqual(content);

    const part = await fetch(resolveUrl(DEMO_REPOS.public, SMALL_FILE), { headers: { Range: 'bytes=2-9' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 2-9/${content.length}`);
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(content.subarray(2, 10));

    const head = await fetch(resolveUrl(DEMO_REPOS.public, SMALL_FILE), { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe(String(content.length));
    expect((await head.arrayBuffer()).byteLength).toBe(0);
  });

  it('redirects an LFS file to a presigned CDN URL with X-Linked-* headers', async () => {
    const content = bytesOf(LFS_FILE);
    const response = await fetch(resolveUrl(DEMO_REPOS.public, LFS_FILE), { redirect: 'manual' });
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location')!);
    expect(location.origin).toBe(hub.cdnUrl);
    for (const key of ['Expires', 'Signature', 'Key-Pair-Id']) expect(location.searchParams.get(key)).toBeTruthy();
    expect(response.headers.get('x-linked-etag')).toBe(`"${sha256(content)}"`);
    expect(response.headers.get('x-linked-size')).toBe(String(content.length));
    expect(response.headers.get('x-repo-commit')).toBe('1'.repeat(40));
    expect((await response.text()).length).toBeLessThan(1000);

    const raw = await fetch(`${hubUrl()}/${DEMO_REPOS.public}/raw/main/${LFS_FILE}`);
    expect(await raw.text()).toContain(`oid sha256:${sha256(content)}`);
  });

  it('delivers the bytes whose sha256 is the tree lfs.oid through the CDN, without the token', async () => {
    const lfs = (await treeEntries(DEMO_REPOS.gatedAuto)).find((entry) => entry.path === LFS_FILE)!.lfs!;
    hub.clearRequests();
    const response = await fetch(resolveUrl(DEMO_REPOS.gatedAuto, LFS_FILE), { headers: bearer(DEMO_TOKENS.bobWrite) });
    expect(response.status).toBe(200);
    expect(response.url.startsWith(hub.cdnUrl)).toBe(true);
    expect(response.headers.get('etag')).toBe(`"${lfs.oid}"`);
    expect(sha256(new Uint8Array(await response.arrayBuffer()))).toBe(lfs.oid);

    const [toHub, toCdn] = hub.requests;
    expect(toHub).toMatchObject({ served: 'hub', authorization: true, token: DEMO_TOKENS.bobWrite, status: 302 });
    expect(toCdn).toMatchObject({ served: 'cdn', authorization: false, token: null, status: 200 });
  });

  it('answers ranges on the CDN with 206 and Content-Range, 416 when unsatisfiable', async () => {
    const content = bytesOf(LFS_FILE);
    const ranged = await fetch(resolveUrl(DEMO_REPOS.public, LFS_FILE), { headers: { Range: 'bytes=100-199' } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe(`bytes 100-199/${content.length}`);
    expect(new Uint8Array(await ranged.arrayBuffer())).toEqual(content.subarray(100, 200));

    const open = await fetch(resolveUrl(DEMO_REPOS.public, LFS_FILE), { headers: { Range: `bytes=${content.length - 10}-` } });
    expect(open.headers.get('content-range')).toBe(`bytes ${content.length - 10}-${content.length - 1}/${content.length}`);
    expect((await open.arrayBuffer()).byteLength).toBe(10);

    const beyond = await fetch(resolveUrl(DEMO_REPOS.public, LFS_FILE), { headers: { Range: `bytes=${content.length}-` } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${content.length}`);
  });

  it('refuses a CDN URL whose signature was tampered with', async () => {
    const redirect = await fetch(resolveUrl(DEMO_REPOS.public, LFS_FILE), { redirect: 'manual' });
    const url = new URL(redirect.headers.get('location')!);
    url.searchParams.set('Signature', 'forged');
    const response = await fetch(url);
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('AccessDenied');
  });

  it("works with @huggingface/hub's downloadFile, public and gated with an accepted token", async () => {
    const lfsBlob = await downloadFile({ repo: DEMO_REPOS.public, path: LFS_FILE, hubUrl: hubUrl() });
    expect(sha256(new Uint8Array(await lfsBlob!.arrayBuffer()))).toBe(sha256(bytesOf(LFS_FILE)));
    const smallBlob = await downloadFile({ repo: DEMO_REPOS.public, path: SMALL_FILE, hubUrl: hubUrl() });
    expect(await smallBlob!.text()).toBe(GENERATED[SMALL_FILE]);
    expect(await downloadFile({ repo: DEMO_REPOS.public, path: 'missing.bin', hubUrl: hubUrl() })).toBeNull();

    const gated = { repo: DEMO_REPOS.gatedAuto, path: LFS_FILE, hubUrl: hubUrl() };
    const bobs = await downloadFile({ ...gated, accessToken: DEMO_TOKENS.bobWrite });
    expect(sha256(new Uint8Array(await bobs!.arrayBuffer()))).toBe(sha256(bytesOf(LFS_FILE)));
    await expect(downloadFile({ ...gated, accessToken: DEMO_TOKENS.aliceRead })).rejects.toMatchObject({ statusCode: 403 });
    hub.acceptTerms('alice', DEMO_REPOS.gatedAuto);
    const alices = await downloadFile({ ...gated, accessToken: DEMO_TOKENS.aliceRead });
    expect(alices!.size).toBe(bytesOf(LFS_FILE).length);
    expect(hub.requests.filter((request) => request.served === 'cdn').every((request) => !request.authorization)).toBe(true);
  });
});

describe('CORS and CORP', () => {
  it('answers a cross-origin preflight for Authorization and Range on the hub', async () => {
    const response = await fetch(resolveUrl(DEMO_REPOS.gatedAuto, LFS_FILE), {
      method: 'OPTIONS',
      headers: { Origin: APP_ORIGIN, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization,range' },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(response.headers.get('vary')).toBe('Origin');
    const allowedHeaders = response.headers.get('access-control-allow-headers')!.toLowerCase().split(/,\s*/);
    expect(allowedHeaders).toEqual(expect.arrayContaining(['authorization', 'range', 'content-type']));
    expect(response.headers.get('access-control-allow-methods')!.split(/,\s*/)).toEqual(['GET', 'HEAD', 'OPTIONS']);
    expect(Number(response.headers.get('access-control-max-age'))).toBeGreaterThan(0);
  });

  it('reflects the Origin and exposes the recorded headers, not X-Linked-*', async () => {
    const response = await fetch(resolveUrl(DEMO_REPOS.public, LFS_FILE), { redirect: 'manual', headers: { Origin: APP_ORIGIN } });
    expect(response.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(response.headers.get('access-control-expose-headers')).toBe(HUB_EXPOSED_HEADERS);
    expect(HUB_EXPOSED_HEADERS.toLowerCase()).not.toContain('x-linked');
    expect(response.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    const error = await fetch(`${hubUrl()}/api/models/nobody/none`, { headers: { Origin: APP_ORIGIN } });
    expect(error.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
  });

  it('lets any origin, including Origin: null, read and preflight ranges on the CDN', async () => {
    const redirect = await fetch(resolveUrl(DEMO_REPOS.public, LFS_FILE), { redirect: 'manual' });
    const cdnUrl = redirect.headers.get('location')!;
    const preflight = await fetch(cdnUrl, {
      method: 'OPTIONS',
      headers: { Origin: 'null', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'range' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-headers')!.toLowerCase()).toContain('range');

    const response = await fetch(cdnUrl, { headers: { Origin: 'null', Range: 'bytes=0-0' } });
    expect(response.status).toBe(206);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-expose-headers')).toBe(CDN_EXPOSED_HEADERS);
    expect(response.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(hub.requests.at(-1)).toMatchObject({ served: 'cdn', origin: 'null', range: 'bytes=0-0', status: 206 });
  });
});

describe('fault injection', () => {
  const lfsContent = bytesOf(LFS_FILE);

  it('drops the connection after N bytes, but is not used up by a 1-byte probe', async () => {
    hub.addFault({ file: LFS_FILE, origin: 'cdn', fault: { kind: 'drop', afterBytes: 1000 } });
    const probe = await fetch(resolveUrl(DEMO_REPOS.public, LFS_FILE), { headers: { Range: 'bytes=0-0' } });
    expect(probe.status).toBe(206);
    expect((await probe.arrayBuffer()).byteLength).toBe(1);

    const dropped = await fetch(resolveUrl(DEMO_REPOS.public, LFS_FILE));
    expect(dropped.status).toBe(200);
    const { received, error } = await readUntilError(dropped);
    expect(error).toBeTruthy();
    expect(received).toBe(1000);
    expect(hub.requests.at(-1)?.faults).toEqual(['drop']);

    const again = await fetch(resolveUrl(DEMO_REPOS.public, LFS_FILE));
    expect((await again.arrayBuffer()).byteLength).toBe(lfsContent.length);
  });

  it('answers 500 n times, then the real answer', async () => {
    hub.addFault({ path: `/${DEMO_REPOS.public}/resolve/*/${SMALL_FILE}`, count: 2, fault: { kind: 'status', status: 500 } });
    await expectHubError(await fetch(resolveUrl(DEMO_REPOS.public, SMALL_FILE)), 500, null);
    await expectHubError(await fetch(resolveUrl(DEMO_REPOS.public, SMALL_FILE)), 500, null);
    expect((await fetch(resolveUrl(DEMO_REPOS.public, SMALL_FILE))).status).toBe(200);
  });

  it('corrupts exactly the byte at file offset K, in full and ranged answers', async () => {
    const offset = 12_345;
    hub.addFault({ file: LFS_FILE, count: 2, fault: { kind: 'corrupt', offset } });
    const full = new Uint8Array(await (await fetch(resolveUrl(DEMO_REPOS.public, LFS_FILE))).arrayBuffer());
    const differing = [...full.keys()].filter((i) => full[i] !== lfsContent[i]);
    expect(differing).toEqual([offset]);

    const ranged = await fetch(resolveUrl(DEMO_REPOS.public, LFS_FILE), { headers: { Range: `bytes=${offset - 10}-${offset + 10}` } });
    const part = new Uint8Array(await ranged.arrayBuffer());
    expect([...part.keys()].filter((i) => part[i] !== lfsContent[offset - 10 + i])).toEqual([10]);
  });

  it('delays the headers by N ms', async () => {
    hub.addFault({ path: '/api/whoami-v2', fault: { kind: 'delay', ms: 250 } });
    const started = performance.now();
    const response = await fetch(`${hubUrl()}/api/whoami-v2`, { headers: bearer(DEMO_TOKENS.aliceRead) });
    expect(performance.now() - started).toBeGreaterThanOrEqual(240);
    expect(response.status).toBe(200);
  });

  it('serves an HTML page with 200 instead of the file', async () => {
    hub.addFault({ repo: DEMO_REPOS.public, file: SMALL_FILE, fault: { kind: 'html' } });
    const response = await fetch(resolveUrl(DEMO_REPOS.public, SMALL_FILE));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toMatch(/^<!DOCTYPE html>/);
  });

  it('declares a longer Content-Length than it sends', async () => {
    hub.addFault({ file: SMALL_FILE, fault: { kind: 'wrongLength', extraBytes: 50 } });
    const response = await fetch(resolveUrl(DEMO_REPOS.public, SMALL_FILE));
    expect(response.headers.get('content-length')).toBe(String(bytesOf(SMALL_FILE).length + 50));
    const { received, error } = await readUntilError(response);
    expect(error).toBeTruthy();
    expect(received).toBe(bytesOf(SMALL_FILE).length);
  });

  it('throttles a body, and stops sending when the client aborts', async () => {
    const path = 'vae_decoder/model.onnx';
    const size = bytesOf(path).length;
    hub.addFault({ file: path, origin: 'cdn', fault: { kind: 'throttle', bytesPerSecond: size * 2.5 } });
    const started = performance.now();
    const body = await (await fetch(resolveUrl(DEMO_REPOS.public, path))).arrayBuffer();
    expect(body.byteLength).toBe(size);
    expect(performance.now() - started).toBeGreaterThanOrEqual(300);

    hub.addFault({ file: path, origin: 'cdn', fault: { kind: 'throttle', bytesPerSecond: 1000 } });
    const controller = new AbortController();
    const slow = await fetch(resolveUrl(DEMO_REPOS.public, path), { signal: controller.signal });
    const reader = slow.body!.getReader();
    const first = await reader.read();
    expect(first.value!.length).toBeLessThan(size);
    controller.abort();
    await expect(reader.read()).rejects.toThrow();
  });

  it('matches by origin and leaves preflights alone unless asked', async () => {
    hub.addFault({ origin: 'cdn', count: 'always', fault: { kind: 'status', status: 503 } });
    expect((await fetch(resolveUrl(DEMO_REPOS.public, SMALL_FILE))).status).toBe(200);
    const preflight = await fetch(resolveUrl(DEMO_REPOS.public, LFS_FILE), {
      method: 'OPTIONS',
      headers: { Origin: APP_ORIGIN, 'Access-Control-Request-Method': 'GET' },
    });
    expect(preflight.status).toBe(204);
    expect((await fetch(resolveUrl(DEMO_REPOS.public, LFS_FILE))).status).toBe(503);
    expect((await fetch(resolveUrl(DEMO_REPOS.public, LFS_FILE))).status).toBe(503);
    expect(hub.listFaults()[0]).toMatchObject({ remaining: 'always', applied: 2 });
  });
});

describe('request log', () => {
  it('records Authorization only where it was sent, with Range, Origin and status', async () => {
    hub.clearRequests();
    await fetch(`${hubUrl()}/api/models/${DEMO_REPOS.public}`);
    await fetch(`${hubUrl()}/api/whoami-v2`, { headers: { ...bearer(DEMO_TOKENS.aliceRead), Origin: APP_ORIGIN } });
    await fetch(resolveUrl(DEMO_REPOS.public, SMALL_FILE), { headers: { Range: 'bytes=0-3' } });
    await fetch(`${hubUrl()}/__control/info`);
    expect(hub.requests).toEqual([
      expect.objectContaining({ method: 'GET', served: 'hub', url: `/api/models/${DEMO_REPOS.public}`, authorization: false, token: null, status: 200 }),
      expect.objectContaining({ url: '/api/whoami-v2', authorization: true, token: DEMO_TOKENS.aliceRead, origin: APP_ORIGIN, status: 200 }),
      expect.objectContaining({ range: 'bytes=0-3', authorization: false, status: 206 }),
    ]);
  });
});

describe('control API over HTTP', () => {
  it('drives faults, revocation, acceptance, the log and reset from another process', async () => {
    const control = new FakeHubControl(hubUrl());
    const info = await control.info();
    expect(info.cdnUrl).toBe(hub.cdnUrl);
    expect(info.users.map((user) => user.name)).toEqual(['alice', 'bob']);

    const rule = await control.addFault({ path: '/api/whoami-v2', fault: { kind: 'status', status: 502 } });
    expect(await control.listFaults()).toEqual([expect.objectContaining({ id: rule.id, remaining: 1 })]);
    expect((await fetch(`${hubUrl()}/api/whoami-v2`, { headers: bearer(DEMO_TOKENS.bobWrite) })).status).toBe(502);
    await control.addFault({ path: '/api/whoami-v2', fault: { kind: 'status', status: 502 } });
    await control.clearFaults();

    await control.revokeToken(DEMO_TOKENS.bobWrite);
    expect((await fetch(`${hubUrl()}/api/whoami-v2`, { headers: bearer(DEMO_TOKENS.bobWrite) })).status).toBe(401);
    await control.acceptTerms('alice', DEMO_REPOS.gatedManual);
    const gated = await fetch(resolveUrl(DEMO_REPOS.gatedManual, SMALL_FILE), { headers: bearer(DEMO_TOKENS.aliceRead) });
    expect(gated.status).toBe(200);

    const logged = await control.requests();
    expect(logged.map((request) => request.status)).toEqual([502, 401, 200]);
    expect(logged.every((request) => !request.url.startsWith('/__control'))).toBe(true);

    await control.setRateLimited('/api/models/', 1);
    expect((await fetch(`${hubUrl()}/api/models/${DEMO_REPOS.public}`)).status).toBe(429);

    await control.reset();
    expect(await control.requests()).toEqual([]);
    expect((await fetch(`${hubUrl()}/api/whoami-v2`, { headers: bearer(DEMO_TOKENS.bobWrite) })).status).toBe(200);
    const regated = await fetch(resolveUrl(DEMO_REPOS.gatedManual, SMALL_FILE), { headers: bearer(DEMO_TOKENS.aliceRead) });
    expect(regated.status).toBe(403);

    await expect(control.addFault({ fault: { kind: 'drop', afterBytes: -1 } })).rejects.toBeInstanceOf(FakeHubControlError);
  });
});

describe('fixtures', () => {
  it('demo tokens are obviously fake and shaped like real ones', () => {
    for (const token of Object.values(DEMO_TOKENS)) expect(token).toMatch(/^hf_[A-Za-z]{34}$/);
  });

  it('serves every file under a repo folder on disk, LFS above the threshold or when flagged', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fake-hub-repo-'));
    try {
      await mkdir(join(dir, 'unet'), { recursive: true });
      await writeFile(join(dir, 'model_index.json'), '{}');
      await writeFile(join(dir, 'unet', 'model.onnx'), Buffer.alloc(3000, 7));
      await writeFile(join(dir, 'unet', 'weights.pb'), 'tiny');
      const local = await startFakeHub({
        fixture: {
          users: [],
          lfsThresholdBytes: 2000,
          repos: [{ id: 'disk/repo', dir, lfsPaths: ['**/*.pb'], files: { 'extra.txt': 'from memory' } }],
        },
      });
      try {
        const entries = (await (await fetch(`${local.hubUrl}/api/models/disk/repo/tree/main?recursive=1`)).json()) as {
          path: string;
          lfs?: { size: number };
        }[];
        const lfsByPath = Object.fromEntries(entries.map((entry) => [entry.path, entry.lfs?.size ?? null]));
        expect(lfsByPath).toEqual({
          'extra.txt': null,
          'model_index.json': null,
          unet: null,
          'unet/model.onnx': 3000,
          'unet/weights.pb': 4,
        });
        const pb = await fetch(`${local.hubUrl}/disk/repo/resolve/main/unet/weights.pb`);
        expect(pb.url.startsWith(local.cdnUrl)).toBe(true);
        expect(await pb.text()).toBe('tiny');
      } finally {
        await local.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

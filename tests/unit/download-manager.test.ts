import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { DownloadManager, type FileDownloadJob } from '../../src/downloads/download-manager.ts';
import { NotAFileError, QuotaError, VerificationError } from '../../src/downloads/errors.ts';
import type { DownloadProgress } from '../../src/downloads/progress.ts';
import type { HubFileRequest } from '../../src/hub/downloads.ts';
import { respondWithStoredFile, storedFilePath, type StoredFileId } from '../../src/models/stored-files.ts';

/**
 * The download manager against an in-memory Cache Storage and a scripted file server: the same
 * code paths the browser runs (Range resume, verification, refusal of non-file answers, quota),
 * without a browser. The end-to-end versions of these cases are in tests/e2e/models.spec.ts.
 */

const ORIGIN = 'http://localhost:4174';

/** Cache Storage, in memory, keeping bodies as bytes so every match returns a fresh Response. */
class MemoryCache implements Partial<Cache> {
  readonly entries = new Map<string, { headers: [string, string][]; body: Uint8Array }>();
  failPutWith: Error | null = null;
  async match(request: RequestInfo | URL): Promise<Response | undefined> {
    const entry = this.entries.get(urlOf(request));
    return entry ? new Response(entry.body.slice(), { headers: entry.headers }) : undefined;
  }
  async put(request: RequestInfo | URL, response: Response): Promise<void> {
    if (this.failPutWith) throw this.failPutWith;
    const body = new Uint8Array(await response.arrayBuffer());
    this.entries.set(urlOf(request), { headers: [...response.headers], body });
  }
  async keys(): Promise<readonly Request[]> {
    return [...this.entries.keys()].map((url) => new Request(url));
  }
  async delete(request: RequestInfo | URL): Promise<boolean> {
    return this.entries.delete(urlOf(request));
  }
}

class MemoryCacheStorage implements Partial<CacheStorage> {
  readonly caches = new Map<string, MemoryCache>();
  async open(name: string): Promise<Cache> {
    if (!this.caches.has(name)) this.caches.set(name, new MemoryCache());
    return this.caches.get(name)! as unknown as Cache;
  }
}

function urlOf(request: RequestInfo | URL): string {
  return typeof request === 'string' ? request : request instanceof URL ? request.href : request.url;
}

type Fault =
  | { kind: 'drop'; afterBytes: number }
  | { kind: 'corrupt'; offset: number }
  | { kind: 'html' }
  | { kind: 'status'; status: number }
  | { kind: 'ignoreRange' }
  | { kind: 'wrongRange' };

/** Serves files by path like the hub's resolve endpoint, with one-shot faults. */
class ScriptedServer {
  readonly files = new Map<string, Uint8Array>();
  readonly requests: { path: string; start: number }[] = [];
  readonly faults: { path: string; fault: Fault }[] = [];
  /** Resolves when this many bytes of a body were sent; lets a test act mid-download. */
  onBytes: { at: number; run: () => void } | null = null;

  fetchFile = async ({ path, start, signal }: HubFileRequest): Promise<Response> => {
    signal?.throwIfAborted();
    this.requests.push({ path, start });
    const content = this.files.get(path);
    if (!content) return new Response('{"error":"Entry not found"}', { status: 404, headers: { 'X-Error-Code': 'EntryNotFound' } });
    const faultAt = this.faults.findIndex((f) => f.path === path);
    const fault = faultAt >= 0 ? this.faults.splice(faultAt, 1)[0]!.fault : null;
    if (fault?.kind === 'html') return new Response('<html>Sign in to the Wi-Fi</html>', { status: 200, headers: { 'Content-Type': 'text/html' } });
    if (fault?.kind === 'status') return new Response('{"error":"busy"}', { status: fault.status });
    const from = fault?.kind === 'ignoreRange' ? 0 : start;
    let body = content.slice(from);
    if (fault?.kind === 'corrupt') {
      body = body.slice();
      body[fault.offset - from]! ^= 0xff;
    }
    const sendBytes = fault?.kind === 'drop' ? fault.afterBytes : body.length;
    const stream = this.stream(body, sendBytes, fault?.kind === 'drop', signal);
    const headers: Record<string, string> = { 'Content-Type': 'application/octet-stream', 'Content-Length': String(body.length) };
    if (from > 0 || fault?.kind === 'wrongRange') {
      const first = fault?.kind === 'wrongRange' ? from + 1 : from;
      headers['Content-Range'] = `bytes ${first}-${content.length - 1}/${content.length}`;
      return new Response(stream, { status: 206, headers });
    }
    return new Response(stream, { status: 200, headers });
  };

  private stream(body: Uint8Array, sendBytes: number, drop: boolean, signal?: AbortSignal): ReadableStream<Uint8Array> {
    let sent = 0;
    const chunk = 700;
    return new ReadableStream<Uint8Array>({
      pull: (controller) => {
        if (signal?.aborted) return controller.error(signal.reason);
        if (sent >= sendBytes) {
          if (drop) controller.error(new TypeError('network error: connection reset'));
          else controller.close();
          return;
        }
        const piece = body.slice(sent, Math.min(sendBytes, sent + chunk));
        sent += piece.length;
        controller.enqueue(piece);
        if (this.onBytes && sent >= this.onBytes.at) {
          const { run } = this.onBytes;
          this.onBytes = null;
          run();
        }
      },
    });
  }
}

function bytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let state = seed * 2654435761 || 1;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[i] = state & 0xff;
  }
  return out;
}

const COMMIT = '1'.repeat(40);
const idOf = (path: string): StoredFileId => ({ hubOrigin: 'http://127.0.0.1:8790', repo: 'local-sd/oracle-shapes', commit: COMMIT, path });

function lfsJob(path: string, content: Uint8Array): FileDownloadJob {
  return { id: idOf(path), size: content.length, digest: { algorithm: 'sha256', hex: createHash('sha256').update(content).digest('hex') } };
}

function gitJob(path: string, content: Uint8Array): FileDownloadJob {
  const oid = createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
  return { id: idOf(path), size: content.length, digest: { algorithm: 'git-sha1', hex: oid } };
}

describe('DownloadManager', () => {
  let cacheStorage: MemoryCacheStorage;
  let server: ScriptedServer;
  const unet = bytes(5_000, 7);
  const config = new TextEncoder().encode('{"beta_start": 0.00085}\n');
  let jobs: FileDownloadJob[];

  const manager = (options: Partial<ConstructorParameters<typeof DownloadManager>[0]> = {}) =>
    new DownloadManager({
      fetchFile: server.fetchFile,
      origin: ORIGIN,
      caches: cacheStorage as unknown as CacheStorage,
      shardBytes: 2_048,
      locks: null,
      storage: { estimate: async () => ({ usage: 0, quota: 10_000_000 }) },
      retryDelayMs: () => 0,
      progressIntervalMs: 0,
      ...options,
    });

  const cache = () => cacheStorage.caches.get('local-sd-models-v1')!;
  const storedKeys = () => [...(cacheStorage.caches.get('local-sd-models-v1')?.entries.keys() ?? [])];
  async function readBack(job: FileDownloadJob, range: string | null = null): Promise<Uint8Array> {
    const response = await respondWithStoredFile(cache() as unknown as Cache, job.id, range, ORIGIN);
    expect(response).not.toBeNull();
    return new Uint8Array(await response!.arrayBuffer());
  }

  beforeEach(() => {
    cacheStorage = new MemoryCacheStorage();
    server = new ScriptedServer();
    server.files.set('unet/model.onnx', unet);
    server.files.set('scheduler/scheduler_config.json', config);
    jobs = [lfsJob('unet/model.onnx', unet), gitJob('scheduler/scheduler_config.json', config)];
  });

  it('streams files into shards, verifies them and serves them back whole or by range', async () => {
    const reports: DownloadProgress[] = [];
    await manager().download(jobs, { onProgress: (p) => reports.push(p) });
    expect(await readBack(jobs[0]!)).toEqual(unet);
    expect(await readBack(jobs[1]!)).toEqual(config);
    // 5000 bytes in 2048-byte shards, plus the manifest.
    expect(storedKeys().filter((k) => k.includes('unet') && k.includes('?shard='))).toHaveLength(3);
    expect(await readBack(jobs[0]!, 'bytes=1500-2500')).toEqual(unet.slice(1500, 2501));
    const statuses = await manager().status(jobs);
    expect(statuses.every((s) => s.complete)).toBe(true);

    const percents = reports.map((r) => r.percent);
    expect(percents.every((p, i) => i === 0 || p >= percents[i - 1]!)).toBe(true);
    expect(percents.at(-1)).toBe(100);
    expect(new Set(reports.map((r) => r.bytesTotal))).toEqual(new Set([unet.length + config.length]));
  });

  it('does not download what is already stored', async () => {
    await manager().download(jobs);
    server.requests.length = 0;
    await manager().download(jobs);
    expect(server.requests).toEqual([]);
  });

  it('after a dropped connection resumes with Range from the last stored byte', async () => {
    server.faults.push({ path: 'unet/model.onnx', fault: { kind: 'drop', afterBytes: 3_100 } });
    await manager().download(jobs);
    expect(server.requests.filter((r) => r.path === 'unet/model.onnx').map((r) => r.start)).toEqual([0, 3_100]);
    expect(await readBack(jobs[0]!)).toEqual(unet);
  });

  it('resumes in a new manager (a reload) from what the cancelled one stored, re-hashing the stored prefix', async () => {
    const controller = new AbortController();
    server.onBytes = { at: 2_800, run: () => controller.abort(new DOMException('cancelled', 'AbortError')) };
    await expect(manager().download(jobs, { signal: controller.signal })).rejects.toThrow(/cancelled/);
    const [partial] = await manager().status(jobs);
    expect(partial!.complete).toBe(false);
    expect(partial!.stored).toBeGreaterThanOrEqual(2_048);

    server.requests.length = 0;
    await manager().download(jobs);
    expect(server.requests[0]).toEqual({ path: 'unet/model.onnx', start: partial!.stored });
    expect(await readBack(jobs[0]!)).toEqual(unet);
  });

  it('on a slow connection also stores shorter shards every commit interval, so a reload loses little', async () => {
    let clock = 0;
    const slow = manager({ shardBytes: 1 << 20, commitIntervalMs: 1_000, minTimedShardBytes: 1_000, now: () => (clock += 300) });
    await slow.download(jobs);
    const shards = storedKeys().filter((k) => k.includes('unet') && k.includes('?shard='));
    expect(shards.length).toBeGreaterThan(1);
    expect(await readBack(jobs[0]!)).toEqual(unet);
  });

  it('discards a file whose bytes do not verify and fetches it again', async () => {
    server.faults.push({ path: 'unet/model.onnx', fault: { kind: 'corrupt', offset: 4_000 } });
    await manager().download(jobs);
    expect(server.requests.filter((r) => r.path === 'unet/model.onnx').map((r) => r.start)).toEqual([0, 0]);
    expect(await readBack(jobs[0]!)).toEqual(unet);
  });

  it('gives up after a second failed verification and keeps nothing of the file', async () => {
    server.faults.push({ path: 'unet/model.onnx', fault: { kind: 'corrupt', offset: 10 } });
    server.faults.push({ path: 'unet/model.onnx', fault: { kind: 'corrupt', offset: 4_999 } });
    await expect(manager().download(jobs)).rejects.toBeInstanceOf(VerificationError);
    expect(storedKeys().filter((k) => k.includes('unet'))).toEqual([]);
  });

  it('never stores an HTML page answered in place of the file', async () => {
    server.faults.push({ path: 'unet/model.onnx', fault: { kind: 'html' } });
    await expect(manager().download(jobs)).rejects.toBeInstanceOf(NotAFileError);
    expect(storedKeys()).toEqual([]);
  });

  it('never stores a wrong byte range', async () => {
    server.faults.push({ path: 'unet/model.onnx', fault: { kind: 'drop', afterBytes: 2_500 } });
    server.faults.push({ path: 'unet/model.onnx', fault: { kind: 'wrongRange' } });
    await expect(manager().download(jobs)).rejects.toBeInstanceOf(NotAFileError);
    // Only the verified-so-far prefix from the first answer is kept, for a later resume.
    const [status] = await manager().status(jobs);
    expect(status!.stored).toBe(2_500);
  });

  it('starts over when the server ignores Range', async () => {
    server.faults.push({ path: 'unet/model.onnx', fault: { kind: 'drop', afterBytes: 2_500 } });
    server.faults.push({ path: 'unet/model.onnx', fault: { kind: 'ignoreRange' } });
    await manager().download(jobs);
    expect(await readBack(jobs[0]!)).toEqual(unet);
  });

  it('retries server errors', async () => {
    server.faults.push({ path: 'unet/model.onnx', fault: { kind: 'status', status: 500 } });
    server.faults.push({ path: 'unet/model.onnx', fault: { kind: 'status', status: 503 } });
    await manager().download(jobs);
    expect(server.requests.filter((r) => r.path === 'unet/model.onnx')).toHaveLength(3);
  });

  it('refuses a download that cannot fit before the first byte, with the numbers', async () => {
    const small = manager({ storage: { estimate: async () => ({ usage: 1_000, quota: 4_000 }) } });
    const error = await small.download(jobs).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QuotaError);
    expect((error as QuotaError).neededBytes).toBe(unet.length + config.length);
    expect((error as QuotaError).availableBytes).toBe(3_000);
    expect((error as QuotaError).message).toMatch(/needs 5\.02 kB but only 3\.00 kB is available/);
    expect(server.requests).toEqual([]);
    expect(storedKeys()).toEqual([]);
  });

  it('turns a quota failure while storing into QuotaError and leaves nothing of the file', async () => {
    const m = manager();
    await cacheStorage.open('local-sd-models-v1');
    server.onBytes = { at: 2_100, run: () => (cache().failPutWith = new DOMException('full', 'QuotaExceededError')) };
    await expect(m.download(jobs)).rejects.toBeInstanceOf(QuotaError);
    cache().failPutWith = null;
    expect(storedKeys()).toEqual([]);
  });

  it('lets only one download of a file run at a time (Web Locks); the second finds it stored', async () => {
    const held = new Map<string, Promise<unknown>>();
    const locks = {
      request: (name: string, _options: unknown, run: () => Promise<unknown>) => {
        const previous = held.get(name) ?? Promise.resolve();
        const next = previous.then(run, run);
        held.set(name, next.catch(() => undefined));
        return next;
      },
    } as unknown as LockManager;
    await Promise.all([manager({ locks }).download(jobs), manager({ locks }).download(jobs)]);
    expect(server.requests.filter((r) => r.path === 'unet/model.onnx')).toHaveLength(1);
    expect(await readBack(jobs[0]!)).toEqual(unet);
  });

  it('deletes every shard and the manifest of a file', async () => {
    await manager().download(jobs);
    await manager().delete([jobs[0]!.id]);
    expect(storedKeys().some((k) => k.startsWith(ORIGIN + storedFilePath(jobs[0]!.id)))).toBe(false);
    expect(storedKeys().some((k) => k.includes('scheduler_config.json'))).toBe(true);
  });
});

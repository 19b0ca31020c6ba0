import type { IHasher } from 'hash-wasm';
import { classifyFetchResponse } from '../hub/errors.ts';
import type { HubFileFetcher } from '../hub/downloads.ts';
import {
  MODEL_CACHE_NAME,
  contentTypeFor,
  contiguousShards,
  listShards,
  manifestPath,
  readManifest,
  resumeOffset,
  shardPath,
  storedFilePath,
  type FileDigest,
  type ShardRange,
  type StoredFileId,
  type StoredFileManifest,
} from '../models/stored-files.ts';
import { ByteStreamReader } from './byte-stream-reader.ts';
import { DownloadNetworkError, NotAFileError, QuotaError, TransientDownloadError, VerificationError } from './errors.ts';
import { ProgressTracker, type DownloadProgress } from './progress.ts';
import { ShardWriter } from './shard-writer.ts';

/**
 * Downloads model files into Cache Storage: streamed (never buffered whole), stored as shards keyed
 * by hub origin + repo + commit + path, resumed with `Range` from the last stored byte, verified
 * with a streaming hash against the repo tree's `lfs.oid` (or git blob id), one tab per file at a
 * time (Web Locks), and refused up front when it cannot fit.
 *
 * The body is read into one reused buffer (no garbage per chunk), each piece is hashed and copied
 * into the shard being built, and full shards are stored while the next ones arrive (a few puts in
 * flight), so reading, hashing and the disk overlap and the page's memory stays flat.
 */

export interface FileDownloadJob {
  id: StoredFileId;
  size: number;
  digest: FileDigest;
}

export interface FileStatus {
  job: FileDownloadJob;
  /** Bytes stored in contiguous shards from offset 0. */
  stored: number;
  complete: boolean;
}

export interface DownloadOptions {
  signal?: AbortSignal;
  onProgress?: (progress: DownloadProgress) => void;
}

type StorageEstimator = { estimate(): Promise<StorageEstimate>; persist?(): Promise<boolean> };

export interface DownloadManagerOptions {
  fetchFile: HubFileFetcher;
  /** The page's origin: cache keys are absolute URLs on it. */
  origin: string;
  cacheName?: string;
  caches?: CacheStorage;
  /** Bytes per shard; a dropped connection also stores what arrived as a shorter shard. */
  shardBytes?: number;
  /**
   * Also store a (shorter) shard after this long, once `minTimedShardBytes` arrived, so that a reload
   * or a crash on a slow connection loses seconds of transfer rather than a whole shard. Default 2 s.
   */
  commitIntervalMs?: number;
  minTimedShardBytes?: number;
  locks?: LockManager | null;
  storage?: StorageEstimator | null;
  /** Consecutive failed attempts without progress before giving up (default 5). */
  maxAttempts?: number;
  /** Wait before retry `n` (1-based); default 0.25 s doubling to 8 s. */
  retryDelayMs?: (attempt: number) => number;
  /** Ask `persist()` before downloading more than this (default 100 MB). */
  persistAboveBytes?: number;
  /** How often progress is reported at most (default 100 ms). */
  progressIntervalMs?: number;
  now?: () => number;
}

export const DEFAULT_SHARD_BYTES = 8 * 1024 * 1024;
const LOCK_PREFIX = 'local-sd-download:';
/** The buffer bodies are read into: Chromium hands out fetch bodies in pieces of up to 2 MB. */
const READ_BUFFER_BYTES = 1 << 20;
/**
 * Pieces are gathered in a buffer this big, then copied into a Blob: a shard is a few such Blobs
 * (one Blob per piece costs Chromium ~2 ms each; a buffer of the whole shard costs 8 MB).
 */
const STAGING_BYTES = 2 << 20;
/** Shards being put while the next one fills: the disk keeps up without holding many shards. */
const MAX_PUTS_IN_FLIGHT = 1;

/** The memory one file transfer works in, handed from transfer to transfer while downloads run. */
interface TransferBuffers {
  /** Bodies are read into it (detached when a failed read kept it: replaced on the next take). */
  read: ArrayBuffer;
  /** Where a shard is gathered before it becomes one Blob. */
  staging: Uint8Array;
}

/**
 * Per file while it downloads: where the stored bytes end and the hash of the bytes up to
 * `hashedTo`, which is `offset` except while stored bytes are in flight (or after a failed put).
 */
interface ResumeState {
  offset: number;
  shards: ShardRange[];
  hasher: IHasher;
  hashedTo: number;
}

export class DownloadManager {
  private readonly fetchFile: HubFileFetcher;
  private readonly origin: string;
  private readonly cacheName: string;
  private readonly cacheStorage: CacheStorage;
  private readonly shardBytes: number;
  private readonly commitIntervalMs: number;
  private readonly minTimedShardBytes: number;
  private readonly locks: LockManager | null;
  private readonly storage: StorageEstimator | null;
  private readonly maxAttempts: number;
  private readonly retryDelayMs: (attempt: number) => number;
  private readonly persistAboveBytes: number;
  private readonly progressIntervalMs: number;
  private readonly now: () => number;
  /** Buffers of finished transfers, reused by the next ones while downloads run. */
  private readonly spareBuffers: TransferBuffers[] = [];
  private downloadsRunning = 0;

  constructor(options: DownloadManagerOptions) {
    this.fetchFile = options.fetchFile;
    this.origin = options.origin;
    this.cacheName = options.cacheName ?? MODEL_CACHE_NAME;
    this.cacheStorage = options.caches ?? caches;
    this.shardBytes = options.shardBytes ?? DEFAULT_SHARD_BYTES;
    this.commitIntervalMs = options.commitIntervalMs ?? 2_000;
    this.minTimedShardBytes = options.minTimedShardBytes ?? 256 * 1024;
    this.locks = options.locks === undefined ? (globalThis.navigator?.locks ?? null) : options.locks;
    this.storage = options.storage === undefined ? (globalThis.navigator?.storage ?? null) : options.storage;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.retryDelayMs = options.retryDelayMs ?? ((attempt) => Math.min(8_000, 250 * 2 ** (attempt - 1)));
    this.persistAboveBytes = options.persistAboveBytes ?? 100_000_000;
    this.progressIntervalMs = options.progressIntervalMs ?? 100;
    this.now = options.now ?? (() => performance.now());
  }

  /** What is stored of each file, without touching the network. */
  async status(jobs: readonly FileDownloadJob[]): Promise<FileStatus[]> {
    const cache = await this.cacheStorage.open(this.cacheName);
    const keys = await cache.keys();
    const keyUrls = new Set(keys.map((request) => request.url));
    return Promise.all(
      jobs.map(async (job) => {
        const manifest = await readManifest(cache, job.id, this.origin);
        // A shard deleted by hand (or evicted) makes the file incomplete even though its manifest remains.
        const shardsPresent = manifest?.shards.every((shard) => keyUrls.has(new URL(shardPath(job.id, shard.start), this.origin).href));
        if (manifest && manifestMatches(manifest, job) && shardsPresent) return { job, stored: job.size, complete: true };
        // Drop the stale manifest, so that a download fetches the missing bytes instead of trusting it.
        if (manifest && !shardsPresent) await cache.delete(new URL(manifestPath(job.id), this.origin).href);
        const prefix = new URL(storedFilePath(job.id), this.origin).href;
        const shards: ShardRange[] = [];
        for (const request of keys) {
          if (!request.url.startsWith(`${prefix}?shard=`)) continue;
          const response = await cache.match(request);
          const length = Number(response?.headers.get('Content-Length') ?? NaN);
          const start = Number(request.url.slice(prefix.length + '?shard='.length));
          if (Number.isFinite(length) && Number.isFinite(start)) shards.push({ start, length });
        }
        return { job, stored: Math.min(job.size, resumeOffset(shards)), complete: false };
      }),
    );
  }

  /**
   * Downloads every incomplete file of `jobs`. Throws `QuotaError` before the first byte when the
   * remaining bytes do not fit; an abort leaves what arrived stored, for the next call to resume.
   */
  async download(jobs: readonly FileDownloadJob[], options: DownloadOptions = {}): Promise<void> {
    this.downloadsRunning++;
    try {
      await this.downloadAll(jobs, options);
    } finally {
      // Hold no buffers between downloads.
      if (--this.downloadsRunning === 0) this.spareBuffers.length = 0;
    }
  }

  private async downloadAll(jobs: readonly FileDownloadJob[], options: DownloadOptions): Promise<void> {
    const { signal } = options;
    signal?.throwIfAborted();
    const statuses = await this.status(jobs);
    const tracker = new ProgressTracker(
      statuses.map((s) => ({ key: keyOf(s.job.id), path: s.job.id.path, size: s.job.size, stored: s.stored, complete: s.complete })),
      this.now,
    );
    let lastReport = -Infinity;
    const report = (force = false) => {
      const at = this.now();
      if (!force && at - lastReport < this.progressIntervalMs) return;
      lastReport = at;
      options.onProgress?.(tracker.snapshot());
    };
    report(true);

    const remaining = statuses.filter((s) => !s.complete).reduce((sum, s) => sum + (s.job.size - s.stored), 0);
    await this.ensureRoom(remaining);

    for (const status of statuses) {
      if (status.complete) continue;
      signal?.throwIfAborted();
      await this.withFileLock(status.job, signal, () => this.downloadFile(status.job, tracker, report, signal));
      tracker.setState(keyOf(status.job.id), 'done');
      report(true);
    }
    report(true);
  }

  /** Removes every shard and the manifest of each file. */
  async delete(ids: readonly StoredFileId[]): Promise<void> {
    const cache = await this.cacheStorage.open(this.cacheName);
    const prefixes = new Set(ids.map((id) => new URL(storedFilePath(id), this.origin).href));
    for (const request of await cache.keys()) {
      const base = request.url.split('?')[0]!;
      if (prefixes.has(base)) await cache.delete(request);
    }
  }

  /** Refuses a download that cannot fit, with the numbers; asks for persistence before a big one. */
  private async ensureRoom(neededBytes: number): Promise<void> {
    if (neededBytes <= 0 || !this.storage) return;
    const { usage, quota } = await this.storage.estimate();
    if (typeof usage === 'number' && typeof quota === 'number') {
      const available = Math.max(0, quota - usage);
      if (neededBytes > available) throw new QuotaError(neededBytes, available);
    }
    if (neededBytes > this.persistAboveBytes && this.storage.persist) {
      // Best effort: browsers may say no (always, in headless Chromium); eviction is then possible.
      await this.storage.persist().catch(() => false);
    }
  }

  private async withFileLock<T>(job: FileDownloadJob, signal: AbortSignal | undefined, run: () => Promise<T>): Promise<T> {
    if (!this.locks) return run();
    return this.locks.request(`${LOCK_PREFIX}${keyOf(job.id)}`, { signal }, run) as Promise<T>;
  }

  private async downloadFile(
    job: FileDownloadJob,
    tracker: ProgressTracker,
    report: (force?: boolean) => void,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const cache = await this.cacheStorage.open(this.cacheName);
    const key = keyOf(job.id);
    // Another tab may have finished this file while we waited for the lock.
    const existing = await readManifest(cache, job.id, this.origin);
    if (existing && manifestMatches(existing, job)) return;

    for (let verification = 1; ; verification++) {
      const state = await this.resumeState(cache, job);
      tracker.setStored(key, state.offset);
      report(true);
      await this.transfer(cache, job, state, tracker, report, signal);
      tracker.setState(key, 'verifying');
      report(true);
      const actual = state.hasher.digest('hex');
      if (actual === job.digest.hex) {
        await this.writeManifest(cache, job, state.shards);
        return;
      }
      // Only the whole file has a known hash, so the damaged shard cannot be told apart: refetch all.
      await this.delete([job.id]);
      tracker.setStored(key, 0);
      if (verification >= 2) throw new VerificationError(job.id.path, job.digest.hex, actual);
    }
  }

  /** The contiguous stored prefix of the file, re-hashed from Cache Storage (e.g. after a reload). */
  private async resumeState(cache: Cache, job: FileDownloadJob): Promise<ResumeState> {
    const hasher = await createHasher(job);
    const found = await listShards(cache, job.id);
    const shards: ShardRange[] = [];
    const blobs = new Map<number, Blob>();
    for (const { start, url } of found) {
      const blob = await (await cache.match(url))?.blob();
      if (blob) {
        shards.push({ start, length: blob.size });
        blobs.set(start, blob);
      }
    }
    let offset = Math.min(resumeOffset(shards), job.size);
    let run = contiguousShards(shards, offset);
    if (!run) {
      offset = 0;
      run = [];
    }
    // Shards beyond a gap or overlapping the run cannot be used; drop them so the layout stays simple.
    const kept = new Set(run.map((shard) => shard.start));
    for (const { start, url } of found) if (!kept.has(start)) await cache.delete(url);
    const buffers = this.takeBuffers();
    try {
      for (const shard of run) {
        const reader = new ByteStreamReader(blobs.get(shard.start)!.stream(), buffers.read);
        for (let piece = await reader.read(); piece; piece = await reader.read()) hasher.update(piece);
        buffers.read = reader.buffer;
      }
    } finally {
      this.giveBack(buffers);
    }
    return { offset, shards: run, hasher, hashedTo: offset };
  }

  /** Requests until the file is complete, retrying transient failures from the stored offset. */
  private async transfer(
    cache: Cache,
    job: FileDownloadJob,
    state: ResumeState,
    tracker: ProgressTracker,
    report: (force?: boolean) => void,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    let failures = 0;
    while (state.offset < job.size) {
      signal?.throwIfAborted();
      const before = state.offset;
      try {
        await this.transferOnce(cache, job, state, tracker, report, signal);
      } catch (error) {
        if (signal?.aborted) throw signal.reason ?? error;
        if (!(error instanceof TransientDownloadError)) throw error;
        failures = state.offset > before ? 1 : failures + 1;
        if (failures >= this.maxAttempts) throw new DownloadNetworkError(job.id.path, { cause: error });
        // A put that failed left hashed bytes unstored: hash what is stored again before resuming.
        if (state.hashedTo !== state.offset) Object.assign(state, await this.resumeState(cache, job));
        await abortableDelay(this.retryDelayMs(failures), signal);
      }
    }
  }

  /** One HTTP request from `state.offset`; stores what arrives, even when the connection drops. */
  private async transferOnce(
    cache: Cache,
    job: FileDownloadJob,
    state: ResumeState,
    tracker: ProgressTracker,
    report: (force?: boolean) => void,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const { repo, commit, path } = job.id;
    let response: Response;
    try {
      response = await this.fetchFile({ repo, commit, path, start: state.offset, signal });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new TransientDownloadError(`fetch failed: ${String(error)}`, { cause: error });
    }
    this.checkResponse(response, job, state.offset);
    if (response.status === 200 && state.offset > 0) {
      // The server ignored Range and sent the whole file: start over rather than skip bytes.
      await this.delete([job.id]);
      state.offset = 0;
      state.shards = [];
      state.hasher = await createHasher(job);
      state.hashedTo = 0;
      tracker.setStored(keyOf(job.id), 0);
    }
    const key = keyOf(job.id);
    const buffers = this.takeBuffers();
    const reader = new ByteStreamReader(response.body!, buffers.read);
    const writer = new ShardWriter({
      put: (start, body, length) => this.putShard(cache, job, start, body, length),
      start: state.offset,
      shardBytes: this.shardBytes,
      onStored: (shard) => {
        state.shards.push(shard);
        state.offset = shard.start + shard.length;
      },
      maxInFlight: MAX_PUTS_IN_FLIGHT,
      staging: buffers.staging,
    });
    // A shorter shard is stored once `commitIntervalMs` passed without one (a slow connection).
    let lastStoredAt = this.now();
    let shardsStarted = 0;
    try {
      for (let piece = await reader.read(); piece; piece = await reader.read()) {
        if (writer.end + piece.byteLength > job.size) {
          writer.discard();
          throw new NotAFileError(path, `more bytes than the ${job.size} expected`);
        }
        state.hasher.update(piece);
        state.hashedTo += piece.byteLength;
        await writer.add(piece);
        tracker.advance(key, piece.byteLength);
        report();
        if (writer.buffered >= this.minTimedShardBytes && this.now() - lastStoredAt >= this.commitIntervalMs) await writer.store();
        if (writer.shardsStarted !== shardsStarted) {
          shardsStarted = writer.shardsStarted;
          lastStoredAt = this.now();
        }
      }
      await writer.close();
    } catch (error) {
      void reader.cancel();
      if (error instanceof NotAFileError) {
        writer.discard();
        await writer.close().catch(() => undefined);
        throw error;
      }
      // Keep what arrived (an abort, a dropped connection): the next request resumes after it.
      const storeFailure = await writer.close().then(
        () => null,
        (putError: unknown) => ({ putError }),
      );
      if (storeFailure && isQuotaExceeded(storeFailure.putError)) {
        // Nothing half-stored: drop this file's shards (no put runs any more) before reporting.
        await this.delete([job.id]).catch(() => undefined);
        throw new QuotaError(job.size, null, { cause: storeFailure.putError });
      }
      if (signal?.aborted) throw signal.reason ?? error;
      if (storeFailure) throw new TransientDownloadError(`storing failed after byte ${state.offset}`, { cause: storeFailure.putError });
      throw new TransientDownloadError(`connection lost after byte ${state.offset}`, { cause: error });
    } finally {
      buffers.read = reader.buffer;
      this.giveBack(buffers);
    }
    if (state.offset < job.size) throw new TransientDownloadError(`connection closed at byte ${state.offset} of ${job.size}`);
  }

  /** Rejects answers that are not the expected bytes, before anything of them is stored. */
  private checkResponse(response: Response, job: FileDownloadJob, offset: number): void {
    const { path, repo } = job.id;
    if (response.status === 429 || response.status >= 500) {
      response.body?.cancel().catch(() => undefined);
      throw new TransientDownloadError(`HTTP ${response.status}`);
    }
    if (response.status >= 400) throw classifyFetchResponse(response, { repo, authenticated: true });
    if (response.status !== 200 && response.status !== 206) throw new NotAFileError(path, `HTTP ${response.status}`);
    const contentType = response.headers.get('Content-Type') ?? '';
    if (/text\/html|application\/xhtml/i.test(contentType)) throw new NotAFileError(path, 'a web page');
    if (!response.body) throw new NotAFileError(path, 'an empty answer');
    const declared = response.headers.get('Content-Length');
    if (response.status === 206) {
      const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(response.headers.get('Content-Range') ?? '');
      if (!range || Number(range[1]) !== offset || Number(range[3]) !== job.size || Number(range[2]) !== job.size - 1) {
        throw new NotAFileError(path, `the wrong byte range (${response.headers.get('Content-Range') ?? 'none'})`);
      }
      if (declared !== null && Number(declared) !== job.size - offset) {
        response.body.cancel().catch(() => undefined);
        throw new TransientDownloadError(`Content-Length ${declared}, expected ${job.size - offset}`);
      }
    } else if (declared !== null && Number(declared) !== job.size) {
      response.body.cancel().catch(() => undefined);
      throw new TransientDownloadError(`Content-Length ${declared}, expected ${job.size}`);
    }
  }

  private takeBuffers(): TransferBuffers {
    const buffers = this.spareBuffers.pop() ?? { read: new ArrayBuffer(READ_BUFFER_BYTES), staging: new Uint8Array(Math.min(this.shardBytes, STAGING_BYTES)) };
    if (buffers.read.byteLength === 0) buffers.read = new ArrayBuffer(READ_BUFFER_BYTES);
    return buffers;
  }

  private giveBack(buffers: TransferBuffers): void {
    if (this.downloadsRunning > 0) this.spareBuffers.push(buffers);
  }

  private async putShard(cache: Cache, job: FileDownloadJob, start: number, body: Blob, length: number): Promise<void> {
    await cache.put(
      new URL(shardPath(job.id, start), this.origin).href,
      new Response(body, { headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(length) } }),
    );
  }

  private async writeManifest(cache: Cache, job: FileDownloadJob, shards: ShardRange[]): Promise<void> {
    const manifest: StoredFileManifest = {
      version: 1,
      id: job.id,
      size: job.size,
      digest: job.digest,
      shards: [...shards].sort((a, b) => a.start - b.start),
      contentType: contentTypeFor(job.id.path),
      storedAt: Date.now(),
    };
    try {
      await cache.put(
        new URL(manifestPath(job.id), this.origin).href,
        new Response(JSON.stringify(manifest), { headers: { 'Content-Type': 'application/json' } }),
      );
    } catch (error) {
      if (isQuotaExceeded(error)) {
        await this.delete([job.id]).catch(() => undefined);
        throw new QuotaError(job.size, null, { cause: error });
      }
      throw error;
    }
  }
}

export function keyOf(id: StoredFileId): string {
  return storedFilePath(id);
}

function manifestMatches(manifest: StoredFileManifest, job: FileDownloadJob): boolean {
  return manifest.size === job.size && manifest.digest.algorithm === job.digest.algorithm && manifest.digest.hex === job.digest.hex;
}

async function createHasher(job: FileDownloadJob): Promise<IHasher> {
  // Loaded on the first download, not with the app shell (its WASM is ~25 KB of the bundle).
  const { createSHA1, createSHA256 } = await import('hash-wasm');
  if (job.digest.algorithm === 'sha256') return (await createSHA256()).init();
  // A git blob id hashes a `blob <size>\0` header before the content.
  const hasher = (await createSHA1()).init();
  hasher.update(new TextEncoder().encode(`blob ${job.size}\0`));
  return hasher;
}

export function isQuotaExceeded(error: unknown): boolean {
  return (
    (error instanceof DOMException || error instanceof Error) &&
    (error.name === 'QuotaExceededError' || (error as { code?: unknown }).code === 22)
  );
}

function abortableDelay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * How downloaded model files are laid out in Cache Storage. Shared by the page (which writes them)
 * and the service worker (which serves them), so it uses only `caches`, `Request` and `Response`.
 *
 * One file = a manifest entry (written last, once the file verified) + shards keyed by their start
 * offset. Keys live under `/model-files/v1/` on the app's own origin, so the service worker can
 * serve a file at the same URL as the manifest path without the query.
 *
 *   /model-files/v1/<hub origin, URI-encoded>/<org>/<name>/<commit>/<path>              the file URL
 *   /model-files/v1/<hub origin, URI-encoded>/<org>/<name>/<commit>/<path>?manifest     its manifest
 *   /model-files/v1/<hub origin, URI-encoded>/<org>/<name>/<commit>/<path>?shard=<start> a shard
 */

/**
 * The cache holding downloaded models. Versioned: a layout change gets a new name and a migration;
 * the service worker never deletes it on update (Workbox's cleanup only touches its own precaches).
 */
export const MODEL_CACHE_NAME = 'local-sd-models-v1';
export const MODEL_FILES_PREFIX = '/model-files/v1/';

/** One file of one repo at one commit on one hub. */
export interface StoredFileId {
  hubOrigin: string;
  repo: string;
  commit: string;
  path: string;
}

export interface ShardRange {
  start: number;
  length: number;
}

export interface StoredFileManifest {
  version: 1;
  id: StoredFileId;
  size: number;
  /** What the file was verified against: the tree's `lfs.oid` (sha256) or the git blob sha1. */
  digest: FileDigest;
  shards: ShardRange[];
  contentType: string;
  storedAt: number;
}

export type FileDigest = { algorithm: 'sha256'; hex: string } | { algorithm: 'git-sha1'; hex: string };

export class StoredFileKeyError extends Error {
  readonly code = 'stored-file-key-invalid';
  override name = 'StoredFileKeyError';
}

const COMMIT = /^[0-9a-f]{40}$/;
const REPO = /^[\w.-]+\/[\w.-]+$/;

function checkId(id: StoredFileId): void {
  if (!COMMIT.test(id.commit)) throw new StoredFileKeyError(`commit must be 40 hex digits, got "${id.commit}"`);
  if (!REPO.test(id.repo)) throw new StoredFileKeyError(`repo must be org/name, got "${id.repo}"`);
  const parts = id.path.split('/');
  if (!id.path || parts.some((part) => part === '' || part === '.' || part === '..')) {
    throw new StoredFileKeyError(`invalid file path "${id.path}"`);
  }
  let origin: string;
  try {
    origin = new URL(id.hubOrigin).origin;
  } catch {
    throw new StoredFileKeyError(`hub origin "${id.hubOrigin}" is not a URL`);
  }
  if (origin !== id.hubOrigin) throw new StoredFileKeyError(`hub origin "${id.hubOrigin}" must be an origin only`);
}

/** The app-relative URL path the service worker serves the file at. */
export function storedFilePath(id: StoredFileId): string {
  checkId(id);
  const path = id.path.split('/').map(encodeURIComponent).join('/');
  return `${MODEL_FILES_PREFIX}${encodeURIComponent(id.hubOrigin)}/${id.repo}/${id.commit}/${path}`;
}

/** The inverse of `storedFilePath`; null for any other path. */
export function parseStoredFilePath(pathname: string): StoredFileId | null {
  if (!pathname.startsWith(MODEL_FILES_PREFIX)) return null;
  const segments = pathname.slice(MODEL_FILES_PREFIX.length).split('/');
  if (segments.length < 5) return null;
  try {
    const [origin, org, name, commit, ...rest] = segments.map(decodeURIComponent) as [string, string, string, string, ...string[]];
    const id: StoredFileId = { hubOrigin: origin, repo: `${org}/${name}`, commit, path: rest.join('/') };
    checkId(id);
    return id;
  } catch {
    return null;
  }
}

/** Offsets are zero-padded so that cache keys sort in file order. */
const OFFSET_DIGITS = 15;

export function shardPath(id: StoredFileId, start: number): string {
  if (!(Number.isSafeInteger(start) && start >= 0)) throw new StoredFileKeyError(`invalid shard offset ${start}`);
  return `${storedFilePath(id)}?shard=${String(start).padStart(OFFSET_DIGITS, '0')}`;
}

export function manifestPath(id: StoredFileId): string {
  return `${storedFilePath(id)}?manifest`;
}

/** The shard's start offset when `url` is a shard key of `id`, else null. */
export function shardStartOf(url: string, id: StoredFileId): number | null {
  const prefix = `${storedFilePath(id)}?shard=`;
  const { pathname, search } = new URL(url, 'http://x.invalid');
  const key = `${pathname}${search}`;
  if (!key.startsWith(prefix)) return null;
  const digits = key.slice(prefix.length);
  return /^\d+$/.test(digits) ? Number(digits) : null;
}

/**
 * Where to resume: the end of the contiguous run of shards from offset 0. A gap (a shard lost or
 * discarded) ends the run, since the streaming hash needs every byte in order.
 */
export function resumeOffset(shards: readonly ShardRange[]): number {
  const sorted = [...shards].sort((a, b) => a.start - b.start);
  let offset = 0;
  for (const shard of sorted) {
    if (shard.start > offset) break;
    offset = Math.max(offset, shard.start + shard.length);
  }
  return offset;
}

/** The shards that make up bytes [0, end) without overlap, in order; null if there is a gap. */
export function contiguousShards(shards: readonly ShardRange[], end: number): ShardRange[] | null {
  const sorted = [...shards].sort((a, b) => a.start - b.start);
  const chosen: ShardRange[] = [];
  let offset = 0;
  for (const shard of sorted) {
    if (offset >= end) break;
    if (shard.start !== offset || shard.length <= 0) continue;
    chosen.push(shard);
    offset += shard.length;
  }
  return offset === end ? chosen : null;
}

export type ByteRange = { start: number; end: number };

/**
 * A single `bytes=` range resolved against `size` (end inclusive); null when the header is absent
 * or not a single byte range (answer the whole file), 'unsatisfiable' for a 416.
 */
export function parseRangeHeader(header: string | null, size: number): ByteRange | 'unsatisfiable' | null {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return null;
  const [, first, last] = match as unknown as [string, string, string];
  if (first === '' && last === '') return null;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (start >= size) return 'unsatisfiable';
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (end < start) return 'unsatisfiable';
  return { start, end };
}

export function contentTypeFor(path: string): string {
  if (path.endsWith('.json')) return 'application/json';
  if (path.endsWith('.txt')) return 'text/plain; charset=utf-8';
  return 'application/octet-stream';
}

export async function readManifest(cache: Cache, id: StoredFileId, origin: string): Promise<StoredFileManifest | null> {
  const response = await cache.match(new URL(manifestPath(id), origin).href);
  if (!response) return null;
  try {
    const manifest = (await response.json()) as StoredFileManifest;
    return manifest.version === 1 ? manifest : null;
  } catch {
    return null;
  }
}

/** The shards stored for `id`, complete or not, from the cache's keys. */
export async function listShards(cache: Cache, id: StoredFileId): Promise<{ start: number; url: string }[]> {
  const prefix = storedFilePath(id);
  const found: { start: number; url: string }[] = [];
  for (const request of await cache.keys()) {
    const { pathname } = new URL(request.url);
    if (pathname !== prefix) continue;
    const start = shardStartOf(request.url, id);
    if (start !== null) found.push({ start, url: request.url });
  }
  return found.sort((a, b) => a.start - b.start);
}

/**
 * Answers a GET for a stored file: the whole file (200) or one byte range (206), reassembled from
 * its shards as a Blob of Blob slices (Chromium keeps those on disk, so nothing is buffered whole).
 * Null when the file is not (completely) stored, so the caller can fall through to the network.
 */
export async function respondWithStoredFile(
  cache: Cache,
  id: StoredFileId,
  rangeHeader: string | null,
  origin: string,
): Promise<Response | null> {
  const manifest = await readManifest(cache, id, origin);
  if (!manifest) return null;
  const range = parseRangeHeader(rangeHeader, manifest.size);
  const common = {
    'Accept-Ranges': 'bytes',
    'Content-Type': manifest.contentType,
    'Cache-Control': 'no-store',
    'Cross-Origin-Resource-Policy': 'same-origin',
    ETag: `"${manifest.digest.hex}"`,
  };
  if (range === 'unsatisfiable') {
    return new Response(null, { status: 416, headers: { ...common, 'Content-Range': `bytes */${manifest.size}` } });
  }
  const start = range?.start ?? 0;
  const end = range ? range.end + 1 : manifest.size;
  const parts: Blob[] = [];
  for (const shard of manifest.shards) {
    const shardEnd = shard.start + shard.length;
    if (shardEnd <= start || shard.start >= end) continue;
    const response = await cache.match(new URL(shardPath(id, shard.start), origin).href);
    if (!response) return null;
    const blob = await response.blob();
    if (blob.size !== shard.length) return null;
    parts.push(blob.slice(Math.max(0, start - shard.start), Math.min(shard.length, end - shard.start)));
  }
  const body = new Blob(parts, { type: manifest.contentType });
  if (body.size !== end - start) return null;
  const headers: Record<string, string> = { ...common, 'Content-Length': String(body.size) };
  if (!range) return new Response(body, { status: 200, headers });
  headers['Content-Range'] = `bytes ${start}-${end - 1}/${manifest.size}`;
  return new Response(body, { status: 206, headers });
}

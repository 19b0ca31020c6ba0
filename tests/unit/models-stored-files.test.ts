import { describe, expect, it } from 'vitest';
import {
  MODEL_CACHE_NAME,
  contiguousShards,
  manifestPath,
  parseRangeHeader,
  parseStoredFilePath,
  resumeOffset,
  shardPath,
  shardStartOf,
  storedFilePath,
  type StoredFileId,
} from '../../src/models/stored-files.ts';

const id: StoredFileId = {
  hubOrigin: 'https://huggingface.co',
  repo: 'schmuell/sd-turbo-ort-web',
  commit: 'a'.repeat(40),
  path: 'unet/model.onnx',
};

describe('shard keys', () => {
  it('keys a file by hub origin, repo, commit and path, and parses back', () => {
    const path = storedFilePath(id);
    expect(path).toBe(`/model-files/v1/https%3A%2F%2Fhuggingface.co/schmuell/sd-turbo-ort-web/${'a'.repeat(40)}/unet/model.onnx`);
    expect(parseStoredFilePath(path)).toEqual(id);
  });

  it('gives the same file on another hub, commit or path a different key', () => {
    const keys = new Set([
      storedFilePath(id),
      storedFilePath({ ...id, hubOrigin: 'http://127.0.0.1:8790' }),
      storedFilePath({ ...id, commit: 'b'.repeat(40) }),
      storedFilePath({ ...id, path: 'unet/model.onnx_data' }),
      storedFilePath({ ...id, repo: 'microsoft/sd-turbo-webnn' }),
    ]);
    expect(keys.size).toBe(5);
  });

  it('encodes awkward file names and round-trips them', () => {
    const odd = { ...id, path: 'sd unet/model #1?.onnx' };
    const path = storedFilePath(odd);
    expect(path).not.toMatch(/[ #?]/);
    expect(parseStoredFilePath(path)).toEqual(odd);
  });

  it('refuses ids that could escape their folder or are not pinned to a commit', () => {
    expect(() => storedFilePath({ ...id, commit: 'main' })).toThrow(/40 hex/);
    expect(() => storedFilePath({ ...id, path: '../secrets' })).toThrow(/invalid file path/);
    expect(() => storedFilePath({ ...id, repo: 'no-namespace' })).toThrow(/org\/name/);
    expect(() => storedFilePath({ ...id, hubOrigin: 'https://huggingface.co/path' })).toThrow(/origin only/);
    expect(parseStoredFilePath('/model-files/v1/x')).toBeNull();
    expect(parseStoredFilePath('/index.html')).toBeNull();
  });

  it('orders shard keys by offset and recovers the offset', () => {
    const a = shardPath(id, 9);
    const b = shardPath(id, 10);
    const c = shardPath(id, 8_388_608);
    expect([c, b, a].sort()).toEqual([a, b, c]);
    expect(shardStartOf(`http://localhost:4174${c}`, id)).toBe(8_388_608);
    expect(shardStartOf(`http://localhost:4174${manifestPath(id)}`, id)).toBeNull();
    expect(shardStartOf(`http://localhost:4174${shardPath({ ...id, path: 'unet/model.onnx_data' }, 0)}`, id)).toBeNull();
  });

  it('uses a versioned cache name', () => {
    expect(MODEL_CACHE_NAME).toMatch(/-v\d+$/);
  });
});

describe('resume offsets', () => {
  it('resumes at the end of the contiguous shards from 0', () => {
    expect(resumeOffset([])).toBe(0);
    expect(resumeOffset([{ start: 0, length: 100 }])).toBe(100);
    // A shard cut short by a dropped connection, followed by the resumed one.
    expect(resumeOffset([{ start: 0, length: 100 }, { start: 100, length: 37 }, { start: 137, length: 100 }])).toBe(237);
  });

  it('stops at a gap, whatever is stored after it', () => {
    expect(resumeOffset([{ start: 0, length: 100 }, { start: 200, length: 100 }])).toBe(100);
    expect(resumeOffset([{ start: 100, length: 100 }])).toBe(0);
  });

  it('ignores shard order', () => {
    expect(resumeOffset([{ start: 50, length: 50 }, { start: 0, length: 50 }])).toBe(100);
  });

  it('picks the shards that tile a prefix exactly', () => {
    const shards = [{ start: 0, length: 10 }, { start: 10, length: 5 }, { start: 15, length: 10 }];
    expect(contiguousShards(shards, 25)).toEqual(shards);
    expect(contiguousShards(shards, 15)).toEqual(shards.slice(0, 2));
    expect(contiguousShards(shards, 20)).toBeNull();
    expect(contiguousShards([{ start: 5, length: 5 }], 10)).toBeNull();
  });
});

describe('Range requests to stored files', () => {
  it('parses single byte ranges', () => {
    expect(parseRangeHeader(null, 100)).toBeNull();
    expect(parseRangeHeader('bytes=0-0', 100)).toEqual({ start: 0, end: 0 });
    expect(parseRangeHeader('bytes=10-', 100)).toEqual({ start: 10, end: 99 });
    expect(parseRangeHeader('bytes=90-200', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRangeHeader('bytes=-10', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRangeHeader('bytes=-1000', 100)).toEqual({ start: 0, end: 99 });
  });

  it('answers the whole file for multi-range or other units, 416 when unsatisfiable', () => {
    expect(parseRangeHeader('bytes=0-1,5-6', 100)).toBeNull();
    expect(parseRangeHeader('items=0-1', 100)).toBeNull();
    expect(parseRangeHeader('bytes=100-', 100)).toBe('unsatisfiable');
    expect(parseRangeHeader('bytes=5-4', 100)).toBe('unsatisfiable');
    expect(parseRangeHeader('bytes=-0', 100)).toBe('unsatisfiable');
  });
});

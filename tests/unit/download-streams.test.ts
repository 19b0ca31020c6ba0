import { describe, expect, it } from 'vitest';
import { ByteStreamReader } from '../../src/downloads/byte-stream-reader.ts';
import { ShardWriter, type ShardPut } from '../../src/downloads/shard-writer.ts';
import type { ShardRange } from '../../src/models/stored-files.ts';

/**
 * The two pieces the download manager streams a file through: ByteStreamReader (a body read into
 * one reused buffer) and ShardWriter (pieces gathered into shards and stored while more arrive).
 * Puts are scripted with deferred promises so that their order and overlap are chosen by the test.
 */

/** Bytes 0, 1, 2, … (mod 251, so that a shifted or repeated run never looks right). */
function bytes(length: number, from = 0): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (from + i) % 251);
}

function concat(pieces: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(pieces.reduce((sum, piece) => sum + piece.byteLength, 0));
  let at = 0;
  for (const piece of pieces) {
    all.set(piece, at);
    at += piece.byteLength;
  }
  return all;
}

/** Lets every pending promise callback and timer-free task run, without waiting for a fixed time. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A byte stream over `source`. `respond`: writes at most `chunk` bytes straight into the reader's
 * view (the BYOB way); `enqueue`: queues chunks of `chunk` bytes, which may be larger than the view.
 * `errorAfter`: errors the stream once that many bytes were handed out.
 */
function byteStream(source: Uint8Array, chunk: number, mode: 'respond' | 'enqueue', errorAfter?: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    type: 'bytes',
    pull(controller) {
      if (errorAfter !== undefined && at >= errorAfter) {
        controller.error(new Error('connection dropped'));
        return;
      }
      const request = controller.byobRequest;
      if (at >= source.byteLength) {
        controller.close();
        request?.respond(0);
        return;
      }
      const length = Math.min(chunk, source.byteLength - at, errorAfter === undefined ? Infinity : errorAfter - at);
      if (mode === 'respond' && request?.view) {
        const view = new Uint8Array(request.view.buffer, request.view.byteOffset, request.view.byteLength);
        const written = Math.min(length, view.byteLength);
        view.set(source.subarray(at, at + written));
        at += written;
        request.respond(written);
      } else {
        controller.enqueue(source.slice(at, at + length));
        at += length;
      }
    },
  });
}

/** A plain (non-byte) stream handing out the given chunks, then an error if one is given. */
function chunkStream(chunks: Uint8Array[], error?: Error): ReadableStream<Uint8Array> {
  let next = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (next < chunks.length) controller.enqueue(chunks[next++]!);
      else if (error) controller.error(error);
      else controller.close();
    },
  });
}

/** Reads the stream to its end, copying each piece (pieces are only valid until the next read). */
async function readAll(reader: ByteStreamReader): Promise<{ pieces: Uint8Array[]; views: Uint8Array[]; bufferSizes: number[] }> {
  const pieces: Uint8Array[] = [];
  const views: Uint8Array[] = [];
  const bufferSizes: number[] = [];
  for (let piece = await reader.read(); piece; piece = await reader.read()) {
    views.push(piece);
    bufferSizes.push(piece.buffer.byteLength);
    pieces.push(piece.slice());
  }
  return { pieces, views, bufferSizes };
}

describe('ByteStreamReader on a byte stream', () => {
  it.each(['respond', 'enqueue'] as const)('reads every byte in order into the one buffer it was given (%s)', async (mode) => {
    const source = bytes(10_000);
    const buffer = new ArrayBuffer(1024);
    const reader = new ByteStreamReader(byteStream(source, mode === 'respond' ? 700 : 3000, mode), buffer);
    const pieces: Uint8Array[] = [];
    let previous: Uint8Array | null = null;
    for (let piece = await reader.read(); piece; piece = await reader.read()) {
      // The piece is a view of the reader's buffer, not a new allocation…
      expect(piece.buffer.byteLength).toBe(1024);
      expect(piece.byteOffset).toBe(0);
      expect(piece.byteLength).toBeGreaterThan(0);
      // …which the next read took back: the previous piece is no longer readable.
      if (previous) expect(previous.byteLength).toBe(0);
      previous = piece;
      pieces.push(piece.slice());
    }
    // Handed to the stream (transferred), never copied.
    expect(buffer.byteLength).toBe(0);
    expect(concat(pieces)).toEqual(source);
    expect(await reader.read()).toBeNull();

    // What the reader hands back reads the next stream, at the same size.
    const spare = reader.buffer;
    expect(spare.byteLength).toBe(1024);
    const next = new ByteStreamReader(byteStream(bytes(3000, 7), 500, mode), spare);
    const { pieces: nextPieces, bufferSizes } = await readAll(next);
    expect(concat(nextPieces)).toEqual(bytes(3000, 7));
    expect(new Set(bufferSizes)).toEqual(new Set([1024]));
    expect(spare.byteLength).toBe(0);
  });

  it('returns null at once for an empty stream and keeps its buffer', async () => {
    const reader = new ByteStreamReader(byteStream(new Uint8Array(0), 10, 'respond'), new ArrayBuffer(64));
    expect(await reader.read()).toBeNull();
    expect(reader.buffer.byteLength).toBe(64);
  });

  it('allocates a buffer of the given size, or a fresh one for an empty (detached) buffer', async () => {
    const sized = new ByteStreamReader(byteStream(bytes(100), 100, 'respond'), 32);
    expect(sized.buffer.byteLength).toBe(32);
    expect((await sized.read())!.byteLength).toBe(32);

    const detached = new ArrayBuffer(16);
    structuredClone(detached, { transfer: [detached] });
    const fresh = new ByteStreamReader(byteStream(bytes(100), 100, 'respond'), detached);
    expect(fresh.buffer.byteLength).toBeGreaterThan(0);
    expect(concat((await readAll(fresh)).pieces)).toEqual(bytes(100));
  });

  it('rejects a read when the stream errors, after whole pieces, and a following reader still works', async () => {
    const source = bytes(5000);
    const reader = new ByteStreamReader(byteStream(source, 600, 'respond', 1800), new ArrayBuffer(1000));
    const pieces: Uint8Array[] = [];
    await expect(
      (async () => {
        for (let piece = await reader.read(); piece; piece = await reader.read()) pieces.push(piece.slice());
      })(),
    ).rejects.toThrow('connection dropped');
    expect(concat(pieces)).toEqual(source.subarray(0, 1800));
    // The buffer may have stayed with the failed stream: the next reader is given it anyway.
    const next = new ByteStreamReader(byteStream(bytes(2500), 400, 'respond'), reader.buffer);
    expect(concat((await readAll(next)).pieces)).toEqual(bytes(2500));
  });

  it('hands back a usable buffer after a cancel during a read', async () => {
    let pulled!: () => void;
    const pulling = new Promise<void>((resolve) => (pulled = resolve));
    const stream = new ReadableStream<Uint8Array>({
      type: 'bytes',
      // Never answers: the read stays pending, holding the buffer, until the cancel.
      pull: () => {
        pulled();
        return new Promise<void>(() => undefined);
      },
    });
    const reader = new ByteStreamReader(stream, new ArrayBuffer(256));
    const reading = reader.read();
    await pulling;
    expect(reader.buffer.byteLength).toBe(0);
    await reader.cancel(new Error('stop'));
    expect(await reading).toBeNull();
    expect(reader.buffer.byteLength).toBe(256);
    new Uint8Array(reader.buffer).fill(1);
    const next = new ByteStreamReader(byteStream(bytes(600), 600, 'respond'), reader.buffer);
    expect(concat((await readAll(next)).pieces)).toEqual(bytes(600));
  });

  it('keeps its buffer when cancelled between reads, and reads nothing more', async () => {
    let cancelled: unknown = null;
    const source = bytes(4000);
    let at = 0;
    const stream = new ReadableStream({
      type: 'bytes',
      pull(controller) {
        controller.enqueue(source.slice(at, at + 500));
        at += 500;
      },
      cancel(reason) {
        cancelled = reason;
      },
    });
    const reader = new ByteStreamReader(stream, new ArrayBuffer(300));
    expect(Array.from((await reader.read())!)).toEqual(Array.from(source.subarray(0, 300)));
    const reason = new Error('stop');
    await reader.cancel(reason);
    expect(cancelled).toBe(reason);
    expect(reader.buffer.byteLength).toBe(300);
    expect(await reader.read()).toBeNull();
    expect(reader.buffer.byteLength).toBe(300);
  });
});

describe('ByteStreamReader on a plain stream', () => {
  it('splits chunks larger than the buffer, skips empty ones and loses nothing', async () => {
    const source = bytes(40);
    const chunks = [source.slice(0, 10), new Uint8Array(0), source.slice(10, 13), new Uint8Array(0), new Uint8Array(0), source.slice(13, 20), source.slice(20, 24), source.slice(24, 40)];
    const buffer = new ArrayBuffer(4);
    const reader = new ByteStreamReader(chunkStream(chunks), buffer);
    const { pieces, views } = await readAll(reader);
    expect(pieces.map((piece) => piece.byteLength)).toEqual([4, 4, 2, 3, 4, 3, 4, 4, 4, 4, 4]);
    expect(concat(pieces)).toEqual(source);
    // Every piece is copied into the one buffer given.
    expect(views.every((piece) => piece.buffer === buffer && piece.byteOffset === 0)).toBe(true);
    expect(reader.buffer).toBe(buffer);
    expect(await reader.read()).toBeNull();
  });

  it('returns null for a stream of empty chunks only', async () => {
    const reader = new ByteStreamReader(chunkStream([new Uint8Array(0), new Uint8Array(0)]), new ArrayBuffer(8));
    expect(await reader.read()).toBeNull();
  });

  it('rejects a read when the stream errors, after the bytes before it', async () => {
    const source = bytes(10);
    const reader = new ByteStreamReader(chunkStream([source], new Error('connection dropped')), new ArrayBuffer(4));
    const pieces: Uint8Array[] = [];
    for (let i = 0; i < 3; i++) pieces.push((await reader.read())!.slice());
    expect(concat(pieces)).toEqual(source);
    await expect(reader.read()).rejects.toThrow('connection dropped');
    expect(reader.buffer.byteLength).toBe(4);
  });

  it('forgets the leftover of a chunk when cancelled', async () => {
    const reader = new ByteStreamReader(chunkStream([bytes(10)]), new ArrayBuffer(4));
    expect((await reader.read())!.byteLength).toBe(4);
    await reader.cancel();
    expect(await reader.read()).toBeNull();
  });
});

interface PutCall {
  start: number;
  length: number;
  body: Blob;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** A put whose every call waits for the test to resolve or reject it; counts puts running at once. */
function scriptedPuts(): { put: ShardPut; calls: PutCall[]; maxRunning: () => number } {
  const calls: PutCall[] = [];
  let running = 0;
  let maxRunning = 0;
  const put: ShardPut = (start, body, length) =>
    new Promise<void>((resolve, reject) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      const done = () => running--;
      calls.push({
        start,
        length,
        body,
        resolve: () => {
          done();
          resolve();
        },
        reject: (error) => {
          done();
          reject(error);
        },
      });
    });
  return { put, calls, maxRunning: () => maxRunning };
}

/** A put that stores at once, keeping what it was given. */
function immediatePuts(): { put: ShardPut; calls: { start: number; length: number; body: Blob }[] } {
  const calls: { start: number; length: number; body: Blob }[] = [];
  return {
    calls,
    put: async (start, body, length) => {
      calls.push({ start, length, body });
    },
  };
}

async function contentOf(body: Blob): Promise<Uint8Array> {
  return new Uint8Array(await body.arrayBuffer());
}

describe('ShardWriter', () => {
  it('cuts pieces that span shard boundaries into shards of exactly shardBytes, the last shorter', async () => {
    const { put, calls } = immediatePuts();
    const stored: ShardRange[] = [];
    const writer = new ShardWriter({ put, start: 1000, shardBytes: 5, onStored: (shard) => stored.push(shard) });
    const source = bytes(19, 1000);
    let at = 0;
    for (const size of [3, 9, 1, 4, 2]) {
      const piece = source.slice(at, at + size);
      await writer.add(piece);
      // The caller reuses its buffer once `add` resolved: the writer must have copied it.
      piece.fill(0xff);
      at += size;
    }
    await writer.close();
    const expected = [
      { start: 1000, length: 5 },
      { start: 1005, length: 5 },
      { start: 1010, length: 5 },
      { start: 1015, length: 4 },
    ];
    expect(calls.map(({ start, length }) => ({ start, length }))).toEqual(expected);
    expect(stored).toEqual(expected);
    for (const call of calls) {
      expect(call.body.size).toBe(call.length);
      expect(await contentOf(call.body)).toEqual(source.subarray(call.start - 1000, call.start - 1000 + call.length));
    }
    expect(writer.end).toBe(1019);
    expect(writer.buffered).toBe(0);
    expect(writer.shardsStarted).toBe(4);
  });

  it('gathers a shard from several fills of a smaller staging buffer', async () => {
    const { put, calls } = immediatePuts();
    const stored: ShardRange[] = [];
    const staging = new Uint8Array(3);
    const writer = new ShardWriter({ put, start: 0, shardBytes: 8, onStored: (shard) => stored.push(shard), staging });
    expect(writer.staging).toBe(staging);
    const source = bytes(20);
    let at = 0;
    for (const size of [5, 7, 2, 6]) {
      await writer.add(source.slice(at, at + size));
      at += size;
    }
    await writer.close();
    expect(stored).toEqual([
      { start: 0, length: 8 },
      { start: 8, length: 8 },
      { start: 16, length: 4 },
    ]);
    for (const call of calls) expect(await contentOf(call.body)).toEqual(source.subarray(call.start, call.start + call.length));
  });

  it('reports stored shards in file order when puts finish out of order', async () => {
    const { put, calls, maxRunning } = scriptedPuts();
    const stored: ShardRange[] = [];
    const writer = new ShardWriter({ put, start: 0, shardBytes: 4, maxInFlight: 3, onStored: (shard) => stored.push(shard) });
    await writer.add(bytes(12));
    expect(calls.map((call) => call.start)).toEqual([0, 4, 8]);
    const closing = writer.close();
    calls[2]!.resolve();
    calls[1]!.resolve();
    await settle();
    // The later shards are stored, but the first is not yet: none may be reported.
    expect(stored).toEqual([]);
    calls[0]!.resolve();
    await closing;
    expect(stored).toEqual([
      { start: 0, length: 4 },
      { start: 4, length: 4 },
      { start: 8, length: 4 },
    ]);
    expect(maxRunning()).toBe(3);
  });

  it('runs at most maxInFlight puts at once, holding add until one is free', async () => {
    const { put, calls, maxRunning } = scriptedPuts();
    const stored: ShardRange[] = [];
    const writer = new ShardWriter({ put, start: 0, shardBytes: 4, maxInFlight: 2, onStored: (shard) => stored.push(shard) });
    const source = bytes(22);
    let added = false;
    const adding = writer.add(source).then(() => (added = true));
    await settle();
    expect(calls.map((call) => call.start)).toEqual([0, 4]);
    expect(added).toBe(false);
    // A newer put finishing does not free a slot: shards are settled oldest first.
    calls[1]!.resolve();
    await settle();
    expect(calls).toHaveLength(2);
    expect(stored).toEqual([]);
    calls[0]!.resolve();
    await settle();
    expect(stored.map((shard) => shard.start)).toEqual([0, 4]);
    expect(calls.map((call) => call.start)).toEqual([0, 4, 8, 12]);
    expect(added).toBe(false);
    calls[2]!.resolve();
    await settle();
    expect(calls.map((call) => call.start)).toEqual([0, 4, 8, 12, 16]);
    await adding;
    // 2 bytes are left over, not yet a shard.
    expect(writer.buffered).toBe(2);
    expect(writer.end).toBe(22);
    const closing = writer.close();
    await settle();
    expect(calls).toHaveLength(5);
    calls[3]!.resolve();
    await settle();
    expect(calls.map((call) => ({ start: call.start, length: call.length }))).toContainEqual({ start: 20, length: 2 });
    for (const call of calls.slice(4)) call.resolve();
    await closing;
    expect(stored.map((shard) => [shard.start, shard.length])).toEqual([
      [0, 4],
      [4, 4],
      [8, 4],
      [12, 4],
      [16, 4],
      [20, 2],
    ]);
    expect(maxRunning()).toBe(2);
    for (const call of calls) expect(await contentOf(call.body)).toEqual(source.subarray(call.start, call.start + call.length));
  });

  it('stores a shorter shard on store(), and counts the next shard from there', async () => {
    const { put, calls } = immediatePuts();
    const stored: ShardRange[] = [];
    const writer = new ShardWriter({ put, start: 0, shardBytes: 4, onStored: (shard) => stored.push(shard) });
    const source = bytes(8);
    await writer.add(source.slice(0, 3));
    expect(writer.buffered).toBe(3);
    await writer.store();
    expect(writer.buffered).toBe(0);
    expect(writer.end).toBe(3);
    expect(writer.shardsStarted).toBe(1);
    // Storing again with nothing buffered starts no put.
    await writer.store();
    expect(writer.shardsStarted).toBe(1);
    await writer.add(source.slice(3, 8));
    await writer.close();
    expect(stored).toEqual([
      { start: 0, length: 3 },
      { start: 3, length: 4 },
      { start: 7, length: 1 },
    ]);
    for (const call of calls) expect(await contentOf(call.body)).toEqual(source.subarray(call.start, call.start + call.length));
  });

  it('drops buffered bytes on discard(), sealed parts included', async () => {
    const { put, calls } = immediatePuts();
    const stored: ShardRange[] = [];
    const writer = new ShardWriter({ put, start: 50, shardBytes: 8, staging: new Uint8Array(2), onStored: (shard) => stored.push(shard) });
    await writer.add(Uint8Array.of(1, 2, 3));
    expect(writer.end).toBe(53);
    writer.discard();
    expect(writer.buffered).toBe(0);
    expect(writer.end).toBe(50);
    await writer.add(Uint8Array.of(7, 8));
    await writer.close();
    expect(stored).toEqual([{ start: 50, length: 2 }]);
    expect(await contentOf(calls[0]!.body)).toEqual(Uint8Array.of(7, 8));
  });

  it('tracks end and buffered as pieces arrive', async () => {
    const { put } = immediatePuts();
    const writer = new ShardWriter({ put, start: 100, shardBytes: 4, onStored: () => undefined });
    expect([writer.end, writer.buffered]).toEqual([100, 0]);
    await writer.add(bytes(3));
    expect([writer.end, writer.buffered, writer.shardsStarted]).toEqual([103, 3, 0]);
    await writer.add(bytes(2));
    expect([writer.end, writer.buffered, writer.shardsStarted]).toEqual([105, 1, 1]);
    await writer.add(bytes(7));
    expect([writer.end, writer.buffered, writer.shardsStarted]).toEqual([112, 0, 3]);
    await writer.close();
    expect([writer.end, writer.buffered]).toEqual([112, 0]);
  });

  it('rejects add and close with a failed put, and reports no later shard', async () => {
    const full = new Error('QuotaExceededError');
    const { put, calls } = scriptedPuts();
    const stored: ShardRange[] = [];
    const writer = new ShardWriter({ put, start: 0, shardBytes: 4, maxInFlight: 1, onStored: (shard) => stored.push(shard) });
    await writer.add(bytes(4));
    const adding = writer.add(bytes(4, 4));
    await settle();
    calls[0]!.reject(full);
    await expect(adding).rejects.toBe(full);
    // The shard after the failure was never put: the stored prefix would have a gap.
    expect(calls).toHaveLength(1);
    await expect(writer.add(bytes(2, 8))).rejects.toBe(full);
    await expect(writer.close()).rejects.toBe(full);
    expect(calls).toHaveLength(1);
    expect(stored).toEqual([]);
  });

  it('does not report shards stored after a failed one, and rejects close once every put ended', async () => {
    const full = new Error('QuotaExceededError');
    const { put, calls } = scriptedPuts();
    const stored: ShardRange[] = [];
    const writer = new ShardWriter({ put, start: 0, shardBytes: 4, maxInFlight: 3, onStored: (shard) => stored.push(shard) });
    await writer.add(bytes(12));
    let closed = false;
    const closing = writer.close().finally(() => (closed = true));
    calls[0]!.resolve();
    calls[2]!.resolve();
    calls[1]!.reject(full);
    await expect(closing).rejects.toBe(full);
    expect(closed).toBe(true);
    expect(stored).toEqual([{ start: 0, length: 4 }]);
  });

  it('waits for a still running put before rejecting close', async () => {
    const full = new Error('QuotaExceededError');
    const { put, calls } = scriptedPuts();
    const writer = new ShardWriter({ put, start: 0, shardBytes: 4, maxInFlight: 2, onStored: () => undefined });
    await writer.add(bytes(8));
    let closed = false;
    const closing = writer.close().catch((error: unknown) => {
      closed = true;
      throw error;
    });
    calls[0]!.reject(full);
    await settle();
    expect(closed).toBe(false);
    calls[1]!.resolve();
    await expect(closing).rejects.toBe(full);
  });
});

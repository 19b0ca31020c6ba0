import type { ShardRange } from '../models/stored-files.ts';

/** Stores one shard; rejects as Cache Storage does (a `QuotaExceededError` when full). */
export type ShardPut = (start: number, body: Blob, length: number) => Promise<void>;

export interface ShardWriterOptions {
  put: ShardPut;
  /** File offset of the first byte to be added. */
  start: number;
  shardBytes: number;
  /** Called for each stored shard, in file order, only while every earlier shard was stored. */
  onStored: (shard: ShardRange) => void;
  /** Shards stored at once (default 1): the memory held for them besides the staging buffer. */
  maxInFlight?: number;
  /**
   * Where pieces are gathered, reusable across writers (one at a time). Shorter than `shardBytes`,
   * a shard is made of several Blobs, one per filled staging buffer.
   */
  staging?: Uint8Array;
}

/**
 * Stores a file's bytes as shards while more of them arrive. Pieces are copied into a staging
 * buffer; a full shard becomes one Blob (one copy: Chromium creates one 8 MB Blob far faster than
 * a Blob per piece) and is put into Cache Storage while the next shard fills, so the network, the
 * hash and the disk work at the same time. At most `maxInFlight` puts run at once, which bounds
 * the memory held for them. Shards are reported in file order, so the stored prefix has no gap.
 */
export class ShardWriter {
  private readonly put: ShardPut;
  private readonly shardBytes: number;
  private readonly onStored: (shard: ShardRange) => void;
  private readonly maxInFlight: number;
  /** Where pieces are gathered; hand it to the next writer once this one is closed. */
  readonly staging: Uint8Array;
  private bufferedBytes = 0;
  /** Filled staging buffers of the shard being gathered, and the bytes in the staging buffer now. */
  private parts: Blob[] = [];
  private staged = 0;
  /** File offset of the first buffered byte. */
  private next: number;
  private readonly inFlight: { start: number; length: number; result: Promise<{ error: unknown } | null> }[] = [];
  private failure: { error: unknown } | null = null;
  private started = 0;

  constructor(options: ShardWriterOptions) {
    this.put = options.put;
    this.shardBytes = options.shardBytes;
    this.onStored = options.onStored;
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 1);
    this.next = options.start;
    this.staging = options.staging && options.staging.byteLength > 0 ? options.staging : new Uint8Array(this.shardBytes);
  }

  /** Bytes added and not yet handed to a put. */
  get buffered(): number {
    return this.bufferedBytes;
  }

  /** Puts started so far (a full shard, or `store`). */
  get shardsStarted(): number {
    return this.started;
  }

  /** File offset just past every byte added. */
  get end(): number {
    return this.next + this.bufferedBytes;
  }

  /**
   * Copies the piece (the caller may reuse it once this resolves). A piece that fills the shard
   * waits for a free put first, so that at most `maxInFlight` shard copies exist besides the
   * staging buffer. Rejects with the first failed put's error.
   */
  async add(piece: Uint8Array): Promise<void> {
    for (let at = 0; at < piece.byteLength; ) {
      const length = Math.min(piece.byteLength - at, this.shardBytes - this.bufferedBytes, this.staging.byteLength - this.staged);
      this.staging.set(piece.subarray(at, at + length), this.staged);
      this.staged += length;
      this.bufferedBytes += length;
      at += length;
      if (this.bufferedBytes === this.shardBytes) await this.store();
      else if (this.staged === this.staging.byteLength) this.seal();
    }
    if (this.failure) throw this.failure.error;
  }

  /** Moves the staged bytes into a Blob (a copy), freeing the staging buffer. */
  private seal(): void {
    if (this.staged === 0) return;
    this.parts.push(new Blob([this.staging.subarray(0, this.staged) as Uint8Array<ArrayBuffer>]));
    this.staged = 0;
  }

  /** Forgets the buffered bytes (an answer found to be wrong before they were stored). */
  discard(): void {
    this.bufferedBytes = 0;
    this.parts = [];
    this.staged = 0;
  }

  /** Stores the buffered bytes as a (possibly shorter) shard once a put is free; does not wait for it. */
  async store(): Promise<void> {
    while (this.inFlight.length >= this.maxInFlight) await this.settleOldest();
    if (this.failure) this.discard();
    if (this.bufferedBytes === 0) return;
    const start = this.next;
    const length = this.bufferedBytes;
    this.seal();
    const body = this.parts.length === 1 ? this.parts[0]! : new Blob(this.parts);
    this.discard();
    this.next = start + length;
    const result = this.put(start, body, length).then(
      () => null,
      (error: unknown) => ({ error }),
    );
    this.inFlight.push({ start, length, result });
    this.started++;
  }

  /** Stores what is buffered and waits for every put; rejects, once none runs, with the first failure. */
  async close(): Promise<void> {
    await this.store();
    while (this.inFlight.length > 0) await this.settleOldest();
    if (this.failure) throw this.failure.error;
  }

  private async settleOldest(): Promise<void> {
    const shard = this.inFlight.shift()!;
    const failed = await shard.result;
    if (failed) this.failure ??= failed;
    else if (!this.failure) this.onStored({ start: shard.start, length: shard.length });
  }
}

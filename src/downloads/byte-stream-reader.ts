/**
 * Reads a byte stream (a fetch body, a stored Blob) piece by piece into one buffer that it reuses,
 * so that reading a 140 MB file allocates nothing per chunk. A default reader hands out a new
 * ArrayBuffer per chunk, garbage the collector only reclaims after tens of MB have piled up in the
 * renderer. Byte streams are read with a BYOB reader straight into the buffer; other streams (Node's
 * test doubles, engines without byte streams) are copied into it.
 *
 *   const reader = new ByteStreamReader(response.body, new ArrayBuffer(1 << 20));
 *   for (let piece = await reader.read(); piece; piece = await reader.read()) use(piece);
 *   spare = reader.buffer; // to read the next stream into (empty if a failed read kept it)
 */
export class ByteStreamReader {
  private readonly byob: ReadableStreamBYOBReader | null;
  private readonly chunks: ReadableStreamDefaultReader<Uint8Array> | null;
  private current: ArrayBuffer;
  private readonly bufferBytes: number;
  /** What a default reader gave beyond the buffer's room. */
  private leftover: Uint8Array | null = null;

  /** `buffer`: the memory to read into (reused), or its size to allocate one. */
  constructor(stream: ReadableStream<Uint8Array>, buffer: ArrayBuffer | number = 1 << 20) {
    let byob: ReadableStreamBYOBReader | null = null;
    try {
      byob = stream.getReader({ mode: 'byob' });
    } catch {
      // Not a byte stream: fall back to chunks, copied into the buffer.
    }
    this.byob = byob;
    this.chunks = byob ? null : stream.getReader();
    this.current = typeof buffer === 'number' || buffer.byteLength === 0 ? new ArrayBuffer(typeof buffer === 'number' ? buffer : 1 << 20) : buffer;
    this.bufferBytes = this.current.byteLength;
  }

  /**
   * The buffer pieces are read into, for the next reader once this one is done; detached (empty)
   * when the stream kept it (a read that failed or was cancelled).
   */
  get buffer(): ArrayBuffer {
    return this.current;
  }

  /**
   * The next bytes, or null at the end of the stream. The piece is a view of the reader's buffer,
   * valid until the next `read`: copy (or hash) it before then. Rejects when the stream errors (a
   * dropped connection, an abort); every piece returned before that was whole.
   */
  async read(): Promise<Uint8Array | null> {
    if (this.byob) {
      // The read transfers the buffer into the stream and hands it back, filled, as `value`.
      const { done, value } = await this.byob.read(new Uint8Array(this.current));
      // Without a value (a cancelled stream) the buffer stays with the stream: take a new one.
      this.current = value ? (value.buffer as ArrayBuffer) : new ArrayBuffer(this.bufferBytes);
      return done || !value ? null : value;
    }
    let chunk = this.leftover;
    this.leftover = null;
    while (!chunk || chunk.byteLength === 0) {
      const { done, value } = await this.chunks!.read();
      if (done) return null;
      chunk = value;
    }
    const into = new Uint8Array(this.current);
    const length = Math.min(chunk.byteLength, into.byteLength);
    into.set(length === chunk.byteLength ? chunk : chunk.subarray(0, length));
    if (length < chunk.byteLength) this.leftover = chunk.subarray(length);
    return into.subarray(0, length);
  }

  /** Stops reading; the stream is cancelled (a fetch body: the connection is released). */
  cancel(reason?: unknown): Promise<void> {
    this.leftover = null;
    return (this.byob ?? this.chunks)!.cancel(reason).catch(() => undefined);
  }
}

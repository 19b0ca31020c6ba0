/**
 * A small PNG encoder for RGBA8 images with tEXt chunks. Used by the app to write generated images
 * with their settings (a `parameters` chunk, as AUTOMATIC1111 writes) and by tools/make-icons.ts.
 * Compression is passed in: CompressionStream('deflate') in browsers, zlib in Node.
 */
export type Deflate = (data: Uint8Array) => Promise<Uint8Array>;

const SIGNATURE = new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]);

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(bytes: Uint8Array, crc = 0xffffffff): number {
  let c = crc;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** tEXt holds Latin-1; characters outside it go to iTXt (UTF-8) so prompts in any script survive. */
function textChunk(keyword: string, text: string): Uint8Array {
  const latin1 = !/[\u0100-\uffff]/.test(text);
  if (latin1) {
    const data = new Uint8Array(keyword.length + 1 + text.length);
    for (let i = 0; i < keyword.length; i++) data[i] = keyword.charCodeAt(i);
    for (let i = 0; i < text.length; i++) data[keyword.length + 1 + i] = text.charCodeAt(i);
    return chunk('tEXt', data);
  }
  const utf8 = new TextEncoder().encode(text);
  // keyword \0 compressionFlag(0) compressionMethod(0) languageTag \0 translatedKeyword \0 text
  const data = new Uint8Array(keyword.length + 5 + utf8.length);
  for (let i = 0; i < keyword.length; i++) data[i] = keyword.charCodeAt(i);
  data.set(utf8, keyword.length + 5);
  return chunk('iTXt', data);
}

export async function encodePng(
  rgba: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
  deflate: Deflate,
  text: Record<string, string> = {},
): Promise<Uint8Array> {
  if (rgba.length !== width * height * 4) throw new RangeError(`expected ${width * height * 4} RGBA bytes, got ${rgba.length}`);
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, deflate, adaptive filtering, no interlace
  // Filter type 0 (None) on every row: simple, and the deflate stage does the heavy lifting.
  const raw = new Uint8Array(height * (width * 4 + 1));
  for (let y = 0; y < height; y++) raw.set(rgba.subarray(y * width * 4, (y + 1) * width * 4), y * (width * 4 + 1) + 1);
  const parts = [
    SIGNATURE,
    chunk('IHDR', ihdr),
    ...Object.entries(text).map(([k, v]) => textChunk(k, v)),
    chunk('IDAT', await deflate(raw)),
    chunk('IEND', new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Reads the text chunks (tEXt and uncompressed iTXt) of a PNG file. */
export function readPngText(png: Uint8Array): Record<string, string> {
  for (let i = 0; i < 8; i++) if (png[i] !== SIGNATURE[i]) throw new Error('not a PNG file');
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const result: Record<string, string> = {};
  let offset = 8;
  while (offset + 12 <= png.length) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...png.subarray(offset + 4, offset + 8));
    const data = png.subarray(offset + 8, offset + 8 + length);
    const zero = data.indexOf(0);
    if (type === 'tEXt' && zero > 0) {
      result[String.fromCharCode(...data.subarray(0, zero))] = String.fromCharCode(...data.subarray(zero + 1));
    } else if (type === 'iTXt' && zero > 0 && data[zero + 1] === 0) {
      const lang = data.indexOf(0, zero + 3);
      const translated = data.indexOf(0, lang + 1);
      result[String.fromCharCode(...data.subarray(0, zero))] = new TextDecoder().decode(data.subarray(translated + 1));
    }
    if (type === 'IEND') break;
    offset += 12 + length;
  }
  return result;
}

/** A deflate for browsers and workers. */
export const browserDeflate: Deflate = async (data) => {
  const stream = new Blob([data as BlobPart]).stream().pipeThrough(new CompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
};

/**
 * Seeded standard-normal noise for the diffusion loop: the same seed gives the same image.
 *
 * Generator: Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011),
 * the counter-based generator behind PyTorch's CUDA generator, JAX, NumPy's `Philox` and cuRAND.
 * - Counter-based: value n of a stream is a pure function of (seed, stream, n), so any slice of
 *   noise can be made without generating what comes before it, in any order, in any worker.
 * - Only 32-bit integer arithmetic (Math.imul, a 16-bit split for the high half of the product,
 *   xor): bit-identical in every JavaScript engine. Checked against Random123's known answers.
 * - Passes TestU01's BigCrush.
 * It does not reproduce torch.randn's CPU values (Mersenne Twister), so images differ from diffusers
 * for the same seed number; only our own runs are reproducible.
 *
 * Layout: key = (seed, stream), counter = (block mod 2^32, block div 2^32, 0, 0); block b yields
 * values 4b … 4b+3. Each block's four words become two uniform pairs u = (word + ½)/2^32 in (0, 1)
 * and Box–Muller turns each pair into two normals: r = √(−2 ln u1), z = (r cos 2πu2, r sin 2πu2),
 * computed in float64 and rounded to float32.
 *
 * Caveat: ECMAScript does not pin down Math.log/cos/sin to the last bit. V8 (Chrome, Edge, Node),
 * SpiderMonkey and JavaScriptCore all use fdlibm-derived code and agree in practice; a last-bit
 * difference in float64 would usually vanish in the rounding to float32, and otherwise moves a value
 * by one float32 ulp (~6e-8 relative), far below anything visible in an image.
 */

export type RandomErrorCode = 'invalid_seed' | 'invalid_stream' | 'invalid_count';

export class RandomError extends Error {
  override readonly name = 'RandomError';
  constructor(
    readonly code: RandomErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The largest seed: seeds are unsigned 32-bit integers, 0 … 4294967295. */
export const MAX_SEED = 0xffff_ffff;

/** `count` standard-normal values: the start of stream `stream` (default 0) for `seed`. */
export function randomNormal(seed: number, count: number, stream = 0): Float32Array {
  return new NormalStream(seed, stream).next(count);
}

/**
 * Consecutive standard-normal values of one (seed, stream): `next(3)` then `next(5)` gives the same
 * eight values as `next(8)`. A run might use stream 0 for the initial latents and stream 1 for the
 * fresh noise that Euler a and LCM draw at each step.
 */
export class NormalStream {
  private position = 0;

  constructor(
    readonly seed: number,
    readonly stream = 0,
  ) {
    checkUint32(seed, 'invalid_seed', 'Seed');
    checkUint32(stream, 'invalid_stream', 'Stream');
  }

  next(count: number): Float32Array {
    if (!Number.isSafeInteger(count) || count < 0) {
      throw new RandomError('invalid_count', `Count must be a non-negative integer; got ${count}.`);
    }
    const out = new Float32Array(count);
    const block = new Float64Array(4);
    let blockIndex = -1;
    for (let i = 0; i < count; i++) {
      const n = this.position + i;
      const wanted = Math.floor(n / 4);
      if (wanted !== blockIndex) {
        blockIndex = wanted;
        normalBlock(this.seed, this.stream, blockIndex, block);
      }
      out[i] = block[n % 4];
    }
    this.position += count;
    return out;
  }
}

/** Four normals from Philox block `blockIndex` of (seed, stream), written into `out`. */
function normalBlock(seed: number, stream: number, blockIndex: number, out: Float64Array): void {
  const counter = [blockIndex % 2 ** 32, Math.floor(blockIndex / 2 ** 32), 0, 0] as const;
  const words = philox4x32(counter, [seed, stream]);
  for (let pair = 0; pair < 2; pair++) {
    const u1 = (words[2 * pair] + 0.5) / 2 ** 32;
    const u2 = (words[2 * pair + 1] + 0.5) / 2 ** 32;
    const radius = Math.sqrt(-2 * Math.log(u1));
    const angle = 2 * Math.PI * u2;
    out[2 * pair] = radius * Math.cos(angle);
    out[2 * pair + 1] = radius * Math.sin(angle);
  }
}

// Philox4x32 multipliers and Weyl key increments (Random123 `philox.h`).
const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/**
 * Philox4x32-10: ten rounds of
 *   (hi0, lo0) = M0·c0, (hi1, lo1) = M1·c2 (64-bit products)
 *   c = (hi1 ⊕ c1 ⊕ k0, lo1, hi0 ⊕ c3 ⊕ k1, lo0)
 * with the key bumped by (W0, W1) between rounds. Returns the four output words.
 */
export function philox4x32(counter: readonly [number, number, number, number], key: readonly [number, number]): Uint32Array {
  let c0 = counter[0] >>> 0;
  let c1 = counter[1] >>> 0;
  let c2 = counter[2] >>> 0;
  let c3 = counter[3] >>> 0;
  let k0 = key[0] >>> 0;
  let k1 = key[1] >>> 0;
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      k0 = (k0 + W0) >>> 0;
      k1 = (k1 + W1) >>> 0;
    }
    const hi0 = mulHigh(M0, c0);
    const lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulHigh(M1, c2);
    const lo1 = Math.imul(M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
  }
  return Uint32Array.of(c0, c1, c2, c3);
}

/**
 * The high 32 bits of the 64-bit product of two uint32. a·b = a·bHi·2^16 + a·bLo with both partial
 * products below 2^48, so every float64 operation below is exact.
 */
function mulHigh(a: number, b: number): number {
  const low = a * (b & 0xffff);
  const high = a * (b >>> 16);
  const highTop = Math.floor(high / 2 ** 16);
  const highRest = high - highTop * 2 ** 16;
  return (highTop + Math.floor((highRest * 2 ** 16 + low) / 2 ** 32)) >>> 0;
}

function checkUint32(value: number, code: RandomErrorCode, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > MAX_SEED) {
    throw new RandomError(code, `${what} must be an integer from 0 to ${MAX_SEED}; got ${value}.`);
  }
}

// IEEE 754 binary16 conversion. Rounds the exact double to the nearest half, ties to even, in one
// step (going through float32 first would round twice and can differ on rare ties).

const HALF_MAX_EXPONENT = 15;
const HALF_MIN_NORMAL_EXPONENT = -14;
const SUBNORMAL_UNIT = 2 ** -24;

function roundHalfToEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor; // exact: value < 2^11 here
  if (fraction > 0.5 || (fraction === 0.5 && floor % 2 === 1)) return floor + 1;
  return floor;
}

/** The binary16 bit pattern nearest to `value` (round to nearest, ties to even; overflow to ±Inf). */
export function float16Bits(value: number): number {
  if (Number.isNaN(value)) return 0x7e00;
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const magnitude = Math.abs(value);
  if (magnitude === Infinity) return sign | 0x7c00;
  if (magnitude < 2 ** HALF_MIN_NORMAL_EXPONENT) {
    // Subnormal range: count units of 2^-24; a count of 1024 is the smallest normal, same bits.
    return sign | roundHalfToEven(magnitude / SUBNORMAL_UNIT);
  }
  let exponent = Math.floor(Math.log2(magnitude));
  // log2 can be off by one next to powers of two; powers of two are exact, so correct against them.
  if (2 ** exponent > magnitude) exponent -= 1;
  else if (2 ** (exponent + 1) <= magnitude) exponent += 1;
  if (exponent > HALF_MAX_EXPONENT) return sign | 0x7c00;
  let significand = roundHalfToEven(magnitude * 2 ** (10 - exponent)); // in [1024, 2048]
  if (significand === 2048) {
    significand = 1024;
    exponent += 1;
  }
  if (exponent > HALF_MAX_EXPONENT) return sign | 0x7c00;
  return sign | ((exponent + 15) << 10) | (significand - 1024);
}

/** The value a binary16 bit pattern stands for. */
export function float16Value(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * SUBNORMAL_UNIT;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/**
 * The binary16 pattern nearest to the float32 with bit pattern `f` (ties to even), in integer
 * arithmetic; numpy's npy_floatbits_to_halfbits. One rounding step, so exact for float32 inputs.
 */
export function float16BitsOfFloat32Bits(f: number): number {
  const sign = (f >>> 16) & 0x8000;
  const exponentBits = f & 0x7f800000;
  if (exponentBits >= 0x47800000) {
    const significand = f & 0x007fffff;
    if (exponentBits === 0x7f800000 && significand !== 0) return sign | 0x7c00 | Math.max(1, significand >>> 13); // NaN stays NaN
    return sign | 0x7c00; // infinity, or overflow to it
  }
  if (exponentBits <= 0x38000000) {
    if (exponentBits < 0x33000000) return sign; // below half the smallest subnormal
    const exponent = exponentBits >>> 23;
    let significand = (0x00800000 + (f & 0x007fffff)) >>> (113 - exponent);
    // Add half a unit unless this is an exact tie with an even result; the shift may have dropped set bits.
    if ((significand & 0x3fff) !== 0x1000 || (f & 0x7ff) !== 0) significand += 0x1000;
    return sign | (significand >>> 13); // a carry into the exponent gives the smallest normal, correctly
  }
  let significand = f & 0x007fffff;
  if ((significand & 0x3fff) !== 0x1000) significand += 0x1000;
  // A carry out of the significand bumps the exponent (up to infinity), which is the right answer.
  return sign | (((exponentBits - 0x38000000) >>> 13) + (significand >>> 13));
}

/** binary16 patterns of `values`; float32 input takes an integer fast path (weights of large models). */
export function toFloat16Array(values: ArrayLike<number>): Uint16Array {
  const bits = new Uint16Array(values.length);
  if (values instanceof Float32Array) {
    const words = new Uint32Array(values.buffer, values.byteOffset, values.length);
    for (let i = 0; i < words.length; i += 1) bits[i] = float16BitsOfFloat32Bits(words[i]);
    return bits;
  }
  for (let i = 0; i < values.length; i += 1) bits[i] = float16Bits(values[i]);
  return bits;
}

export function fromFloat16Array(bits: ArrayLike<number>): Float32Array {
  const values = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i += 1) values[i] = float16Value(bits[i]);
  return values;
}

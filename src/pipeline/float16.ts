/**
 * IEEE 754 half-precision conversions for float16 tensors. ONNX Runtime takes and returns float16
 * data as raw 16-bit patterns in a Uint16Array (or as a Float16Array where the engine has one), and
 * Float16Array is too new to rely on, so the pipeline converts with these helpers.
 */

const scratch = new DataView(new ArrayBuffer(4));

/** The float16 bit pattern nearest to `value` (round half to even; overflow → ±Infinity). */
export function float32ToFloat16Bits(value: number): number {
  scratch.setFloat32(0, value);
  const bits = scratch.getUint32(0);
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0); // Inf or NaN
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    // Subnormal half (or zero): shift the full significand right, rounding half to even.
    if (halfExponent < -10) return sign;
    const significand = mantissa | 0x800000;
    const shift = 14 - halfExponent;
    let half = significand >>> shift;
    const remainder = significand & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (remainder > halfway || (remainder === halfway && (half & 1))) half += 1;
    return sign | half;
  }
  let half = (halfExponent << 10) | (mantissa >>> 13);
  const remainder = mantissa & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (and overflows to Infinity at the top).
  if (remainder > 0x1000 || (remainder === 0x1000 && (half & 1))) half += 1;
  return sign | half;
}

/** The value of a float16 bit pattern. */
export function float16BitsToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

export function toFloat16Bits(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = float32ToFloat16Bits(values[i]);
  return out;
}

export function fromFloat16Bits(bits: ArrayLike<number>): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = float16BitsToFloat32(bits[i]);
  return out;
}

/**
 * Float32 values from float16 tensor data: raw bits (Uint16Array) are decoded; a native
 * Float16Array already holds numbers and is copied as such.
 */
export function float16DataToFloat32(data: ArrayLike<number>): Float32Array {
  return data instanceof Uint16Array ? fromFloat16Bits(data) : Float32Array.from(data);
}

// The ONNX graph builder: correct binary16 rounding, ModelProto bytes that decode back to what was
// built, and graphs that onnxruntime-node loads and runs with the expected numbers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { float16Bits, float16BitsOfFloat32Bits, float16Value, fromFloat16Array, toFloat16Array } from '../../tools/onnx/float16.ts';
import { GraphBuildError, GraphBuilder, IR_VERSION, OPSET_VERSION, decodeModel, type Value } from '../../tools/onnx/graph-builder.ts';
import { ModelValidationError, validateModel } from '../../tools/onnx/validate-model.ts';

let workDir: string;
beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'onnx-builder-'));
});
afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

describe('float16 conversion', () => {
  it('encodes exact values, the largest finite value and the smallest subnormal', () => {
    expect(float16Bits(1)).toBe(0x3c00);
    expect(float16Bits(-2)).toBe(0xc000);
    expect(float16Bits(0.1)).toBe(0x2e66); // 0.0999755859375
    expect(float16Bits(65504)).toBe(0x7bff);
    expect(float16Bits(2 ** -14)).toBe(0x0400); // smallest normal
    expect(float16Bits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(float16Bits(1023 * 2 ** -24)).toBe(0x03ff); // largest subnormal
    expect(float16Bits(0)).toBe(0);
    expect(float16Bits(-0)).toBe(0x8000);
    expect(float16Bits(Infinity)).toBe(0x7c00);
    expect(float16Bits(-Infinity)).toBe(0xfc00);
    expect(float16Bits(NaN) & 0x7c00).toBe(0x7c00);
    expect(float16Bits(NaN) & 0x03ff).not.toBe(0);
  });

  it('rounds to nearest with ties to even, also across the subnormal and overflow boundaries', () => {
    expect(float16Bits(1 + 2 ** -11)).toBe(0x3c00); // halfway, 0x3c00 is even
    expect(float16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // halfway, 0x3c02 is even
    expect(float16Bits(1 + 2 ** -11 + 2 ** -30)).toBe(0x3c01); // just above halfway
    // Rounding through float32 first would land on the tie and then go down to 0x3c00.
    expect(float16Bits(1 + 2 ** -11 + 2 ** -40)).toBe(0x3c01);
    expect(float16Bits(2 ** -25)).toBe(0); // half the smallest subnormal: tie to 0
    expect(float16Bits(3 * 2 ** -25)).toBe(0x0002); // 1.5 units: tie to 2
    expect(float16Bits(2 ** -25 * 1.0001)).toBe(0x0001);
    expect(float16Bits(65519.99)).toBe(0x7bff);
    expect(float16Bits(65520)).toBe(0x7c00); // halfway to 65536: rounds up, to infinity
    expect(float16Bits(2047.5)).toBe(float16Bits(2048)); // halfway, mantissa carries into the exponent
    expect(float16Value(0x3555)).toBeCloseTo(1 / 3, 3);
  });

  it('converts float32 arrays by integer arithmetic exactly as from the doubles', () => {
    const value = new Float32Array(1);
    const word = new Uint32Array(value.buffer);
    const mismatches: number[] = [];
    // Every exponent, both signs, significands strided, and low bits at and around the rounding ties.
    for (let exponent = 0; exponent < 255; exponent += 1) {
      for (let significand = 0; significand < 1 << 23; significand += 65_537) {
        for (const low of [0, 1, 0x7ff, 0x800, 0xfff, 0x1000, 0x1001, 0x2000, 0x3000, 0x3fff]) {
          for (const sign of [0, 1]) {
            word[0] = ((sign << 31) | (exponent << 23) | (significand & ~0x3fff) | low) >>> 0;
            if (float16BitsOfFloat32Bits(word[0]) !== float16Bits(value[0])) mismatches.push(word[0]);
          }
        }
      }
    }
    expect(mismatches).toEqual([]);
    expect(Array.from(toFloat16Array(new Float32Array([1, 0.1, 65504, 65520, 2 ** -24, 2 ** -25])))).toEqual([0x3c00, 0x2e66, 0x7bff, 0x7c00, 1, 0]);
  });

  it('round-trips every finite bit pattern', () => {
    const mismatches: number[] = [];
    for (let bits = 0; bits < 0x10000; bits += 1) {
      const exponent = (bits >> 10) & 0x1f;
      if (exponent === 0x1f && (bits & 0x3ff) !== 0) continue; // NaN payloads
      if (float16Bits(float16Value(bits)) !== bits) mismatches.push(bits);
    }
    expect(mismatches).toEqual([]);
    expect(Array.from(fromFloat16Array(toFloat16Array([0.5, -3, 1024])))).toEqual([0.5, -3, 1024]);
  });
});

/** x [batch, 3] float32 → y = x · w (fp16 weights) + cumulative index (via Shape/Range), and that length. */
function tinyModel(): GraphBuilder {
  const g = new GraphBuilder('tiny');
  const x = g.input('x', 'float32', ['batch', 3]);
  const weights = g.float16([1, 0.1, 65504], [3], 'weights');
  const scaled = g.mul(x, g.cast(weights, 'float32'));
  const n = g.squeeze(g.shape(x, 1, 2), [0]);
  const indices = g.cast(g.range(g.int64([0], []), n, g.int64([1], [])), 'float32');
  g.output(g.add(scaled, g.cumSum(indices, 0)), 'y', 'float32', ['batch', 3]);
  g.output(g.unsqueeze(n, [0]), 'length', 'int64', [1]);
  return g;
}

async function run(bytesOrPath: Uint8Array | string, feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.OnnxValueMapType> {
  const session = typeof bytesOrPath === 'string' ? await ort.InferenceSession.create(bytesOrPath) : await ort.InferenceSession.create(bytesOrPath);
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

describe('GraphBuilder', () => {
  it('writes opset 17, IR 8, dynamic dims and a float16 initializer that decode back', () => {
    const model = decodeModel(tinyModel().encode({ metadata: { b: '2', a: '1' } }));
    expect(Number(model.irVersion)).toBe(IR_VERSION);
    expect(model.opsetImport.map((opset) => [opset.domain, Number(opset.version)])).toEqual([['', OPSET_VERSION]]);
    expect(model.metadataProps.map((entry) => entry.key)).toEqual(['a', 'b']);
    const input = model.graph?.input?.[0];
    expect(input?.name).toBe('x');
    expect(input?.type?.tensorType?.shape?.dim?.map((dim) => dim.dimParam || Number(dim.dimValue))).toEqual(['batch', 3]);
    const weights = model.graph?.initializer?.find((tensor) => tensor.name === 'weights');
    expect(weights?.dataType).toBe(10);
    const raw = Uint8Array.from(weights?.rawData ?? []); // a copy: decoded bytes are views into a shared pool
    expect(Array.from(new Uint16Array(raw.buffer))).toEqual([0x3c00, 0x2e66, 0x7bff]);
    const names = model.graph?.node?.map((node) => node.name) ?? [];
    expect(new Set(names).size).toBe(names.length);
  });

  it('runs in onnxruntime-node for any batch size', async () => {
    const bytes = tinyModel().encode();
    for (const batch of [1, 3]) {
      const x = new Float32Array(batch * 3).fill(2);
      const result = await run(bytes, { x: new ort.Tensor('float32', x, [batch, 3]) });
      expect(result.y.dims).toEqual([batch, 3]);
      // 2 · fp16(w) + cumsum(0, 1, 2)
      expect(Array.from(result.y.data as Float32Array).slice(0, 3)).toEqual([2, 2 * 0.0999755859375 + 1, 131008 + 3]);
      expect(Array.from(result.length.data as BigInt64Array)).toEqual([3n]);
    }
  });

  it('is deterministic: the same graph encodes to the same bytes', () => {
    expect(Buffer.from(tinyModel().encode()).equals(Buffer.from(tinyModel().encode()))).toBe(true);
  });

  it('computes GroupNorm, Resize and SiLU like their definitions', async () => {
    const g = new GraphBuilder('ops');
    const x = g.input('x', 'float32', [1, 4, 2, 2]);
    const gamma = g.float32([1, 2, 1, 1], [4, 1, 1]);
    const beta = g.float32([0, 0, 0, 1], [4, 1, 1]);
    g.output(g.groupNorm(x, 2, gamma, beta, 'float32', 1e-5), 'normed', 'float32', [1, 4, 2, 2]);
    g.output(g.resizeNearest(x, 2), 'upsampled', 'float32', [1, 4, 4, 4]);
    g.output(g.silu(x), 'silu', 'float32', [1, 4, 2, 2]);
    const values = Float32Array.from({ length: 16 }, (_, i) => i * 0.5 - 3);
    const result = await run(g.encode(), { x: new ort.Tensor('float32', values, [1, 4, 2, 2]) });
    const normed = result.normed.data as Float32Array;
    for (let group = 0; group < 2; group += 1) {
      const slice = Array.from(values.slice(group * 8, group * 8 + 8));
      const mean = slice.reduce((a, b) => a + b, 0) / 8;
      const variance = slice.reduce((a, b) => a + (b - mean) ** 2, 0) / 8;
      slice.forEach((value, i) => {
        const channel = group * 2 + Math.floor(i / 4);
        const expected = ((value - mean) / Math.sqrt(variance + 1e-5)) * [1, 2, 1, 1][channel] + [0, 0, 0, 1][channel];
        expect(normed[group * 8 + i]).toBeCloseTo(expected, 5);
      });
    }
    const upsampled = result.upsampled.data as Float32Array;
    expect(upsampled[0 * 16 + 1 * 4 + 1]).toBe(values[0]);
    expect(upsampled[1 * 16 + 3 * 4 + 2]).toBe(values[4 + 1 * 2 + 1]);
    expect((result.silu.data as Float32Array)[0]).toBeCloseTo(-3 / (1 + Math.exp(3)), 6);
  });

  it('streams large weights to an external data file that onnxruntime resolves next to the model', async () => {
    const g = new GraphBuilder('external');
    const x = g.input('x', 'float32', [4]);
    const sum = g.add(x, g.float32([10, 20, 30, 40], [4], 'big_weight'));
    g.output(g.unsqueeze(sum, [0]), 'y', 'float32', [1, 4]); // its 8-byte axes constant stays inline
    const modelPath = join(workDir, 'external.onnx');
    const written = g.writeWithExternalData(modelPath, 'external.onnx_data', {}, 16);
    expect(written.dataBytes).toBe(16);
    const result = await run(modelPath, { x: new ort.Tensor('float32', new Float32Array([1, 2, 3, 4]), [4]) });
    expect(Array.from(result.y.data as Float32Array)).toEqual([11, 22, 33, 44]);
  });

  it('can stand in generated constants for large weights, keeping the structure loadable', async () => {
    const g = new GraphBuilder('structure');
    const x = g.input('x', 'float32', ['batch', 2048]);
    g.output(g.matMul(x, g.float32(new Float32Array(2048 * 4), [2048, 4], 'large')), 'y', 'float32', ['batch', 4]);
    const bytes = g.encodeStructureOnly();
    expect(bytes.length).toBeLessThan(2048);
    const result = await run(bytes, { x: new ort.Tensor('float32', new Float32Array(2048).fill(1), [1, 2048]) });
    expect((result.y.data as Float32Array)[0]).toBeCloseTo(2048 * 0.01, 2);
  });

  it('refuses to read a value no node produces', () => {
    const g = new GraphBuilder('broken');
    const stray: Value = new GraphBuilder('other').input('elsewhere', 'float32', [1]);
    expect(() => g.sqrt(stray)).toThrowError(GraphBuildError);
  });
});

describe('validateModel', () => {
  const expected = {
    inputs: [{ name: 'x', type: 'float32', dims: ['batch', 3] }],
    outputs: [
      { name: 'y', type: 'float32', dims: ['batch', 3] },
      { name: 'length', type: 'int64', dims: [1] },
    ],
  } as const;

  it('accepts a model whose interface matches', async () => {
    await expect(validateModel(tinyModel().encode(), expected)).resolves.toBeUndefined();
  });

  it('names every mismatch: element type and dims', async () => {
    const wrong = {
      inputs: [{ name: 'x', type: 'float16', dims: ['batch', 'n'] }],
      outputs: expected.outputs,
    } as const;
    const error = await validateModel(tinyModel().encode(), wrong).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ModelValidationError);
    expect((error as ModelValidationError).code).toBe('MODEL_VALIDATION_FAILED');
    expect((error as ModelValidationError).problems).toEqual([
      'input x has type float32, expected float16',
      'input x has dims [batch, 3], expected [batch, n]',
    ]);
  });
});

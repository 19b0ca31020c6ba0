// The device loop's ONNX graphs: the committed module is what the generator makes today, every
// graph loads in onnxruntime-node with the interface the pipeline feeds, and computes what
// step-graph-spec.ts says (float16 model outputs included).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { samplerStepScalars, stepGraphBytes } from '../../src/pipeline/device-steps.ts';
import { fromFloat16Bits, toFloat16Bits } from '../../src/pipeline/float16.ts';
import { randomNormal } from '../../src/pipeline/random.ts';
import {
  allStepGraphNames,
  GUIDANCE_LAYOUTS,
  NO_CLIP,
  SAMPLER_STEP_INPUTS,
  SAMPLER_STEP_OUTPUTS,
  SCALE_CAST_INPUTS,
  SCALE_CAST_OUTPUT,
  samplerStepGraphName,
  scaleCastGraphName,
  STEP_FLOAT_TYPES,
  type GuidanceLayout,
  type StepFloatType,
} from '../../src/pipeline/step-graph-spec.ts';
import type { StepCoefficients } from '../../src/pipeline/schedulers/index.ts';
import { STEP_GRAPHS_MODULE, stepGraphs, stepGraphsModuleSource } from '../../tools/models/step-graphs.ts';
import { decodeModel } from '../../tools/onnx/graph-builder.ts';
import { validateModel } from '../../tools/onnx/validate-model.ts';
import { repoRoot } from '../../tools/tokenizer/clip-vocabulary.ts';

const [H, W] = [3, 5];
const SIZE = 4 * H * W;

describe('the generated module', () => {
  it('is what tools/models/step-graphs.ts generates now (run it after changing the graphs)', () => {
    const committed = readFileSync(join(repoRoot(), STEP_GRAPHS_MODULE), 'utf8');
    expect(committed).toBe(stepGraphsModuleSource());
  });

  it('holds every graph the pipeline asks for, and stepGraphBytes decodes them byte for byte', () => {
    const graphs = stepGraphs();
    expect(graphs.map((g) => g.name)).toEqual(allStepGraphNames());
    for (const graph of graphs) expect(Buffer.from(stepGraphBytes(graph.name)).equals(Buffer.from(graph.bytes))).toBe(true);
    expect(() => stepGraphBytes('no_such_graph')).toThrow(expect.objectContaining({ code: 'step-graph-unavailable' }));
  });

  it('every graph loads in onnxruntime-node with the expected inputs and outputs', async () => {
    for (const graph of stepGraphs()) await validateModel(graph.bytes, graph.expected, { label: graph.name });
  });

  it("uses only operators onnxruntime-web's WebGPU provider implements (anything else would run on the CPU, with copies)", () => {
    // The table of node_modules/onnxruntime-web/docs/webgpu-operators.md: "| Op | ai.onnx(…) | notes |".
    const table = readFileSync(join(repoRoot(), 'node_modules', 'onnxruntime-web', 'docs', 'webgpu-operators.md'), 'utf8');
    const supported = new Set([...table.matchAll(/^\| (\w+) \| ai\.onnx/gm)].map((m) => m[1]));
    expect(supported.has('Add') && supported.has('Where')).toBe(true);
    expect(supported.has('Max')).toBe(false); // why the clamp is made of Where and comparisons
    for (const graph of stepGraphs()) {
      const ops = new Set((decodeModel(graph.bytes).graph?.node ?? []).map((node) => node.opType ?? ''));
      const missing = [...ops].filter((op) => !supported.has(op));
      expect(missing, graph.name).toEqual([]);
    }
  });
});

/** A float tensor of `type` from float32 values (float16 as bit patterns). */
function floatTensor(type: StepFloatType, values: Float32Array, dims: number[]): ort.Tensor {
  return type === 'float16' ? new ort.Tensor('float16', toFloat16Bits(values), dims) : new ort.Tensor('float32', values, dims);
}

async function runGraph(name: string, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(stepGraphBytes(name));
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, label: string): void {
  expect(actual.length, label).toBe(expected.length);
  const worst = Math.max(...Array.from(expected, (e, i) => Math.abs(actual[i] - e) / Math.max(1, Math.abs(e))));
  expect(worst, label).toBeLessThanOrEqual(tolerance);
}

describe('sampler step', () => {
  const k: StepCoefficients = { inputScale: 1, p: 1.3, q: -0.7, clipRange: 1.5, a: 0.9, b: 0.2, c: -0.4, d: 0.3, e: 0.25, m: 0.1, n: 0.8 };
  const cases = GUIDANCE_LAYOUTS.flatMap((layout) => STEP_FLOAT_TYPES.map((type) => ({ layout, type })));

  it.each(cases)('$layout layout, $type UNet output: guidance, clipped x0, next sample and preview', async ({ layout, type }: { layout: GuidanceLayout; type: StepFloatType }) => {
    const x = randomNormal(1, SIZE);
    const x0Previous = randomNormal(2, SIZE);
    const z = randomNormal(3, SIZE);
    // Model outputs as the UNet gives them: float16 values are what comes back from a float16 graph.
    const asModel = (v: Float32Array) => (type === 'float16' ? fromFloat16Bits(toFloat16Bits(v)) : v);
    const uncond = asModel(randomNormal(4, SIZE).map((v) => 2 * v));
    const cond = asModel(randomNormal(5, SIZE).map((v) => 2 * v));
    const g = 3.5;
    const guided = layout === 'single' ? cond : uncond.map((u, i) => u + g * (cond[i] - u));

    const dims = [1, 4, H, W];
    const feeds: Record<string, ort.Tensor> = {
      [SAMPLER_STEP_INPUTS.x]: new ort.Tensor('float32', x, dims),
      [SAMPLER_STEP_INPUTS.x0Previous]: new ort.Tensor('float32', x0Previous, dims),
      [SAMPLER_STEP_INPUTS.noise]: new ort.Tensor('float32', z, dims),
    };
    if (layout === 'pair') {
      feeds[SAMPLER_STEP_INPUTS.uncond] = floatTensor(type, uncond, dims);
      feeds[SAMPLER_STEP_INPUTS.cond] = floatTensor(type, cond, dims);
    } else if (layout === 'batched') {
      const both = new Float32Array(2 * SIZE);
      both.set(uncond);
      both.set(cond, SIZE);
      feeds[SAMPLER_STEP_INPUTS.modelOutput] = floatTensor(type, both, [2, 4, H, W]);
    } else {
      feeds[SAMPLER_STEP_INPUTS.modelOutput] = floatTensor(type, cond, dims);
    }
    for (const [name, value] of Object.entries(samplerStepScalars(k, layout === 'single' ? null : g))) feeds[name] = new ort.Tensor('float32', Float32Array.of(value), []);

    const outputs = await runGraph(samplerStepGraphName(layout, type), feeds);
    const x0 = guided.map((e, i) => Math.min(Math.max(k.p * x[i] + k.q * e, -k.clipRange), k.clipRange));
    expect(x0.some((v) => Math.abs(v) === k.clipRange)).toBe(true);
    const next = x.map((v, i) => k.a * v + k.b * guided[i] + k.c * x0[i] + k.d * x0Previous[i] + k.e * z[i]);
    const preview = x.map((v, i) => k.m * v + k.n * x0[i]);
    for (const [name, expected] of [[SAMPLER_STEP_OUTPUTS.x0, x0], [SAMPLER_STEP_OUTPUTS.next, next], [SAMPLER_STEP_OUTPUTS.preview, preview]] as const) {
      const tensor = outputs[name];
      expect(tensor.type).toBe('float32');
      expect(tensor.dims).toEqual(dims);
      expectClose(tensor.data as Float32Array, expected, 1e-5, `${layout} ${type} ${name}`);
    }
  });

  it('"no clipping" is a clamp at the largest float32, which leaves every finite value alone', async () => {
    const scalars = samplerStepScalars({ ...k, clipRange: Number.POSITIVE_INFINITY }, null);
    expect(scalars.clip).toBe(NO_CLIP);
    expect(Math.fround(NO_CLIP)).toBe(NO_CLIP);
    const big = Float32Array.from({ length: SIZE }, (_, i) => (i % 2 ? 1 : -1) * 1e30);
    const dims = [1, 4, H, W];
    const feeds: Record<string, ort.Tensor> = {
      [SAMPLER_STEP_INPUTS.x]: new ort.Tensor('float32', big, dims),
      [SAMPLER_STEP_INPUTS.modelOutput]: new ort.Tensor('float32', new Float32Array(SIZE), dims),
      [SAMPLER_STEP_INPUTS.x0Previous]: new ort.Tensor('float32', new Float32Array(SIZE), dims),
      [SAMPLER_STEP_INPUTS.noise]: new ort.Tensor('float32', new Float32Array(SIZE), dims),
    };
    for (const [name, value] of Object.entries({ ...scalars, p: 1, q: 0 })) feeds[name] = new ort.Tensor('float32', Float32Array.of(value), []);
    const outputs = await runGraph(samplerStepGraphName('single', 'float32'), feeds);
    expect(Array.from(outputs[SAMPLER_STEP_OUTPUTS.x0].data as Float32Array)).toEqual(Array.from(big));
  });
});

describe('scale and cast', () => {
  const cases = STEP_FLOAT_TYPES.flatMap((type) => ([1, 2] as const).map((batch) => ({ type, batch })));
  it.each(cases)('$type, batch $batch: Cast(k·x), repeated along the batch', async ({ type, batch }) => {
    const x = randomNormal(9, SIZE).map((v) => 5 * v);
    const k = 0.0718;
    const outputs = await runGraph(scaleCastGraphName(type, batch), {
      [SCALE_CAST_INPUTS.x]: new ort.Tensor('float32', x, [1, 4, H, W]),
      [SCALE_CAST_INPUTS.factor]: new ort.Tensor('float32', Float32Array.of(k), []),
    });
    const out = outputs[SCALE_CAST_OUTPUT];
    expect(out.type).toBe(type);
    expect(out.dims).toEqual([batch, 4, H, W]);
    const values = type === 'float16' ? fromFloat16Bits(out.data as Uint16Array) : (out.data as Float32Array);
    const once = x.map((v) => Math.fround(v * Math.fround(k)));
    const expected = type === 'float16' ? fromFloat16Bits(toFloat16Bits(once)) : once;
    for (let b = 0; b < batch; b++) expectClose(values.subarray(b * SIZE, (b + 1) * SIZE), expected, type === 'float16' ? 1e-3 : 1e-7, `${type} batch ${b}`);
  });
});

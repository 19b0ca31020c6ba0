// The whole diffusion pipeline on the Shapes oracle (shared/oracle-model.md) in Node, through
// onnxruntime-node behind the same runtime interface the worker gives onnxruntime-web. The oracle's
// UNet predicts the noise exactly, so every scheduler must land on the oracle's colours.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as ortNode from 'onnxruntime-node';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { DiffusionPipeline, type GenerateParams, type GenerateResult, type LatentPreview, type StepProgress } from '../../src/pipeline/diffusion-pipeline.ts';
import { GenerationCancelledError, InvalidGenerateParamsError, ModelFileError, ModelLoadError } from '../../src/pipeline/errors.ts';
import type { FetchLike } from '../../src/pipeline/model-files.ts';
import { oracleModel, ORACLE_VPRED_MODEL_ID, type PipelineModel } from '../../src/pipeline/model.ts';
import { ortRuntime, type OnnxRuntime, type OrtModule, type RuntimeSession, type RuntimeTensor } from '../../src/pipeline/runtime.ts';
import { SCHEDULERS, type SchedulerName } from '../../src/pipeline/schedulers/index.ts';

const MODELS_DIR = resolve(fileURLToPath(new URL('../../public/models/', import.meta.url)));
const ORACLE_URL = pathToFileURL(`${MODELS_DIR}/oracle-shapes/`).href;
const VPRED_URL = pathToFileURL(`${MODELS_DIR}/oracle-shapes-vpred/`).href;

type Rgb = readonly [number, number, number];
const RED: Rgb = [230, 40, 40];
const GREEN: Rgb = [40, 200, 60];
const BLUE: Rgb = [40, 80, 230];
const WHITE: Rgb = [240, 240, 240];

/** fetch for file: URLs, counting requests. */
const requested: string[] = [];
const fileFetch: FetchLike = async (url, { signal }) => {
  signal?.throwIfAborted();
  requested.push(url);
  try {
    const bytes = await readFile(fileURLToPath(url));
    return new Response(bytes, { headers: { 'Content-Length': String(bytes.byteLength) } });
  } catch {
    return new Response('missing', { status: 404 });
  }
};

const nodeRuntime = (): OnnxRuntime => ortRuntime(ortNode as unknown as OrtModule, 'cpu');

/**
 * Every pixel at least 8 px inside the shape, or 8 px outside it, against the expected colour:
 * returns the largest channel difference in each region.
 */
function shapeErrors(result: GenerateResult, shape: 'circle' | 'square', inside: Rgb, outside: Rgb): { inside: number; outside: number } {
  const { rgba, width, height } = result;
  const radius = Math.min(width, height) / 4;
  const errors = { inside: 0, outside: 0 };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const dx = x + 0.5 - width / 2;
      const dy = y + 0.5 - height / 2;
      const distance = shape === 'circle' ? Math.hypot(dx, dy) : Math.max(Math.abs(dx), Math.abs(dy));
      const region = distance < radius - 8 ? 'inside' : distance > radius + 8 ? 'outside' : null;
      if (!region) continue;
      const want = region === 'inside' ? inside : outside;
      for (let c = 0; c < 3; c++) errors[region] = Math.max(errors[region], Math.abs(rgba[4 * (y * width + x) + c] - want[c]));
    }
  }
  return errors;
}

/** The picture's colours are within `tolerance` of the expected ones inside and outside the shape. */
function expectPicture(result: GenerateResult, shape: 'circle' | 'square', inside: Rgb, outside: Rgb, tolerance: number, label = ''): void {
  const errors = shapeErrors(result, shape, inside, outside);
  expect(errors.inside, `${label} inside the ${shape}`).toBeLessThanOrEqual(tolerance);
  expect(errors.outside, `${label} outside the ${shape}`).toBeLessThanOrEqual(tolerance);
}

const BASE: GenerateParams = {
  prompt: 'a red circle on a blue background',
  seed: 42,
  steps: 8,
  guidance: 1,
  width: 128,
  height: 128,
  scheduler: 'euler',
};

let runtime: OnnxRuntime;
let oracle: DiffusionPipeline;

beforeAll(async () => {
  if (!existsSync(`${MODELS_DIR}/oracle-shapes/unet/model.onnx`)) throw new Error('Run `npm run build:models` first: public/models is missing.');
  runtime = nodeRuntime();
  oracle = await DiffusionPipeline.load(oracleModel(ORACLE_URL), oracleModel(ORACLE_URL).variants[0], runtime, { fetch: fileFetch });
});

describe('the oracle draws its pictures with every scheduler', () => {
  const cases = SCHEDULERS.flatMap(({ id }) => [1, 8].map((steps) => ({ scheduler: id, steps })));
  it.each(cases)('$scheduler at $steps step(s): a red circle on blue, a green square on white, within ±3', async ({ scheduler, steps }) => {
    const circle = await oracle.generate({ ...BASE, scheduler, steps });
    expectPicture(circle, 'circle', RED, BLUE, 3);
    const square = await oracle.generate({ ...BASE, prompt: 'a green square on a white background', scheduler, steps, seed: 7 });
    expectPicture(square, 'square', GREEN, WHITE, 3);
  });

  it('sizes other than square work (192 × 128), and the image is RGBA with opaque alpha', async () => {
    const result = await oracle.generate({ ...BASE, width: 192, height: 128, steps: 4 });
    expect(result.rgba).toHaveLength(192 * 128 * 4);
    expect(result.rgba.filter((_, i) => i % 4 === 3).every((a) => a === 255)).toBe(true);
    expectPicture(result, 'circle', RED, BLUE, 3);
  });
});

describe('guidance', () => {
  it.each(['euler', 'ddim', 'dpmpp_2m'] as SchedulerName[])('guidance 2 extrapolates from grey and clips (%s): red → (255, 0, 0), blue → (0, 32, 255)', async (scheduler) => {
    const result = await oracle.generate({ ...BASE, guidance: 2, scheduler });
    expect(result.stats.guidance).toBe('batched');
    expect(result.stats.unetRuns).toBe(8);
    expectPicture(result, 'circle', [255, 0, 0], [0, 32, 255], 3);
  });

  it('a negative prompt replaces the unconditional input: x0 = negative + 2 · (prompt − negative)', async () => {
    const result = await oracle.generate({ ...BASE, guidance: 2, negativePrompt: 'a green square on a white background' });
    // Inside the circle: 2·red − green; outside the square: 2·blue − white (clipped).
    expect(shapeErrors(result, 'circle', [255, 0, 20], [0, 0, 220]).inside).toBeLessThanOrEqual(3);
    expect(shapeErrors(result, 'square', [255, 0, 20], [0, 0, 220]).outside).toBeLessThanOrEqual(3);
  });

  it('guidance ≤ 1 is off: one UNet run per step and the plain colours', async () => {
    const result = await oracle.generate({ ...BASE, guidance: 1, negativePrompt: 'a green square', steps: 3 });
    expect(result.stats.guidance).toBe('off');
    expect(result.stats.unetRuns).toBe(3);
    expectPicture(result, 'circle', RED, BLUE, 3);
  });

  it('a UNet fixed at batch 1 runs guidance as two passes with the same result', async () => {
    const batchOne = await DiffusionPipeline.load(oracleModel(ORACLE_URL), oracleModel(ORACLE_URL).variants[0], withFixedBatch(nodeRuntime(), 1), { fetch: fileFetch });
    try {
      expect(batchOne.unetIo.batch).toBe(1);
      expect(batchOne.textEncoderIo.batch).toBe(1);
      const params = { ...BASE, guidance: 2, negativePrompt: 'a green square on a white background', steps: 4 };
      const twoPass = await batchOne.generate(params);
      expect(twoPass.stats.guidance).toBe('two-pass');
      expect(twoPass.stats.unetRuns).toBe(8);
      const batched = await oracle.generate(params);
      const maxDifference = twoPass.rgba.reduce((max, v, i) => Math.max(max, Math.abs(v - batched.rgba[i])), 0);
      expect(maxDifference).toBeLessThanOrEqual(1);
    } finally {
      await batchOne.release();
    }
  });
});

describe('variants', () => {
  it.each([1, 8])('the v-prediction oracle draws the same picture (%i steps, every scheduler)', async (steps) => {
    const model: PipelineModel = oracleModel(VPRED_URL, { id: ORACLE_VPRED_MODEL_ID });
    const vpred = await DiffusionPipeline.load(model, model.variants[0], nodeRuntime(), { fetch: fileFetch });
    try {
      for (const { id } of SCHEDULERS) {
        const result = await vpred.generate({ ...BASE, scheduler: id, steps });
        expectPicture(result, 'circle', RED, BLUE, 3, id);
      }
    } finally {
      await vpred.release();
    }
  });

  it('the fp16 oracle (float16 inputs, outputs and timestep): ±8 at 1 step, ±3 from 4 steps', async () => {
    const model = oracleModel(ORACLE_URL, { dtypes: ['fp16'] });
    const half = await DiffusionPipeline.load(model, model.variants[0], nodeRuntime(), { fetch: fileFetch });
    try {
      expect(half.unetIo.sample.type).toBe('float16');
      expect(half.unetIo.timestep.type).toBe('float16');
      const one = await half.generate({ ...BASE, steps: 1 });
      expectPicture(one, 'circle', RED, BLUE, 8);
      const four = await half.generate({ ...BASE, steps: 4, scheduler: 'dpmpp_2m_karras' });
      expectPicture(four, 'circle', RED, BLUE, 3);
    } finally {
      await half.release();
    }
  });
});

describe('seeds', () => {
  it('the same seed twice gives identical pixels (stochastic Euler a included)', async () => {
    for (const scheduler of ['euler', 'euler_a'] as SchedulerName[]) {
      const a = await oracle.generate({ ...BASE, scheduler, seed: 1234 });
      const b = await oracle.generate({ ...BASE, scheduler, seed: 1234 });
      expect(Buffer.from(a.rgba).equals(Buffer.from(b.rgba))).toBe(true);
      expect(a.stats.initialLatentDigest).toBe(b.stats.initialLatentDigest);
    }
  });

  it('different seeds start from different latents (the UNet sees a different first sample)', async () => {
    const recorder = recordingRuntime(nodeRuntime());
    const pipeline = await DiffusionPipeline.load(oracleModel(ORACLE_URL), oracleModel(ORACLE_URL).variants[0], recorder.runtime, { fetch: fileFetch });
    try {
      const first = await pipeline.generate({ ...BASE, seed: 1, steps: 1 });
      const second = await pipeline.generate({ ...BASE, seed: 2, steps: 1 });
      expect(first.stats.initialLatentDigest).not.toBe(second.stats.initialLatentDigest);
      expect(recorder.firstSamples).toHaveLength(2);
      expect(recorder.firstSamples[0]).toHaveLength(4 * 16 * 16);
      expect(recorder.firstSamples[0]).not.toEqual(recorder.firstSamples[1]);
      // The oracle's answer does not depend on the noise: both are the same picture.
      expectPicture(second, 'circle', RED, BLUE, 3);
    } finally {
      await pipeline.release();
    }
  });
});

describe('progress, previews, cancel and resources', () => {
  it('reports every step in order with growing elapsed time, and previews every 2 steps', async () => {
    const progress: StepProgress[] = [];
    const previews: LatentPreview[] = [];
    await oracle.generate({ ...BASE, steps: 7 }, { onProgress: (p) => progress.push(p), onPreview: (p) => previews.push(p) });
    expect(progress.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(progress.every((p) => p.total === 7)).toBe(true);
    expect(progress.every((p, i) => i === 0 || p.elapsedMs >= progress[i - 1].elapsedMs)).toBe(true);
    expect(previews.map((p) => p.step)).toEqual([2, 4, 6]);
    // The preview is the predicted clean latent at latent resolution: for the oracle, the picture itself.
    const preview = previews[0];
    expect([preview.width, preview.height, preview.rgba.length]).toEqual([16, 16, 16 * 16 * 4]);
    const centre = 4 * (8 * 16 + 8);
    const corner = 0;
    expect(Math.max(...Array.from(preview.rgba.slice(centre, centre + 3), (v, c) => Math.abs(v - RED[c])))).toBeLessThanOrEqual(3);
    expect(Math.max(...Array.from(preview.rgba.slice(corner, corner + 3), (v, c) => Math.abs(v - BLUE[c])))).toBeLessThanOrEqual(3);
  });

  it('cancel stops within one step with an AbortError, and the next generation works', async () => {
    const controller = new AbortController();
    const steps: number[] = [];
    const cancelled = oracle.generate({ ...BASE, steps: 20 }, {
      signal: controller.signal,
      onProgress: (p) => {
        steps.push(p.step);
        if (p.step === 3) controller.abort();
      },
    });
    await expect(cancelled).rejects.toBeInstanceOf(GenerationCancelledError);
    await expect(cancelled).rejects.toMatchObject({ name: 'AbortError', code: 'cancelled' });
    expect(steps).toEqual([1, 2, 3]);
    expect(runtime.counters.liveTensors).toBe(0);
    const after = await oracle.generate({ ...BASE, steps: 2 });
    expectPicture(after, 'circle', RED, BLUE, 3);
  });

  it('an already aborted signal runs nothing', async () => {
    const runsBefore = runtime.counters.liveTensors;
    await expect(oracle.generate(BASE, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    expect(runtime.counters.liveTensors).toBe(runsBefore);
  });

  it('every tensor a generation makes is disposed: 20 generations leave none alive', async () => {
    for (let i = 0; i < 20; i++) {
      const result = await oracle.generate({ ...BASE, steps: 2, guidance: i % 2 ? 2 : 1, seed: i });
      expect(result.stats.liveTensors).toBe(0);
    }
    expect(runtime.counters.liveTensors).toBe(0);
    // CPU tensors never come back from a GPU.
    expect(runtime.counters.readbacks).toBe(0);
  });

  it('times every session.run: Σ run time is positive, within the parts it belongs to, and accumulates on the runtime', async () => {
    const before = runtime.counters.sessionRunMs;
    const result = await oracle.generate({ ...BASE, steps: 3, guidance: 2 });
    const { sessionRunMs, textEncoderMs, unetMs, vaeMs, totalMs } = result.timings;
    expect(sessionRunMs).toBeGreaterThan(0);
    expect(sessionRunMs).toBeLessThanOrEqual(textEncoderMs + unetMs + vaeMs);
    expect(sessionRunMs).toBeLessThanOrEqual(totalMs);
    expect(runtime.counters.sessionRunMs - before).toBeCloseTo(sessionRunMs, 6);
  });

  it('passes benchmark session tuning to ONNX Runtime, and the app defaults without it', async () => {
    const seen: object[] = [];
    const recording: OrtModule = {
      Tensor: ortNode.Tensor as unknown as OrtModule['Tensor'],
      InferenceSession: {
        create: (model, options) => {
          seen.push(options ?? {});
          return (ortNode.InferenceSession.create as OrtModule['InferenceSession']['create'])(model, options);
        },
      },
    };
    const model = await readFile(fileURLToPath(new URL('text_encoder/model.onnx', ORACLE_URL)));
    await (await ortRuntime(recording, 'cpu').createSession({ model, externalData: [], outputsOnGpu: false })).release();
    const tuning = { graphOptimizationLevel: 'basic', freeDimensionOverrides: { batch: 2 }, enableMemPattern: false, extra: { 'session.disable_prepacking': '1' } } as const;
    await (await ortRuntime(recording, 'cpu', tuning).createSession({ model, externalData: [], outputsOnGpu: false })).release();
    expect(seen[0]).toMatchObject({ executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
    expect(seen[0]).not.toHaveProperty('freeDimensionOverrides');
    expect(seen[1]).toMatchObject({ graphOptimizationLevel: 'basic', freeDimensionOverrides: { batch: 2 }, enableMemPattern: false, extra: { 'session.disable_prepacking': '1' } });
  });

  it('rejects bad parameters with InvalidGenerateParamsError', async () => {
    const bad: Partial<GenerateParams>[] = [{ width: 100 }, { height: 4096 }, { steps: 0 }, { seed: -1 }, { seed: 2 ** 32 }, { guidance: Number.NaN }, { scheduler: 'plms' as SchedulerName }];
    for (const change of bad) {
      await expect(oracle.generate({ ...BASE, ...change })).rejects.toBeInstanceOf(InvalidGenerateParamsError);
    }
  });
});

describe('the device loop (latents stay runtime tensors; forced on here, WebGPU uses it by default)', () => {
  const load = async (model: PipelineModel, runtime: OnnxRuntime, latentsOnDevice: boolean) =>
    DiffusionPipeline.load(model, model.variants[0], runtime, { fetch: fileFetch, latentsOnDevice });

  /** One generation with its previews. */
  async function run(pipeline: DiffusionPipeline, params: GenerateParams): Promise<{ result: GenerateResult; previews: LatentPreview[] }> {
    const previews: LatentPreview[] = [];
    const result = await pipeline.generate(params, { onPreview: (p) => previews.push(p) });
    return { result, previews };
  }

  /** Same pixels (±1), same previews (±1), and each ran the loop it was meant to. */
  async function expectSameAsHost(device: DiffusionPipeline, host: DiffusionPipeline, params: GenerateParams, label: string): Promise<GenerateResult> {
    const onDevice = await run(device, params);
    const onHost = await run(host, params);
    expect(onDevice.result.stats.latents, label).toBe('device');
    expect(onHost.result.stats.latents, label).toBe('host');
    expect(maxDifference(onDevice.result.rgba, onHost.result.rgba), `${label}: image`).toBeLessThanOrEqual(1);
    expect(onDevice.previews.map((p) => p.step), `${label}: preview steps`).toEqual(onHost.previews.map((p) => p.step));
    onDevice.previews.forEach((preview, i) => expect(maxDifference(preview.rgba, onHost.previews[i].rgba), `${label}: preview ${preview.step}`).toBeLessThanOrEqual(1));
    expect(onDevice.result.stats.unetRuns, label).toBe(onHost.result.stats.unetRuns);
    expect(onDevice.result.stats.guidance, label).toBe(onHost.result.stats.guidance);
    expect(onDevice.result.stats.liveTensors, label).toBe(0);
    return onDevice.result;
  }

  const GUIDED = { guidance: 2.5, negativePrompt: 'a green square on a white background' };
  const SCHEDULER_IDS = SCHEDULERS.map(({ id }) => id);

  it.each(SCHEDULER_IDS)('fp32, %s: same pixels and previews as the host loop, guidance off and batched, 1 / 5 / 8 steps', async (scheduler) => {
    const device = await load(oracleModel(ORACLE_URL), runtime, true);
    try {
      for (const steps of [1, 5, 8]) {
        const off = await expectSameAsHost(device, oracle, { ...BASE, scheduler, steps, seed: steps }, `${scheduler} ${steps} off`);
        expect(off.stats.guidance).toBe('off');
        expectPicture(off, 'circle', RED, BLUE, 3, `${scheduler} ${steps}`);
        const batched = await expectSameAsHost(device, oracle, { ...BASE, ...GUIDED, scheduler, steps, seed: steps }, `${scheduler} ${steps} batched`);
        expect(batched.stats.guidance).toBe('batched');
      }
    } finally {
      await device.release();
    }
    expect(runtime.counters.liveTensors).toBe(0);
  });

  it('fp32, two-pass guidance (a batch-1 UNet): same pixels and previews for every scheduler', async () => {
    const batchOne = withFixedBatch(nodeRuntime(), 1);
    const device = await load(oracleModel(ORACLE_URL), batchOne, true);
    const host = await load(oracleModel(ORACLE_URL), batchOne, false);
    try {
      for (const scheduler of SCHEDULER_IDS) {
        const result = await expectSameAsHost(device, host, { ...BASE, ...GUIDED, scheduler, steps: 5 }, `${scheduler} two-pass`);
        expect(result.stats.guidance).toBe('two-pass');
        expect(result.stats.unetRuns).toBe(10);
      }
    } finally {
      await Promise.all([device.release(), host.release()]);
    }
    expect(batchOne.counters.liveTensors).toBe(0);
  });

  it('fp16 (float16 UNet and VAE inputs and outputs): same pixels and previews for every scheduler, guidance off and batched', async () => {
    const model = oracleModel(ORACLE_URL, { dtypes: ['fp16'] });
    const fp16Runtime = nodeRuntime();
    const device = await load(model, fp16Runtime, true);
    const host = await load(model, fp16Runtime, false);
    try {
      expect([device.unetIo.sample.type, device.unetIo.outputType, device.vaeIo.latentSample.type]).toEqual(['float16', 'float16', 'float16']);
      for (const scheduler of SCHEDULER_IDS) {
        await expectSameAsHost(device, host, { ...BASE, scheduler, steps: 4 }, `fp16 ${scheduler} off`);
        await expectSameAsHost(device, host, { ...BASE, ...GUIDED, scheduler, steps: 4 }, `fp16 ${scheduler} batched`);
      }
    } finally {
      await Promise.all([device.release(), host.release()]);
    }
    expect(fp16Runtime.counters.liveTensors).toBe(0);
  });

  it('the v-prediction oracle: same pixels for every scheduler', async () => {
    const model: PipelineModel = oracleModel(VPRED_URL, { id: ORACLE_VPRED_MODEL_ID });
    const vpredRuntime = nodeRuntime();
    const device = await load(model, vpredRuntime, true);
    const host = await load(model, vpredRuntime, false);
    try {
      for (const scheduler of SCHEDULER_IDS) await expectSameAsHost(device, host, { ...BASE, scheduler, steps: 4 }, `v-prediction ${scheduler}`);
    } finally {
      await Promise.all([device.release(), host.release()]);
    }
  });

  it('reads back only the image and the previews when outputs live on a GPU (the host loop: one UNet output per step too)', async () => {
    // onnxruntime-node's tensors are CPU tensors; this runtime labels every session output as a
    // GPU buffer and counts reads, as the WebGPU runtime does.
    const gpu = gpuLikeRuntime(nodeRuntime());
    const device = await DiffusionPipeline.load(oracleModel(ORACLE_URL), oracleModel(ORACLE_URL).variants[0], gpu, { fetch: fileFetch });
    const host = await load(oracleModel(ORACLE_URL), gpu, false);
    try {
      const params = { ...BASE, steps: 4, scheduler: 'euler_a' as const };
      const withPreview = await run(device, params);
      expect(withPreview.result.stats.latents).toBe('device');
      expect(withPreview.previews.map((p) => p.step)).toEqual([2]);
      expect(withPreview.result.readbacks).toBe(2);
      const noPreviews = await device.generate(params);
      expect(noPreviews.readbacks).toBe(1);
      const guided = await run(device, { ...params, ...GUIDED, steps: 7 });
      expect(guided.previews).toHaveLength(3);
      expect(guided.result.readbacks).toBe(1 + 3);
      const onHost = await run(host, params);
      expect(onHost.result.stats.latents).toBe('host');
      expect(onHost.result.readbacks).toBe(4 + 1);
      expect(maxDifference(withPreview.result.rgba, onHost.result.rgba)).toBeLessThanOrEqual(1);
    } finally {
      await Promise.all([device.release(), host.release()]);
    }
    expect(gpu.counters.liveTensors).toBe(0);
  });

  it('cancel stops within one step, leaves no tensors alive, and the next generation works', async () => {
    const device = await load(oracleModel(ORACLE_URL), runtime, true);
    try {
      const controller = new AbortController();
      const steps: number[] = [];
      const cancelled = device.generate({ ...BASE, steps: 20, guidance: 2 }, {
        signal: controller.signal,
        onProgress: (p) => {
          steps.push(p.step);
          if (p.step === 3) controller.abort();
        },
      });
      await expect(cancelled).rejects.toMatchObject({ name: 'AbortError', code: 'cancelled' });
      expect(steps).toEqual([1, 2, 3]);
      expect(runtime.counters.liveTensors).toBe(0);
      const after = await device.generate({ ...BASE, steps: 2 });
      expect(after.stats.latents).toBe('device');
      expectPicture(after, 'circle', RED, BLUE, 3);
      for (let i = 0; i < 10; i++) {
        const result = await device.generate({ ...BASE, steps: 2, guidance: i % 2 ? 2 : 1, scheduler: i % 3 ? 'lcm' : 'dpmpp_2m', seed: i });
        expect(result.stats.liveTensors).toBe(0);
      }
    } finally {
      await device.release();
    }
    expect(runtime.counters.liveTensors).toBe(0);
  });

  it('falls back to the host loop, with the same picture, when the step graphs cannot be made', async () => {
    const inner = nodeRuntime();
    let sessions = 0;
    const failing: OnnxRuntime = {
      ...inner,
      counters: inner.counters,
      createSession(source) {
        // The three parts load; every step graph after them fails.
        sessions += 1;
        return sessions > 3 ? Promise.reject(new Error('no step graphs here')) : inner.createSession(source);
      },
    };
    const pipeline = await load(oracleModel(ORACLE_URL), failing, true);
    try {
      const result = await pipeline.generate({ ...BASE, steps: 4 });
      expect(result.stats.latents).toBe('host');
      expect(pipeline.deviceLoopProblem).toContain('no step graphs here');
      expectPicture(result, 'circle', RED, BLUE, 3);
      // It does not try again for every image.
      const attempts = sessions;
      await pipeline.generate({ ...BASE, steps: 2 });
      expect(sessions).toBe(attempts);
    } finally {
      await pipeline.release();
    }
    expect(inner.counters.liveTensors).toBe(0);
  });
});

describe('loading', () => {
  it('reports file progress and session creation, and fetches each file once', async () => {
    requested.length = 0;
    const events: string[] = [];
    const model = oracleModel(ORACLE_URL);
    // Session creation is held until the test lets it go, so the order below does not depend on timing.
    const base = nodeRuntime();
    const created: string[] = [];
    const gates: (() => void)[] = [];
    const gated: OnnxRuntime = {
      ...base,
      counters: base.counters,
      async createSession(source) {
        await new Promise<void>((resolve) => gates.push(resolve));
        created.push(`created after ${requested.length} files`);
        return base.createSession(source);
      },
    };
    const loading = DiffusionPipeline.load(model, model.variants[0], gated, {
      fetch: fileFetch,
      onProgress: (p) => events.push(p.phase === 'session' ? `session:${p.part}` : `fetch:${p.file.index}/${p.file.count}`),
    });
    const fetchStarted = (index: number) => vi.waitFor(() => expect(events).toContain(`fetch:${index}/6`));
    for (const [part, nextGraph] of [[3, 4], [4, 5], [5, null]] as const) {
      await vi.waitFor(() => expect(gates).toHaveLength(part - 2));
      // While a part's session is being created, the next part's graph is already being fetched.
      if (nextGraph !== null) await fetchStarted(nextGraph);
      gates[part - 3]!();
    }
    const pipeline = await loading;
    await pipeline.release();
    expect(events.filter((e) => e.startsWith('session:'))).toEqual(['session:textEncoder', 'session:unet', 'session:vaeDecoder']);
    expect(new Set(requested).size).toBe(requested.length);
    // tokenizer.json, tokenizer_config.json, scheduler config and three graphs (no vocab/merges when tokenizer.json exists).
    expect(requested).toHaveLength(6);
    // Never more than one graph ahead: the VAE is only asked for once the text encoder's session exists.
    expect(created).toEqual(['created after 5 files', 'created after 6 files', 'created after 6 files']);
    const firstOf = (event: string) => events.indexOf(event);
    expect(firstOf('fetch:3/6')).toBeLessThan(firstOf('session:textEncoder'));
    expect(firstOf('session:textEncoder')).toBeLessThan(firstOf('fetch:5/6'));
    expect(pipeline.sessionsMs).toBeGreaterThan(0);
  });

  it('a session that cannot be created stops the next part\'s fetch and releases what was made', async () => {
    const model = oracleModel(ORACLE_URL);
    const base = nodeRuntime();
    const signals: AbortSignal[] = [];
    const released: string[] = [];
    let unetFetchAborted: Promise<void> | null = null;
    // The UNet's body never ends by itself: only an abort settles it.
    const hanging: FetchLike = async (url, init) => {
      if (!url.includes('/unet/')) return fileFetch(url, init);
      signals.push(init.signal!);
      unetFetchAborted = new Promise((resolve) => init.signal!.addEventListener('abort', () => resolve(), { once: true }));
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new Uint8Array(16));
          init.signal!.addEventListener('abort', () => controller.error(new DOMException('aborted', 'AbortError')), { once: true });
        },
      });
      return new Response(body);
    };
    const failing: OnnxRuntime = {
      ...base,
      counters: base.counters,
      async createSession(source) {
        const session = await base.createSession(source);
        if (session.inputNames.includes('input_ids')) {
          await session.release();
          released.push('text encoder');
          throw new ModelLoadError('ONNX Runtime could not load the text encoder: broken');
        }
        return session;
      },
    };
    await expect(DiffusionPipeline.load(model, model.variants[0], failing, { fetch: hanging })).rejects.toBeInstanceOf(ModelLoadError);
    expect(released).toEqual(['text encoder']);
    expect(signals).toHaveLength(1);
    await unetFetchAborted;
    expect(signals[0]!.aborted).toBe(true);
  });

  it('reads a body longer or shorter than its Content-Length (a compressed response) in full', async () => {
    const lying: FetchLike = async (url, init) => {
      const response = await fileFetch(url, init);
      if (!url.endsWith('.onnx') || !response.ok) return response;
      const bytes = new Uint8Array(await response.arrayBuffer());
      // Split into several chunks, announcing half the real length.
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let offset = 0; offset < bytes.byteLength; offset += 4096) controller.enqueue(bytes.slice(offset, offset + 4096));
          controller.close();
        },
      });
      return new Response(body, { headers: { 'Content-Length': String(Math.floor(bytes.byteLength / 2)) } });
    };
    const model = oracleModel(ORACLE_URL);
    const pipeline = await DiffusionPipeline.load(model, model.variants[0], nodeRuntime(), { fetch: lying });
    try {
      const result = await pipeline.generate({ ...BASE, steps: 2 });
      expect(result.width).toBe(BASE.width);
    } finally {
      await pipeline.release();
    }
  });

  it('a missing file is a ModelFileError that names it', async () => {
    const model = oracleModel(pathToFileURL(`${MODELS_DIR}/no-such-model/`).href);
    await expect(DiffusionPipeline.load(model, model.variants[0], nodeRuntime(), { fetch: fileFetch })).rejects.toBeInstanceOf(ModelFileError);
  });

  it('an aborted load is an AbortError and leaves no session behind', async () => {
    const model = oracleModel(ORACLE_URL);
    await expect(DiffusionPipeline.load(model, model.variants[0], nodeRuntime(), { fetch: fileFetch, signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('works from vocab.json + merges.txt when the model has no tokenizer.json', async () => {
    const base = oracleModel(ORACLE_URL);
    const { 'tokenizer.json': _json, ...classic } = base.tokenizer.files;
    const model: PipelineModel = { ...base, tokenizer: { ...base.tokenizer, files: classic } };
    const pipeline = await DiffusionPipeline.load(model, model.variants[0], nodeRuntime(), { fetch: fileFetch });
    try {
      const result = await pipeline.generate({ ...BASE, prompt: 'a yellow square on a black background', steps: 2 });
      expectPicture(result, 'square', [240, 220, 40], [20, 20, 20], 3);
    } finally {
      await pipeline.release();
    }
  });
});

// ---- runtime wrappers ------------------------------------------------------------------------------

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/**
 * Labels every session output as a GPU buffer ('gpu-buffer', as onnxruntime-web's WebGPU outputs
 * are) and counts reads of them as readbacks, like the real runtime; it reports backend 'webgpu'.
 */
function gpuLikeRuntime(inner: OnnxRuntime): OnnxRuntime {
  const real = new WeakMap<RuntimeTensor, RuntimeTensor>();
  const unwrap = (tensor: RuntimeTensor) => real.get(tensor) ?? tensor;
  let readbacks = 0;
  const counters = {
    get liveTensors() {
      return inner.counters.liveTensors;
    },
    get readbacks() {
      return readbacks;
    },
    get sessionRunMs() {
      return inner.counters.sessionRunMs;
    },
  };
  return {
    backend: 'webgpu',
    counters,
    createTensor: (type, data, dims) => inner.createTensor(type, data, dims),
    async createSession(source) {
      const session = await inner.createSession(source);
      return {
        ...session,
        async run(feeds) {
          const outputs = await session.run(Object.fromEntries(Object.entries(feeds).map(([name, tensor]) => [name, unwrap(tensor)])));
          const wrapped: Record<string, RuntimeTensor> = {};
          for (const [name, tensor] of Object.entries(outputs)) {
            const onGpu: RuntimeTensor = { type: tensor.type, dims: tensor.dims, location: 'gpu-buffer', getData: () => tensor.getData(), dispose: () => tensor.dispose() };
            real.set(onGpu, tensor);
            wrapped[name] = onGpu;
          }
          return wrapped;
        },
        release: () => session.release(),
      };
    },
    async read(tensor) {
      if (tensor.location !== 'cpu') readbacks += 1;
      return inner.read(unwrap(tensor));
    },
    dispose: (tensor) => inner.dispose(unwrap(tensor)),
  };
}

/** Pretends the text encoder's and UNet's batch dimension is fixed (the graphs accept any batch). */
function withFixedBatch(inner: OnnxRuntime, batch: number): OnnxRuntime {
  return {
    ...inner,
    counters: inner.counters,
    async createSession(source) {
      const session = await inner.createSession(source);
      const fix = (meta: RuntimeSession['inputMetadata']) =>
        meta.map((m) => (m.name === 'sample' || m.name === 'input_ids' ? { ...m, shape: [batch, ...(m.shape ?? []).slice(1)] } : m));
      return { ...session, inputMetadata: fix(session.inputMetadata), run: (feeds) => session.run(feeds), release: () => session.release() };
    },
  };
}

/** Records the first `sample` each generation feeds the UNet (the scaled initial latents). */
function recordingRuntime(inner: OnnxRuntime): { runtime: OnnxRuntime; firstSamples: number[][] } {
  const firstSamples: number[][] = [];
  let previousTimestep = Number.NEGATIVE_INFINITY;
  const runtime: OnnxRuntime = {
    ...inner,
    counters: inner.counters,
    async createSession(source) {
      const session = await inner.createSession(source);
      return {
        ...session,
        async run(feeds) {
          if (feeds.sample && feeds.timestep) {
            const t = Number((await feeds.timestep.getData())[0]);
            if (t >= previousTimestep) firstSamples.push(Array.from((await feeds.sample.getData()) as ArrayLike<number>));
            previousTimestep = t;
          }
          return session.run(feeds);
        },
        release: () => session.release(),
      };
    },
  };
  return { runtime, firstSamples };
}

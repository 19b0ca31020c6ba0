// The worker protocol end to end in Node: DiffusionClient ↔ MessageChannel ↔ serveDiffusionApi ↔
// DiffusionWorkerHandler running the Shapes oracle on onnxruntime-node. Errors cross as data and
// come back as the same classes; aborts, queueing, crashes and idle termination behave.
import { readFile } from 'node:fs/promises';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as ortNode from 'onnxruntime-node';
import { afterEach, describe, expect, it } from 'vitest';
import type { DetectedPlatform } from '../../src/pipeline/backend.ts';
import {
  GenerationCancelledError,
  InvalidGenerateParamsError,
  ModelFileError,
  ModelLoadError,
  NoModelLoadedError,
  WebGpuUnavailableError,
} from '../../src/pipeline/errors.ts';
import type { FetchLike } from '../../src/pipeline/model-files.ts';
import { oracleModel } from '../../src/pipeline/model.ts';
import { ortRuntime, type OrtModule } from '../../src/pipeline/runtime.ts';
import { SchedulerConfigError, SchedulerError } from '../../src/pipeline/schedulers/index.ts';
import { DiffusionClient, type WorkerLike } from '../../src/workers/diffusion-client.ts';
import { serveDiffusionApi, type WorkerEndpoint } from '../../src/workers/diffusion-server.ts';
import { DiffusionWorkerHandler } from '../../src/workers/diffusion-worker-handler.ts';
import {
  WorkerCrashedError,
  WorkerError,
  rebuildError,
  serializeError,
  type DiffusionApi,
  type GenerateParams,
  type LatentPreview,
  type StepProgress,
} from '../../src/workers/protocol.ts';

const ORACLE = oracleModel(pathToFileURL(fileURLToPath(new URL('../../public/models/oracle-shapes/', import.meta.url))).href);
const PARAMS: GenerateParams = { prompt: 'a red circle on a blue background', seed: 1, steps: 4, guidance: 1, width: 128, height: 128, scheduler: 'euler' };

const fileFetch: FetchLike = async (url) => {
  try {
    return new Response(await readFile(fileURLToPath(url)));
  } catch {
    return new Response('missing', { status: 404 });
  }
};

/** No WebGPU here; cross-origin isolated with 4 cores. */
const noGpu = async (): Promise<DetectedPlatform> => ({
  features: { webgpu: { available: false, reason: 'no WebGPU adapter' }, crossOriginIsolated: true, hardwareConcurrency: 4 },
  adapter: null,
});

interface FakeWorker extends WorkerLike {
  readonly terminated: Promise<void>;
  readonly calls: string[];
  crash(message: string): void;
}

/** A "worker" in this thread: the page and worker ends of a MessageChannel around `api`. */
function channelWorker(api: DiffusionApi): FakeWorker {
  const { port1: page, port2: worker } = new MessageChannel();
  const errorListeners: ((event: Event) => void)[] = [];
  const calls: string[] = [];
  let markTerminated!: () => void;
  const terminated = new Promise<void>((resolve) => (markTerminated = resolve));
  const endpoint: WorkerEndpoint = {
    postMessage: (message, transfer) => worker.postMessage(message, transfer as unknown as Parameters<MessagePort['postMessage']>[1]),
    addEventListener: (_type, listener) => {
      worker.on('message', (data: Parameters<typeof listener>[0]['data']) => {
        if (data.type === 'call') calls.push(data.kind);
        listener({ data } as Parameters<typeof listener>[0]);
      });
    },
  };
  serveDiffusionApi(endpoint, api);
  return {
    calls,
    terminated,
    postMessage: (message) => page.postMessage(message),
    addEventListener: (type: string, listener: (event: MessageEvent) => void) => {
      if (type === 'message') page.on('message', (data) => listener({ data } as MessageEvent));
      else errorListeners.push(listener as (event: Event) => void);
    },
    terminate: () => {
      page.close();
      worker.close();
      markTerminated();
    },
    crash: (message) => errorListeners.forEach((l) => l(Object.assign(new Event('error'), { message }))),
  };
}

const clients: DiffusionClient[] = [];
function nodeClient(options: { idleTerminateMs?: number } = {}): { client: DiffusionClient; workers: FakeWorker[] } {
  const workers: FakeWorker[] = [];
  const client = new DiffusionClient({
    idleTerminateMs: options.idleTerminateMs ?? 60_000,
    createWorker: () => {
      const handler = new DiffusionWorkerHandler({
        createRuntime: (backend, { threads }) => ({ runtime: ortRuntime(ortNode as unknown as OrtModule, backend === 'wasm' ? 'cpu' : backend), threads }),
        detect: noGpu,
        fetch: fileFetch,
      });
      const worker = channelWorker(handler);
      workers.push(worker);
      return worker;
    },
  });
  clients.push(client);
  return { client, workers };
}

afterEach(() => {
  for (const client of clients.splice(0)) client.terminate();
});

describe('DiffusionClient ↔ worker handler', () => {
  it('loads with the fallback reason, generates with progress and previews, and transfers the image', async () => {
    const { client } = nodeClient();
    const loaded = await client.load({ model: ORACLE, backend: 'auto' });
    expect(loaded).toMatchObject({ modelId: 'oracle-shapes', backend: 'wasm', reason: 'no WebGPU adapter', dtype: 'fp32', threads: 4, crossOriginIsolated: true, adapter: null, reused: false });
    const steps: StepProgress[] = [];
    const previews: LatentPreview[] = [];
    const result = await client.generate(PARAMS, { onProgress: (p) => steps.push(p), onPreview: (p) => previews.push(p) });
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3, 4]);
    expect(previews.map((p) => p.step)).toEqual([2]);
    expect(previews[0].rgba).toBeInstanceOf(Uint8ClampedArray);
    expect(result.rgba).toBeInstanceOf(Uint8ClampedArray);
    expect(result.rgba).toHaveLength(128 * 128 * 4);
    // Centre pixel: the oracle's red.
    expect(Array.from(result.rgba.slice(4 * (64 * 128 + 64), 4 * (64 * 128 + 64) + 4))).toEqual([230, 40, 40, 255]);
    expect(result).toMatchObject({ width: 128, height: 128, seed: 1, readbacks: 0, stats: { backend: 'cpu', dtype: 'fp32', guidance: 'off', unetRuns: 4, liveTensors: 0 } });
    expect(await client.load({ model: ORACLE, backend: 'auto' })).toMatchObject({ reused: true });
    expect(await client.status()).toMatchObject({ modelId: 'oracle-shapes', liveTensors: 0, jsHeapBytes: null, platform: { crossOriginIsolated: true } });
  });

  it('rebuilds worker errors as the same classes on the page side', async () => {
    const { client } = nodeClient();
    await expect(client.generate(PARAMS)).rejects.toBeInstanceOf(NoModelLoadedError);
    const fp16Only = oracleModel(ORACLE.scheduler.configUrl!.replace('scheduler/scheduler_config.json', ''), { dtypes: ['fp16'] });
    const webgpu = client.load({ model: fp16Only, backend: 'auto' });
    await expect(webgpu).rejects.toBeInstanceOf(WebGpuUnavailableError);
    await expect(webgpu).rejects.toMatchObject({ code: 'webgpu-unavailable', message: expect.stringContaining('no WebGPU adapter') });
    const missing = oracleModel('file:///nowhere/');
    await expect(client.load({ model: missing, backend: 'wasm' })).rejects.toBeInstanceOf(ModelFileError);
    await client.load({ model: ORACLE, backend: 'wasm' });
    await expect(client.generate({ ...PARAMS, width: 100 })).rejects.toBeInstanceOf(InvalidGenerateParamsError);
    const badSchedule = { ...ORACLE, id: 'bad', scheduler: { ...ORACLE.scheduler, overrides: { beta_schedule: 'cosine' } } };
    await expect(client.load({ model: badSchedule, backend: 'wasm' })).rejects.toBeInstanceOf(ModelLoadError);
    // A failed load leaves no model loaded, not the previous one.
    await expect(client.generate(PARAMS)).rejects.toBeInstanceOf(NoModelLoadedError);
  });

  it('aborts a running generation within a step, keeps the model, and settles queued calls at once', async () => {
    const { client, workers } = nodeClient();
    await client.load({ model: ORACLE, backend: 'wasm' });
    const controller = new AbortController();
    const seen: number[] = [];
    const running = client.generate({ ...PARAMS, steps: 200 }, {
      signal: controller.signal,
      onProgress: ({ step }) => {
        seen.push(step);
        if (step === 2) controller.abort();
      },
    });
    const queuedController = new AbortController();
    const queued = client.generate(PARAMS, { signal: queuedController.signal });
    queuedController.abort();
    await expect(queued).rejects.toBeInstanceOf(GenerationCancelledError);
    await expect(running).rejects.toBeInstanceOf(GenerationCancelledError);
    await expect(running).rejects.toMatchObject({ name: 'AbortError', code: 'cancelled' });
    // The page saw the abort at step 2; the worker may have been one step further (message latency).
    expect(seen.length).toBeLessThanOrEqual(4);
    // The queued call never reached the worker.
    expect(workers[0].calls).toEqual(['load', 'generate']);
    const after = await client.generate(PARAMS);
    expect(after.stats.unetRuns).toBe(4);
    await expect(client.generate(PARAMS, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(GenerationCancelledError);
  });

  it('runs calls one at a time in order', async () => {
    const { client } = nodeClient();
    const order: string[] = [];
    const load = client.load({ model: ORACLE, backend: 'wasm' }).then(() => order.push('load'));
    const first = client.generate({ ...PARAMS, seed: 1 }).then((r) => order.push(`generate ${r.seed}`));
    const second = client.generate({ ...PARAMS, seed: 2 }).then((r) => order.push(`generate ${r.seed}`));
    await Promise.all([load, first, second]);
    expect(order).toEqual(['load', 'generate 1', 'generate 2']);
  });

  it('a crashed worker rejects its calls with WorkerCrashedError and the next call starts a new one', async () => {
    const { client, workers } = nodeClient();
    await client.load({ model: ORACLE, backend: 'wasm' });
    const running = client.generate({ ...PARAMS, steps: 200 });
    workers[0].crash('out of memory');
    await expect(running).rejects.toBeInstanceOf(WorkerCrashedError);
    await expect(running).rejects.toThrow(/failed: out of memory/);
    await workers[0].terminated;
    await expect(client.generate(PARAMS)).rejects.toBeInstanceOf(NoModelLoadedError);
    expect(workers).toHaveLength(2);
  });

  it('terminates the worker once idle with no model loaded, and starts a new one when needed', async () => {
    const { client, workers } = nodeClient({ idleTerminateMs: 0 });
    await client.load({ model: ORACLE, backend: 'wasm' });
    await client.generate(PARAMS);
    await client.release();
    await workers[0].terminated;
    expect(await client.status()).toMatchObject({ modelId: null });
    expect(workers).toHaveLength(2);
  });
});

describe('errors as data', () => {
  it('round-trips every pipeline error class with its code', () => {
    const errors: Error[] = [
      new WebGpuUnavailableError('a'),
      new ModelFileError('b'),
      new ModelLoadError('c'),
      new NoModelLoadedError('d'),
      new InvalidGenerateParamsError('e'),
      new GenerationCancelledError('f'),
      new WorkerCrashedError('g'),
      new SchedulerError('invalid_steps', 'h'),
      new SchedulerConfigError('unsupported_value', 'i'),
    ];
    for (const error of errors) {
      const rebuilt = rebuildError(JSON.parse(JSON.stringify(serializeError(error))));
      expect(rebuilt).toBeInstanceOf(error.constructor);
      expect(serializeError(rebuilt)).toEqual(serializeError(error));
    }
  });

  it('keeps name and code of errors the page has no class for', () => {
    const rebuilt = rebuildError(serializeError(Object.assign(new TypeError('odd'), { code: 'E_ODD' })));
    expect(rebuilt).toBeInstanceOf(WorkerError);
    expect(rebuilt).toMatchObject({ name: 'TypeError', code: 'E_ODD', message: 'odd' });
    expect(serializeError('plain string')).toEqual({ name: 'Error', code: 'unknown', message: 'plain string' });
  });
});

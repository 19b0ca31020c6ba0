/**
 * The worker side of the {@link DiffusionApi}: backend choice, ORT sessions and the pipeline.
 * The runtime comes from a factory (onnxruntime-web in the worker, onnxruntime-node in tests).
 */
import { chooseBackend, detectPlatformOnce, type Backend, type BackendChoice, type DetectedPlatform, type GpuAdapterLike } from '../pipeline/backend.ts';
import { DiffusionPipeline } from '../pipeline/diffusion-pipeline.ts';
import { ModelLoadError, NoModelLoadedError, isAbortError, messageOf } from '../pipeline/errors.ts';
import type { FetchLike } from '../pipeline/model-files.ts';
import type { PipelineModel } from '../pipeline/model.ts';
import type { OnnxRuntime, SessionTuning } from '../pipeline/runtime.ts';
import type {
  DiffusionApi,
  EmptyRequest,
  GenerateOptions,
  GenerateParams,
  GenerateResult,
  LoadOptions,
  LoadRequest,
  LoadResult,
  SignalOptions,
  WorkerStatus,
} from './protocol.ts';

/** Makes the runtime for a backend; returns it with the WASM thread count actually in force. */
export type RuntimeFactory = (
  backend: Backend,
  settings: { threads: number; adapter: GpuAdapterLike | null; tuning?: SessionTuning },
) => { runtime: OnnxRuntime; threads: number };

export interface DiffusionWorkerHandlerOptions {
  readonly createRuntime: RuntimeFactory;
  /** Probes the platform; default: WebGPU and isolation of this scope, once. */
  readonly detect?: () => Promise<DetectedPlatform>;
  /** Fetches model files; default: the global fetch. */
  readonly fetch?: FetchLike;
}

interface LoadedModel {
  /** Identifies model + backend + precision: the same key needs no reload. */
  readonly key: string;
  readonly pipeline: DiffusionPipeline;
  readonly result: LoadResult;
}

export class DiffusionWorkerHandler implements DiffusionApi {
  private loaded: LoadedModel | null = null;
  private readonly createRuntime: RuntimeFactory;
  private readonly detect: () => Promise<DetectedPlatform>;
  private readonly fetch: FetchLike | undefined;

  constructor({ createRuntime, detect = detectPlatformOnce, fetch }: DiffusionWorkerHandlerOptions) {
    this.createRuntime = createRuntime;
    this.detect = detect;
    this.fetch = fetch;
  }

  /** After a failed or aborted load no model is loaded, whatever was loaded before. */
  async load(request: LoadRequest, options: LoadOptions = {}): Promise<LoadResult> {
    try {
      return await this.loadWithFallback(request, options);
    } catch (error) {
      await this.release();
      throw error;
    }
  }

  private async loadWithFallback({ model, backend, dtype = 'auto', tuning }: LoadRequest, { signal, onProgress }: LoadOptions): Promise<LoadResult> {
    const started = performance.now();
    const platform = await this.detect();
    const choice = chooseBackend(model, backend, platform.features, dtype);
    try {
      return await this.loadChoice(model, choice, platform, started, { signal, onProgress }, tuning);
    } catch (error) {
      // WebGPU could not build a session (an operator it lacks, a lost device): WASM can still
      // run the model, so fall back and say why, as for any other WebGPU shortfall.
      if (choice.backend !== 'webgpu' || !(error instanceof ModelLoadError) || isAbortError(error)) throw error;
      let fallback: BackendChoice;
      try {
        fallback = chooseBackend(model, 'wasm', platform.features, dtype);
      } catch {
        throw error;
      }
      const reason = `WebGPU could not load the model (${messageOf(error)})`;
      return this.loadChoice(model, { ...fallback, reason }, platform, started, { signal, onProgress }, tuning);
    }
  }

  private async loadChoice(
    model: PipelineModel,
    choice: BackendChoice,
    platform: DetectedPlatform,
    started: number,
    options: LoadOptions,
    tuning?: SessionTuning,
  ): Promise<LoadResult> {
    const key = JSON.stringify([model, choice.backend, choice.variant.dtype, tuning ?? null]);
    if (this.loaded?.key === key) return { ...this.loaded.result, reused: true };
    // A different model or backend: free the current sessions (and GPU memory) first.
    await this.release();
    const { runtime, threads } = this.createRuntime(choice.backend, { threads: choice.threads, adapter: platform.adapter, tuning });
    const pipeline = await DiffusionPipeline.load(model, choice.variant, runtime, { ...options, fetch: this.fetch });
    const gpu = platform.features.webgpu;
    const result: LoadResult = {
      modelId: model.id,
      backend: choice.backend,
      reason: choice.reason,
      dtype: choice.variant.dtype,
      threads,
      crossOriginIsolated: choice.crossOriginIsolated,
      adapter: choice.backend === 'webgpu' && gpu.available ? gpu.adapter : null,
      loadMs: performance.now() - started,
      sessionsMs: pipeline.sessionsMs,
      reused: false,
    };
    this.loaded = { key, pipeline, result };
    return result;
  }

  async generate(request: GenerateParams, options: GenerateOptions = {}): Promise<GenerateResult> {
    if (!this.loaded) throw new NoModelLoadedError('No model is loaded: load one before generating.');
    return this.loaded.pipeline.generate(request, options);
  }

  async release(_request?: EmptyRequest, _options?: SignalOptions): Promise<null> {
    const loaded = this.loaded;
    this.loaded = null;
    await loaded?.pipeline.release();
    return null;
  }

  async status(): Promise<WorkerStatus> {
    const counters = this.loaded?.pipeline.counters;
    const memory = (performance as Performance & { memory?: { usedJSHeapSize?: number } }).memory;
    return {
      modelId: this.loaded?.result.modelId ?? null,
      backend: this.loaded?.result.backend ?? null,
      liveTensors: counters?.liveTensors ?? 0,
      readbacks: counters?.readbacks ?? 0,
      jsHeapBytes: typeof memory?.usedJSHeapSize === 'number' ? memory.usedJSHeapSize : null,
      platform: (await this.detect()).features,
    };
  }
}

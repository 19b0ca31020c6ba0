/**
 * Text → image with a Stable Diffusion model in the diffusers ONNX layout: tokenizer, text encoder,
 * the UNet loop with a scheduler and classifier-free guidance, the VAE decoder, RGBA out.
 *
 * Runtime-agnostic (see runtime.ts): the worker runs it on onnxruntime-web, the unit tests on
 * onnxruntime-node against the Shapes oracle, whose exact pictures make any slip visible.
 *
 * On WebGPU the latents stay on the GPU for the whole loop ("device loop"): each step runs three
 * sessions, "scale and cast" (latents → the UNet's sample) → UNet → "sampler step" (guidance and
 * the scheduler's step as scalars, Scheduler.coefficients), so only the image and each live
 * preview come back. Elsewhere, or when the step graphs cannot be made, the schedulers run in JS
 * on CPU copies ("host loop"). Every GPU → CPU copy is counted in the result's `readbacks`.
 */
import { ClipTokenizer } from './clip-tokenizer.ts';
import {
  SAMPLER_STEP_INPUTS,
  SAMPLER_STEP_OUTPUTS,
  SCALE_CAST_INPUTS,
  SCALE_CAST_OUTPUT,
  StepGraphSessions,
  samplerStepScalars,
  type DeviceStepPlan,
} from './device-steps.ts';
import {
  GenerationCancelledError,
  InferenceError,
  InvalidGenerateParamsError,
  ModelInterfaceError,
  ModelLoadError,
  isAbortError,
  messageOf,
  throwIfAborted,
} from './errors.ts';
import { float16DataToFloat32, toFloat16Bits } from './float16.ts';
import { latentPreviewRgba, planarRgbToRgba } from './images.ts';
import { openModelFiles, type FetchedPart, type FetchLike, type FileProgress } from './model-files.ts';
import type { ModelVariant, PipelineModel, PipelinePartName } from './model.ts';
import {
  textEncoderInterface,
  unetInterface,
  vaeDecoderInterface,
  type FloatElementType,
  type TextEncoderInterface,
  type UnetInterface,
  type VaeDecoderInterface,
} from './part-interfaces.ts';
import { MAX_SEED, NormalStream, randomNormal } from './random.ts';
import type { OnnxRuntime, RuntimeSession, RuntimeTensor, TensorData } from './runtime.ts';
import { createScheduler, isSchedulerName, parseSchedulerConfig, type Scheduler, type SchedulerConfig, type SchedulerName } from './schedulers/index.ts';
import type { GuidanceLayout } from './step-graph-spec.ts';

export interface GenerateParams {
  readonly prompt: string;
  /** Encoded in the unconditional input's place when guidance is on; '' = the empty prompt. */
  readonly negativePrompt?: string;
  /** 0 … 4294967295. Same seed, size and model → same initial latents on every backend. */
  readonly seed: number;
  readonly steps: number;
  /** Classifier-free guidance scale; ≤ 1 turns guidance off (one UNet run per step). */
  readonly guidance: number;
  readonly width: number;
  readonly height: number;
  readonly scheduler: SchedulerName;
  /** A latent preview every this many steps (never after the last); 0 for none. Default 2. */
  readonly previewEvery?: number;
}

export interface StepProgress {
  /** Steps done, 1 … total. */
  readonly step: number;
  readonly total: number;
  /** Since the generation started (tokenizing and text encoding included). */
  readonly elapsedMs: number;
}

export interface LatentPreview {
  readonly step: number;
  readonly total: number;
  /** Latent resolution (the image's size ÷ 8): the UI scales it up. */
  readonly width: number;
  readonly height: number;
  readonly rgba: Uint8ClampedArray;
}

export interface GenerateCallbacks {
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: StepProgress) => void;
  readonly onPreview?: (preview: LatentPreview) => void;
}

/** How guidance ran: off, one batch-2 UNet run per step, two batch-1 runs, or an LCM embedding. */
export type GuidanceMode = 'off' | 'batched' | 'two-pass' | 'embedded';

export interface GenerateTimings {
  readonly totalMs: number;
  readonly textEncoderMs: number;
  /** All UNet runs together, scheduler maths included. */
  readonly unetMs: number;
  readonly msPerStep: number;
  readonly vaeMs: number;
  /** Σ time inside ONNX Runtime's `session.run` (every model run of this generation). */
  readonly sessionRunMs: number;
}

export interface GenerateStats {
  readonly backend: string;
  readonly dtype: string;
  readonly guidance: GuidanceMode;
  readonly unetRuns: number;
  /** Tensors still alive after the generation (should not grow from one generation to the next). */
  readonly liveTensors: number;
  /** FNV-1a of the initial latents' bytes: equal for equal seed, size and model on every backend. */
  readonly initialLatentDigest: string;
  /** Where the denoising loop kept the latents: on the device (WebGPU), or in JS. */
  readonly latents: LatentsLocation;
}

export type LatentsLocation = 'device' | 'host';

export interface GenerateResult {
  /** width × height × 4 bytes, ready for `new ImageData(rgba, width, height)`. */
  readonly rgba: Uint8ClampedArray;
  readonly width: number;
  readonly height: number;
  readonly seed: number;
  readonly timings: GenerateTimings;
  /** GPU → CPU copies this generation made (0 on WASM). */
  readonly readbacks: number;
  readonly stats: GenerateStats;
}

export type LoadProgress = { readonly phase: 'fetch'; readonly file: FileProgress } | { readonly phase: 'session'; readonly part: PipelinePartName };

export interface PipelineLoadOptions {
  readonly signal?: AbortSignal;
  /** Defaults to the global fetch; tests pass one that reads files. */
  readonly fetch?: FetchLike;
  readonly onProgress?: (progress: LoadProgress) => void;
  /**
   * Keep the latents on the device for the whole denoising loop (step graphs on the runtime).
   * Default: on WebGPU only, where it saves a readback per step; tests force it on the CPU.
   */
  readonly latentsOnDevice?: boolean;
}

interface Parts {
  readonly textEncoder: RuntimeSession;
  readonly unet: RuntimeSession;
  readonly vaeDecoder: RuntimeSession;
}

const PART_LABELS: Readonly<Record<PipelinePartName, string>> = { textEncoder: 'text encoder', unet: 'UNet', vaeDecoder: 'VAE decoder' };
const MIN_SIDE = 64;
const MAX_SIDE = 2048;

export class DiffusionPipeline {
  private released = false;
  private readonly stepGraphs: StepGraphSessions;
  /** Milliseconds spent creating the three sessions during `load` (fetching excluded). */
  sessionsMs = 0;
  /** Why the device loop is off for this pipeline, once it failed to set up; null while it may run. */
  private deviceLoopUnavailable: string | null = null;

  private constructor(
    readonly model: PipelineModel,
    readonly variant: ModelVariant,
    private readonly runtime: OnnxRuntime,
    private readonly sessions: Parts,
    private readonly tokenizer: ClipTokenizer,
    private readonly schedulerConfig: SchedulerConfig,
    readonly textEncoderIo: TextEncoderInterface,
    readonly unetIo: UnetInterface,
    readonly vaeIo: VaeDecoderInterface,
    private readonly latentsOnDevice: boolean,
  ) {
    this.stepGraphs = new StepGraphSessions(runtime);
  }

  /**
   * Fetches the variant's files and creates the three sessions. Throws ModelFileError,
   * ModelLoadError, ModelInterfaceError, or GenerationCancelledError (AbortError) when aborted;
   * whatever was created is released on failure.
   */
  static async load(model: PipelineModel, variant: ModelVariant, runtime: OnnxRuntime, options: PipelineLoadOptions = {}): Promise<DiffusionPipeline> {
    const { signal } = options;
    // Fetches run under their own signal too, so that a failed load stops the next part's prefetch.
    const fetching = new AbortController();
    const stopFetching = () => fetching.abort(signal?.reason);
    signal?.addEventListener('abort', stopFetching, { once: true });
    try {
      return await DiffusionPipeline.loadParts(model, variant, runtime, options, fetching);
    } finally {
      signal?.removeEventListener('abort', stopFetching);
      fetching.abort();
    }
  }

  private static async loadParts(model: PipelineModel, variant: ModelVariant, runtime: OnnxRuntime, options: PipelineLoadOptions, fetching: AbortController): Promise<DiffusionPipeline> {
    const { signal, onProgress } = options;
    const files = await openModelFiles(model, variant, { signal: fetching.signal, fetch: options.fetch, onProgress: (file) => onProgress?.({ phase: 'fetch', file }) });

    let schedulerConfig: SchedulerConfig;
    try {
      schedulerConfig = parseSchedulerConfig({ ...(files.schedulerConfig ?? STANDARD_SD_SCHEDULE), ...model.scheduler.overrides });
    } catch (error) {
      throw new ModelLoadError(`The model's scheduler configuration is not usable: ${messageOf(error)}`);
    }

    const created: Partial<Record<PipelinePartName, RuntimeSession>> = {};
    let sessionsMs = 0;
    try {
      // Part by part: the next part's fetch starts before this part's session is created, and each
      // part's bytes are dropped once ORT has copied them, so at most two parts' graphs are in JS memory
      // next to the sessions already made. The overlap is real where session creation yields (WebGPU);
      // on WASM it is one synchronous call that holds this thread, so the body is read afterwards.
      // (A fetch in a nested worker was measured on 2 cores: no faster, npm run bench, figure 4.)
      const parts = ['textEncoder', 'unet', 'vaeDecoder'] as const;
      let next: Promise<FetchedPart> | null = files.fetchPart(parts[0]);
      for (let i = 0; i < parts.length; i++) {
        const part = parts[i]!;
        throwIfAborted(signal, 'Loading cancelled.');
        const bytes: FetchedPart = await next!;
        next = i + 1 < parts.length ? files.fetchPart(parts[i + 1]!) : null;
        // Awaited on the next turn; when the load fails first, `load` aborts it and its error is moot.
        next?.catch(() => undefined);
        throwIfAborted(signal, 'Loading cancelled.');
        onProgress?.({ phase: 'session', part });
        const sessionStarted = performance.now();
        created[part] = await createSession(runtime, part, bytes);
        sessionsMs += performance.now() - sessionStarted;
      }
      throwIfAborted(signal, 'Loading cancelled.');
      const sessions = created as Parts;
      const textEncoderIo = textEncoderInterface(sessions.textEncoder);
      const unetIo = unetInterface(sessions.unet);
      const vaeIo = vaeDecoderInterface(sessions.vaeDecoder);
      const tokenizer = ClipTokenizer.fromFiles(files.tokenizer, {
        padTokenId: model.tokenizer.padTokenId,
        sequenceLength: textEncoderIo.sequenceLength ?? undefined,
      });
      const latentsOnDevice = options.latentsOnDevice ?? runtime.backend === 'webgpu';
      const pipeline = new DiffusionPipeline(model, variant, runtime, sessions, tokenizer, schedulerConfig, textEncoderIo, unetIo, vaeIo, latentsOnDevice);
      pipeline.sessionsMs = sessionsMs;
      return pipeline;
    } catch (error) {
      await Promise.allSettled(Object.values(created).map((s) => s.release()));
      throw error;
    }
  }

  get backend(): string {
    return this.runtime.backend;
  }

  /** Why the device loop is off for this pipeline after it failed to set up; null otherwise. */
  get deviceLoopProblem(): string | null {
    return this.deviceLoopUnavailable;
  }

  /** The runtime's books: tensors alive and readbacks so far. */
  get counters(): { liveTensors: number; readbacks: number } {
    return { liveTensors: this.runtime.counters.liveTensors, readbacks: this.runtime.counters.readbacks };
  }

  /** Releases the sessions (and their GPU buffers). The pipeline cannot be used afterwards. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await Promise.allSettled([...Object.values(this.sessions).map((s: RuntimeSession) => s.release()), this.stepGraphs.release()]);
  }

  /**
   * One image. Checks `signal` before and after every model run, so a cancel takes effect within
   * one step (throws GenerationCancelledError, an AbortError); the pipeline stays usable.
   */
  async generate(params: GenerateParams, callbacks: GenerateCallbacks = {}): Promise<GenerateResult> {
    if (this.released) throw new ModelLoadError('This pipeline was released; load the model again.');
    const { signal } = callbacks;
    const p = this.checkParams(params);
    const started = performance.now();
    const readbacksBefore = this.runtime.counters.readbacks;
    const sessionRunMsBefore = this.runtime.counters.sessionRunMs;
    const scope = new TensorScope(this.runtime);
    try {
      throwIfAborted(signal, 'Generation cancelled.');
      const scheduler = createScheduler(p.scheduler, this.schedulerConfig, p.steps);
      const latentHeight = p.height / 8;
      const latentWidth = p.width / 8;
      const latentSize = 4 * latentHeight * latentWidth;

      // Guidance: LCM-style UNets take it as an embedding; otherwise CFG, batched when the UNet's
      // batch dimension allows 2, else two runs. A batch-2-only UNet always runs both halves.
      const io = this.unetIo;
      const guidanceOn = p.guidance > 1;
      let mode: GuidanceMode;
      if (io.timestepCond) mode = 'embedded';
      else if (io.batch === 2) mode = 'batched';
      else if (!guidanceOn) mode = 'off';
      else mode = io.batch === 1 ? 'two-pass' : 'batched';
      const guidanceScale = mode === 'batched' || mode === 'two-pass' ? Math.max(p.guidance, 1) : 1;

      const textStarted = performance.now();
      const conditioning = await this.encodeText(p.prompt, mode === 'off' || mode === 'embedded' ? null : p.negativePrompt, mode, scope);
      const textEncoderMs = performance.now() - textStarted;
      throwIfAborted(signal, 'Generation cancelled.');

      const initialNoise = randomNormal(p.seed, latentSize, 0);
      const initialLatentDigest = fnv1a(initialNoise);
      const timestepCond = io.timestepCond ? scope.tensor(io.timestepCond.type, guidanceEmbedding(p.guidance, io.timestepCond.shape?.[1] ?? 256), [1, io.timestepCond.shape?.[1] ?? 256]) : null;
      const loop: DenoiseLoop = {
        scheduler,
        steps: p.steps,
        mode,
        guidanceScale,
        conditioning,
        timestepCond,
        latents: initialNoise.map((v) => v * scheduler.initNoiseSigma),
        latentHeight,
        latentWidth,
        noise: new NormalStream(p.seed, 1),
        previewEvery: params.previewEvery ?? 2,
        callbacks,
        started,
        scope,
      };
      const plan = await this.devicePlan(mode);
      throwIfAborted(signal, 'Generation cancelled.');

      const unetStarted = performance.now();
      const denoised = plan ? await this.denoiseOnDevice(plan, loop) : await this.denoiseOnHost(loop);
      const unetMs = performance.now() - unetStarted;
      throwIfAborted(signal, 'Generation cancelled.');

      const vaeStarted = performance.now();
      const rgba = await this.decode(denoised.latents, plan, latentHeight, latentWidth, scope);
      const vaeMs = performance.now() - vaeStarted;
      const unetRuns = denoised.unetRuns;
      scope.disposeAll();
      const totalMs = performance.now() - started;
      return {
        rgba,
        width: p.width,
        height: p.height,
        seed: p.seed,
        timings: { totalMs, textEncoderMs, unetMs, msPerStep: unetMs / p.steps, vaeMs, sessionRunMs: this.runtime.counters.sessionRunMs - sessionRunMsBefore },
        readbacks: this.runtime.counters.readbacks - readbacksBefore,
        stats: {
          backend: this.runtime.backend,
          dtype: this.variant.dtype,
          guidance: mode,
          unetRuns,
          liveTensors: this.runtime.counters.liveTensors,
          initialLatentDigest,
          latents: plan ? 'device' : 'host',
        },
      };
    } finally {
      scope.disposeAll();
    }
  }

  private checkParams(params: GenerateParams): Required<Omit<GenerateParams, 'previewEvery'>> {
    const fail = (why: string) => {
      throw new InvalidGenerateParamsError(why);
    };
    const { prompt, seed, steps, guidance, width, height, scheduler } = params;
    const negativePrompt = params.negativePrompt ?? '';
    if (typeof prompt !== 'string' || typeof negativePrompt !== 'string') fail('The prompt and negative prompt must be text.');
    if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) fail(`The seed must be a whole number from 0 to ${MAX_SEED}; got ${seed}.`);
    if (!Number.isInteger(steps) || steps < 1 || steps > this.schedulerConfig.numTrainTimesteps) {
      fail(`Steps must be a whole number from 1 to ${this.schedulerConfig.numTrainTimesteps}; got ${steps}.`);
    }
    if (!Number.isFinite(guidance) || guidance < 0 || guidance > 50) fail(`Guidance must be from 0 to 50; got ${guidance}.`);
    if (!isSchedulerName(scheduler)) fail(`Unknown scheduler "${String(scheduler)}".`);
    for (const [name, side] of [['width', width], ['height', height]] as const) {
      if (!Number.isInteger(side) || side % 8 !== 0 || side < MIN_SIDE || side > MAX_SIDE) {
        fail(`The ${name} must be a multiple of 8 from ${MIN_SIDE} to ${MAX_SIDE}; got ${side}.`);
      }
    }
    const fixedHeight = this.unetIo.latentHeight;
    const fixedWidth = this.unetIo.latentWidth;
    if ((fixedHeight !== null && fixedHeight * 8 !== height) || (fixedWidth !== null && fixedWidth * 8 !== width)) {
      fail(`This model only makes ${(fixedWidth ?? width / 8) * 8} × ${(fixedHeight ?? height / 8) * 8} images.`);
    }
    return { prompt, negativePrompt, seed, steps, guidance, width, height, scheduler };
  }

  /**
   * The UNet's `encoder_hidden_states`: `cond` alone (guidance off / embedded), `cond` and
   * `uncond` (two-pass), or one batch-2 tensor [negative; prompt] in `cond` (batched, diffusers'
   * order). Tensors stay where the text encoder left them unless they must be joined or converted.
   */
  private async encodeText(
    prompt: string,
    negativePrompt: string | null,
    mode: GuidanceMode,
    scope: TensorScope,
  ): Promise<{ cond: RuntimeTensor; uncond: RuntimeTensor | null }> {
    const want = this.unetIo.encoderHiddenStates.type;
    if (mode === 'batched') {
      const texts = [negativePrompt ?? '', prompt];
      if (this.textEncoderIo.batch === null || this.textEncoderIo.batch === 2) {
        const both = await this.runTextEncoder(texts, scope);
        return { cond: await this.convertHidden(both, want, scope), uncond: null };
      }
      // A batch-1 text encoder: encode each, join on the CPU.
      const parts = [];
      for (const text of texts) parts.push(await this.runTextEncoder([text], scope));
      const data = [];
      for (const part of parts) data.push(await this.readFloats(part));
      const dims = [2, ...parts[0].dims.slice(1)];
      return { cond: scope.tensor(want, concat(data[0], data[1]), dims), uncond: null };
    }
    const cond = await this.convertHidden(await this.runTextEncoder([prompt], scope), want, scope);
    const uncond = mode === 'two-pass' ? await this.convertHidden(await this.runTextEncoder([negativePrompt ?? ''], scope), want, scope) : null;
    return { cond, uncond };
  }

  private async runTextEncoder(texts: readonly string[], scope: TensorScope): Promise<RuntimeTensor> {
    const io = this.textEncoderIo;
    const length = this.tokenizer.sequenceLength;
    const ids = new Int32Array(texts.length * length);
    texts.forEach((text, i) => ids.set(this.tokenizer.encode(text), i * length));
    const data = io.inputIds.type === 'int64' ? BigInt64Array.from(ids, (v) => BigInt(v)) : ids;
    const input = scope.tensor(io.inputIds.type, data, [texts.length, length]);
    const outputs = await this.run('textEncoder', { [io.inputIds.name]: input }, scope);
    return outputs[io.output];
  }

  /** The text features in the UNet's float type (a readback and upload only when they differ). */
  private async convertHidden(tensor: RuntimeTensor, want: FloatElementType, scope: TensorScope): Promise<RuntimeTensor> {
    if (tensor.type === want) return tensor;
    return scope.tensor(want, await this.readFloats(tensor), tensor.dims);
  }

  /**
   * The loop the schedulers run in JS: each step uploads the model input and reads the UNet's
   * output back (CPU tensors on WASM, so nothing is copied there).
   */
  private async denoiseOnHost(loop: DenoiseLoop): Promise<{ latents: Float32Array; unetRuns: number }> {
    const { scheduler, mode, conditioning, timestepCond, scope } = loop;
    const { signal, onProgress } = loop.callbacks;
    const latentSize = loop.latents.length;
    const latentDims = [1, 4, loop.latentHeight, loop.latentWidth];
    const noiseSource = () => loop.noise.next(latentSize);
    let latents = loop.latents;
    let unetRuns = 0;
    for (let i = 0; i < loop.steps; i++) {
      // ORT's WASM runs can resolve without ever leaving the microtask queue, which would keep
      // a worker from seeing the abort message until the loop ends: let pending tasks run.
      if (signal) await yieldToEventLoop();
      throwIfAborted(signal, 'Generation cancelled.');
      const modelInput = scheduler.scaleModelInput(latents, i);
      const timestep = scheduler.timesteps[i];
      let guided: Float32Array;
      if (mode === 'two-pass') {
        const sample = scope.tensor(this.unetIo.sample.type, modelInput, latentDims);
        const uncond = await this.readUnet(sample, timestep, conditioning.uncond!, timestepCond, scope, i);
        throwIfAborted(signal, 'Generation cancelled.');
        const cond = await this.readUnet(sample, timestep, conditioning.cond, timestepCond, scope, i);
        scope.dispose(sample);
        unetRuns += 2;
        guided = combineGuidance(uncond, cond, loop.guidanceScale);
      } else if (mode === 'batched') {
        const sample = scope.tensor(this.unetIo.sample.type, concat(modelInput, modelInput), [2, ...latentDims.slice(1)]);
        const both = await this.readUnet(sample, timestep, conditioning.cond, timestepCond, scope, i);
        scope.dispose(sample);
        unetRuns += 1;
        guided = combineGuidance(both.subarray(0, latentSize), both.subarray(latentSize), loop.guidanceScale);
      } else {
        const sample = scope.tensor(this.unetIo.sample.type, modelInput, latentDims);
        guided = await this.readUnet(sample, timestep, conditioning.cond, timestepCond, scope, i);
        scope.dispose(sample);
        unetRuns += 1;
      }
      const previous = latents;
      latents = scheduler.step(guided, i, previous, noiseSource);
      onProgress?.({ step: i + 1, total: loop.steps, elapsedMs: performance.now() - loop.started });
      if (isPreviewStep(loop, i)) this.emitPreview(loop, i, scheduler.predictOriginal(guided, i, previous));
    }
    return { latents, unetRuns };
  }

  /**
   * The device loop: the latents, the previous x0 and every model output stay runtime tensors.
   * Per step it uploads the step's scalars, the timestep and (only when the sampler draws it)
   * fresh noise, and reads back only a preview, on preview steps.
   */
  private async denoiseOnDevice(plan: DeviceStepPlan, loop: DenoiseLoop): Promise<{ latents: RuntimeTensor; unetRuns: number }> {
    const { scheduler, mode, conditioning, timestepCond, scope } = loop;
    const { signal, onProgress } = loop.callbacks;
    const latentSize = loop.latents.length;
    const dims = [1, 4, loop.latentHeight, loop.latentWidth];
    const guidance = plan.layout === 'single' ? null : loop.guidanceScale;

    const initial = scope.tensor('float32', loop.latents, dims);
    let x = await this.scaleOnDevice(plan.latents, initial, 1, scope);
    scope.dispose(initial);
    const zeros = await this.scaleOnDevice(plan.latents, x, 0, scope);
    let x0Previous = zeros;
    let unetRuns = 0;
    for (let i = 0; i < loop.steps; i++) {
      if (signal) await yieldToEventLoop();
      throwIfAborted(signal, 'Generation cancelled.');
      const k = scheduler.coefficients(i);
      const timestep = scheduler.timesteps[i];
      const sample = await this.scaleOnDevice(plan.unetInput, x, k.inputScale, scope, i);
      const unetOutputs: Record<string, RuntimeTensor> = {};
      if (mode === 'two-pass') {
        unetOutputs[SAMPLER_STEP_INPUTS.uncond] = await this.runUnet(sample, timestep, conditioning.uncond!, timestepCond, scope, i);
        throwIfAborted(signal, 'Generation cancelled.');
        unetOutputs[SAMPLER_STEP_INPUTS.cond] = await this.runUnet(sample, timestep, conditioning.cond, timestepCond, scope, i);
        unetRuns += 2;
      } else {
        unetOutputs[SAMPLER_STEP_INPUTS.modelOutput] = await this.runUnet(sample, timestep, conditioning.cond, timestepCond, scope, i);
        unetRuns += 1;
      }
      scope.dispose(sample);
      throwIfAborted(signal, 'Generation cancelled.');

      // Noise is drawn exactly when step() would draw it, so a seed gives the same image either way.
      const noise = k.e !== 0 ? scope.tensor('float32', loop.noise.next(latentSize), dims) : zeros;
      const scalars: Record<string, RuntimeTensor> = {};
      for (const [name, value] of Object.entries(samplerStepScalars(k, guidance))) scalars[name] = scope.tensor('float32', Float32Array.of(value), []);
      const feeds = { ...scalars, ...unetOutputs, [SAMPLER_STEP_INPUTS.x]: x, [SAMPLER_STEP_INPUTS.x0Previous]: x0Previous, [SAMPLER_STEP_INPUTS.noise]: noise };
      const outputs = await this.runSession(plan.samplerStep, 'sampler step', feeds, scope, i);
      for (const tensor of [...Object.values(scalars), ...Object.values(unetOutputs), x]) scope.dispose(tensor);
      if (noise !== zeros) scope.dispose(noise);
      if (x0Previous !== zeros) scope.dispose(x0Previous);
      x = outputs[SAMPLER_STEP_OUTPUTS.next];
      x0Previous = outputs[SAMPLER_STEP_OUTPUTS.x0];
      const preview = outputs[SAMPLER_STEP_OUTPUTS.preview];

      onProgress?.({ step: i + 1, total: loop.steps, elapsedMs: performance.now() - loop.started });
      if (isPreviewStep(loop, i)) this.emitPreview(loop, i, await this.readFloats(preview));
      scope.dispose(preview);
    }
    if (x0Previous !== zeros) scope.dispose(x0Previous);
    scope.dispose(zeros);
    return { latents: x, unetRuns };
  }

  /** The sessions of the device loop for this guidance mode, or null to run the host loop. */
  private async devicePlan(mode: GuidanceMode): Promise<DeviceStepPlan | null> {
    if (!this.latentsOnDevice || this.deviceLoopUnavailable !== null) return null;
    const layout: GuidanceLayout = mode === 'batched' ? 'batched' : mode === 'two-pass' ? 'pair' : 'single';
    try {
      return await this.stepGraphs.plan({
        layout,
        unetOutputType: this.unetIo.outputType,
        unetSampleType: this.unetIo.sample.type,
        unetBatch: mode === 'batched' ? 2 : 1,
        vaeInputType: this.vaeIo.latentSample.type,
      });
    } catch (error) {
      // Not worth failing a generation over: the host loop does the same work, with readbacks.
      this.deviceLoopUnavailable = messageOf(error);
      return null;
    }
  }

  /** "Scale and cast": factor · latents, as the session's output type and batch (owned by `scope`). */
  private async scaleOnDevice(session: RuntimeSession, latents: RuntimeTensor, factor: number, scope: TensorScope, stepIndex?: number): Promise<RuntimeTensor> {
    const k = scope.tensor('float32', Float32Array.of(factor), []);
    const outputs = await this.runSession(session, 'latent scaling', { [SCALE_CAST_INPUTS.x]: latents, [SCALE_CAST_INPUTS.factor]: k }, scope, stepIndex);
    scope.dispose(k);
    return outputs[SCALE_CAST_OUTPUT];
  }

  private emitPreview(loop: DenoiseLoop, stepIndex: number, x0: Float32Array): void {
    const { latentWidth: width, latentHeight: height } = loop;
    const rgba = latentPreviewRgba(x0, width, height, this.model.latentPreview, this.model.vaeScalingFactor);
    loop.callbacks.onPreview?.({ step: stepIndex + 1, total: loop.steps, width, height, rgba });
  }

  /** One UNet run on `sample` (the UNet's type and batch); its output, owned by `scope`. */
  private async runUnet(
    sample: RuntimeTensor,
    timestep: number,
    hidden: RuntimeTensor,
    timestepCond: RuntimeTensor | null,
    scope: TensorScope,
    stepIndex: number,
  ): Promise<RuntimeTensor> {
    const io = this.unetIo;
    const timestepTensor = this.timestepTensor(timestep, sample.dims[0], scope);
    const feeds: Record<string, RuntimeTensor> = {
      [io.sample.name]: sample,
      [io.timestep.name]: timestepTensor,
      [io.encoderHiddenStates.name]: hidden,
    };
    if (timestepCond && io.timestepCond) feeds[io.timestepCond.name] = timestepCond;
    const outputs = await this.run('unet', feeds, scope, stepIndex);
    scope.dispose(timestepTensor);
    for (const [name, tensor] of Object.entries(outputs)) if (name !== io.output) scope.dispose(tensor);
    return outputs[io.output];
  }

  /** A UNet run whose output is read into JS (the host loop). */
  private async readUnet(
    sample: RuntimeTensor,
    timestep: number,
    hidden: RuntimeTensor,
    timestepCond: RuntimeTensor | null,
    scope: TensorScope,
    stepIndex: number,
  ): Promise<Float32Array> {
    const output = await this.runUnet(sample, timestep, hidden, timestepCond, scope, stepIndex);
    const result = await this.readFloats(output);
    scope.dispose(output);
    return result;
  }

  /**
   * The timestep in the graph's type and shape: a scalar, [1] or [batch]. Integer types get the
   * nearest integer (diffusers' leading and trailing spacings give integers anyway).
   */
  private timestepTensor(timestep: number, batch: number, scope: TensorScope): RuntimeTensor {
    const { type, shape } = this.unetIo.timestep;
    const dims = shape === null ? [1] : shape.length === 0 ? [] : [shape[0] ?? batch];
    const count = dims.length === 0 ? 1 : dims[0];
    switch (type) {
      case 'int64':
        return scope.tensor(type, new BigInt64Array(count).fill(BigInt(Math.round(timestep))), dims);
      case 'int32':
        return scope.tensor(type, new Int32Array(count).fill(Math.round(timestep)), dims);
      default:
        return scope.tensor(type, new Float32Array(count).fill(timestep), dims);
    }
  }

  /** The VAE's picture of the final latents: JS values (host loop) or a device tensor (device loop). */
  private async decode(latents: Float32Array | RuntimeTensor, plan: DeviceStepPlan | null, latentHeight: number, latentWidth: number, scope: TensorScope): Promise<Uint8ClampedArray> {
    const io = this.vaeIo;
    let input: RuntimeTensor;
    if (latents instanceof Float32Array) {
      const scaled = latents.map((v) => v / this.model.vaeScalingFactor);
      input = scope.tensor(io.latentSample.type, scaled, [1, 4, latentHeight, latentWidth]);
    } else {
      input = await this.scaleOnDevice(plan!.vaeInput, latents, 1 / this.model.vaeScalingFactor, scope);
    }
    const outputs = await this.run('vaeDecoder', { [io.latentSample.name]: input }, scope);
    const image = outputs[io.output];
    const [, channels, height, width] = image.dims;
    if (image.dims.length !== 4 || channels < 3) {
      throw new ModelInterfaceError(`The VAE decoder returned a [${image.dims.join(', ')}] tensor; expected [1, 3, height, width].`);
    }
    return planarRgbToRgba(await this.readFloats(image), width, height);
  }

  /** Runs a part, wrapping runtime failures; every output is owned by `scope`. */
  private run(part: PipelinePartName, feeds: Record<string, RuntimeTensor>, scope: TensorScope, stepIndex?: number): Promise<Record<string, RuntimeTensor>> {
    return this.runSession(this.sessions[part], PART_LABELS[part], feeds, scope, stepIndex);
  }

  private async runSession(
    session: RuntimeSession,
    label: string,
    feeds: Record<string, RuntimeTensor>,
    scope: TensorScope,
    stepIndex?: number,
  ): Promise<Record<string, RuntimeTensor>> {
    try {
      const outputs = await session.run(feeds);
      for (const tensor of Object.values(outputs)) scope.adopt(tensor);
      return outputs;
    } catch (error) {
      if (isAbortError(error)) throw new GenerationCancelledError('Generation cancelled.');
      const where = stepIndex === undefined ? '' : ` at step ${stepIndex + 1}`;
      throw new InferenceError(`The ${label} failed${where}: ${messageOf(error)}`);
    }
  }

  private async readFloats(tensor: RuntimeTensor): Promise<Float32Array> {
    const data = (await this.runtime.read(tensor)) as ArrayLike<number>;
    return tensor.type === 'float16' ? float16DataToFloat32(data) : Float32Array.from(data);
  }
}

/** SD 1.x/2.x's training schedule, for repos without a scheduler_config.json (diffusers keys). */
const STANDARD_SD_SCHEDULE: Readonly<Record<string, unknown>> = {
  num_train_timesteps: 1000,
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  steps_offset: 1,
  set_alpha_to_one: false,
  prediction_type: 'epsilon',
  timestep_spacing: 'leading',
};

async function createSession(
  runtime: OnnxRuntime,
  part: PipelinePartName,
  files: { model: Uint8Array; externalData: { path: string; data: Uint8Array }[] },
): Promise<RuntimeSession> {
  try {
    // On WebGPU every output stays on the GPU: text features feed the UNet in place, and the
    // pipeline reads back (and counts) only what the JS side needs.
    return await runtime.createSession({ model: files.model, externalData: files.externalData, outputsOnGpu: true });
  } catch (error) {
    throw new ModelLoadError(`ONNX Runtime (${runtime.backend}) could not load the ${PART_LABELS[part]}: ${messageOf(error)}`);
  }
}

/** What both denoising loops work from. */
interface DenoiseLoop {
  readonly scheduler: Scheduler;
  readonly steps: number;
  readonly mode: GuidanceMode;
  /** The CFG scale for 'batched' and 'two-pass' (1 otherwise). */
  readonly guidanceScale: number;
  readonly conditioning: { readonly cond: RuntimeTensor; readonly uncond: RuntimeTensor | null };
  readonly timestepCond: RuntimeTensor | null;
  /** The initial latents, already multiplied by the scheduler's initial σ. */
  readonly latents: Float32Array;
  readonly latentHeight: number;
  readonly latentWidth: number;
  /** The stochastic samplers' fresh noise (drawn only when step() draws it). */
  readonly noise: NormalStream;
  readonly previewEvery: number;
  readonly callbacks: GenerateCallbacks;
  readonly started: number;
  readonly scope: TensorScope;
}

/** A live preview after step `stepIndex`: every `previewEvery` steps, never after the last. */
function isPreviewStep(loop: DenoiseLoop, stepIndex: number): boolean {
  const done = stepIndex + 1;
  return loop.callbacks.onPreview !== undefined && loop.previewEvery > 0 && done % loop.previewEvery === 0 && done < loop.steps;
}

/** Tensors one generation creates or receives, disposed together at the end (or on failure). */
class TensorScope {
  private readonly live = new Set<RuntimeTensor>();

  constructor(private readonly runtime: OnnxRuntime) {}

  tensor(type: 'float32' | 'float16' | 'int32' | 'int64', data: TensorData, dims: readonly number[]): RuntimeTensor {
    const converted = type === 'float16' && data instanceof Float32Array ? toFloat16Bits(data) : data;
    return this.adopt(this.runtime.createTensor(type, converted, dims));
  }

  adopt(tensor: RuntimeTensor): RuntimeTensor {
    this.live.add(tensor);
    return tensor;
  }

  dispose(tensor: RuntimeTensor): void {
    if (this.live.delete(tensor)) this.runtime.dispose(tensor);
  }

  disposeAll(): void {
    for (const tensor of this.live) this.runtime.dispose(tensor);
    this.live.clear();
  }
}

/** ε̂ = ε_uncond + g · (ε_cond − ε_uncond). */
function combineGuidance(uncond: Float32Array, cond: Float32Array, scale: number): Float32Array {
  const out = new Float32Array(cond.length);
  for (let i = 0; i < out.length; i++) out[i] = uncond[i] + scale * (cond[i] - uncond[i]);
  return out;
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * LCM's guidance embedding (diffusers `get_guidance_scale_embedding(w − 1, embedding_dim)`):
 * w' = (w − 1)·1000, then [sin(w'·f_k), cos(w'·f_k)] with f_k = 10000^(−k / (half − 1)).
 */
export function guidanceEmbedding(guidance: number, dim: number): Float32Array {
  const w = (guidance - 1) * 1000;
  const half = Math.floor(dim / 2);
  const out = new Float32Array(dim);
  for (let k = 0; k < half; k++) {
    const frequency = Math.exp((-Math.log(10000) * k) / Math.max(half - 1, 1));
    out[k] = Math.sin(w * frequency);
    out[half + k] = Math.cos(w * frequency);
  }
  return out;
}

/** Resolves after the tasks already queued (messages included) have had their turn; no 4 ms clamp. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/** FNV-1a (32-bit) of a float array's bytes, as 8 hex digits. */
function fnv1a(values: Float32Array): string {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i], 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, '0');
}

/**
 * Text → image with a Stable Diffusion model in the diffusers ONNX layout: tokenizer, text encoder,
 * the UNet loop with a scheduler and classifier-free guidance, the VAE decoder, RGBA out.
 *
 * Runtime-agnostic (see runtime.ts): the worker runs it on onnxruntime-web, the unit tests on
 * onnxruntime-node against the Shapes oracle, whose exact pictures make any slip visible.
 *
 * On WebGPU the text embeddings stay on the GPU from the text encoder to every UNet run; the UNet
 * output comes back once per run (the schedulers are JS) and the image once. Every GPU → CPU copy
 * is counted in the result's `readbacks`.
 */
import { ClipTokenizer } from './clip-tokenizer.ts';
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
import { fetchModelFiles, type FetchLike, type FileProgress } from './model-files.ts';
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
import { createScheduler, isSchedulerName, parseSchedulerConfig, type SchedulerConfig, type SchedulerName } from './schedulers/index.ts';

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
}

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
  ) {}

  /**
   * Fetches the variant's files and creates the three sessions. Throws ModelFileError,
   * ModelLoadError, ModelInterfaceError, or GenerationCancelledError (AbortError) when aborted;
   * whatever was created is released on failure.
   */
  static async load(model: PipelineModel, variant: ModelVariant, runtime: OnnxRuntime, options: PipelineLoadOptions = {}): Promise<DiffusionPipeline> {
    const { signal, onProgress } = options;
    const files = await fetchModelFiles(model, variant, { signal, fetch: options.fetch, onProgress: (file) => onProgress?.({ phase: 'fetch', file }) });

    let schedulerConfig: SchedulerConfig;
    try {
      schedulerConfig = parseSchedulerConfig({ ...(files.schedulerConfig ?? STANDARD_SD_SCHEDULE), ...model.scheduler.overrides });
    } catch (error) {
      throw new ModelLoadError(`The model's scheduler configuration is not usable: ${messageOf(error)}`);
    }

    const created: Partial<Record<PipelinePartName, RuntimeSession>> = {};
    try {
      for (const part of ['textEncoder', 'unet', 'vaeDecoder'] as const) {
        throwIfAborted(signal, 'Loading cancelled.');
        onProgress?.({ phase: 'session', part });
        created[part] = await createSession(runtime, part, files.parts[part]);
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
      return new DiffusionPipeline(model, variant, runtime, sessions, tokenizer, schedulerConfig, textEncoderIo, unetIo, vaeIo);
    } catch (error) {
      await Promise.allSettled(Object.values(created).map((s) => s.release()));
      throw error;
    }
  }

  get backend(): string {
    return this.runtime.backend;
  }

  /** The runtime's books: tensors alive and readbacks so far. */
  get counters(): { liveTensors: number; readbacks: number } {
    return { liveTensors: this.runtime.counters.liveTensors, readbacks: this.runtime.counters.readbacks };
  }

  /** Releases the sessions (and their GPU buffers). The pipeline cannot be used afterwards. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await Promise.allSettled(Object.values(this.sessions).map((s: RuntimeSession) => s.release()));
  }

  /**
   * One image. Checks `signal` before and after every model run, so a cancel takes effect within
   * one step (throws GenerationCancelledError, an AbortError); the pipeline stays usable.
   */
  async generate(params: GenerateParams, callbacks: GenerateCallbacks = {}): Promise<GenerateResult> {
    if (this.released) throw new ModelLoadError('This pipeline was released; load the model again.');
    const { signal, onProgress, onPreview } = callbacks;
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
      const batch = mode === 'batched' ? 2 : 1;

      const textStarted = performance.now();
      const conditioning = await this.encodeText(p.prompt, mode === 'off' || mode === 'embedded' ? null : p.negativePrompt, mode, scope);
      const textEncoderMs = performance.now() - textStarted;
      throwIfAborted(signal, 'Generation cancelled.');

      const initialNoise = randomNormal(p.seed, latentSize, 0);
      const initialLatentDigest = fnv1a(initialNoise);
      let latents: Float32Array = initialNoise.map((v) => v * scheduler.initNoiseSigma);
      const stepNoise = new NormalStream(p.seed, 1);
      const noiseSource = () => stepNoise.next(latentSize);
      const timestepCond = io.timestepCond ? scope.tensor(io.timestepCond.type, guidanceEmbedding(p.guidance, io.timestepCond.shape?.[1] ?? 256), [1, io.timestepCond.shape?.[1] ?? 256]) : null;
      const latentDims = [batch, 4, latentHeight, latentWidth];
      const previewEvery = params.previewEvery ?? 2;

      const unetStarted = performance.now();
      let unetRuns = 0;
      for (let i = 0; i < p.steps; i++) {
        // ORT's WASM runs can resolve without ever leaving the microtask queue, which would keep
        // a worker from seeing the abort message until the loop ends: let pending tasks run.
        if (signal) await yieldToEventLoop();
        throwIfAborted(signal, 'Generation cancelled.');
        const modelInput = scheduler.scaleModelInput(latents, i);
        const timestep = scheduler.timesteps[i];
        let guided: Float32Array;
        if (mode === 'two-pass') {
          const uncond = await this.runUnet(modelInput, latentDims, timestep, conditioning.uncond!, timestepCond, scope, i);
          throwIfAborted(signal, 'Generation cancelled.');
          const cond = await this.runUnet(modelInput, latentDims, timestep, conditioning.cond, timestepCond, scope, i);
          unetRuns += 2;
          guided = combineGuidance(uncond, cond, guidanceScale);
        } else if (mode === 'batched') {
          const both = await this.runUnet(concat(modelInput, modelInput), latentDims, timestep, conditioning.cond, timestepCond, scope, i);
          unetRuns += 1;
          guided = combineGuidance(both.subarray(0, latentSize), both.subarray(latentSize), guidanceScale);
        } else {
          guided = await this.runUnet(modelInput, latentDims, timestep, conditioning.cond, timestepCond, scope, i);
          unetRuns += 1;
        }
        const previous = latents;
        latents = scheduler.step(guided, i, previous, noiseSource);
        onProgress?.({ step: i + 1, total: p.steps, elapsedMs: performance.now() - started });
        if (onPreview && previewEvery > 0 && (i + 1) % previewEvery === 0 && i + 1 < p.steps) {
          const x0 = scheduler.predictOriginal(guided, i, previous);
          const rgba = latentPreviewRgba(x0, latentWidth, latentHeight, this.model.latentPreview, this.model.vaeScalingFactor);
          onPreview({ step: i + 1, total: p.steps, width: latentWidth, height: latentHeight, rgba });
        }
      }
      const unetMs = performance.now() - unetStarted;
      throwIfAborted(signal, 'Generation cancelled.');

      const vaeStarted = performance.now();
      const rgba = await this.decode(latents, latentHeight, latentWidth, scope);
      const vaeMs = performance.now() - vaeStarted;
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

  private async runUnet(
    modelInput: Float32Array,
    dims: readonly number[],
    timestep: number,
    hidden: RuntimeTensor,
    timestepCond: RuntimeTensor | null,
    scope: TensorScope,
    stepIndex: number,
  ): Promise<Float32Array> {
    const io = this.unetIo;
    const batch = dims[0];
    const feeds: Record<string, RuntimeTensor> = {
      [io.sample.name]: scope.tensor(io.sample.type, modelInput, dims),
      [io.timestep.name]: this.timestepTensor(timestep, batch, scope),
      [io.encoderHiddenStates.name]: hidden,
    };
    if (timestepCond && io.timestepCond) feeds[io.timestepCond.name] = timestepCond;
    const outputs = await this.run('unet', feeds, scope, stepIndex);
    const result = await this.readFloats(outputs[io.output]);
    scope.dispose(feeds[io.sample.name]);
    scope.dispose(feeds[io.timestep.name]);
    for (const tensor of Object.values(outputs)) scope.dispose(tensor);
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

  private async decode(latents: Float32Array, latentHeight: number, latentWidth: number, scope: TensorScope): Promise<Uint8ClampedArray> {
    const io = this.vaeIo;
    const scaled = latents.map((v) => v / this.model.vaeScalingFactor);
    const input = scope.tensor(io.latentSample.type, scaled, [1, 4, latentHeight, latentWidth]);
    const outputs = await this.run('vaeDecoder', { [io.latentSample.name]: input }, scope);
    const image = outputs[io.output];
    const [, channels, height, width] = image.dims;
    if (image.dims.length !== 4 || channels < 3) {
      throw new ModelInterfaceError(`The VAE decoder returned a [${image.dims.join(', ')}] tensor; expected [1, 3, height, width].`);
    }
    return planarRgbToRgba(await this.readFloats(image), width, height);
  }

  /** Runs a part, wrapping runtime failures; every output is owned by `scope`. */
  private async run(part: PipelinePartName, feeds: Record<string, RuntimeTensor>, scope: TensorScope, stepIndex?: number): Promise<Record<string, RuntimeTensor>> {
    try {
      const outputs = await this.sessions[part].run(feeds);
      for (const tensor of Object.values(outputs)) scope.adopt(tensor);
      return outputs;
    } catch (error) {
      if (isAbortError(error)) throw new GenerationCancelledError('Generation cancelled.');
      const where = stepIndex === undefined ? '' : ` at step ${stepIndex + 1}`;
      throw new InferenceError(`The ${PART_LABELS[part]} failed${where}: ${messageOf(error)}`);
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

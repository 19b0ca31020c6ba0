/**
 * The diffusion worker's protocol, shared by the page (DiffusionClient) and the worker
 * (DiffusionWorkerHandler): one map from request kind to its request, options, response and event
 * types; the interface both sides implement; the messages; errors as data.
 *
 *   page → worker  { type: 'call', id, kind, request }   start a call
 *                  { type: 'abort', id }                 abort it (surfaces as an AbortError)
 *   worker → page  { type: 'event', id, event }          progress / preview while it runs
 *                  { type: 'ok', id, response }          its result
 *                  { type: 'error', id, error }          { name, code, message }, rebuilt as the same class
 */
import type { Backend, BackendPreference, DtypePreference, PlatformFeatures } from '../pipeline/backend.ts';
import type { GenerateParams, GenerateResult, LatentPreview, LoadProgress, StepProgress } from '../pipeline/diffusion-pipeline.ts';
import {
  GenerationCancelledError,
  InferenceError,
  InvalidGenerateParamsError,
  ModelFileError,
  ModelInterfaceError,
  ModelLoadError,
  NoModelLoadedError,
  WebGpuUnavailableError,
} from '../pipeline/errors.ts';
import type { ModelDtype, PipelineModel } from '../pipeline/model.ts';
import type { SessionTuning } from '../pipeline/runtime.ts';
import { RandomError } from '../pipeline/random.ts';
import { SchedulerConfigError, SchedulerError } from '../pipeline/schedulers/index.ts';

export type { GenerateParams, GenerateResult, LatentPreview, LoadProgress, StepProgress } from '../pipeline/diffusion-pipeline.ts';

// ---- requests and results ------------------------------------------------------------------------

export interface LoadRequest {
  readonly model: PipelineModel;
  /** The Settings choice; the worker falls back from WebGPU to WASM and says why. */
  readonly backend: BackendPreference;
  /** Default 'auto': fp16 on WebGPU with shader-f16 when the model has it, else fp32. */
  readonly dtype?: DtypePreference;
  /** ONNX Runtime session options to try instead of the app's (benchmarks only; the UI never sets it). */
  readonly tuning?: SessionTuning;
}

export interface LoadResult {
  readonly modelId: string;
  readonly backend: Backend;
  /** Why this is not the backend asked for, in plain words ("no WebGPU adapter"); null when it is. */
  readonly reason: string | null;
  readonly dtype: ModelDtype;
  /** WASM threads, and whether the page is cross-origin isolated (needed for more than one). */
  readonly threads: number;
  readonly crossOriginIsolated: boolean;
  /** The WebGPU adapter ("google swiftshader"), when WebGPU is in use. */
  readonly adapter: string | null;
  readonly loadMs: number;
  /** Of which creating the ONNX Runtime sessions from bytes in memory (fetching excluded). */
  readonly sessionsMs: number;
  /** True when the same model was already loaded on the same backend (nothing was fetched). */
  readonly reused: boolean;
}

export interface WorkerStatus {
  readonly modelId: string | null;
  readonly backend: Backend | null;
  /** ORT tensors the pipeline holds; 0 between generations. */
  readonly liveTensors: number;
  readonly readbacks: number;
  /** `performance.memory.usedJSHeapSize` of the worker where Chromium exposes it, else null. */
  readonly jsHeapBytes: number | null;
  readonly platform: PlatformFeatures;
}

export interface SignalOptions {
  readonly signal?: AbortSignal;
}
export interface LoadOptions extends SignalOptions {
  readonly onProgress?: (progress: LoadProgress) => void;
}
export interface GenerateOptions extends SignalOptions {
  readonly onProgress?: (progress: StepProgress) => void;
  readonly onPreview?: (preview: LatentPreview) => void;
}
export type EmptyRequest = Readonly<Record<string, never>>;

/** What travels as one call's events. */
export type GenerateEvent = ({ readonly kind: 'step' } & StepProgress) | { readonly kind: 'preview'; readonly preview: LatentPreview };

/** Request kind → its types. The worker's dispatcher and the client are typed against this map. */
export interface DiffusionProtocol {
  load: { request: LoadRequest; options: LoadOptions; response: LoadResult; event: LoadProgress };
  generate: { request: GenerateParams; options: GenerateOptions; response: GenerateResult; event: GenerateEvent };
  release: { request: EmptyRequest; options: SignalOptions; response: null; event: never };
  status: { request: EmptyRequest; options: SignalOptions; response: WorkerStatus; event: never };
}
export type RequestKind = keyof DiffusionProtocol;
export type RequestOf<K extends RequestKind> = DiffusionProtocol[K]['request'];
export type OptionsOf<K extends RequestKind> = DiffusionProtocol[K]['options'];
export type ResponseOf<K extends RequestKind> = DiffusionProtocol[K]['response'];
export type EventOf<K extends RequestKind> = DiffusionProtocol[K]['event'];

/**
 * The interface the page-side client and the worker-side handler both implement: the client
 * forwards each call, the handler does the work. Every call takes `{ signal }`.
 */
export interface DiffusionApi {
  /** Loads a model (releasing the one before); resolves with the backend in use and why. */
  load(request: LoadRequest, options?: LoadOptions): Promise<LoadResult>;
  /** One image from the loaded model. */
  generate(request: GenerateParams, options?: GenerateOptions): Promise<GenerateResult>;
  /** Releases the loaded model's sessions and GPU buffers. */
  release(request?: EmptyRequest, options?: SignalOptions): Promise<null>;
  /** Counters for tests and benchmarks. */
  status(request?: EmptyRequest, options?: SignalOptions): Promise<WorkerStatus>;
}

// A protocol kind without a matching DiffusionApi method fails to compile here.
type MethodMatches<K extends RequestKind> = DiffusionApi[K] extends (request: RequestOf<K>, options?: OptionsOf<K>) => Promise<ResponseOf<K>> ? true : never;
export const API_MATCHES_PROTOCOL: { [K in RequestKind]: MethodMatches<K> } = { load: true, generate: true, release: true, status: true };

/**
 * How each kind's events map to its options' callbacks: `toOptions` on the worker side (the
 * handler's callbacks become messages), `deliver` on the page side (messages become callbacks).
 */
export const EVENT_ROUTES: {
  [K in RequestKind]: {
    toOptions(signal: AbortSignal, emit: (event: EventOf<K>) => void): OptionsOf<K>;
    deliver(event: EventOf<K>, options: OptionsOf<K>): void;
  };
} = {
  load: {
    toOptions: (signal, emit) => ({ signal, onProgress: emit }),
    deliver: (event, options) => options.onProgress?.(event),
  },
  generate: {
    toOptions: (signal, emit) => ({
      signal,
      onProgress: ({ step, total, elapsedMs }) => emit({ kind: 'step', step, total, elapsedMs }),
      onPreview: (preview) => emit({ kind: 'preview', preview }),
    }),
    deliver: (event, options) => {
      if (event.kind === 'step') options.onProgress?.({ step: event.step, total: event.total, elapsedMs: event.elapsedMs });
      else options.onPreview?.(event.preview);
    },
  },
  release: { toOptions: (signal) => ({ signal }), deliver: () => undefined },
  status: { toOptions: (signal) => ({ signal }), deliver: () => undefined },
};

// ---- messages ------------------------------------------------------------------------------------

export type CallMessage = { [K in RequestKind]: { readonly type: 'call'; readonly id: number; readonly kind: K; readonly request: RequestOf<K> } }[RequestKind];
export type PageToWorkerMessage = CallMessage | { readonly type: 'abort'; readonly id: number };

export type WorkerToPageMessage =
  | { readonly type: 'event'; readonly id: number; readonly event: EventOf<RequestKind> }
  | { readonly type: 'ok'; readonly id: number; readonly response: ResponseOf<RequestKind> }
  | { readonly type: 'error'; readonly id: number; readonly error: SerializedError };

/** The ArrayBuffers of images in a message (results and previews), moved instead of copied. */
export function transferablesOf(value: unknown): ArrayBuffer[] {
  const found: ArrayBuffer[] = [];
  const visit = (v: unknown, depth: number) => {
    if (v instanceof Uint8ClampedArray && v.buffer instanceof ArrayBuffer) found.push(v.buffer);
    else if (depth < 3 && typeof v === 'object' && v !== null && !ArrayBuffer.isView(v)) {
      for (const inner of Object.values(v)) visit(inner, depth + 1);
    }
  };
  visit(value, 0);
  return [...new Set(found)];
}

// ---- errors as data ------------------------------------------------------------------------------

export interface SerializedError {
  readonly name: string;
  readonly code: string;
  readonly message: string;
}

/** The worker itself failed (script error, out of memory, crash): its state is gone. */
export class WorkerCrashedError extends Error {
  override readonly name = 'WorkerCrashedError';
  readonly code = 'worker-crashed';
}

/** An error the page has no class for, keeping the worker's name and code. */
export class WorkerError extends Error {
  constructor(
    override readonly name: string,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function serializeError(error: unknown): SerializedError {
  if (typeof error === 'object' && error !== null) {
    const { name, code, message } = error as { name?: unknown; code?: unknown; message?: unknown };
    return {
      name: typeof name === 'string' ? name : 'Error',
      code: typeof code === 'string' ? code : 'unknown',
      message: typeof message === 'string' ? message : String(error),
    };
  }
  return { name: 'Error', code: 'unknown', message: String(error) };
}

const ERROR_CLASSES: Readonly<Record<string, (e: SerializedError) => Error>> = {
  AbortError: (e) => new GenerationCancelledError(e.message),
  WebGpuUnavailableError: (e) => new WebGpuUnavailableError(e.message),
  ModelFileError: (e) => new ModelFileError(e.message),
  ModelLoadError: (e) => new ModelLoadError(e.message),
  ModelInterfaceError: (e) => new ModelInterfaceError(e.message),
  NoModelLoadedError: (e) => new NoModelLoadedError(e.message),
  InvalidGenerateParamsError: (e) => new InvalidGenerateParamsError(e.message),
  InferenceError: (e) => new InferenceError(e.message),
  WorkerCrashedError: (e) => new WorkerCrashedError(e.message),
  SchedulerError: (e) => new SchedulerError(e.code as SchedulerError['code'], e.message),
  SchedulerConfigError: (e) => new SchedulerConfigError(e.code as SchedulerConfigError['code'], e.message),
  RandomError: (e) => new RandomError(e.code as RandomError['code'], e.message),
};

/** The same class on this side (or a {@link WorkerError} with the same name and code). */
export function rebuildError(error: SerializedError): Error {
  const make = Object.hasOwn(ERROR_CLASSES, error.name) ? ERROR_CLASSES[error.name] : null;
  return make ? make(error) : new WorkerError(error.name, error.code, error.message);
}

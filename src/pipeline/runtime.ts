/**
 * The small slice of ONNX Runtime the pipeline uses, so that the same pipeline runs on
 * onnxruntime-web in the worker (WebGPU or WASM) and on onnxruntime-node in unit tests.
 *
 * Both packages export `InferenceSession` and `Tensor` with the same shape (onnxruntime-common);
 * {@link ortRuntime} wraps either module. The wrapper also keeps the books the benchmark and the
 * memory test read: tensors alive, and GPU → CPU readbacks.
 */

export type TensorElementType = 'float32' | 'float16' | 'int32' | 'int64';
export type TensorData = Float32Array | Uint16Array | Int32Array | BigInt64Array;
export type ExecutionBackend = 'webgpu' | 'wasm' | 'cpu';

/** An ONNX Runtime tensor, wherever its data lives. */
export interface RuntimeTensor {
  readonly type: string;
  readonly dims: readonly number[];
  /** 'cpu' for data in JS memory, 'gpu-buffer' for a WebGPU buffer, … */
  readonly location: string;
  getData(): Promise<ArrayLike<number | bigint>>;
  dispose(): void;
}

export interface TensorMetadata {
  readonly name: string;
  readonly isTensor: boolean;
  readonly type?: string;
  /** Numbers for fixed dimensions, strings for symbolic ones; empty when unknown. */
  readonly shape?: ReadonlyArray<number | string>;
}

export interface RuntimeSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Types and shapes of the inputs, when the runtime reports them (ORT ≥ 1.22). */
  readonly inputMetadata: readonly TensorMetadata[];
  readonly outputMetadata: readonly TensorMetadata[];
  run(feeds: Record<string, RuntimeTensor>): Promise<Record<string, RuntimeTensor>>;
  release(): Promise<void>;
}

export interface SessionSource {
  /** The graph's bytes. */
  readonly model: Uint8Array;
  /** External-data files, by the name the graph refers to them, as bytes or a URL the runtime fetches. */
  readonly externalData: readonly { path: string; data: Uint8Array | string }[];
  /** Leave every output on the GPU (WebGPU only; ignored elsewhere): the caller reads what it needs. */
  readonly outputsOnGpu: boolean;
}

/**
 * ONNX Runtime session options a benchmark may try; the app itself always uses the defaults
 * (graph optimisation "all", nothing else set).
 */
export interface SessionTuning {
  readonly graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Fixes symbolic dimensions (e.g. `{ batch: 2, height: 32, width: 32 }`); names a graph lacks are ignored. */
  readonly freeDimensionOverrides?: Readonly<Record<string, number>>;
  readonly enableMemPattern?: boolean;
  readonly enableCpuMemArena?: boolean;
  /** ORT session config entries, e.g. `{ 'session.disable_prepacking': '1' }`. */
  readonly extra?: Readonly<Record<string, string>>;
}

export interface OnnxRuntime {
  readonly backend: ExecutionBackend;
  createSession(source: SessionSource): Promise<RuntimeSession>;
  createTensor(type: TensorElementType, data: TensorData, dims: readonly number[]): RuntimeTensor;
  /** Reads a tensor's data into JS memory, counting it when it had to come back from the GPU. */
  read(tensor: RuntimeTensor): Promise<ArrayLike<number | bigint>>;
  /** Disposes a tensor the pipeline owns (created here or returned by a run). */
  dispose(tensor: RuntimeTensor): void;
  readonly counters: RuntimeCounters;
}

export interface RuntimeCounters {
  /** Tensors created or returned by runs and not yet disposed. */
  readonly liveTensors: number;
  /** GPU → CPU copies since the runtime was made. */
  readonly readbacks: number;
  /** Milliseconds spent inside `session.run` since the runtime was made (every session). */
  readonly sessionRunMs: number;
}

// ---- ONNX Runtime adapter ----------------------------------------------------------------------

/** What onnxruntime-web and onnxruntime-node both export (structurally; their versions differ). */
export interface OrtModule {
  readonly InferenceSession: {
    create(model: Uint8Array, options?: object): Promise<OrtSessionLike>;
  };
  readonly Tensor: new (type: TensorElementType, data: TensorData, dims: readonly number[]) => RuntimeTensor;
}

interface OrtSessionLike {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata?: readonly TensorMetadata[];
  readonly outputMetadata?: readonly TensorMetadata[];
  run(feeds: Record<string, unknown>): Promise<Record<string, unknown>>;
  release(): Promise<void>;
}

/**
 * Wraps an ORT module for one execution provider: 'webgpu' and 'wasm' are onnxruntime-web's,
 * 'cpu' is onnxruntime-node's.
 */
export function ortRuntime(ort: OrtModule, backend: ExecutionBackend, tuning: SessionTuning = {}): OnnxRuntime {
  let liveTensors = 0;
  let readbacks = 0;
  let sessionRunMs = 0;
  const owned = new WeakSet<RuntimeTensor>();
  const own = (tensor: RuntimeTensor): RuntimeTensor => {
    if (!owned.has(tensor)) {
      owned.add(tensor);
      liveTensors += 1;
    }
    return tensor;
  };
  const counters: RuntimeCounters = {
    get liveTensors() {
      return liveTensors;
    },
    get readbacks() {
      return readbacks;
    },
    get sessionRunMs() {
      return sessionRunMs;
    },
  };
  return {
    backend,
    counters,
    async createSession({ model, externalData, outputsOnGpu }) {
      const options: Record<string, unknown> = {
        executionProviders: [backend],
        graphOptimizationLevel: tuning.graphOptimizationLevel ?? 'all',
        // Errors only: WebGPU sessions otherwise warn, as designed, that shape ops run on the CPU.
        logSeverityLevel: 3,
      };
      if (tuning.freeDimensionOverrides) options.freeDimensionOverrides = { ...tuning.freeDimensionOverrides };
      if (tuning.enableMemPattern !== undefined) options.enableMemPattern = tuning.enableMemPattern;
      if (tuning.enableCpuMemArena !== undefined) options.enableCpuMemArena = tuning.enableCpuMemArena;
      if (tuning.extra) options.extra = { ...tuning.extra };
      if (externalData.length > 0) options.externalData = externalData.map(({ path, data }) => ({ path, data }));
      if (backend === 'webgpu' && outputsOnGpu) options.preferredOutputLocation = 'gpu-buffer';
      const session = await ort.InferenceSession.create(model, options);
      return {
        inputNames: session.inputNames,
        outputNames: session.outputNames,
        inputMetadata: session.inputMetadata ?? [],
        outputMetadata: session.outputMetadata ?? [],
        async run(feeds) {
          const runStarted = performance.now();
          let outputs: Record<string, unknown>;
          try {
            outputs = await session.run(feeds);
          } finally {
            sessionRunMs += performance.now() - runStarted;
          }
          const result: Record<string, RuntimeTensor> = {};
          for (const [name, value] of Object.entries(outputs)) result[name] = own(value as RuntimeTensor);
          return result;
        },
        release: () => session.release(),
      };
    },
    createTensor(type, data, dims) {
      return own(new ort.Tensor(type, data, dims));
    },
    async read(tensor) {
      if (tensor.location !== 'cpu') readbacks += 1;
      return tensor.getData();
    },
    dispose(tensor) {
      if (owned.has(tensor)) {
        owned.delete(tensor);
        liveTensors -= 1;
      }
      tensor.dispose();
    },
  };
}

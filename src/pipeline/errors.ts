/**
 * The pipeline's errors. Each has a stable `code` and a message a user can act on; the worker
 * protocol sends `{ name, code, message }` and rebuilds the same class on the page.
 */

/** WebGPU cannot run this model here (no adapter, missing feature, buffer limits) and WASM cannot either. */
export class WebGpuUnavailableError extends Error {
  override readonly name = 'WebGpuUnavailableError';
  readonly code = 'webgpu-unavailable';
}

/** A model file could not be fetched (HTTP error, offline, not stored on this device). */
export class ModelFileError extends Error {
  override readonly name = 'ModelFileError';
  readonly code = 'model-file-unavailable';
}

/** ONNX Runtime could not create a session from a model part, or its configuration files are invalid. */
export class ModelLoadError extends Error {
  override readonly name = 'ModelLoadError';
  readonly code = 'model-load-failed';
}

/** A graph's inputs or outputs are not what a Stable Diffusion part takes or gives. */
export class ModelInterfaceError extends Error {
  override readonly name = 'ModelInterfaceError';
  readonly code = 'model-interface-unsupported';
}

/** Generate was called before a model finished loading (or after it was released). */
export class NoModelLoadedError extends Error {
  override readonly name = 'NoModelLoadedError';
  readonly code = 'no-model-loaded';
}

/** A generation parameter is out of range (size, steps, seed, guidance, scheduler). */
export class InvalidGenerateParamsError extends Error {
  override readonly name = 'InvalidGenerateParamsError';
  readonly code = 'invalid-generate-params';
}

/** ONNX Runtime failed while running a part (out of memory, device lost, unsupported operator). */
export class InferenceError extends Error {
  override readonly name = 'InferenceError';
  readonly code = 'inference-failed';
}

/**
 * The caller aborted. Named 'AbortError' like the platform's own abort errors, so the usual
 * `err.name === 'AbortError'` check works whether the abort came from fetch or from the pipeline.
 */
export class GenerationCancelledError extends Error {
  override readonly name = 'AbortError';
  readonly code = 'cancelled';
  constructor(message = 'Cancelled.') {
    super(message);
  }
}

/** Throws {@link GenerationCancelledError} when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, what = 'Cancelled.'): void {
  if (signal?.aborted) throw new GenerationCancelledError(what);
}

/** True for an abort from anywhere (our own class, fetch's DOMException, `AbortSignal.reason`). */
export function isAbortError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError';
}

/** The message of anything thrown, for wrapping runtime errors in ours. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : String(error);
}

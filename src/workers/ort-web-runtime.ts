/**
 * onnxruntime-web, set up for this app's worker. Worker-only: it imports the runtime itself.
 *
 * - The default `onnxruntime-web` entry is the JSEP build: one WASM binary serves both the WebGPU
 *   and the WASM execution providers.
 * - Its .mjs/.wasm are loaded from same-origin URLs emitted by Vite (`?url`): the CSP allows no
 *   other origin, and without explicit paths the threaded build hangs in a Vite bundle.
 * - Threads need SharedArrayBuffer (cross-origin isolation); the count is set explicitly.
 * - ORT gets the adapter the backend choice looked at, so that the features it saw are the ones used.
 */
import * as ort from 'onnxruntime-web';
import ortWasmModuleUrl from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.mjs?url';
import ortWasmBinaryUrl from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url';
import type { Backend, GpuAdapterLike } from '../pipeline/backend.ts';
import { ortRuntime, type OnnxRuntime, type OrtModule, type SessionTuning } from '../pipeline/runtime.ts';

export interface OrtWebSettings {
  readonly threads: number;
  readonly adapter: GpuAdapterLike | null;
  /** Session options for this runtime's sessions (benchmarks); the app's defaults otherwise. */
  readonly tuning?: SessionTuning;
}

/** The settings ORT was initialised with: WASM is initialised once per worker, so they cannot change. */
let initialised: OrtWebSettings | null = null;

/**
 * The runtime for `backend`, configuring onnxruntime-web on first use; `threads` is the count in
 * force (the first call's: ORT's WASM starts once per worker).
 */
export function ortWebRuntime(backend: Backend, settings: OrtWebSettings): { runtime: OnnxRuntime; threads: number } {
  if (!initialised) {
    ort.env.wasm.wasmPaths = { mjs: ortWasmModuleUrl, wasm: ortWasmBinaryUrl };
    ort.env.wasm.numThreads = settings.threads;
    // Already in a worker: ORT's own proxy worker would only add a hop.
    ort.env.wasm.proxy = false;
    ort.env.logLevel = 'warning';
    if (settings.adapter) ort.env.webgpu.adapter = settings.adapter as unknown as typeof ort.env.webgpu.adapter;
    ort.env.webgpu.powerPreference = 'high-performance';
    initialised = { threads: settings.threads, adapter: settings.adapter };
  }
  return { runtime: ortRuntime(ort as unknown as OrtModule, backend, settings.tuning), threads: initialised.threads };
}

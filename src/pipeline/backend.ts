/**
 * Choosing where the model runs: an ordered fallback, WebGPU then WASM, honouring the user's
 * "Compute backend" setting and the model's needs, with the reason for a fallback in plain words.
 *
 * The platform is probed once ({@link detectPlatform}, memoised) into a frozen object; the choice
 * itself ({@link chooseBackend}) is a pure function of that object, so it is unit-tested in Node.
 */
import { WebGpuUnavailableError } from './errors.ts';
import type { ModelDtype, ModelVariant, PipelineModel } from './model.ts';

/** The Settings values ("Compute backend": Auto / WebGPU / WASM). */
export type BackendPreference = 'auto' | 'webgpu' | 'wasm';
/** 'auto': fp16 where the backend runs it, else fp32. */
export type DtypePreference = 'auto' | ModelDtype;
export type Backend = 'webgpu' | 'wasm';

/** The few adapter facts the choice depends on. WebGPU types are not in TypeScript's DOM lib. */
export interface GpuAdapterLike {
  readonly features: { has(name: string): boolean };
  readonly limits: { readonly maxBufferSize: number; readonly maxStorageBufferBindingSize: number };
  readonly info?: { readonly vendor?: string; readonly architecture?: string; readonly description?: string };
}

export type WebGpuSupport =
  | {
      readonly available: true;
      readonly shaderF16: boolean;
      /** The smaller of maxBufferSize and maxStorageBufferBindingSize: the largest tensor a kernel can bind. */
      readonly maxTensorBytes: number;
      /** "vendor architecture", e.g. "google swiftshader". */
      readonly adapter: string;
    }
  | { readonly available: false; readonly reason: string };

export interface PlatformFeatures {
  readonly webgpu: WebGpuSupport;
  /** COOP/COEP in force: SharedArrayBuffer and so WASM threads are available. */
  readonly crossOriginIsolated: boolean;
  readonly hardwareConcurrency: number;
}

export interface BackendChoice {
  readonly backend: Backend;
  readonly variant: ModelVariant;
  /** Why the backend is not the first one asked for (null when it is), in plain words. */
  readonly reason: string | null;
  /** WASM threads (also used for the CPU parts of a WebGPU run). */
  readonly threads: number;
  readonly crossOriginIsolated: boolean;
}

const MB = 1024 * 1024;

/** WASM threads: every core when cross-origin isolated (SharedArrayBuffer), one otherwise. */
export function wasmThreadCount(features: Pick<PlatformFeatures, 'crossOriginIsolated' | 'hardwareConcurrency'>): number {
  return features.crossOriginIsolated ? Math.max(1, Math.floor(features.hardwareConcurrency) || 1) : 1;
}

function variantsFor(model: PipelineModel, dtype: DtypePreference): ModelVariant[] {
  return model.variants.filter((v) => dtype === 'auto' || v.dtype === dtype);
}

/** A variant WebGPU can run, fp16 first under 'auto'; or why none. */
function webgpuVariant(model: PipelineModel, dtype: DtypePreference, gpu: WebGpuSupport): { variant: ModelVariant } | { reason: string } {
  if (!gpu.available) return { reason: gpu.reason };
  const candidates = variantsFor(model, dtype).sort((a, b) => (a.dtype === b.dtype ? 0 : a.dtype === 'fp16' ? -1 : 1));
  let reason = 'the model has no variant for WebGPU';
  for (const variant of candidates) {
    if (variant.requiredFeatures.includes('shader-f16') && !gpu.shaderF16) {
      reason = 'GPU lacks shader-f16';
      continue;
    }
    if (variant.largestTensorBytes !== null && variant.largestTensorBytes > gpu.maxTensorBytes) {
      reason =
        `the model's largest tensor (${(variant.largestTensorBytes / MB).toFixed(0)} MB) exceeds ` +
        `the GPU's buffer limit (${(gpu.maxTensorBytes / MB).toFixed(0)} MB)`;
      continue;
    }
    return { variant };
  }
  return { reason };
}

/** A variant WASM can run (one that needs no GPU feature), fp32 first. */
function wasmVariant(model: PipelineModel, dtype: DtypePreference): ModelVariant | null {
  const candidates = variantsFor(model, dtype).filter((v) => v.requiredFeatures.length === 0);
  return candidates.find((v) => v.dtype === 'fp32') ?? candidates[0] ?? null;
}

/**
 * The backend and variant to load. Order: WebGPU then WASM for 'auto' and 'webgpu', WASM alone
 * for 'wasm'. Throws {@link WebGpuUnavailableError} when the model can only run on a WebGPU this
 * device cannot give it (or WASM was chosen for such a model).
 */
export function chooseBackend(
  model: PipelineModel,
  preference: BackendPreference,
  features: PlatformFeatures,
  dtype: DtypePreference = 'auto',
): BackendChoice {
  const common = { threads: wasmThreadCount(features), crossOriginIsolated: features.crossOriginIsolated };
  if (preference !== 'auto' && preference !== 'webgpu' && preference !== 'wasm') {
    throw new WebGpuUnavailableError(`Unknown compute backend "${String(preference)}"; expected auto, webgpu or wasm.`);
  }
  let reason: string;
  if (preference === 'wasm') {
    reason = 'WASM chosen in Settings';
  } else {
    const gpu = webgpuVariant(model, dtype, features.webgpu);
    if ('variant' in gpu) return { backend: 'webgpu', variant: gpu.variant, reason: null, ...common };
    reason = gpu.reason;
  }
  const variant = wasmVariant(model, dtype);
  if (variant) return { backend: 'wasm', variant, reason, ...common };
  const needs = variantsFor(model, dtype).some((v) => v.requiredFeatures.includes('shader-f16')) ? 'WebGPU with shader-f16' : 'WebGPU';
  throw new WebGpuUnavailableError(
    preference === 'wasm'
      ? `${model.displayName} needs ${needs} and cannot run on WASM; choose Auto or WebGPU in Settings.`
      : `${model.displayName} needs ${needs}, which this device cannot give it: ${reason}.`,
  );
}

interface NavigatorWithGpu {
  readonly gpu?: { requestAdapter(options?: { powerPreference?: string }): Promise<GpuAdapterLike | null> };
  readonly hardwareConcurrency?: number;
}

export interface DetectedPlatform {
  readonly features: PlatformFeatures;
  /** The adapter the features describe; ONNX Runtime is handed this one so that they agree. */
  readonly adapter: GpuAdapterLike | null;
}

/** Probes WebGPU and isolation in the current (worker or window) scope. Use {@link detectPlatformOnce}. */
export async function detectPlatform(scope: { navigator?: unknown; crossOriginIsolated?: boolean } = globalThis): Promise<DetectedPlatform> {
  const nav = (scope.navigator ?? {}) as NavigatorWithGpu;
  let webgpu: WebGpuSupport;
  let adapter: GpuAdapterLike | null = null;
  if (!nav.gpu) {
    webgpu = { available: false, reason: 'this browser has no WebGPU' };
  } else {
    try {
      adapter = await nav.gpu.requestAdapter({ powerPreference: 'high-performance' });
    } catch {
      adapter = null;
    }
    if (!adapter) {
      webgpu = { available: false, reason: 'no WebGPU adapter' };
    } else {
      const info = adapter.info;
      webgpu = {
        available: true,
        shaderF16: adapter.features.has('shader-f16'),
        maxTensorBytes: Math.min(adapter.limits.maxBufferSize, adapter.limits.maxStorageBufferBindingSize),
        adapter: [info?.vendor, info?.architecture].filter(Boolean).join(' ') || 'unknown adapter',
      };
    }
  }
  const features: PlatformFeatures = Object.freeze({
    webgpu: Object.freeze(webgpu),
    crossOriginIsolated: scope.crossOriginIsolated === true,
    hardwareConcurrency: nav.hardwareConcurrency ?? 1,
  });
  return Object.freeze({ features, adapter });
}

let detected: Promise<DetectedPlatform> | null = null;

/** {@link detectPlatform} for the current scope, computed once (the memoised load this module keeps). */
export function detectPlatformOnce(): Promise<DetectedPlatform> {
  detected ??= detectPlatform();
  return detected;
}

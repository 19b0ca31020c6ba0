/**
 * Native baselines in Node: the same UNet file in onnxruntime-node under several session options,
 * and a plain `fetch` of the same model files from the fake hub.
 */
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { median } from './figures.ts';

/** The UNet's symbolic dimensions for one step as the app runs it (batch 2 = classifier-free guidance). */
export interface UnetStepShape {
  readonly batch: number;
  readonly latentSize: number;
  readonly sequence: number;
}

export interface NativeVariant {
  readonly label: string;
  readonly options: ort.InferenceSession.SessionOptions;
}

export interface NativeVariantResult {
  readonly label: string;
  readonly sessionCreateMs: number;
  readonly stepMs: readonly number[];
  readonly medianStepMs: number;
}

/** Session options tried for the native UNet step; the first is what the app itself asks ORT for. */
export function nativeVariants(shape: UnetStepShape): NativeVariant[] {
  const threads = availableParallelism();
  const freeDimensionOverrides = { batch: shape.batch, height: shape.latentSize, width: shape.latentSize, sequence: shape.sequence };
  return [
    { label: `optimisation all, ${threads} threads (the app's options)`, options: { graphOptimizationLevel: 'all', intraOpNumThreads: threads } },
    { label: 'optimisation all, 1 thread', options: { graphOptimizationLevel: 'all', intraOpNumThreads: 1 } },
    { label: 'optimisation all + free-dimension overrides', options: { graphOptimizationLevel: 'all', intraOpNumThreads: threads, freeDimensionOverrides } },
    { label: 'optimisation extended', options: { graphOptimizationLevel: 'extended', intraOpNumThreads: threads } },
    { label: 'optimisation basic', options: { graphOptimizationLevel: 'basic', intraOpNumThreads: threads } },
    { label: 'optimisation disabled', options: { graphOptimizationLevel: 'disabled', intraOpNumThreads: threads } },
  ];
}

function stepFeeds(session: ort.InferenceSession, shape: UnetStepShape): Record<string, ort.Tensor> {
  const symbols: Record<string, number> = { batch: shape.batch, height: shape.latentSize, width: shape.latentSize, sequence: shape.sequence };
  const feeds: Record<string, ort.Tensor> = {};
  for (const input of session.inputMetadata) {
    if (!input.isTensor) continue;
    const dims = input.shape.map((d) => (typeof d === 'number' ? d : (symbols[d] ?? 1)));
    const count = dims.reduce((a, b) => a * b, 1);
    // Deterministic, non-degenerate values; timesteps in SD's range.
    const values = Float32Array.from({ length: count }, (_, i) => (input.name === 'timestep' ? 500 : Math.sin(i * 0.37)));
    if (input.type === 'float32') feeds[input.name] = new ort.Tensor('float32', values, dims);
    else if (input.type === 'int64') feeds[input.name] = new ort.Tensor('int64', BigInt64Array.from(values, (v) => BigInt(Math.round(v))), dims);
    else throw new Error(`The native baseline supports float32 and int64 inputs; ${input.name} is ${input.type}.`);
  }
  return feeds;
}

/** Median UNet step time in onnxruntime-node for each variant (one warm-up run each, not counted). */
export async function nativeUnetSteps(
  unetPath: string,
  shape: UnetStepShape,
  repetitions: number,
  variants: readonly NativeVariant[] = nativeVariants(shape),
): Promise<NativeVariantResult[]> {
  const bytes = await readFile(unetPath);
  const results: NativeVariantResult[] = [];
  for (const variant of variants) {
    const created = performance.now();
    const session = await ort.InferenceSession.create(bytes, variant.options);
    const sessionCreateMs = performance.now() - created;
    try {
      const feeds = stepFeeds(session, shape);
      await session.run(feeds);
      const stepMs: number[] = [];
      for (let i = 0; i < repetitions; i++) {
        const started = performance.now();
        await session.run(feeds);
        stepMs.push(performance.now() - started);
      }
      results.push({ label: variant.label, sessionCreateMs, stepMs, medianStepMs: median(stepMs) });
    } finally {
      await session.release();
    }
  }
  return results;
}

/** Session creation from bytes already in memory, in onnxruntime-node with the app's options. */
export async function nativeSessionCreateMs(paths: readonly string[]): Promise<number> {
  const buffers = await Promise.all(paths.map((p) => readFile(p)));
  const started = performance.now();
  for (const bytes of buffers) {
    const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all' });
    await session.release();
  }
  return performance.now() - started;
}

/** Bytes and milliseconds for plain `fetch`es of the URLs, one after the other, bodies read in full. */
export async function plainFetch(urls: readonly string[], { signal }: { signal?: AbortSignal } = {}): Promise<{ bytes: number; ms: number }> {
  const started = performance.now();
  let bytes = 0;
  for (const url of urls) {
    const response = await fetch(url, { signal });
    if (!response.ok || !response.body) throw new Error(`GET ${url}: HTTP ${response.status}`);
    const reader = response.body.getReader();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) bytes += chunk.value.byteLength;
  }
  return { bytes, ms: performance.now() - started };
}

/**
 * MB/s of hash-wasm's streaming SHA-256 (what the app verifies downloads with) over `megabytes` of
 * 1 MB pieces, in this process's V8: the same engine, and the same WASM, as Chromium's page.
 */
export async function streamingSha256MBps(megabytes = 200): Promise<number> {
  const { createSHA256 } = await import('hash-wasm');
  const piece = new Uint8Array(1 << 20).map((_, i) => (i * 7) & 0xff);
  const hasher = await createSHA256();
  hasher.init();
  hasher.update(piece); // compile and warm up
  hasher.init();
  const started = performance.now();
  for (let i = 0; i < megabytes; i++) hasher.update(piece);
  hasher.digest('hex');
  return megabytes / ((performance.now() - started) / 1000);
}

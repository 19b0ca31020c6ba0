// The pipeline's pure parts: float16 conversion, the CLIP tokenizer hook-up, backend choice and
// platform detection, the catalog adapter, pixels and previews, LCM's guidance embedding.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CATALOG, findCatalogEntry, type CatalogEntry } from '../../src/models/catalog.ts';
import type { ResolvedModelFiles } from '../../src/models/model-store.ts';
import { chooseBackend, detectPlatform, wasmThreadCount, type GpuAdapterLike, type PlatformFeatures } from '../../src/pipeline/backend.ts';
import { pipelineModelFromCatalog } from '../../src/pipeline/catalog-model.ts';
import { ClipTokenizer, clipTokenizerJson } from '../../src/pipeline/clip-tokenizer.ts';
import { guidanceEmbedding } from '../../src/pipeline/diffusion-pipeline.ts';
import { WebGpuUnavailableError } from '../../src/pipeline/errors.ts';
import { float16BitsToFloat32, float16DataToFloat32, float32ToFloat16Bits, fromFloat16Bits, toFloat16Bits } from '../../src/pipeline/float16.ts';
import { latentPreviewRgba, planarRgbToRgba } from '../../src/pipeline/images.ts';
import { oracleModel, type ModelVariant, type PipelineModel } from '../../src/pipeline/model.ts';

describe('float16', () => {
  it('encodes known values', () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.5, 0x3800],
      [65504, 0x7bff], // largest finite
      [65520, 0x7c00], // rounds up to Infinity
      [1e6, 0x7c00],
      [-Infinity, 0xfc00],
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -25, 0x0000], // halfway to it: ties to even (0)
      [3 * 2 ** -25, 0x0002], // halfway between 1 and 2 subnormal steps: ties to even (2)
      [2 ** -14, 0x0400], // smallest normal
      [1 + 2 ** -11, 0x3c00], // halfway between 1 and the next half: ties to even
      [1 + 3 * 2 ** -11, 0x3c02],
      [999, 0x63ce],
      [0.18215, 0x31d4],
    ];
    for (const [value, bits] of cases) expect([value, float32ToFloat16Bits(value)]).toEqual([value, bits]);
    expect(float32ToFloat16Bits(Number.NaN) & 0x7c00).toBe(0x7c00);
    expect(float32ToFloat16Bits(Number.NaN) & 0x3ff).not.toBe(0);
  });

  it('decodes every bit pattern back to itself', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const value = float16BitsToFloat32(bits);
      if (Number.isNaN(value)) {
        expect((bits & 0x7c00) === 0x7c00 && (bits & 0x3ff) !== 0).toBe(true);
        continue;
      }
      if (float32ToFloat16Bits(value) !== bits) expect([bits, float32ToFloat16Bits(value)]).toEqual([bits, bits]);
    }
  });

  it('converts arrays, and passes numbers of a native Float16Array through', () => {
    const values = Float32Array.of(0.25, -3, 14.6146, 1 / 3);
    const halves = fromFloat16Bits(toFloat16Bits(values));
    halves.forEach((v, i) => expect(Math.abs(v - values[i])).toBeLessThanOrEqual(Math.abs(values[i]) * 2 ** -11));
    expect(float16DataToFloat32(toFloat16Bits(values))).toEqual(halves);
    // A Float16Array holds numbers, not bits: anything that is not a Uint16Array is read as numbers.
    expect(float16DataToFloat32([0.25, -3])).toEqual(Float32Array.of(0.25, -3));
  });
});

describe('CLIP tokenizer', () => {
  const folder = new URL('../../public/models/oracle-shapes/tokenizer/', import.meta.url);
  const read = (name: string) => readFileSync(fileURLToPath(new URL(name, folder)), 'utf8');
  const config = JSON.parse(read('tokenizer_config.json')) as Record<string, unknown>;
  const fromJson = (options?: { padTokenId?: number | null }) =>
    ClipTokenizer.fromFiles({ tokenizerJson: JSON.parse(read('tokenizer.json')) as Record<string, unknown>, vocab: null, merges: null, config }, options);
  const fromClassic = () =>
    ClipTokenizer.fromFiles({ tokenizerJson: null, vocab: JSON.parse(read('vocab.json')) as Record<string, number>, merges: read('merges.txt'), config });

  it('"a photo of a cat" → [49406, 320, 1125, 539, 320, 2368, 49407] padded to 77 with 49407', () => {
    const ids = fromJson().encode('a photo of a cat');
    expect(ids).toHaveLength(77);
    expect(Array.from(ids.slice(0, 7))).toEqual([49406, 320, 1125, 539, 320, 2368, 49407]);
    expect(ids.slice(7).every((id) => id === 49407)).toBe(true);
  });

  it('pads with the model\'s pad id when it overrides the config (SD 2.x: 0)', () => {
    const ids = fromJson({ padTokenId: 0 }).encode('A Red Circle');
    expect(Array.from(ids.slice(0, 5))).toEqual(Array.from(fromJson().encode('a red circle').slice(0, 5)));
    expect(ids[5]).toBe(0);
    expect(ids.slice(5).every((id) => id === 0)).toBe(true);
  });

  it('truncates long prompts to 75 tokens between BOS and EOS', () => {
    const ids = fromJson().encode('red '.repeat(200));
    expect(ids[0]).toBe(49406);
    expect(ids[76]).toBe(49407);
    expect(new Set(ids.slice(1, 76)).size).toBe(1);
  });

  it('the CLIP tokenizer.json built from vocab.json + merges.txt gives the same ids as the shipped one', () => {
    const shipped = fromJson();
    const built = fromClassic();
    for (const prompt of ['a red circle on a blue background', "Don't PANIC!! 42 cats, 3.5 dogs…", 'naïve café — 東京 🙂', '  spaced\tout\nprompt ', '']) {
      expect([prompt, Array.from(built.encode(prompt))]).toEqual([prompt, Array.from(shipped.encode(prompt))]);
    }
    expect(() => clipTokenizerJson({ vocab: null, merges: null })).toThrow(/tokenizer\.json, or vocab\.json and merges\.txt/);
  });
});

// ---- backend choice ------------------------------------------------------------------------------

const GPU_F16: PlatformFeatures = {
  webgpu: { available: true, shaderF16: true, maxTensorBytes: 2 ** 30, adapter: 'test gpu' },
  crossOriginIsolated: true,
  hardwareConcurrency: 8,
};
const GPU_NO_F16: PlatformFeatures = { ...GPU_F16, webgpu: { ...GPU_F16.webgpu, shaderF16: false } as PlatformFeatures['webgpu'] };
const NO_GPU: PlatformFeatures = { webgpu: { available: false, reason: 'no WebGPU adapter' }, crossOriginIsolated: false, hardwareConcurrency: 8 };
const both = oracleModel('/m/', { dtypes: ['fp32', 'fp16'] });
const fp16Only: PipelineModel = { ...oracleModel('/m/', { dtypes: ['fp16'] }), displayName: 'SD-Turbo' };

describe('backend choice', () => {
  it('Auto: WebGPU with fp16 when the adapter has shader-f16, fp32 when it does not', () => {
    expect(chooseBackend(both, 'auto', GPU_F16)).toMatchObject({ backend: 'webgpu', reason: null, variant: { dtype: 'fp16' }, threads: 8 });
    expect(chooseBackend(both, 'auto', GPU_NO_F16)).toMatchObject({ backend: 'webgpu', reason: null, variant: { dtype: 'fp32' } });
    expect(chooseBackend(both, 'webgpu', GPU_F16, 'fp32')).toMatchObject({ backend: 'webgpu', variant: { dtype: 'fp32' } });
  });

  it('falls back to WASM with the reason in plain words', () => {
    expect(chooseBackend(both, 'auto', NO_GPU)).toMatchObject({ backend: 'wasm', reason: 'no WebGPU adapter', variant: { dtype: 'fp32' }, threads: 1, crossOriginIsolated: false });
    expect(chooseBackend(both, 'webgpu', NO_GPU)).toMatchObject({ backend: 'wasm', reason: 'no WebGPU adapter' });
    expect(chooseBackend(both, 'wasm', GPU_F16)).toMatchObject({ backend: 'wasm', reason: 'WASM chosen in Settings', variant: { dtype: 'fp32' } });
    // Asked for fp16 explicitly: WASM cannot run that variant, so there is nowhere to fall back to.
    expect(() => chooseBackend(both, 'auto', GPU_NO_F16, 'fp16')).toThrow(/GPU lacks shader-f16/);
  });

  it('checks the model\'s largest tensor against the GPU\'s buffer limit', () => {
    const big: ModelVariant = { ...both.variants[0], largestTensorBytes: 300 * 2 ** 20 };
    const model = { ...both, variants: [big] };
    const small = { ...GPU_F16, webgpu: { ...GPU_F16.webgpu, maxTensorBytes: 256 * 2 ** 20 } as PlatformFeatures['webgpu'] };
    expect(chooseBackend(model, 'auto', small)).toMatchObject({
      backend: 'wasm',
      reason: "the model's largest tensor (300 MB) exceeds the GPU's buffer limit (256 MB)",
    });
    expect(chooseBackend(model, 'auto', GPU_F16)).toMatchObject({ backend: 'webgpu' });
  });

  it('a model that needs shader-f16 cannot run without it, nor on WASM', () => {
    expect(chooseBackend(fp16Only, 'auto', GPU_F16)).toMatchObject({ backend: 'webgpu', variant: { dtype: 'fp16' } });
    expect(() => chooseBackend(fp16Only, 'auto', GPU_NO_F16)).toThrow(WebGpuUnavailableError);
    expect(() => chooseBackend(fp16Only, 'auto', GPU_NO_F16)).toThrow('SD-Turbo needs WebGPU with shader-f16, which this device cannot give it: GPU lacks shader-f16.');
    expect(() => chooseBackend(fp16Only, 'auto', NO_GPU)).toThrow(/no WebGPU adapter/);
    expect(() => chooseBackend(fp16Only, 'wasm', GPU_F16)).toThrow(/cannot run on WASM; choose Auto or WebGPU in Settings/);
  });

  it('uses every core for WASM only when cross-origin isolated', () => {
    expect(wasmThreadCount({ crossOriginIsolated: true, hardwareConcurrency: 6 })).toBe(6);
    expect(wasmThreadCount({ crossOriginIsolated: false, hardwareConcurrency: 6 })).toBe(1);
    expect(wasmThreadCount({ crossOriginIsolated: true, hardwareConcurrency: 0 })).toBe(1);
  });

  it('rejects an unknown preference', () => {
    expect(() => chooseBackend(both, 'webgl' as 'auto', GPU_F16)).toThrow(/Unknown compute backend "webgl"/);
  });
});

describe('platform detection', () => {
  const adapter = (features: string[], maxBufferSize = 2 ** 31, maxStorageBufferBindingSize = 2 ** 27): GpuAdapterLike => ({
    features: new Set(features),
    limits: { maxBufferSize, maxStorageBufferBindingSize },
    info: { vendor: 'google', architecture: 'swiftshader' },
  });

  it('describes WebGPU, isolation and cores in a frozen object', async () => {
    const found = adapter(['shader-f16']);
    const detected = await detectPlatform({ navigator: { gpu: { requestAdapter: async () => found }, hardwareConcurrency: 4 }, crossOriginIsolated: true });
    expect(detected.features).toEqual({
      webgpu: { available: true, shaderF16: true, maxTensorBytes: 2 ** 27, adapter: 'google swiftshader' },
      crossOriginIsolated: true,
      hardwareConcurrency: 4,
    });
    expect(detected.adapter).toBe(found);
    expect(Object.isFrozen(detected.features)).toBe(true);
    expect(Object.isFrozen(detected.features.webgpu)).toBe(true);
  });

  it('says why WebGPU is missing', async () => {
    expect((await detectPlatform({ navigator: {} })).features.webgpu).toEqual({ available: false, reason: 'this browser has no WebGPU' });
    const none = await detectPlatform({ navigator: { gpu: { requestAdapter: async () => null } } });
    expect(none.features.webgpu).toEqual({ available: false, reason: 'no WebGPU adapter' });
    const failing = await detectPlatform({ navigator: { gpu: { requestAdapter: () => Promise.reject(new Error('blocked')) } } });
    expect(failing.features.webgpu).toEqual({ available: false, reason: 'no WebGPU adapter' });
    expect(none.features.crossOriginIsolated).toBe(false);
  });
});

// ---- catalog adapter -----------------------------------------------------------------------------

function resolvedFiles(entry: CatalogEntry, base: string): ResolvedModelFiles {
  const part = (p: CatalogEntry['parts']['unet']) => ({ model: base + p.model, externalData: p.externalData.map((path) => ({ path: path.split('/').pop()!, url: base + path })) });
  return {
    parts: { textEncoder: part(entry.parts.textEncoder), unet: part(entry.parts.unet), vaeDecoder: part(entry.parts.vaeDecoder) },
    tokenizer: Object.fromEntries(entry.tokenizer.files.map((path) => [path.split('/').pop()!, base + path])),
    schedulerConfig: entry.schedulerConfig ? base + entry.schedulerConfig : null,
  };
}

describe('catalog entries as pipeline models', () => {
  it('the bundled oracle: one fp32 variant, its own tokenizer and schedule, channel previews', () => {
    const entry = findCatalogEntry('oracle-shapes')!;
    const model = pipelineModelFromCatalog(entry, resolvedFiles(entry, '/models/oracle-shapes/'));
    expect(model.variants).toHaveLength(1);
    expect(model.variants[0]).toMatchObject({ dtype: 'fp32', requiredFeatures: [], parts: { unet: { model: '/models/oracle-shapes/unet/model.onnx' } } });
    expect(model.tokenizer.files['vocab.json']).toBe('/models/oracle-shapes/tokenizer/vocab.json');
    expect(model.scheduler).toEqual({ configUrl: '/models/oracle-shapes/scheduler/scheduler_config.json', overrides: { prediction_type: 'epsilon' } });
    expect(model.latentPreview).toBe('rgb-channels');
    expect(model.vaeScalingFactor).toBe(0.18215);
  });

  it('SD-Turbo: fp16 needing shader-f16, pad id 0, trailing spacing without a config file, SD previews', () => {
    const entry = findCatalogEntry('sd-turbo')!;
    const model = pipelineModelFromCatalog(entry, resolvedFiles(entry, '/model-files/v1/x/'));
    expect(model.variants[0]).toMatchObject({ dtype: 'fp16', requiredFeatures: ['shader-f16'] });
    expect(model.tokenizer.padTokenId).toBe(0);
    expect(model.scheduler).toEqual({ configUrl: null, overrides: { prediction_type: 'epsilon', timestep_spacing: 'trailing' } });
    expect(model.defaults).toMatchObject({ steps: 1, guidance: 0, scheduler: 'euler' });
    expect(model.latentPreview).toBe('sd-approximation');
  });

  it('every catalog entry converts, with external data named as the graph refers to it', () => {
    for (const entry of CATALOG) {
      const model = pipelineModelFromCatalog(entry, resolvedFiles(entry, 'https://app.test/'));
      expect(model.id).toBe(entry.id);
      for (const part of Object.values(model.variants[0].parts)) expect(part.model).toMatch(/^https:\/\/app\.test\/.+\.onnx$/);
    }
    const lcm = pipelineModelFromCatalog(findCatalogEntry('lcm-dreamshaper-v7')!, resolvedFiles(findCatalogEntry('lcm-dreamshaper-v7')!, '/'));
    expect(lcm.variants[0].parts.unet.externalData).toEqual([{ path: 'model.onnx_data', url: '/unet/model.onnx_data' }]);
    expect(lcm.defaults.scheduler).toBe('lcm');
  });
});

// ---- pixels --------------------------------------------------------------------------------------

describe('pixels', () => {
  it('maps the VAE\'s planar [-1, 1] RGB to RGBA bytes as diffusers rounds them', () => {
    const planar = Float32Array.of(-1, 1, 0, -2, 2, 0.5); // 2 pixels: R = [-1, 1], G = [0, -2], B = [2, 0.5]
    expect(Array.from(planarRgbToRgba(planar, 2, 1))).toEqual([0, 128, 255, 255, 255, 0, 191, 255]);
  });

  it('previews the oracle\'s latent channels 0–2 ÷ the VAE factor as RGB', () => {
    const f = 0.18215;
    const latent = Float32Array.of((230 / 127.5 - 1) * f, (40 / 127.5 - 1) * f, (40 / 127.5 - 1) * f, 0);
    expect(Array.from(latentPreviewRgba(latent, 1, 1, 'rgb-channels', f))).toEqual([230, 40, 40, 255]);
    // The SD approximation is a fixed linear map: a zero latent is mid-grey.
    expect(Array.from(latentPreviewRgba(new Float32Array(4), 1, 1, 'sd-approximation', f))).toEqual([128, 128, 128, 255]);
  });

  it('LCM\'s guidance embedding is [sin, cos] of (w − 1)·1000 at geometric frequencies', () => {
    const embedding = guidanceEmbedding(1, 256);
    expect(embedding).toHaveLength(256);
    expect(Array.from(embedding.slice(0, 128)).every((v) => v === 0)).toBe(true);
    expect(Array.from(embedding.slice(128)).every((v) => v === 1)).toBe(true);
    const eight = guidanceEmbedding(8, 4);
    expect(eight[0]).toBeCloseTo(Math.sin(7000), 5);
    expect(eight[1]).toBeCloseTo(Math.sin(7000 / 10000), 5);
    expect(eight[3]).toBeCloseTo(Math.cos(7000 / 10000), 5);
  });
});

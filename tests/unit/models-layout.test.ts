import { describe, expect, it } from 'vitest';
import { generatedModelFiles } from '../fake-hub/fixtures.ts';
import { detectOnnxLayout, NotOnnxLayoutError, type RepoTreeFile } from '../../src/models/layout.ts';
import { entryFromLayout, FALLBACK_TOKENIZER_REPO } from '../../src/models/repo-entry.ts';
import { validateCatalogEntry } from '../../src/models/catalog.ts';

const tree = (files: Record<string, number>): RepoTreeFile[] => [
  ...Object.entries(files).map(([path, size]) => ({ path, size, type: 'file' as const })),
  // Directory entries, as the hub lists them with recursive=true.
  ...[...new Set(Object.keys(files).filter((p) => p.includes('/')).map((p) => p.slice(0, p.lastIndexOf('/'))))].map((path) => ({
    path,
    size: 0,
    type: 'directory' as const,
  })),
];

const GB = 1_000_000_000;

describe('ONNX layout detection', () => {
  it('recognises the diffusers ONNX layout the fake hub serves', () => {
    const files = Object.entries(generatedModelFiles()).map(([path, content]) => ({
      path,
      size: typeof content === 'string' ? content.length : content instanceof Uint8Array ? content.length : 0,
    }));
    const result = detectOnnxLayout(files);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.layout.parts.unet).toMatchObject({ model: 'unet/model.onnx', externalData: [] });
    expect(result.layout.tokenizerFiles).toEqual(expect.arrayContaining(['tokenizer/vocab.json', 'tokenizer/merges.txt']));
    expect(result.layout.schedulerConfig).toBe('scheduler/scheduler_config.json');
    expect(result.layout.modelIndex).toBe('model_index.json');
    expect(result.layout.dtype).toBe('fp32');
    expect(result.layout.warnings).toEqual([]);
  });

  it('recognises schmuell/sd-turbo-ort-web: three graphs and no tokenizer', () => {
    const result = detectOnnxLayout(
      tree({ 'text_encoder/model.onnx': 0.68 * GB, 'unet/model.onnx': 1.73 * GB, 'vae_decoder/model.onnx': 95e6, 'README.md': 500 }),
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.layout.tokenizerFiles).toEqual([]);
    expect(result.layout.warnings.join(' ')).toMatch(/No tokenizer/);
    const entry = entryFromLayout('schmuell/sd-turbo-ort-web', 'c'.repeat(40), null, result.layout);
    expect(entry.tokenizer.repo).toBe(FALLBACK_TOKENIZER_REPO);
    expect(entry.pinned).toBe(true);
    expect(validateCatalogEntry(entry)).toEqual([]);
  });

  it('recognises model_layernorm.onnx names (microsoft/sd-turbo-webnn)', () => {
    const result = detectOnnxLayout(
      tree({
        'text_encoder/model_layernorm.onnx': 649e6,
        'unet/model_layernorm.onnx': 1.61 * GB,
        'vae_decoder/model.onnx': 94.5e6,
        'safety_checker/model.onnx': 580e6,
      }),
    );
    expect(result.ok && result.layout.parts.unet.model).toBe('unet/model_layernorm.onnx');
    expect(result.ok && result.layout.parts.textEncoder.model).toBe('text_encoder/model_layernorm.onnx');
  });

  it('pairs graphs with their external data (aislamov/lcm-dreamshaper-v7-onnx)', () => {
    const result = detectOnnxLayout(
      tree({
        'model_index.json': 500,
        'scheduler/scheduler_config.json': 400,
        'text_encoder/model.onnx': 246e6,
        'tokenizer/merges.txt': 524_619,
        'tokenizer/special_tokens_map.json': 400,
        'tokenizer/tokenizer_config.json': 700,
        'tokenizer/vocab.json': 862_328,
        'unet/config.json': 1500,
        'unet/model.onnx': 900_000,
        'unet/model.onnx_data': 1.72 * GB,
        'vae_decoder/config.json': 700,
        'vae_decoder/model.onnx': 100_000,
        'vae_decoder/model.onnx_data': 99e6,
        'vae_encoder/model.onnx': 68e6,
      }),
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.layout.parts.unet.externalData).toEqual(['unet/model.onnx_data']);
    expect(result.layout.parts.vaeDecoder.externalData).toEqual(['vae_decoder/model.onnx_data']);
    expect(result.layout.parts.unet.sizeBytes).toBe(900_000 + 1.72 * GB);
    expect(result.layout.tokenizerFiles).toHaveLength(4);
  });

  it('recognises weights.pb external data and an onnx/ folder', () => {
    const result = detectOnnxLayout(
      tree({
        'onnx/text_encoder/model.onnx': 1000,
        'onnx/unet/model.onnx': 1000,
        'onnx/unet/weights.pb': 3.4 * GB,
        'onnx/vae_decoder/model.onnx': 1000,
        'onnx/tokenizer/tokenizer.json': 2_000_000,
      }),
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.layout.root).toBe('onnx/');
    expect(result.layout.parts.unet.externalData).toEqual(['onnx/unet/weights.pb']);
    expect(result.layout.tokenizerFiles).toEqual(['onnx/tokenizer/tokenizer.json']);
  });

  it('prefers the fp32 graph when both precisions are there, and detects fp16-only repos', () => {
    const both = detectOnnxLayout(
      tree({
        'text_encoder/model.onnx': 1,
        'text_encoder/model_fp16.onnx': 1,
        'unet/model.onnx': 1,
        'unet/model_fp16.onnx': 1,
        'vae_decoder/model.onnx': 1,
        'vae_decoder/model_fp16.onnx': 1,
      }),
    );
    expect(both.ok && both.layout.dtype).toBe('fp32');
    const fp16 = detectOnnxLayout(tree({ 'text_encoder/model_fp16.onnx': 1, 'unet/model_fp16.onnx': 1, 'vae_decoder/model_fp16.onnx': 1 }));
    expect(fp16.ok && fp16.layout.dtype).toBe('fp16');
    expect(fp16.ok && entryFromLayout('a/b', 'd'.repeat(40), 'mit', fp16.layout).requiredFeatures).toEqual(['shader-f16']);
  });

  it('warns about a graph over 2 GB without external data', () => {
    const result = detectOnnxLayout(tree({ 'text_encoder/model.onnx': 1, 'unet/model.onnx': 3.4 * GB, 'vae_decoder/model.onnx': 1 }));
    expect(result.ok && result.layout.warnings.join(' ')).toMatch(/over 2 GB/);
  });

  it('explains a PyTorch repo: what was found and what is needed', () => {
    const result = detectOnnxLayout(
      tree({
        'model_index.json': 500,
        'unet/diffusion_pytorch_model.safetensors': 3.4 * GB,
        'text_encoder/model.safetensors': 492e6,
        'vae/diffusion_pytorch_model.safetensors': 335e6,
        'v1-5-pruned.ckpt': 7.7 * GB,
      }),
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.found).toMatch(/3 \.safetensors files \(PyTorch weights\)/);
    expect(result.found).toMatch(/1 PyTorch checkpoint file/);
    expect(result.needed).toMatch(/text_encoder\/model\.onnx, unet\/model\.onnx, vae_decoder\/model\.onnx/);
    expect(result.needed).toMatch(/optimum-cli export onnx/);
    const error = new NotOnnxLayoutError('runwayml/stable-diffusion-v1-5', result.found, result.needed);
    expect(error.code).toBe('not-onnx-layout');
    expect(error.message).toMatch(/^runwayml\/stable-diffusion-v1-5 is not a Stable Diffusion ONNX model/);
  });

  it('names the missing part of an incomplete ONNX repo', () => {
    const result = detectOnnxLayout(tree({ 'text_encoder/model.onnx': 1, 'unet/model.onnx': 1, 'vae_encoder/model.onnx': 1 }));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.found).toMatch(/3 \.onnx files/);
    expect(result.needed).toMatch(/vae_decoder\/model\.onnx \(missing\)/);
  });

  it('says so for an empty repo or one without weights', () => {
    expect(detectOnnxLayout([])).toMatchObject({ ok: false, found: 'an empty repo.' });
    expect(detectOnnxLayout(tree({ 'README.md': 10, 'config.json': 10 }))).toMatchObject({
      ok: false,
      found: '2 files, none of them model weights.',
    });
  });
});

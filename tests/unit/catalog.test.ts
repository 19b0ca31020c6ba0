import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  BUNDLED_MODEL_ID,
  CATALOG,
  DEFAULT_MODEL_ID,
  PIPELINE_PARTS,
  UNSUPPORTED_REPOS,
  filesOf,
  findCatalogEntry,
  findUnsupportedRepo,
  validateCatalogEntry,
  type CatalogEntry,
} from '../../src/models/catalog.ts';

const PUBLIC_DIR = fileURLToPath(new URL('../../public/', import.meta.url));

describe('model catalog', () => {
  it('has only valid entries with unique ids', () => {
    for (const entry of CATALOG) expect(validateCatalogEntry(entry)).toEqual([]);
    expect(new Set(CATALOG.map((entry) => entry.id)).size).toBe(CATALOG.length);
  });

  it('lists the bundled demo, the default real model and the second-tier browser repos', () => {
    expect(findCatalogEntry(BUNDLED_MODEL_ID)?.source).toBe('bundled');
    const sdTurbo = findCatalogEntry(DEFAULT_MODEL_ID)!;
    expect(sdTurbo.repo).toBe('schmuell/sd-turbo-ort-web');
    expect(sdTurbo).toMatchObject({
      dtype: 'fp16',
      requiredFeatures: ['shader-f16'],
      defaults: { steps: 1, guidance: 0, width: 512, height: 512, scheduler: 'euler', timestepSpacing: 'trailing' },
    });
    // Its tokenizer lives in the repo the reference demo uses, padded with id 0 like SD 2.x.
    expect(sdTurbo.tokenizer).toMatchObject({ repo: 'Xenova/clip-vit-base-patch16', padTokenId: 0 });
    expect(CATALOG.map((entry) => entry.repo)).toEqual(
      expect.arrayContaining(['microsoft/sd-turbo-webnn', 'aislamov/lcm-dreamshaper-v7-onnx', 'microsoft/stable-diffusion-v1.5-webnn']),
    );
    expect(findCatalogEntry('sd-turbo-webnn')!.parts.unet.model).toBe('unet/model_layernorm.onnx');
    expect(findCatalogEntry('lcm-dreamshaper-v7')!.parts.unet.externalData).toEqual(['unet/model.onnx_data']);
  });

  it('marks unpinned revisions honestly: a branch name is never claimed to be a commit', () => {
    for (const entry of CATALOG) {
      if (entry.pinned) expect(entry.revision).toMatch(/^[0-9a-f]{40}$/);
      else expect(entry.revision).toBe('main');
    }
  });

  it('lists every seed PyTorch repo with a reason and an existing browser-ready counterpart', () => {
    expect(UNSUPPORTED_REPOS.map((entry) => entry.repo).sort()).toEqual(
      [
        'CompVis/stable-diffusion-v1-4',
        'runwayml/stable-diffusion-v1-5',
        'stabilityai/stable-diffusion-2-1',
        'stabilityai/stable-diffusion-xl-base-1.0',
      ].sort(),
    );
    for (const entry of UNSUPPORTED_REPOS) {
      expect(entry.reason.length).toBeGreaterThan(20);
      if (entry.useInstead) expect(findCatalogEntry(entry.useInstead)).toBeDefined();
    }
    expect(findUnsupportedRepo('RUNWAYML/stable-diffusion-v1-5')?.useInstead).toBe('sd-v1-5-webnn');
    expect(findUnsupportedRepo('schmuell/sd-turbo-ort-web')).toBeUndefined();
  });

  it('names each file once, graphs first, tokenizer files in their own repo', () => {
    const files = filesOf(findCatalogEntry(DEFAULT_MODEL_ID)!);
    expect(files.slice(0, 3).map((file) => file.role)).toEqual(['textEncoder', 'unet', 'vaeDecoder']);
    expect(files.filter((file) => file.role === 'tokenizer').every((file) => file.repo === 'Xenova/clip-vit-base-patch16')).toBe(true);
    const lcm = filesOf(findCatalogEntry('lcm-dreamshaper-v7')!);
    expect(lcm.map((file) => file.path)).toContain('vae_decoder/model.onnx_data');
    expect(lcm.find((file) => file.role === 'scheduler')?.path).toBe('scheduler/scheduler_config.json');
    const keys = lcm.map((file) => `${file.repo}:${file.path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('reports what is wrong with an invalid entry', () => {
    const broken: CatalogEntry = {
      ...findCatalogEntry(DEFAULT_MODEL_ID)!,
      id: 'Bad Id',
      revision: 'a'.repeat(40),
      requiredFeatures: [],
      parts: { ...findCatalogEntry(DEFAULT_MODEL_ID)!.parts, unet: { model: '../unet.bin', externalData: [], sizeBytes: 1 } },
      defaults: { ...findCatalogEntry(DEFAULT_MODEL_ID)!.defaults, width: 500 },
    };
    const problems = validateCatalogEntry(broken).join('\n');
    expect(problems).toMatch(/id must be/);
    expect(problems).toMatch(/should be marked pinned/);
    expect(problems).toMatch(/fp16 weights need shader-f16/);
    expect(problems).toMatch(/unet.model must be an .onnx file/);
    expect(problems).toMatch(/must be relative/);
    expect(problems).toMatch(/default size is not among sizes/);
  });

  it.runIf(existsSync(`${PUBLIC_DIR}models/oracle-shapes/manifest.json`))(
    'describes the bundled demo exactly as the model builder wrote it',
    () => {
      const manifest = JSON.parse(readFileSync(`${PUBLIC_DIR}models/oracle-shapes/manifest.json`, 'utf8')) as {
        files: { path: string; size: number }[];
      };
      const sizes = new Map(manifest.files.map((file) => [file.path, file.size]));
      for (const entry of CATALOG.filter((e) => e.source === 'bundled')) {
        for (const ref of filesOf(entry)) expect(sizes.has(ref.path), `${entry.id}: ${ref.path}`).toBe(true);
        for (const part of PIPELINE_PARTS) expect(entry.parts[part].sizeBytes).toBe(sizes.get(entry.parts[part].model));
        expect(entry.sizeBytes).toBe(filesOf(entry).reduce((sum, ref) => sum + sizes.get(ref.path)!, 0));
      }
    },
  );
});

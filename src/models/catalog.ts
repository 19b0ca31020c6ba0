/**
 * The model catalog: plain data describing, per model, where each pipeline part lives and how to
 * drive it. The pipeline and the Generate view read these entries; nothing here runs code.
 *
 * Research notes (what was found vs. inferred), gathered from public sources since the real hub is
 * not reachable from the build machines:
 *
 * - schmuell/sd-turbo-ort-web — FOUND in onnxruntime-inference-examples `js/sd-turbo/index.js`: files
 *   `text_encoder/model.onnx`, `unet/model.onnx`, `vae_decoder/model.onnx` fetched from
 *   `…/schmuell/sd-turbo-ort-web/resolve/main`; needs WebGPU with `shader-f16`; tokenizer
 *   `Xenova/clip-vit-base-patch16` with `pad_token_id = 0` (SD 2.x/OpenCLIP pads with "!", id 0);
 *   `input_ids` int32 [1, 77] → `last_hidden_state`; UNet `sample` float32 [1,4,64,64],
 *   `timestep` int64 [1] (999 for one step), `encoder_hidden_states` → `out_sample`; VAE
 *   `latent_sample` → `sample`; one Euler step from σ = 14.6146, VAE factor 0.18215, no guidance.
 *   The example labels sizes unet 640 MB / text encoder 1700 MB; INFERRED they are swapped (the SD 2.1
 *   UNet has 865 M parameters = 1.73 GB in fp16, the OpenCLIP-H text tower 354 M = 0.7 GB), total
 *   ≈ 2.5 GB as the issue says. Licence INFERRED from stabilityai/sd-turbo.
 * - microsoft/sd-turbo-webnn — FOUND in webnn-developer-preview (`demos/sd-turbo`): files
 *   `text_encoder/model_layernorm.onnx` (649 MB), `unet/model_layernorm.onnx` (1.61 GB),
 *   `vae_decoder/model.onnx` (94.5 MB), `safety_checker/model.onnx` (580 MB, optional, not listed);
 *   UNet inputs are float16 (`sample`, `timestep` float16 [1], `encoder_hidden_states` from the text
 *   encoder's fp16 output); VAE takes float32 `latent_sample`; static 64×64 latents (512×512).
 *   Tokenizer INFERRED to be the same CLIP BPE as the ORT example (the demo's tokenizer import was not
 *   seen).
 * - aislamov/lcm-dreamshaper-v7-onnx — FOUND in diffusers.js demos and third-party download scripts:
 *   `model_index.json`, `scheduler/scheduler_config.json`, `tokenizer/{vocab.json,merges.txt,
 *   special_tokens_map.json,tokenizer_config.json}`, `text_encoder/model.onnx`, `unet/model.onnx` +
 *   `unet/model.onnx_data`, `vae_decoder/model.onnx` + `vae_decoder/model.onnx_data`; fp16 on `main`
 *   (2.2 GB; an fp32 branch exists); UNet has an extra `timestep_cond` input (LCM guidance embedding,
 *   256 wide) and a float32 `timestep`; 4–8 steps, guidance ≈ 1 (embedded, no CFG batch).
 * - microsoft/stable-diffusion-v1.5-webnn — FOUND in webnn-developer-preview's model list: flat files
 *   `text-encoder.onnx`, `sd-unet-v1.5-model-b2c4h64w64s77-float16-compute-and-inputs-layernorm.onnx`
 *   (batch 2 = classifier-free guidance, 64×64 latents, 77 tokens, fp16 inputs),
 *   `Stable-Diffusion-v1.5-vae-decoder-float16-fp32-instancenorm.onnx`, `safety_checker_int32_reduceSum.onnx`.
 *   Sizes, scheduler and step count INFERRED from SD 1.5 (UNet 860 M params in fp16 ≈ 1.72 GB).
 * - No 40-hex commit was found for any hub repo, so each is pinned to `main` (`pinned: false`); the
 *   store resolves `main` to the commit at download time and keys the stored files by that commit.
 */

/** The three ONNX graphs of a Stable Diffusion pipeline. */
export const PIPELINE_PARTS = ['textEncoder', 'unet', 'vaeDecoder'] as const;
export type PipelinePart = (typeof PIPELINE_PARTS)[number];

export type ModelDtype = 'fp32' | 'fp16';
export type TensorDtype = 'float32' | 'float16' | 'int32' | 'int64';
/** WebGPU adapter features a model needs (`GPUAdapter.features`). */
export type GpuFeature = 'shader-f16';

/**
 * Scheduler names the app offers. `timestepSpacing` follows diffusers (`leading`, `trailing`,
 * `linspace`): SD-Turbo needs `trailing` so that its single step starts at t = 999.
 */
export type SchedulerName = 'euler' | 'euler-ancestral' | 'ddim' | 'lcm';
export type TimestepSpacing = 'leading' | 'trailing' | 'linspace';

export interface OnnxPartFiles {
  /** The graph, relative to the entry's base (repo root or bundled folder). */
  model: string;
  /** External-data files the graph references (`model.onnx_data`, `weights.pb`), same base. */
  externalData: readonly string[];
  /** Approximate bytes of the graph and its external data. */
  sizeBytes: number;
}

/** Where the CLIP tokenizer comes from: the model's own folder or another hub repo. */
export interface TokenizerSource {
  /** `null`: same repo/folder as the model. */
  repo: string | null;
  revision: string;
  /** Files relative to `repo` (or to the model base when `repo` is null). */
  files: readonly string[];
  /** Token used to pad to 77: 49407 (EOS) for SD 1.x CLIP, 0 ("!") for SD 2.x / OpenCLIP models. */
  padTokenId: number;
}

/** What the pipeline must feed; undefined fields mean "read the session's input metadata". */
export interface ModelIo {
  inputIds: TensorDtype;
  /** dtype of `sample` and `encoder_hidden_states` fed to the UNet. */
  unetFloat: TensorDtype;
  timestep: TensorDtype;
  /** Width of `last_hidden_state` (768 for SD 1.x CLIP-L, 1024 for SD 2.x OpenCLIP-H). */
  hiddenSize: number;
  /** Extra UNet inputs beyond sample/timestep/encoder_hidden_states (e.g. LCM's `timestep_cond`). */
  extraUnetInputs: readonly string[];
  /** A UNet exported with a fixed batch (2 = conditional + unconditional in one run). */
  fixedBatch: number | null;
  /** Output names, in case a graph deviates from the diffusers names. */
  outputs: { textEncoder: string; unet: string; vaeDecoder: string };
}

export interface ModelDefaults {
  steps: number;
  /** Classifier-free guidance scale; 0 or 1 means off (one UNet run per step, no negative prompt). */
  guidance: number;
  width: number;
  height: number;
  scheduler: SchedulerName;
  timestepSpacing: TimestepSpacing;
}

export interface CatalogEntry {
  /** Stable key used in storage and in the Generate view. */
  id: string;
  displayName: string;
  /** `bundled`: shipped with the app under `baseUrl`; `hub`: downloaded from the hub. */
  source: 'bundled' | 'hub';
  /** `org/name` on the hub (for bundled models, the repo the fake/real hub mirrors it as). */
  repo: string;
  /** A 40-hex commit when `pinned`, otherwise a branch name resolved at download time. */
  revision: string;
  pinned: boolean;
  /** Bundled models only: the app-relative folder the files are served from. */
  baseUrl: string | null;
  licence: string;
  /** Approximate total download, bytes. */
  sizeBytes: number;
  dtype: ModelDtype;
  requiredFeatures: readonly GpuFeature[];
  parts: Readonly<Record<PipelinePart, OnnxPartFiles>>;
  tokenizer: TokenizerSource;
  /** diffusers scheduler config (relative to the base), when the repo ships one. */
  schedulerConfig: string | null;
  predictionType: 'epsilon' | 'v_prediction';
  vaeScalingFactor: number;
  io: Partial<ModelIo>;
  defaults: ModelDefaults;
  /** Sizes (width × height) the model can run; the UI offers these. */
  sizes: readonly { width: number; height: number }[];
  note: string;
}

/** A seed-document model that cannot run in a browser as it is, and what to use instead. */
export interface UnsupportedRepo {
  repo: string;
  reason: string;
  /** Catalog id of a browser-ready counterpart, when there is one. */
  useInstead: string | null;
}

const MB = 1_000_000;
const GB = 1_000_000_000;

/** Files of a tokenizer in the diffusers layout (vocab + merges, and tokenizer.json when present). */
const CLIP_TOKENIZER_FILES = [
  'tokenizer/vocab.json',
  'tokenizer/merges.txt',
  'tokenizer/tokenizer_config.json',
  'tokenizer/special_tokens_map.json',
] as const;

/** The oracle also ships tokenizer.json (for transformers.js); sizes from its manifest.json. */
const ORACLE_TOKENIZER_FILES = [...CLIP_TOKENIZER_FILES, 'tokenizer/tokenizer.json'] as const;
const ORACLE_TOKENIZER_BYTES = 524_619 + 862_328 + 1_485_978 + 314 + 133;

/** Every multiple of 64 from 128 to 768 on each side, square only, for the oracle. */
const ORACLE_SIZES = [128, 192, 256, 320, 384, 448, 512, 576, 640, 704, 768].map((side) => ({ width: side, height: side }));

const DIFFUSERS_OUTPUTS = { textEncoder: 'last_hidden_state', unet: 'out_sample', vaeDecoder: 'sample' } as const;

/** Shared by the fp32 and fp16 variants of the bundled oracle (oracle-model.md). */
const SHAPES_COMMON = {
  source: 'bundled',
  repo: 'local-sd/oracle-shapes',
  revision: 'main',
  pinned: false,
  baseUrl: '/models/oracle-shapes/',
  licence: 'MIT',
  tokenizer: { repo: null, revision: 'main', files: ORACLE_TOKENIZER_FILES, padTokenId: 49407 },
  schedulerConfig: 'scheduler/scheduler_config.json',
  predictionType: 'epsilon',
  vaeScalingFactor: 0.18215,
  defaults: { steps: 4, guidance: 1, width: 256, height: 256, scheduler: 'euler', timestepSpacing: 'leading' },
  sizes: ORACLE_SIZES,
} satisfies Partial<CatalogEntry>;

export const CATALOG: readonly CatalogEntry[] = Object.freeze([
  {
    ...SHAPES_COMMON,
    id: 'oracle-shapes',
    displayName: 'Shapes demo',
    sizeBytes: ORACLE_TOKENIZER_BYTES + 1_340 + 17_541 + 735 + 373,
    dtype: 'fp32',
    requiredFeatures: [],
    parts: {
      textEncoder: { model: 'text_encoder/model.onnx', externalData: [], sizeBytes: 1_340 },
      unet: { model: 'unet/model.onnx', externalData: [], sizeBytes: 17_541 },
      vaeDecoder: { model: 'vae_decoder/model.onnx', externalData: [], sizeBytes: 735 },
    },
    io: { outputs: DIFFUSERS_OUTPUTS, extraUnetInputs: [], fixedBatch: null },
    note:
      'Not a neural network trained on images: an exact oracle that draws coloured circles and squares ' +
      '("a red circle on a blue background"). Bundled with the app and available offline; it checks the ' +
      'pipeline end to end. Runs on WASM and on any WebGPU adapter.',
  },
  {
    ...SHAPES_COMMON,
    id: 'oracle-shapes-fp16',
    displayName: 'Shapes demo (fp16)',
    sizeBytes: ORACLE_TOKENIZER_BYTES + 1_052 + 17_789 + 855 + 373,
    dtype: 'fp16',
    requiredFeatures: ['shader-f16'],
    parts: {
      textEncoder: { model: 'text_encoder/model_fp16.onnx', externalData: [], sizeBytes: 1_052 },
      unet: { model: 'unet/model_fp16.onnx', externalData: [], sizeBytes: 17_789 },
      vaeDecoder: { model: 'vae_decoder/model_fp16.onnx', externalData: [], sizeBytes: 855 },
    },
    io: { outputs: DIFFUSERS_OUTPUTS, extraUnetInputs: [], fixedBatch: null },
    note:
      'The Shapes oracle in half precision, for WebGPU adapters with shader-f16. From 4 steps on it ' +
      'matches the fp32 demo within ±3 per channel; at 1–3 steps within ±8.',
  },
  {
    id: 'sd-turbo',
    displayName: 'SD-Turbo (WebGPU, fp16)',
    source: 'hub',
    repo: 'schmuell/sd-turbo-ort-web',
    revision: 'main',
    pinned: false,
    baseUrl: null,
    licence: 'sai-nc-community (Stability AI Non-Commercial Research Community License)',
    sizeBytes: 2.5 * GB,
    dtype: 'fp16',
    requiredFeatures: ['shader-f16'],
    parts: {
      textEncoder: { model: 'text_encoder/model.onnx', externalData: [], sizeBytes: 0.68 * GB },
      unet: { model: 'unet/model.onnx', externalData: [], sizeBytes: 1.73 * GB },
      vaeDecoder: { model: 'vae_decoder/model.onnx', externalData: [], sizeBytes: 95 * MB },
    },
    tokenizer: {
      repo: 'Xenova/clip-vit-base-patch16',
      revision: 'main',
      files: ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.json', 'merges.txt'],
      padTokenId: 0,
    },
    schedulerConfig: null,
    predictionType: 'epsilon',
    vaeScalingFactor: 0.18215,
    io: {
      inputIds: 'int32',
      unetFloat: 'float32',
      timestep: 'int64',
      hiddenSize: 1024,
      extraUnetInputs: [],
      fixedBatch: null,
      outputs: DIFFUSERS_OUTPUTS,
    },
    defaults: { steps: 1, guidance: 0, width: 512, height: 512, scheduler: 'euler', timestepSpacing: 'trailing' },
    sizes: [{ width: 512, height: 512 }],
    note:
      'The default real model: one step, no guidance, 512 × 512. Needs WebGPU with shader-f16 (fp16 ' +
      'weights, float32 inputs); no scheduler config in the repo, so the standard SD 2.x schedule ' +
      '(scaled_linear 0.00085–0.012, 1000 steps) with trailing spacing applies. Tokenizer from ' +
      'Xenova/clip-vit-base-patch16 as in the ONNX Runtime example, padded with id 0 to 77 tokens ' +
      '(pad to max_length, not to the longest prompt).',
  },
  {
    id: 'sd-turbo-webnn',
    displayName: 'SD-Turbo (WebNN export, fp16)',
    source: 'hub',
    repo: 'microsoft/sd-turbo-webnn',
    revision: 'main',
    pinned: false,
    baseUrl: null,
    licence: 'sai-nc-community (Stability AI Non-Commercial Research Community License)',
    sizeBytes: 2.35 * GB,
    dtype: 'fp16',
    requiredFeatures: ['shader-f16'],
    parts: {
      textEncoder: { model: 'text_encoder/model_layernorm.onnx', externalData: [], sizeBytes: 649 * MB },
      unet: { model: 'unet/model_layernorm.onnx', externalData: [], sizeBytes: 1.61 * GB },
      vaeDecoder: { model: 'vae_decoder/model.onnx', externalData: [], sizeBytes: 94.5 * MB },
    },
    tokenizer: {
      repo: 'Xenova/clip-vit-base-patch16',
      revision: 'main',
      files: ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.json', 'merges.txt'],
      padTokenId: 0,
    },
    schedulerConfig: null,
    predictionType: 'epsilon',
    vaeScalingFactor: 0.18215,
    io: {
      inputIds: 'int32',
      unetFloat: 'float16',
      timestep: 'float16',
      hiddenSize: 1024,
      extraUnetInputs: [],
      fixedBatch: 1,
      outputs: DIFFUSERS_OUTPUTS,
    },
    defaults: { steps: 1, guidance: 0, width: 512, height: 512, scheduler: 'euler', timestepSpacing: 'trailing' },
    sizes: [{ width: 512, height: 512 }],
    note:
      'SD-Turbo as exported for WebNN (LayerNorm fused); also runs on WebGPU with shader-f16. The UNet ' +
      'takes float16 sample, timestep and text embeddings; shapes are fixed to 512 × 512.',
  },
  {
    id: 'lcm-dreamshaper-v7',
    displayName: 'LCM Dreamshaper v7 (fp16)',
    source: 'hub',
    repo: 'aislamov/lcm-dreamshaper-v7-onnx',
    revision: 'main',
    pinned: false,
    baseUrl: null,
    licence: 'MIT (SimianLuo/LCM_Dreamshaper_v7); Dreamshaper base under CreativeML OpenRAIL-M',
    sizeBytes: 2.2 * GB,
    dtype: 'fp16',
    requiredFeatures: ['shader-f16'],
    parts: {
      textEncoder: { model: 'text_encoder/model.onnx', externalData: [], sizeBytes: 246 * MB },
      unet: { model: 'unet/model.onnx', externalData: ['unet/model.onnx_data'], sizeBytes: 1.72 * GB },
      vaeDecoder: { model: 'vae_decoder/model.onnx', externalData: ['vae_decoder/model.onnx_data'], sizeBytes: 99 * MB },
    },
    tokenizer: { repo: null, revision: 'main', files: CLIP_TOKENIZER_FILES, padTokenId: 49407 },
    schedulerConfig: 'scheduler/scheduler_config.json',
    predictionType: 'epsilon',
    vaeScalingFactor: 0.18215,
    io: {
      inputIds: 'int32',
      timestep: 'float32',
      hiddenSize: 768,
      extraUnetInputs: ['timestep_cond'],
      fixedBatch: null,
      outputs: DIFFUSERS_OUTPUTS,
    },
    defaults: { steps: 4, guidance: 8, width: 512, height: 512, scheduler: 'lcm', timestepSpacing: 'leading' },
    sizes: [
      { width: 512, height: 512 },
      { width: 512, height: 768 },
      { width: 768, height: 512 },
    ],
    note:
      'Latent Consistency Model distilled from Dreamshaper (SD 1.5): good images in 4–8 steps. The ' +
      'guidance scale is fed as the UNet\'s timestep_cond embedding (256 wide) instead of a second ' +
      'UNet run. Weights in external data files (model.onnx_data). Used by diffusers.js.',
  },
  {
    id: 'sd-v1-5-webnn',
    displayName: 'Stable Diffusion 1.5 (WebNN export, fp16)',
    source: 'hub',
    repo: 'microsoft/stable-diffusion-v1.5-webnn',
    revision: 'main',
    pinned: false,
    baseUrl: null,
    licence: 'CreativeML OpenRAIL-M',
    sizeBytes: 2.1 * GB,
    dtype: 'fp16',
    requiredFeatures: ['shader-f16'],
    parts: {
      textEncoder: { model: 'text-encoder.onnx', externalData: [], sizeBytes: 246 * MB },
      unet: {
        model: 'sd-unet-v1.5-model-b2c4h64w64s77-float16-compute-and-inputs-layernorm.onnx',
        externalData: [],
        sizeBytes: 1.72 * GB,
      },
      vaeDecoder: { model: 'Stable-Diffusion-v1.5-vae-decoder-float16-fp32-instancenorm.onnx', externalData: [], sizeBytes: 99 * MB },
    },
    tokenizer: {
      repo: 'Xenova/clip-vit-base-patch16',
      revision: 'main',
      files: ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.json', 'merges.txt'],
      padTokenId: 49407,
    },
    schedulerConfig: null,
    predictionType: 'epsilon',
    vaeScalingFactor: 0.18215,
    io: { unetFloat: 'float16', hiddenSize: 768, extraUnetInputs: [], fixedBatch: 2, outputs: DIFFUSERS_OUTPUTS },
    defaults: { steps: 20, guidance: 7.5, width: 512, height: 512, scheduler: 'euler', timestepSpacing: 'leading' },
    sizes: [{ width: 512, height: 512 }],
    note:
      'Stable Diffusion 1.5 exported for WebNN with fixed shapes: the UNet always runs a batch of 2 ' +
      '(prompt and negative prompt, so guidance is always on) at 512 × 512 with float16 inputs. Step ' +
      'count and scheduler are inferred from SD 1.5, not from the repo.',
  },
]);

/** The seed documents' PyTorch repos: none runs in a browser as published. */
export const UNSUPPORTED_REPOS: readonly UnsupportedRepo[] = Object.freeze([
  {
    repo: 'runwayml/stable-diffusion-v1-5',
    reason:
      'PyTorch/safetensors weights (the repo has since been taken down by its publisher). A browser ' +
      'needs an ONNX export with fp16 weights under 2 GB per graph.',
    useInstead: 'sd-v1-5-webnn',
  },
  {
    repo: 'CompVis/stable-diffusion-v1-4',
    reason: 'PyTorch/safetensors weights; its old ONNX branch is fp32 (3.4 GB UNet), over the 2 GB ArrayBuffer/protobuf limit.',
    useInstead: 'lcm-dreamshaper-v7',
  },
  {
    repo: 'stabilityai/stable-diffusion-2-1',
    reason: 'PyTorch/safetensors weights at 768 × 768 with v-prediction; no browser-ready ONNX export is published.',
    useInstead: 'sd-turbo',
  },
  {
    repo: 'stabilityai/stable-diffusion-xl-base-1.0',
    reason:
      'SDXL: a 2.6 B-parameter UNet (5 GB in fp16) and two text encoders, beyond what WebGPU buffers and ' +
      'browser storage quotas allow on typical devices; its ONNX export targets native runtimes.',
    useInstead: 'sd-turbo',
  },
]);

/** The model the Generate view selects when nothing else is chosen and it is ready. */
export const DEFAULT_MODEL_ID = 'sd-turbo';
export const BUNDLED_MODEL_ID = 'oracle-shapes';

export function findCatalogEntry(id: string): CatalogEntry | undefined {
  return CATALOG.find((entry) => entry.id === id);
}

export function findUnsupportedRepo(repo: string): UnsupportedRepo | undefined {
  return UNSUPPORTED_REPOS.find((entry) => entry.repo.toLowerCase() === repo.toLowerCase());
}

/** A file the model needs, named by where it lives. */
export interface ModelFileRef {
  /** `org/name`, or null for a bundled model's own folder. */
  repo: string | null;
  revision: string;
  path: string;
  /** Which part it belongs to, for progress and messages. */
  role: PipelinePart | 'tokenizer' | 'scheduler' | 'config';
}

/** Every file the entry needs, deduplicated, graphs first (largest downloads, most likely to fail). */
export function filesOf(entry: CatalogEntry): ModelFileRef[] {
  const own = entry.source === 'bundled' ? null : entry.repo;
  const refs: ModelFileRef[] = [];
  for (const part of PIPELINE_PARTS) {
    const files = entry.parts[part];
    refs.push({ repo: own, revision: entry.revision, path: files.model, role: part });
    for (const path of files.externalData) refs.push({ repo: own, revision: entry.revision, path, role: part });
  }
  const tokenizerRepo = entry.tokenizer.repo ?? own;
  const tokenizerRevision = entry.tokenizer.repo ? entry.tokenizer.revision : entry.revision;
  for (const path of entry.tokenizer.files) refs.push({ repo: tokenizerRepo, revision: tokenizerRevision, path, role: 'tokenizer' });
  if (entry.schedulerConfig) refs.push({ repo: own, revision: entry.revision, path: entry.schedulerConfig, role: 'scheduler' });
  const seen = new Set<string>();
  return refs.filter((ref) => {
    const key = `${ref.repo ?? ''}@${ref.revision}:${ref.path}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const REPO_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;
const COMMIT = /^[0-9a-f]{40}$/;

/** Every problem with an entry, as sentences; empty when the entry is valid. */
export function validateCatalogEntry(entry: CatalogEntry): string[] {
  const problems: string[] = [];
  const fail = (why: string) => problems.push(`${entry.id}: ${why}`);
  if (!/^[a-z0-9][a-z0-9-]*$/.test(entry.id)) fail('id must be lower-case letters, digits and dashes');
  if (!entry.displayName.trim()) fail('displayName is empty');
  if (!REPO_ID.test(entry.repo)) fail(`repo "${entry.repo}" is not org/name`);
  if (entry.pinned && !COMMIT.test(entry.revision)) fail('a pinned revision must be a 40-hex commit');
  if (!entry.pinned && COMMIT.test(entry.revision)) fail('a 40-hex revision should be marked pinned');
  if (entry.source === 'bundled' && !entry.baseUrl?.startsWith('/')) fail('a bundled model needs an absolute baseUrl');
  if (entry.source === 'hub' && entry.baseUrl !== null) fail('a hub model must not have a baseUrl');
  if (!entry.licence.trim()) fail('licence is empty');
  if (!(entry.sizeBytes > 0)) fail('sizeBytes must be positive');
  if (entry.dtype === 'fp16' && !entry.requiredFeatures.includes('shader-f16')) fail('fp16 weights need shader-f16');
  for (const part of PIPELINE_PARTS) {
    const files = entry.parts[part];
    if (!files) {
      fail(`missing part ${part}`);
      continue;
    }
    if (!files.model.endsWith('.onnx')) fail(`${part}.model must be an .onnx file`);
    for (const path of [files.model, ...files.externalData]) {
      if (path.startsWith('/') || path.split('/').includes('..')) fail(`${part} path "${path}" must be relative`);
    }
  }
  if (entry.tokenizer.files.length === 0) fail('tokenizer has no files');
  if (entry.tokenizer.repo !== null && !REPO_ID.test(entry.tokenizer.repo)) fail('tokenizer repo is not org/name');
  if (![0, 49407].includes(entry.tokenizer.padTokenId)) fail('padTokenId must be 0 or 49407');
  const { steps, guidance, width, height } = entry.defaults;
  if (!(Number.isInteger(steps) && steps >= 1 && steps <= 150)) fail('default steps must be 1–150');
  if (!(guidance >= 0 && guidance <= 30)) fail('default guidance must be 0–30');
  if (entry.sizes.length === 0) fail('no sizes');
  for (const size of entry.sizes) {
    if (size.width % 64 !== 0 || size.height % 64 !== 0) fail(`size ${size.width}×${size.height} is not a multiple of 64`);
  }
  if (!entry.sizes.some((size) => size.width === width && size.height === height)) fail('default size is not among sizes');
  if (entry.io.fixedBatch === 2 && entry.defaults.guidance <= 1) fail('a batch-2 UNet needs guidance > 1');
  if (!entry.note.trim()) fail('note is empty');
  return problems;
}

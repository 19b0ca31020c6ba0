/**
 * What the pipeline needs to know about a model: where each part's files are (URLs, so the same
 * description serves the bundled demo and downloaded models, which the service worker serves from
 * the same origin) and the few facts the files themselves do not say. Plain data: it crosses
 * `postMessage` to the worker.
 *
 * Input names, dtypes and batch sizes are not here: the pipeline reads them from each session.
 */
import type { SchedulerName } from './schedulers/index.ts';

export type ModelDtype = 'fp32' | 'fp16';
export type PipelinePartName = 'textEncoder' | 'unet' | 'vaeDecoder';

export interface PartFiles {
  /** URL of the `.onnx` graph. */
  readonly model: string;
  /** External-data files: `path` is the name the graph refers to, `url` where to fetch it. */
  readonly externalData: readonly { readonly path: string; readonly url: string }[];
}

/** One precision of the model's graphs. */
export interface ModelVariant {
  readonly dtype: ModelDtype;
  /** WebGPU adapter features it needs; a variant needing `shader-f16` is never run on WASM. */
  readonly requiredFeatures: readonly 'shader-f16'[];
  readonly parts: Readonly<Record<PipelinePartName, PartFiles>>;
  /** Bytes of the largest single weight tensor, when known: checked against the GPU's buffer limits. */
  readonly largestTensorBytes: number | null;
}

/** How a latent becomes the cheap preview image: see preview.ts. */
export type LatentPreviewMethod = 'rgb-channels' | 'sd-approximation';

export interface PipelineModel {
  /** Stable id (the catalog's); a load with another id releases the current sessions. */
  readonly id: string;
  readonly displayName: string;
  /** At least one; the backend selection picks the one it can run. */
  readonly variants: readonly ModelVariant[];
  readonly tokenizer: {
    /** File name (`tokenizer.json`, `vocab.json`, `merges.txt`, `tokenizer_config.json`, …) → URL. */
    readonly files: Readonly<Record<string, string>>;
    /** Id to pad to 77 tokens with; null: the `pad_token` of tokenizer_config.json. */
    readonly padTokenId: number | null;
  };
  readonly scheduler: {
    /** URL of diffusers' `scheduler_config.json`; null: SD's standard schedule. */
    readonly configUrl: string | null;
    /** diffusers keys that override the file (or the standard schedule), e.g. `timestep_spacing`. */
    readonly overrides: Readonly<Record<string, unknown>>;
  };
  /** diffusers' `vae.config.scaling_factor` (0.18215 for SD 1.x/2.x). */
  readonly vaeScalingFactor: number;
  readonly latentPreview: LatentPreviewMethod;
  /** Settings the Generate view starts from. */
  readonly defaults: {
    readonly steps: number;
    readonly guidance: number;
    readonly width: number;
    readonly height: number;
    readonly scheduler: SchedulerName;
  };
}

export const DEFAULT_VAE_SCALING_FACTOR = 0.18215;

/** The Shapes oracle's folder name under `/models/` and its v-prediction sibling. */
export const ORACLE_MODEL_ID = 'oracle-shapes';
export const ORACLE_VPRED_MODEL_ID = 'oracle-shapes-vpred';

function oracleParts(baseUrl: string, fileName: string): Record<PipelinePartName, PartFiles> {
  return {
    textEncoder: { model: `${baseUrl}text_encoder/${fileName}`, externalData: [] },
    unet: { model: `${baseUrl}unet/${fileName}`, externalData: [] },
    vaeDecoder: { model: `${baseUrl}vae_decoder/${fileName}`, externalData: [] },
  };
}

/**
 * The bundled Shapes oracle (shared/oracle-model.md) as the app serves it: `baseUrl` is the folder,
 * ending in '/', e.g. '/models/oracle-shapes/' or an absolute URL. `dtypes` picks the variants to
 * offer ('oracle-shapes-vpred' has fp32 only); the pipeline prefers fp16 on WebGPU with shader-f16.
 */
export function oracleModel(
  baseUrl: string,
  { id = ORACLE_MODEL_ID, dtypes = ['fp32'] as readonly ModelDtype[], displayName = 'Shapes demo' } = {},
): PipelineModel {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const variants: ModelVariant[] = dtypes.map((dtype) =>
    dtype === 'fp32'
      ? { dtype, requiredFeatures: [], parts: oracleParts(base, 'model.onnx'), largestTensorBytes: 4000 }
      : { dtype, requiredFeatures: ['shader-f16'], parts: oracleParts(base, 'model_fp16.onnx'), largestTensorBytes: 2000 },
  );
  const tokenizerFiles = ['tokenizer.json', 'tokenizer_config.json', 'vocab.json', 'merges.txt', 'special_tokens_map.json'];
  return {
    id,
    displayName,
    variants,
    tokenizer: { files: Object.fromEntries(tokenizerFiles.map((name) => [name, `${base}tokenizer/${name}`])), padTokenId: null },
    scheduler: { configUrl: `${base}scheduler/scheduler_config.json`, overrides: {} },
    vaeScalingFactor: DEFAULT_VAE_SCALING_FACTOR,
    latentPreview: 'rgb-channels',
    defaults: { steps: 4, guidance: 1, width: 256, height: 256, scheduler: 'euler' },
  };
}

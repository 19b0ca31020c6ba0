// The Shapes oracle (shared/oracle-model.md): a tiny diffusers-layout ONNX model whose UNet
// predicts the noise exactly for a target picture read from the prompt's words. It is arithmetic,
// not a trained network.
import { GraphBuilder, type ElementType, type FloatType, type Value } from '../onnx/graph-builder.ts';
import type { ModelExpectation } from '../onnx/validate-model.ts';
import { END_OF_WORD } from '../tokenizer/clip-vocabulary.ts';

export const ORACLE_COLOURS = {
  red: [230, 40, 40],
  green: [40, 200, 60],
  blue: [40, 80, 230],
  yellow: [240, 220, 40],
  white: [240, 240, 240],
  black: [20, 20, 20],
} as const satisfies Record<string, readonly [number, number, number]>;
export type OracleColour = keyof typeof ORACLE_COLOURS;
export const ORACLE_GREY = [128, 128, 128] as const;
export const ORACLE_SHAPES = ['circle', 'square'] as const;
export type OracleShape = (typeof ORACLE_SHAPES)[number];

/** Words the text encoder marks, in feature order: six colours, two shapes, then "on". */
export const ORACLE_MARKER_WORDS = [...(Object.keys(ORACLE_COLOURS) as OracleColour[]), ...ORACLE_SHAPES, 'on'] as const;
const COLOUR_COUNT = Object.keys(ORACLE_COLOURS).length;
const SHAPE_FEATURE = COLOUR_COUNT;
const ON_FEATURE = COLOUR_COUNT + ORACLE_SHAPES.length;
/** Width of the text features (the marker one-hots, zero-padded). */
export const ORACLE_FEATURE_WIDTH = 16;

export const VAE_SCALING_FACTOR = 0.18215;
export const TRAIN_TIMESTEPS = 1000;
export const BETA_START = 0.00085;
export const BETA_END = 0.012;

export type PredictionType = 'epsilon' | 'v_prediction';

export interface OracleVariant {
  /** Folder name under public/models. */
  readonly id: string;
  readonly prediction: PredictionType;
  /** Also write `model_fp16.onnx` next to each `model.onnx`. */
  readonly withFp16: boolean;
}

export const ORACLE_VARIANTS: readonly OracleVariant[] = [
  { id: 'oracle-shapes', prediction: 'epsilon', withFp16: true },
  { id: 'oracle-shapes-vpred', prediction: 'v_prediction', withFp16: false },
];

/**
 * SD 1.x training sigmas, σ_i = √((1 − ᾱ_i) / ᾱ_i), from scaled_linear betas
 * (linspace(√0.00085, √0.012, 1000)²), computed in double precision.
 */
export function trainingSigmas(): Float64Array {
  const sigmas = new Float64Array(TRAIN_TIMESTEPS);
  const first = Math.sqrt(BETA_START);
  const step = (Math.sqrt(BETA_END) - first) / (TRAIN_TIMESTEPS - 1);
  let alphaCumprod = 1;
  for (let i = 0; i < TRAIN_TIMESTEPS; i += 1) {
    const beta = (first + i * step) ** 2;
    alphaCumprod *= 1 - beta;
    sigmas[i] = Math.sqrt((1 - alphaCumprod) / alphaCumprod);
  }
  return sigmas;
}

/** An 8-bit colour as the latent the oracle's VAE decodes back to it: RGB in [−1, 1], 0, ×0.18215. */
export function colourLatent(rgb: readonly number[]): number[] {
  return [...rgb.map((value) => (value / 127.5 - 1) * VAE_SCALING_FACTOR), 0];
}

export class OracleBuildError extends Error {
  override readonly name = 'OracleBuildError';
  readonly code = 'MARKER_NOT_A_TOKEN';
}

/** Token id of each marker word (as a whole word, `word</w>`) in the CLIP vocabulary. */
export function markerTokenIds(vocabulary: ReadonlyMap<string, number>): number[] {
  return ORACLE_MARKER_WORDS.map((word) => {
    const id = vocabulary.get(word + END_OF_WORD);
    if (id === undefined) throw new OracleBuildError(`"${word}" is not a single token in this CLIP vocabulary`);
    return id;
  });
}

function toFloat32(g: GraphBuilder, x: Value, type: ElementType): Value {
  return type === 'float32' ? x : g.cast(x, 'float32');
}

function fromFloat32(g: GraphBuilder, x: Value, type: FloatType): Value {
  return type === 'float32' ? x : g.cast(x, type);
}

// ---- text encoder ----------------------------------------------------------------------------------

export function oracleTextEncoderInterface(type: FloatType): ModelExpectation {
  return {
    inputs: [{ name: 'input_ids', type: 'int32', dims: ['batch', 'sequence'] }],
    outputs: [{ name: 'last_hidden_state', type, dims: ['batch', 'sequence', ORACLE_FEATURE_WIDTH] }],
  };
}

/** input_ids → one-hot marker features per token: Equal against the marker ids, zero-padded. */
export function buildOracleTextEncoder(markerIds: readonly number[], type: FloatType): GraphBuilder {
  const g = new GraphBuilder('oracle_text_encoder');
  const inputIds = g.input('input_ids', 'int32', ['batch', 'sequence']);
  const matches = g.equal(g.unsqueeze(inputIds, [2]), g.int32(markerIds, [markerIds.length], 'marker_token_ids'));
  const padding = new Float32Array(markerIds.length * ORACLE_FEATURE_WIDTH);
  markerIds.forEach((_, k) => {
    padding[k * ORACLE_FEATURE_WIDTH + k] = 1;
  });
  const projection = g.floats(type, padding, [markerIds.length, ORACLE_FEATURE_WIDTH], 'feature_projection');
  const features = g.matMul(g.cast(matches, type), projection);
  g.output(features, 'last_hidden_state', type, ['batch', 'sequence', ORACLE_FEATURE_WIDTH]);
  return g;
}

// ---- UNet ------------------------------------------------------------------------------------------

export function oracleUnetInterface(type: FloatType): ModelExpectation {
  return {
    inputs: [
      { name: 'sample', type, dims: ['batch', 4, 'height', 'width'] },
      { name: 'timestep', type, dims: ['batch'] },
      { name: 'encoder_hidden_states', type, dims: ['batch', 'sequence', ORACLE_FEATURE_WIDTH] },
    ],
    outputs: [{ name: 'out_sample', type, dims: ['batch', 4, 'height', 'width'] }],
  };
}

/** 1 where `mask` [B, S, 1] is 1 for the first time along the token axis. */
function firstMarked(g: GraphBuilder, mask: Value): Value {
  const count = g.cumSum(mask, 1);
  return g.mul(mask, g.cast(g.equal(count, g.float32([1], [])), 'float32'));
}

/** Per batch element: the shape colour and background colour latents [B, 4, 1, 1] and "is square" [B, 1, 1, 1]. */
function readPrompt(g: GraphBuilder, features: Value): { shapeLatent: Value; backgroundLatent: Value; isSquare: Value } {
  const colours = g.slice(features, [0], [COLOUR_COUNT], [2]);
  const shapes = g.slice(features, [SHAPE_FEATURE], [SHAPE_FEATURE + ORACLE_SHAPES.length], [2]);
  const on = g.slice(features, [ON_FEATURE], [ON_FEATURE + 1], [2]);
  const one = g.float32([1], []);

  const isColour = g.reduceSum(colours, [2]); // [B, S, 1]
  const isShape = g.reduceSum(shapes, [2]);
  const beforeOn = g.cast(g.less(g.cumSum(on, 1), g.float32([0.5], [])), 'float32');
  const afterOn = g.sub(one, beforeOn);

  const palette = g.float32(Object.values(ORACLE_COLOURS).flatMap(colourLatent), [COLOUR_COUNT, 4], 'palette_latents');
  const pickColour = (candidates: Value, fallback: readonly number[]): Value => {
    const pick = firstMarked(g, g.mul(isColour, candidates));
    const oneHot = g.reduceSum(g.mul(colours, pick), [1], false); // [B, 6]
    const found = g.reduceSum(pick, [1], false); // [B, 1]
    const fallbackLatent = g.float32(colourLatent(fallback), [1, 4], 'default_latent');
    return g.add(g.matMul(oneHot, palette), g.mul(g.sub(one, found), fallbackLatent)); // [B, 4]
  };
  let shapeLatent = pickColour(beforeOn, ORACLE_COLOURS.white);
  let backgroundLatent = pickColour(afterOn, ORACLE_COLOURS.black);

  // No colour word and no shape word (the unconditional prompt): uniform grey.
  const anyColour = g.reduceMax(isColour, [1], false); // [B, 1]
  const anyShape = g.reduceMax(isShape, [1], false);
  const neutral = g.mul(g.sub(one, anyColour), g.sub(one, anyShape));
  const grey = g.float32(colourLatent(ORACLE_GREY), [1, 4], 'grey_latent');
  shapeLatent = g.add(shapeLatent, g.mul(neutral, g.sub(grey, shapeLatent)));
  backgroundLatent = g.add(backgroundLatent, g.mul(neutral, g.sub(grey, backgroundLatent)));

  const shapePick = firstMarked(g, isShape);
  const shapeOneHot = g.reduceSum(g.mul(shapes, shapePick), [1], false); // [B, 2]
  const isSquare = g.slice(shapeOneHot, [1], [2], [1]);
  return {
    shapeLatent: g.unsqueeze(shapeLatent, [2, 3]),
    backgroundLatent: g.unsqueeze(backgroundLatent, [2, 3]),
    isSquare: g.unsqueeze(isSquare, [2, 3]),
  };
}

/** Pixel-centre offsets from the middle along axis `axis` of `sample`: (i + 0.5) − size / 2. */
function centredCoordinates(g: GraphBuilder, sample: Value, axis: number): { offsets: Value; size: Value } {
  const size = g.shape(sample, axis, axis + 1); // [1] int64
  const indices = g.range(g.int64([0], []), g.squeeze(size, [0]), g.int64([1], []));
  const sizeFloat = g.cast(size, 'float32');
  const offsets = g.sub(g.add(g.cast(indices, 'float32'), g.float32([0.5], [])), g.div(sizeFloat, g.float32([2], [])));
  return { offsets, size: sizeFloat };
}

/** 1 inside the centred circle (diameter) or square (side) of half the shorter side, [B, 1, h, w]. */
function shapeMask(g: GraphBuilder, sample: Value, isSquare: Value): Value {
  const rows = centredCoordinates(g, sample, 2);
  const columns = centredCoordinates(g, sample, 3);
  const dy = g.unsqueeze(rows.offsets, [1]); // [h, 1]
  const dx = g.unsqueeze(columns.offsets, [0]); // [1, w]
  const radius = g.div(g.min(rows.size, columns.size), g.float32([4], []));
  // Offsets are half-integers and the radius an integer (sizes are multiples of 8): no pixel sits on an edge.
  const inCircle = g.cast(g.less(g.add(g.mul(dy, dy), g.mul(dx, dx)), g.mul(radius, radius)), 'float32');
  const inSquare = g.cast(g.less(g.max(g.abs(dy), g.abs(dx)), radius), 'float32');
  return g.add(inCircle, g.mul(isSquare, g.sub(inSquare, inCircle)));
}

/**
 * σ(t) by linear interpolation of the training sigmas (np.interp over 0…999, clamped), shaped
 * [T, 1, 1, 1] to broadcast over the batch whether the pipeline passes one timestep or one per sample.
 */
function sigmaAt(g: GraphBuilder, timestep: Value): Value {
  const sigmas = Float32Array.from(trainingSigmas());
  const table = g.float32(sigmas, [TRAIN_TIMESTEPS], 'training_sigmas');
  const clamped = g.clip(timestep, g.float32([0], []), g.float32([TRAIN_TIMESTEPS - 1], []));
  const lower = g.min(g.floor(clamped), g.float32([TRAIN_TIMESTEPS - 2], []));
  const fraction = g.sub(clamped, lower);
  const lowerIndex = g.cast(lower, 'int64');
  const sigmaLow = g.gather(table, lowerIndex);
  const sigmaHigh = g.gather(table, g.add(lowerIndex, g.int64([1], [])));
  const sigma = g.add(sigmaLow, g.mul(fraction, g.sub(sigmaHigh, sigmaLow)));
  return g.reshape(sigma, [-1, 1, 1, 1]);
}

/**
 * ε = (sample − √ᾱ·x0) / √(1 − ᾱ) with ᾱ = 1 / (1 + σ²), evaluated as (sample·√(1 + σ²) − x0) / σ,
 * which keeps float32 accuracy when σ is small (1 − ᾱ would cancel); v = (ε − σ·x0) / √(1 + σ²).
 */
export function buildOracleUnet(type: FloatType, prediction: PredictionType): GraphBuilder {
  const g = new GraphBuilder('oracle_unet');
  const sampleInput = g.input('sample', type, ['batch', 4, 'height', 'width']);
  const timestepInput = g.input('timestep', type, ['batch']);
  const featuresInput = g.input('encoder_hidden_states', type, ['batch', 'sequence', ORACLE_FEATURE_WIDTH]);
  const sample = toFloat32(g, sampleInput, type);
  const timestep = toFloat32(g, timestepInput, type);
  const features = toFloat32(g, featuresInput, type);

  const target = g.scoped('target', () => {
    const { shapeLatent, backgroundLatent, isSquare } = readPrompt(g, features);
    const mask = shapeMask(g, sample, isSquare);
    return g.add(backgroundLatent, g.mul(mask, g.sub(shapeLatent, backgroundLatent))); // x0 [B, 4, h, w]
  });
  const output = g.scoped('prediction', () => {
    const sigma = sigmaAt(g, timestep);
    const inputScale = g.sqrt(g.add(g.mul(sigma, sigma), g.float32([1], [])));
    const epsilon = g.div(g.sub(g.mul(sample, inputScale), target), sigma);
    if (prediction === 'epsilon') return epsilon;
    return g.div(g.sub(epsilon, g.mul(sigma, target)), inputScale);
  });
  g.output(fromFloat32(g, output, type), 'out_sample', type, ['batch', 4, 'height', 'width']);
  return g;
}

// ---- VAE decoder -----------------------------------------------------------------------------------

export function oracleVaeDecoderInterface(type: FloatType): ModelExpectation {
  return {
    inputs: [{ name: 'latent_sample', type, dims: ['batch', 4, 'height', 'width'] }],
    outputs: [{ name: 'sample', type, dims: ['batch', 3, 'image_height', 'image_width'] }],
  };
}

/** latent_sample (already ÷0.18215) → channels 0–2 upsampled 8× by nearest neighbour. */
export function buildOracleVaeDecoder(type: FloatType): GraphBuilder {
  const g = new GraphBuilder('oracle_vae_decoder');
  const latent = toFloat32(g, g.input('latent_sample', type, ['batch', 4, 'height', 'width']), type);
  const rgb = g.resizeNearest(g.slice(latent, [0], [3], [1]), 8);
  g.output(fromFloat32(g, rgb, type), 'sample', type, ['batch', 3, 'image_height', 'image_width']);
  return g;
}

// ---- folder ----------------------------------------------------------------------------------------

export interface OracleModelFile {
  /** Path inside the model folder. */
  readonly path: string;
  readonly bytes: Uint8Array;
  readonly expected: ModelExpectation;
}

const MODEL_OPTIONS = {
  producerName: 'local-sd-tools',
  docString: 'Shapes oracle: exact arithmetic for a target picture read from the prompt, not a trained network.',
};

export function oracleModelFiles(variant: OracleVariant, markerIds: readonly number[]): OracleModelFile[] {
  const types: FloatType[] = variant.withFp16 ? ['float32', 'float16'] : ['float32'];
  return types.flatMap((type) => {
    const fileName = type === 'float32' ? 'model.onnx' : 'model_fp16.onnx';
    const metadata = { oracle_variant: variant.id, precision: type };
    return [
      { path: `text_encoder/${fileName}`, bytes: buildOracleTextEncoder(markerIds, type).encode({ ...MODEL_OPTIONS, metadata }), expected: oracleTextEncoderInterface(type) },
      { path: `unet/${fileName}`, bytes: buildOracleUnet(type, variant.prediction).encode({ ...MODEL_OPTIONS, metadata: { ...metadata, prediction_type: variant.prediction } }), expected: oracleUnetInterface(type) },
      { path: `vae_decoder/${fileName}`, bytes: buildOracleVaeDecoder(type).encode({ ...MODEL_OPTIONS, metadata }), expected: oracleVaeDecoderInterface(type) },
    ];
  });
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export function oracleSchedulerConfig(prediction: PredictionType): Record<string, unknown> {
  return {
    _class_name: 'PNDMScheduler',
    _diffusers_version: '0.21.0',
    beta_end: BETA_END,
    beta_schedule: 'scaled_linear',
    beta_start: BETA_START,
    clip_sample: false,
    num_train_timesteps: TRAIN_TIMESTEPS,
    prediction_type: prediction,
    set_alpha_to_one: true,
    skip_prk_steps: true,
    steps_offset: 1,
    timestep_spacing: 'leading',
    trained_betas: null,
  };
}

export function oracleModelIndex(): Record<string, unknown> {
  return {
    _class_name: 'OnnxStableDiffusionPipeline',
    _diffusers_version: '0.21.0',
    feature_extractor: [null, null],
    requires_safety_checker: false,
    safety_checker: [null, null],
    scheduler: ['diffusers', 'PNDMScheduler'],
    text_encoder: ['diffusers', 'OnnxRuntimeModel'],
    tokenizer: ['transformers', 'CLIPTokenizer'],
    unet: ['diffusers', 'OnnxRuntimeModel'],
    vae_decoder: ['diffusers', 'OnnxRuntimeModel'],
    vae_encoder: [null, null],
  };
}

function oracleReadme(variant: OracleVariant): string {
  const precision = variant.withFp16
    ? 'fp32 (`model.onnx`) and fp16 (`model_fp16.onnx`: every float input and output is float16, `timestep` included; the arithmetic inside runs in float32)'
    : 'fp32 only';
  // Both `sample` and ε are rounded to fp16 and a step multiplies that by σ (up to 14.6).
  const fp16Note = variant.withFp16
    ? '- fp16 accuracy: one step from σ ≈ 14.6 (trailing or linspace spacing) can be off by about 20 levels;\n' +
      "  from two steps on, or with this folder's leading spacing, it stays within ±3.\n"
    : '';
  return `# ${variant.id}: the Shapes oracle

This is **not a trained network**. It is a few kilobytes of ONNX arithmetic, built by
\`tools/build-models.ts\`, that draws a known picture for a prompt so that the app's pipeline can be
checked pixel by pixel (and used offline as a demo). See \`shared/oracle-model.md\`.

- Colours: red, green, blue, yellow, white, black. Shapes: circle, square (half the shorter side, centred).
- Shape colour = first colour word before "on" (default white); background = first colour word after
  "on" (default black); shape = first shape word (default circle). No colour and no shape word: grey.
- Prediction type: \`${variant.prediction}\`. Precision: ${precision}.
- \`text_encoder\`: \`input_ids\` int32 [batch, sequence] → \`last_hidden_state\` [batch, sequence, ${ORACLE_FEATURE_WIDTH}].
- \`unet\`: \`sample\` [batch, 4, h, w], \`timestep\` [1 or batch] (fractional allowed),
  \`encoder_hidden_states\` [batch, sequence, ${ORACLE_FEATURE_WIDTH}] → \`out_sample\`.
- \`vae_decoder\`: \`latent_sample\` (÷0.18215) [batch, 4, h, w] → \`sample\` [batch, 3, 8h, 8w] in [−1, 1].
${fp16Note}`;
}

/** Every file of an oracle model folder except manifest.json, path → contents. */
export function oracleFolderFiles(
  variant: OracleVariant,
  tokenizerFiles: ReadonlyMap<string, string>,
  markerIds: readonly number[],
): { files: Map<string, string | Uint8Array>; models: OracleModelFile[] } {
  const models = oracleModelFiles(variant, markerIds);
  const files = new Map<string, string | Uint8Array>([
    ['README.md', oracleReadme(variant)],
    ['model_index.json', json(oracleModelIndex())],
    ['scheduler/scheduler_config.json', json(oracleSchedulerConfig(variant.prediction))],
  ]);
  for (const [name, contents] of tokenizerFiles) files.set(`tokenizer/${name}`, contents);
  for (const model of models) files.set(model.path, model.bytes);
  return { files, models };
}

// The Shapes oracle against shared/oracle-model.md, with every expectation computed here in float64
// from the spec (colours, geometry, SD 1.x sigmas) rather than taken from the generator: the UNet's
// ε and v match the analytic formula, the text features pick colours and shapes by the word rules,
// and a reference Euler sampler turns the outputs into the promised pictures.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer, env, type PreTrainedTokenizer } from '@huggingface/transformers';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOracleModels, type BuiltFolder, type Manifest } from '../../tools/build-models.ts';
import { fromFloat16Array, toFloat16Array } from '../../tools/onnx/float16.ts';

// ---- the spec, restated ------------------------------------------------------------------------------

type Rgb = readonly [number, number, number];
const COLOURS: Readonly<Record<string, Rgb>> = {
  red: [230, 40, 40],
  green: [40, 200, 60],
  blue: [40, 80, 230],
  yellow: [240, 220, 40],
  white: [240, 240, 240],
  black: [20, 20, 20],
};
const GREY: Rgb = [128, 128, 128];
const VAE_SCALE = 0.18215;

type Target = { readonly kind: 'grey' } | { readonly kind: 'picture'; readonly shape: 'circle' | 'square'; readonly fg: Rgb; readonly bg: Rgb };

/** The word rules: shape colour before the first "on", background after it, first shape word. */
function readPrompt(prompt: string): Target {
  const words: string[] = prompt.toLowerCase().match(/\p{L}+/gu) ?? [];
  const onAt = words.indexOf('on');
  const before = onAt < 0 ? words : words.slice(0, onAt);
  const after = onAt < 0 ? [] : words.slice(onAt + 1);
  const fg = before.find((word) => word in COLOURS);
  const bg = after.find((word) => word in COLOURS);
  const shape = words.find((word) => word === 'circle' || word === 'square') as 'circle' | 'square' | undefined;
  if (!words.some((word) => word in COLOURS) && !shape) return { kind: 'grey' };
  return { kind: 'picture', shape: shape ?? 'circle', fg: COLOURS[fg ?? 'white'], bg: COLOURS[bg ?? 'black'] };
}

/** The colour at pixel centre (x + ½, y + ½) of a width × height grid; the shape spans half the shorter side. */
function colourAt(target: Target, width: number, height: number, x: number, y: number): Rgb {
  if (target.kind === 'grey') return GREY;
  const dx = x + 0.5 - width / 2;
  const dy = y + 0.5 - height / 2;
  const radius = Math.min(width, height) / 4;
  const inside = target.shape === 'circle' ? Math.hypot(dx, dy) < radius : Math.max(Math.abs(dx), Math.abs(dy)) < radius;
  return inside ? target.fg : target.bg;
}

/** Signed distance (image pixels) from the shape's edge: negative inside. */
function edgeDistance(target: Target, width: number, height: number, x: number, y: number): number {
  if (target.kind === 'grey') return Infinity;
  const dx = x + 0.5 - width / 2;
  const dy = y + 0.5 - height / 2;
  const radius = Math.min(width, height) / 4;
  return (target.shape === 'circle' ? Math.hypot(dx, dy) : Math.max(Math.abs(dx), Math.abs(dy))) - radius;
}

/** x0 [4, h, w] in float64: RGB in [−1, 1] in channels 0–2, 0 in channel 3, × 0.18215. */
function targetLatent(target: Target, h: number, w: number): Float64Array {
  const latent = new Float64Array(4 * h * w);
  for (let y = 0; y < h; y += 1) {
    for (let x = 0; x < w; x += 1) {
      const rgb = colourAt(target, w, h, x, y);
      for (let c = 0; c < 3; c += 1) latent[c * h * w + y * w + x] = (rgb[c] / 127.5 - 1) * VAE_SCALE;
    }
  }
  return latent;
}

/** SD 1.x: scaled_linear betas 0.00085 → 0.012 over 1000 steps, σ_i = √((1 − ᾱ_i) / ᾱ_i). */
const TRAIN_SIGMAS = (() => {
  const sigmas: number[] = [];
  let alphaBar = 1;
  for (let i = 0; i < 1000; i += 1) {
    const root = Math.sqrt(0.00085) + ((Math.sqrt(0.012) - Math.sqrt(0.00085)) * i) / 999;
    alphaBar *= 1 - root * root;
    sigmas.push(Math.sqrt((1 - alphaBar) / alphaBar));
  }
  return sigmas;
})();

/** np.interp(t, arange(1000), sigmas). */
function sigmaAt(t: number): number {
  if (t <= 0) return TRAIN_SIGMAS[0];
  if (t >= 999) return TRAIN_SIGMAS[999];
  const low = Math.floor(t);
  return TRAIN_SIGMAS[low] + (t - low) * (TRAIN_SIGMAS[low + 1] - TRAIN_SIGMAS[low]);
}

function gaussian(count: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  return Float32Array.from({ length: count }, () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()));
}

// ---- running the built folder ------------------------------------------------------------------------

type Precision = 'float32' | 'float16';

class OraclePipeline {
  private constructor(
    readonly precision: Precision,
    private readonly tokenizer: PreTrainedTokenizer,
    private readonly textEncoder: ort.InferenceSession,
    private readonly unetSession: ort.InferenceSession,
    private readonly vae: ort.InferenceSession,
  ) {}

  static async load(folder: string, precision: Precision): Promise<OraclePipeline> {
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = folder;
    const file = precision === 'float32' ? 'model.onnx' : 'model_fp16.onnx';
    return new OraclePipeline(
      precision,
      await AutoTokenizer.from_pretrained('tokenizer'),
      await ort.InferenceSession.create(join(folder, 'text_encoder', file)),
      await ort.InferenceSession.create(join(folder, 'unet', file)),
      await ort.InferenceSession.create(join(folder, 'vae_decoder', file)),
    );
  }

  async release(): Promise<void> {
    await Promise.all([this.textEncoder.release(), this.unetSession.release(), this.vae.release()]);
  }

  private floatTensor(values: ArrayLike<number>, dims: number[]): ort.Tensor {
    return this.precision === 'float32'
      ? new ort.Tensor('float32', Float32Array.from(values), dims)
      : new ort.Tensor('float16', toFloat16Array(values), dims);
  }

  private static floats(tensor: ort.Tensor): Float32Array {
    return tensor.type === 'float16' ? fromFloat16Array(tensor.data as Uint16Array) : (tensor.data as Float32Array);
  }

  /** The text encoder's output for a batch of prompts, tokenised as diffusers does. */
  async encode(prompts: readonly string[]): Promise<ort.Tensor> {
    const ids = prompts.flatMap((prompt) => {
      const encoded = this.tokenizer(prompt, { padding: 'max_length', max_length: 77, truncation: true, return_tensor: false }) as { input_ids: number[] };
      return encoded.input_ids;
    });
    const result = await this.textEncoder.run({ input_ids: new ort.Tensor('int32', Int32Array.from(ids), [prompts.length, 77]) });
    return result.last_hidden_state;
  }

  async unet(sample: ArrayLike<number>, dims: number[], timestep: number, features: ort.Tensor): Promise<Float32Array> {
    const result = await this.unetSession.run({
      sample: this.floatTensor(sample, dims),
      timestep: this.floatTensor([timestep], [1]),
      encoder_hidden_states: features,
    });
    return OraclePipeline.floats(result.out_sample);
  }

  /** latent_sample → sample [1, 3, 8h, 8w] in [−1, 1]. */
  async decode(latent: ArrayLike<number>, h: number, w: number): Promise<Float32Array> {
    const result = await this.vae.run({ latent_sample: this.floatTensor(latent, [1, 4, h, w]) });
    expect(result.sample.dims).toEqual([1, 3, 8 * h, 8 * w]);
    return OraclePipeline.floats(result.sample);
  }
}

interface SamplingRequest {
  readonly prompt: string;
  readonly steps: number;
  readonly width: number;
  readonly height: number;
  readonly prediction: 'epsilon' | 'v_prediction';
  readonly guidance?: number;
  readonly seed?: number;
}

/**
 * diffusers' EulerDiscreteScheduler with the oracle's config (leading spacing, steps_offset 1),
 * classifier-free guidance with the empty prompt, VAE scaling and 8-bit conversion.
 */
async function sampleEuler(pipeline: OraclePipeline, request: SamplingRequest): Promise<Uint8ClampedArray> {
  const { steps, width, height, prediction } = request;
  const guidance = request.guidance ?? 1;
  const h = height / 8;
  const w = width / 8;
  const plane = 4 * h * w;
  const stepRatio = Math.floor(1000 / steps);
  const timesteps = Array.from({ length: steps }, (_, i) => Math.round(i * stepRatio) + 1).reverse();
  const sigmas = [...timesteps.map(sigmaAt), 0];
  const initNoiseSigma = Math.sqrt(Math.max(...sigmas) ** 2 + 1);
  const latents = Float64Array.from(gaussian(plane, request.seed ?? 7), (n) => n * initNoiseSigma);

  const useGuidance = guidance > 1;
  const features = await pipeline.encode(useGuidance ? ['', request.prompt] : [request.prompt]);
  const batch = useGuidance ? 2 : 1;
  for (let i = 0; i < steps; i += 1) {
    const sigma = sigmas[i];
    const modelInput = new Float64Array(batch * plane);
    for (let b = 0; b < batch; b += 1) for (let j = 0; j < plane; j += 1) modelInput[b * plane + j] = latents[j] / Math.sqrt(sigma * sigma + 1);
    const output = await pipeline.unet(modelInput, [batch, 4, h, w], timesteps[i], features);
    for (let j = 0; j < plane; j += 1) {
      const modelOutput = useGuidance ? output[j] + guidance * (output[plane + j] - output[j]) : output[j];
      const predictedX0 =
        prediction === 'epsilon'
          ? latents[j] - sigma * modelOutput
          : modelOutput * (-sigma / Math.sqrt(sigma * sigma + 1)) + latents[j] / (sigma * sigma + 1);
      const derivative = (latents[j] - predictedX0) / sigma;
      latents[j] += derivative * (sigmas[i + 1] - sigma);
    }
  }
  const decoded = await pipeline.decode(latents.map((value) => value / VAE_SCALE), h, w);
  return Uint8ClampedArray.from(decoded, (value) => Math.round(Math.min(1, Math.max(0, value / 2 + 0.5)) * 255));
}

/** Largest channel error over pixels at least `margin` pixels from the shape's edge. */
function worstError(image: Uint8ClampedArray, target: Target, width: number, height: number, expected: (rgb: Rgb) => Rgb, margin = 8): number {
  let worst = 0;
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      if (Math.abs(edgeDistance(target, width, height, x, y)) < margin) continue;
      const want = expected(colourAt(target, width, height, x, y));
      for (let c = 0; c < 3; c += 1) worst = Math.max(worst, Math.abs(image[c * width * height + y * width + x] - want[c]));
    }
  }
  return worst;
}

const identity = (rgb: Rgb): Rgb => rgb;

// ---- tests -------------------------------------------------------------------------------------------

let outDir: string;
let folders: BuiltFolder[];
let fp32: OraclePipeline;
let fp16: OraclePipeline;
let vpred: OraclePipeline;

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'oracle-models-'));
  folders = await buildOracleModels({ outDir });
  fp32 = await OraclePipeline.load(join(outDir, 'oracle-shapes'), 'float32');
  fp16 = await OraclePipeline.load(join(outDir, 'oracle-shapes'), 'float16');
  vpred = await OraclePipeline.load(join(outDir, 'oracle-shapes-vpred'), 'float32');
});

afterAll(async () => {
  await Promise.all([fp32?.release(), fp16?.release(), vpred?.release()]);
  rmSync(outDir, { recursive: true, force: true });
});

describe('built folders', () => {
  it('hold the diffusers ONNX layout, fp16 files beside fp32, and a manifest of every file', () => {
    expect(folders.map((folder) => folder.id)).toEqual(['oracle-shapes', 'oracle-shapes-vpred']);
    const paths = folders[0].files.map((file) => file.path);
    for (const path of [
      'model_index.json',
      'scheduler/scheduler_config.json',
      'text_encoder/model.onnx',
      'text_encoder/model_fp16.onnx',
      'unet/model.onnx',
      'unet/model_fp16.onnx',
      'vae_decoder/model.onnx',
      'vae_decoder/model_fp16.onnx',
      'tokenizer/tokenizer.json',
      'tokenizer/vocab.json',
      'tokenizer/merges.txt',
      'tokenizer/tokenizer_config.json',
      'tokenizer/special_tokens_map.json',
      'README.md',
    ]) {
      expect(paths).toContain(path);
    }
    expect(folders[1].files.map((file) => file.path)).not.toContain('unet/model_fp16.onnx');
    for (const folder of folders) {
      const manifest = JSON.parse(readFileSync(join(folder.dir, 'manifest.json'), 'utf8')) as Manifest;
      expect(manifest.files).toEqual(folder.files);
      for (const file of manifest.files) expect(readFileSync(join(folder.dir, file.path)).length).toBe(file.size);
    }
    const total = folders.reduce((sum, folder) => sum + folder.totalBytes, 0);
    expect(total).toBeLessThan(10 * 1024 * 1024);
  });

  it('configure the SD 1.x schedule with set_alpha_to_one and the right prediction type', () => {
    const config = (id: string): Record<string, unknown> =>
      JSON.parse(readFileSync(join(outDir, id, 'scheduler', 'scheduler_config.json'), 'utf8')) as Record<string, unknown>;
    expect(config('oracle-shapes')).toMatchObject({
      beta_start: 0.00085,
      beta_end: 0.012,
      beta_schedule: 'scaled_linear',
      num_train_timesteps: 1000,
      prediction_type: 'epsilon',
      steps_offset: 1,
      set_alpha_to_one: true,
      timestep_spacing: 'leading',
    });
    expect(config('oracle-shapes-vpred').prediction_type).toBe('v_prediction');
    const index = JSON.parse(readFileSync(join(outDir, 'oracle-shapes', 'model_index.json'), 'utf8')) as Record<string, unknown>;
    expect(index.unet).toEqual(['diffusers', 'OnnxRuntimeModel']);
    expect(index.tokenizer).toEqual(['transformers', 'CLIPTokenizer']);
  });

  it('are byte-identical when rebuilt, and left alone when up to date', async () => {
    const again = mkdtempSync(join(tmpdir(), 'oracle-models-again-'));
    try {
      const rebuilt = await buildOracleModels({ outDir: again });
      for (const [i, folder] of rebuilt.entries()) {
        expect(folder.skipped).toBe(false);
        expect(folder.files).toEqual(folders[i].files);
        for (const file of folder.files) {
          expect(readFileSync(join(folder.dir, file.path)).equals(readFileSync(join(folders[i].dir, file.path))), file.path).toBe(true);
        }
      }
      const second = await buildOracleModels({ outDir: again });
      expect(second.map((folder) => folder.skipped)).toEqual([true, true]);
    } finally {
      rmSync(again, { recursive: true, force: true });
    }
  });
});

describe('text encoder', () => {
  it('marks each colour, shape and "on" token and nothing else', async () => {
    const features = await fp32.encode(['a red circle on a blue background']);
    expect(features.dims).toEqual([1, 77, 16]);
    const data = features.data as Float32Array;
    const marked = Array.from({ length: 77 }, (_, token) =>
      Array.from(data.slice(token * 16, token * 16 + 16)).flatMap((value, feature) => (value === 1 ? [feature] : [])),
    );
    // Tokens: <start> a red circle on a blue background <end> …; features: 0–5 colours, 6–7 shapes, 8 "on".
    expect(marked.slice(0, 9)).toEqual([[], [], [0], [6], [8], [], [2], [], []]);
    expect(data.every((value) => value === 0 || value === 1)).toBe(true);
    expect(marked.slice(9).every((features_) => features_.length === 0)).toBe(true);
  });
});

describe('UNet', () => {
  const prompts = ['a red circle on a blue background', 'yellow square on green', ''];
  const timesteps = [0, 1, 500, 999, 0.5, 321.75, 998.9];

  /** ε or v for float32 inputs, in float64. */
  function analytic(sample: Float32Array, t: number, x0: Float64Array, prediction: 'epsilon' | 'v_prediction'): Float64Array {
    const sigma = sigmaAt(t);
    const alphaBar = 1 / (1 + sigma * sigma);
    return Float64Array.from(sample, (value, i) => {
      const epsilon = (value - Math.sqrt(alphaBar) * x0[i]) / Math.sqrt(1 - alphaBar);
      return prediction === 'epsilon' ? epsilon : Math.sqrt(alphaBar) * epsilon - Math.sqrt(1 - alphaBar) * x0[i];
    });
  }

  for (const [name, prediction] of [['ε (fp32)', 'epsilon'], ['v (v-prediction)', 'v_prediction']] as const) {
    it(`predicts ${name} as the analytic formula to 1e-5 (relative above 1) at integer and fractional timesteps`, async () => {
      const pipeline = prediction === 'epsilon' ? fp32 : vpred;
      const [h, w] = [16, 24];
      let worst = 0;
      for (const [p, prompt] of prompts.entries()) {
        const features = await pipeline.encode([prompt]);
        const x0 = targetLatent(readPrompt(prompt), h, w);
        for (const [k, t] of timesteps.entries()) {
          // Half the samples are plain noise, half what a sampler feeds: √ᾱ·(x0 + σ·noise).
          const noise = gaussian(4 * h * w, 100 * p + k);
          const sigma = sigmaAt(t);
          const sample = k % 2 === 0 ? noise : Float32Array.from(noise, (n, i) => (x0[i] + sigma * n) / Math.sqrt(1 + sigma * sigma));
          const output = await pipeline.unet(sample, [1, 4, h, w], t, features);
          const expected = analytic(sample, t, x0, prediction);
          expected.forEach((value, i) => {
            worst = Math.max(worst, Math.abs(output[i] - value) / Math.max(1, Math.abs(value)));
          });
        }
      }
      expect(worst).toBeLessThan(1e-5);
    });
  }

  it('predicts ε in fp16 to fp16 precision', async () => {
    const [h, w] = [16, 16];
    const features = await fp16.encode(['a red circle on a blue background']);
    const x0 = targetLatent(readPrompt('a red circle on a blue background'), h, w);
    for (const t of [1, 500, 999]) {
      const sample = Float32Array.from(fromFloat16Array(toFloat16Array(gaussian(4 * h * w, t))));
      const output = await fp16.unet(sample, [1, 4, h, w], t, features);
      analytic(sample, t, x0, 'epsilon').forEach((value, i) => {
        expect(Math.abs(output[i] - value)).toBeLessThan(2e-3 * Math.max(1, Math.abs(value)));
      });
    }
  });

  it('reads shape colour, background and shape from the words, with the defaults', async () => {
    const cases: [string, Target][] = [
      ['a circle', { kind: 'picture', shape: 'circle', fg: COLOURS.white, bg: COLOURS.black }],
      ['square', { kind: 'picture', shape: 'square', fg: COLOURS.white, bg: COLOURS.black }],
      ['blue', { kind: 'picture', shape: 'circle', fg: COLOURS.blue, bg: COLOURS.black }],
      ['on red', { kind: 'picture', shape: 'circle', fg: COLOURS.white, bg: COLOURS.red }],
      ['', { kind: 'grey' }],
      ['on', { kind: 'grey' }],
      ['a photo of a cat', { kind: 'grey' }],
      ['green on on red square', { kind: 'picture', shape: 'square', fg: COLOURS.green, bg: COLOURS.red }],
      ['black red square on yellow green circle', { kind: 'picture', shape: 'square', fg: COLOURS.black, bg: COLOURS.yellow }],
      ['a reddish circle on a Blue, background!', { kind: 'picture', shape: 'circle', fg: COLOURS.white, bg: COLOURS.blue }],
      ['WHITE SQUARE ON BLACK', { kind: 'picture', shape: 'square', fg: COLOURS.white, bg: COLOURS.black }],
    ];
    const [h, w] = [16, 16];
    const t = 500;
    const sigma = sigmaAt(t);
    for (const [prompt, target] of cases) {
      expect(readPrompt(prompt), prompt).toEqual(target);
      // With a zero sample, ε = −x0 / σ, so the prediction reveals the target latent.
      const output = await fp32.unet(new Float32Array(4 * h * w), [1, 4, h, w], t, await fp32.encode([prompt]));
      const expected = targetLatent(target, h, w);
      const worst = Math.max(...Array.from(output, (value, i) => Math.abs(-sigma * value - expected[i])));
      expect(worst, prompt).toBeLessThan(1e-5);
    }
  });

  it('handles a batch of two (unconditional + conditional) like two single calls', async () => {
    const [h, w] = [16, 16];
    const prompts_ = ['', 'a yellow square on a green background'];
    const sample = gaussian(2 * 4 * h * w, 5);
    const batched = await fp32.unet(sample, [2, 4, h, w], 321.75, await fp32.encode(prompts_));
    for (const [b, prompt] of prompts_.entries()) {
      const half = sample.slice(b * 4 * h * w, (b + 1) * 4 * h * w);
      const single = await fp32.unet(half, [1, 4, h, w], 321.75, await fp32.encode([prompt]));
      expect(Array.from(batched.slice(b * 4 * h * w, (b + 1) * 4 * h * w))).toEqual(Array.from(single));
    }
  });
});

describe('VAE decoder', () => {
  it('turns the target latent (÷0.18215) into the target colours, upsampled 8×', async () => {
    const target = readPrompt('a green square on a yellow background');
    const [h, w] = [16, 24];
    const latent = targetLatent(target, h, w).map((value) => value / VAE_SCALE);
    const decoded = await fp32.decode(latent, h, w);
    const [height, width] = [8 * h, 8 * w];
    let worst = 0;
    for (let y = 0; y < height; y += 1) {
      for (let x = 0; x < width; x += 1) {
        const rgb = colourAt(target, w, h, Math.floor(x / 8), Math.floor(y / 8));
        for (let c = 0; c < 3; c += 1) worst = Math.max(worst, Math.abs((decoded[c * height * width + y * width + x] + 1) * 127.5 - rgb[c]));
      }
    }
    expect(worst).toBeLessThan(1e-4);
  });
});

describe('sampling with a reference Euler scheduler', () => {
  const pictures: [string, number, number][] = [
    ['a red circle on a blue background', 128, 128],
    ['a yellow square on a green background', 192, 128],
  ];

  for (const [label, prediction] of [['fp32', 'epsilon'], ['v-prediction', 'v_prediction']] as const) {
    for (const steps of [1, 20]) {
      it(`draws the prompt's picture within ±3 (${label}, ${steps} step${steps > 1 ? 's' : ''})`, async () => {
        const pipeline = prediction === 'epsilon' ? fp32 : vpred;
        for (const [prompt, width, height] of pictures) {
          const image = await sampleEuler(pipeline, { prompt, steps, width, height, prediction });
          expect(worstError(image, readPrompt(prompt), width, height, identity), prompt).toBeLessThanOrEqual(3);
        }
      });
    }
  }

  it('draws within ±3 in fp16 from 4 steps and within ±8 at 1 step', async () => {
    for (const [steps, tolerance] of [[4, 3], [1, 8]] as const) {
      for (const [prompt, width, height] of pictures) {
        const image = await sampleEuler(fp16, { prompt, steps, width, height, prediction: 'epsilon' });
        expect(worstError(image, readPrompt(prompt), width, height, identity), `${prompt}, ${steps} steps`).toBeLessThanOrEqual(tolerance);
      }
    }
  });

  it('at guidance 2 gives grey + 2 × (target − grey), clipped: a (255, 0, 0) disc on (0, 32, 255)', async () => {
    const prompt = 'a red circle on a blue background';
    const image = await sampleEuler(fp32, { prompt, steps: 20, width: 128, height: 128, prediction: 'epsilon', guidance: 2 });
    const amplified = (rgb: Rgb): Rgb => rgb.map((value, c) => Math.min(255, Math.max(0, GREY[c] + 2 * (value - GREY[c])))) as unknown as Rgb;
    expect(amplified(COLOURS.red)).toEqual([255, 0, 0]);
    expect(amplified(COLOURS.blue)).toEqual([0, 32, 255]);
    expect(worstError(image, readPrompt(prompt), 128, 128, amplified)).toBeLessThanOrEqual(3);
  });
});

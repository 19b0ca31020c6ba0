// Scheduler.coefficients(i): every step as the scalars of one affine update, which the device loop
// applies on the GPU. Applied in JS over whole runs they must reproduce step(), predictOriginal()
// and scaleModelInput(), for every sampler, prediction type, clipping and step count; and any
// wrong coefficient must show.
import { describe, expect, it } from 'vitest';
import { NormalStream, randomNormal } from '../../src/pipeline/random.ts';
import {
  createScheduler,
  parseSchedulerConfig,
  SCHEDULERS,
  type PredictionType,
  type Scheduler,
  type SchedulerName,
  type StepCoefficients,
  type TimestepSpacing,
} from '../../src/pipeline/schedulers/index.ts';

const SD1_JSON = { beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear', num_train_timesteps: 1000, steps_offset: 1, set_alpha_to_one: false };
const LATENT_SIZE = 256;
const TOLERANCE = 1e-5;

interface Case {
  readonly name: SchedulerName;
  readonly predictionType: PredictionType;
  readonly clip: boolean;
  readonly spacing: TimestepSpacing;
  readonly karras: boolean;
  readonly steps: number;
}

function schedulerFor(c: Case): Scheduler {
  const config = parseSchedulerConfig({
    ...SD1_JSON,
    prediction_type: c.predictionType,
    clip_sample: c.clip,
    clip_sample_range: 1,
    timestep_spacing: c.spacing,
    use_karras_sigmas: c.karras,
  });
  return createScheduler(c.name, config, c.steps);
}

/** max |actual − expected| ÷ max |expected|. */
function relativeError(actual: Float32Array, expected: Float32Array): number {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return scale === 0 ? worst : worst / scale;
}

/**
 * Runs the scheduler twice from the same start with the same model outputs (random, 2× unit
 * scale, so clipping bites) and the same noise stream: once with step(), once applying
 * `coefficients` as the device graph does (float32 storage of x, x0 and the preview). Returns the
 * worst relative error over every step's model input, preview and next sample.
 */
function worstError(c: Case, coefficients: (s: Scheduler, i: number) => StepCoefficients = (s, i) => s.coefficients(i)): number {
  const scheduler = schedulerFor(c);
  const seed = 1000 + c.steps;
  const outputs = Array.from({ length: c.steps }, (_, i) => randomNormal(seed + 1 + i, LATENT_SIZE).map((v) => 2 * v));
  const start = randomNormal(seed, LATENT_SIZE).map((v) => v * scheduler.initNoiseSigma);
  const referenceNoise = new NormalStream(seed, 1);
  const deviceNoise = new NormalStream(seed, 1);

  let reference: Float32Array = start;
  let x: Float32Array = start;
  let x0Previous = new Float32Array(LATENT_SIZE);
  let worst = 0;
  for (let i = 0; i < c.steps; i++) {
    const output = outputs[i];
    const k = coefficients(scheduler, i);

    const input = x.map((v) => k.inputScale * v);
    const x0 = new Float32Array(LATENT_SIZE);
    for (let j = 0; j < LATENT_SIZE; j++) x0[j] = Math.min(Math.max(k.p * x[j] + k.q * output[j], -k.clipRange), k.clipRange);
    const preview = x.map((v, j) => k.m * v + k.n * x0[j]);
    const z = k.e !== 0 ? deviceNoise.next(LATENT_SIZE) : new Float32Array(LATENT_SIZE);
    const next = x.map((v, j) => k.a * v + k.b * output[j] + k.c * x0[j] + k.d * x0Previous[j] + k.e * z[j]);

    worst = Math.max(worst, relativeError(input, scheduler.scaleModelInput(reference, i)));
    worst = Math.max(worst, relativeError(preview, scheduler.predictOriginal(output, i, reference)));
    reference = scheduler.step(output, i, reference, () => referenceNoise.next(LATENT_SIZE));
    worst = Math.max(worst, relativeError(next, reference));
    x = next;
    x0Previous = x0;
  }
  return worst;
}

const CASES: Case[] = SCHEDULERS.flatMap(({ id }) =>
  (['epsilon', 'v_prediction', 'sample'] as const).flatMap((predictionType) =>
    [false, true].flatMap((clip) =>
      (['leading', 'trailing', 'linspace'] as const).flatMap((spacing) =>
        (id === 'euler' ? [false, true] : [false]).map((karras) => ({ name: id, predictionType, clip, spacing, karras, steps: 0 })),
      ),
    ),
  ),
);

describe('coefficients(i) reproduce step(), predictOriginal() and scaleModelInput()', () => {
  it.each(CASES)('$name, $predictionType, clip $clip, $spacing, karras $karras: 1, 2, 4 and 8 steps', (c) => {
    for (const steps of [1, 2, 4, 8]) {
      expect(worstError({ ...c, steps }), `${steps} steps`).toBeLessThanOrEqual(TOLERANCE);
    }
  });

  it('are pure: asking twice, or out of order, gives the same numbers', () => {
    for (const { id } of SCHEDULERS) {
      const s = createScheduler(id, parseSchedulerConfig(SD1_JSON), 6);
      const forward = Array.from({ length: 6 }, (_, i) => s.coefficients(i));
      const backward = Array.from({ length: 6 }, (_, i) => s.coefficients(5 - i)).reverse();
      expect(backward).toEqual(forward);
    }
  });

  it('draw noise (e ≠ 0) exactly where step() does: Euler a and LCM between steps, nobody else', () => {
    for (const { id } of SCHEDULERS) {
      const s = createScheduler(id, parseSchedulerConfig(SD1_JSON), 4);
      const draws = Array.from({ length: 4 }, (_, i) => s.coefficients(i).e !== 0);
      expect(draws, id).toEqual(id === 'euler_a' || id === 'lcm' ? [true, true, true, false] : [false, false, false, false]);
    }
  });

  it('use the previous x0 (d ≠ 0) only in DPM++ 2M second-order steps', () => {
    for (const { id } of SCHEDULERS) {
      const s = createScheduler(id, parseSchedulerConfig(SD1_JSON), 4);
      const secondOrder = Array.from({ length: 4 }, (_, i) => s.coefficients(i).d !== 0);
      expect(secondOrder, id).toEqual(id.startsWith('dpmpp') ? [false, true, true, false] : [false, false, false, false]);
    }
  });

  it('refuse a step index outside the schedule', () => {
    const s = createScheduler('euler', parseSchedulerConfig(SD1_JSON), 4);
    expect(() => s.coefficients(4)).toThrow(expect.objectContaining({ code: 'invalid_step_index' }));
  });
});

describe('a wrong coefficient is caught', () => {
  const FIELDS: readonly (keyof StepCoefficients)[] = ['inputScale', 'p', 'q', 'clipRange', 'a', 'b', 'c', 'd', 'e', 'm', 'n'];
  // A clipped config, so clipRange matters; DPM++ and Euler ignore clip_sample (their clipRange is ∞).
  it.each(SCHEDULERS.map(({ id }) => id))('%s: changing any one coefficient at every step breaks the comparison', (name) => {
    const c: Case = { name, predictionType: 'epsilon', clip: true, spacing: 'leading', karras: false, steps: 8 };
    expect(worstError(c)).toBeLessThanOrEqual(TOLERANCE);
    for (const field of FIELDS) {
      const wrong = (s: Scheduler, i: number): StepCoefficients => {
        const k = s.coefficients(i);
        const value = k[field];
        return { ...k, [field]: field === 'clipRange' ? (Number.isFinite(value) ? value * 1.5 : 1) : value * 1.01 + 0.001 };
      };
      expect(worstError(c, wrong), `${name}: ${field}`).toBeGreaterThan(10 * TOLERANCE);
    }
  });
});

/**
 * The interface every sampler implements, its errors and the per-element maths they share.
 *
 * A scheduler is made for one run (config + step count) and works on one latent tensor, flattened
 * (B·C·H·W values, or one image's C·H·W). Classifier-free guidance is the caller's business: it
 * combines the UNet's outputs and passes one model output per step. Use it like this:
 *
 *   const noise = new NormalStream(seed, 1); // from ../random.ts
 *   let x: Float32Array = randomNormal(seed, n).map((v) => v * s.initNoiseSigma);
 *   for (let i = 0; i < s.timesteps.length; i++) {
 *     const out = unet(s.scaleModelInput(x, i), s.timesteps[i]);
 *     x = s.step(out, i, x, () => noise.next(n));
 *   }
 */
import type { PredictionType } from './config.ts';

export type SchedulerName = 'euler' | 'euler_a' | 'ddim' | 'dpmpp_2m' | 'dpmpp_2m_karras' | 'lcm';

/** Fresh standard-normal values, as many as the latent has; only the stochastic samplers call it. */
export type NoiseSource = () => Float32Array;

export interface Scheduler {
  readonly name: SchedulerName;
  /** The timestep to give the model at each step (fractional for Euler with linspace or Karras). */
  readonly timesteps: Float64Array;
  /** σ at each step plus the final one (0): steps + 1 values. Only for sigma-based samplers. */
  readonly sigmas?: Float64Array;
  /** Multiply unit-normal initial latents by this. */
  readonly initNoiseSigma: number;
  /** The UNet input for step `stepIndex` (a new array; the sample itself when no scaling is needed). */
  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array;
  /**
   * Advances the sample by one step and returns the new sample. Steps must be taken in order from 0
   * (DPM++ 2M remembers the previous step). `noise` is required by Euler a and LCM.
   */
  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, noise?: NoiseSource): Float32Array;
  /** The clean-sample (x0) estimate from this step's model output, e.g. for previews. */
  predictOriginal(modelOutput: Float32Array, stepIndex: number, sample: Float32Array): Float32Array;
  /**
   * Step `stepIndex` as scalars (see {@link StepCoefficients}), for applying the same maths where
   * the latents live (a GPU). Pure: it assumes the steps are taken in order from 0, as step() does.
   */
  coefficients(stepIndex: number): StepCoefficients;
}

/**
 * Every step of these samplers is affine in the sample x, the (guided) model output ε̂, the
 * previous step's x0 and fresh noise z, after an optional clamp of x0:
 *
 *   x0      = clip(p·x + q·ε̂, ±clipRange)
 *   x'      = a·x + b·ε̂ + c·x0 + d·x0_prev + e·z
 *   preview = m·x + n·x0                 (what predictOriginal returns)
 *   model input = inputScale·x           (what scaleModelInput returns)
 *
 * `e` is non-zero exactly when step() draws noise; `d` only for DPM++ 2M's second-order steps,
 * where x0_prev is the previous step's x0. clipRange is Infinity when nothing is clamped.
 */
export interface StepCoefficients {
  readonly inputScale: number;
  readonly p: number;
  readonly q: number;
  readonly clipRange: number;
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly d: number;
  readonly e: number;
  readonly m: number;
  readonly n: number;
}

/** A step that needs only x0 from x and the model output (the defaults of the other terms). */
export function stepCoefficients(values: Partial<StepCoefficients> & Pick<StepCoefficients, 'p' | 'q'>): StepCoefficients {
  return { inputScale: 1, clipRange: Number.POSITIVE_INFINITY, a: 0, b: 0, c: 0, d: 0, e: 0, m: 0, n: 1, ...values };
}

export type SchedulerErrorCode = 'unknown_scheduler' | 'invalid_steps' | 'invalid_step_index' | 'length_mismatch' | 'noise_required';

export class SchedulerError extends Error {
  override readonly name = 'SchedulerError';
  constructor(
    readonly code: SchedulerErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Throws unless 1 ≤ steps ≤ max and steps is an integer. */
export function checkStepCount(steps: number, max: number, why = 'the number of training timesteps'): void {
  if (!Number.isInteger(steps) || steps < 1 || steps > max) {
    throw new SchedulerError('invalid_steps', `Steps must be an integer from 1 to ${max} (${why}); got ${steps}.`);
  }
}

/** Throws unless the step index is one of the schedule's and the arrays have the same length. */
export function checkStepArguments(stepCount: number, stepIndex: number, ...arrays: Float32Array[]): void {
  if (!Number.isInteger(stepIndex) || stepIndex < 0 || stepIndex >= stepCount) {
    throw new SchedulerError('invalid_step_index', `Step index ${stepIndex} is outside 0…${stepCount - 1}.`);
  }
  if (arrays.some((a) => a.length !== arrays[0].length)) {
    throw new SchedulerError('length_mismatch', `Model output and sample lengths differ (${arrays.map((a) => a.length).join(' vs ')}).`);
  }
}

/** Calls the noise source and checks what it returns. */
export function drawNoise(noise: NoiseSource | undefined, length: number, schedulerLabel: string): Float32Array {
  if (!noise) throw new SchedulerError('noise_required', `${schedulerLabel} adds fresh noise at each step: pass a noise source to step().`);
  const values = noise();
  if (values.length !== length) {
    throw new SchedulerError('length_mismatch', `The noise source returned ${values.length} values; the sample has ${length}.`);
  }
  return values;
}

/** Coefficients (a, b) such that x0 = a·sample + b·modelOutput. */
export type X0Coefficients = readonly [sampleCoef: number, outputCoef: number];

/**
 * x0 from a VP sample x = α·x0 + σ_t·ε, with α = √ᾱ and σ_t = √(1 − ᾱ) (DDIM, LCM, DPM-Solver):
 *   epsilon:      x0 = (x − σ_t·ε̂) / α
 *   v_prediction: x0 = α·x − σ_t·v̂        (v = α·ε − σ_t·x0)
 *   sample:       x0 = model output
 */
export function vpX0Coefficients(type: PredictionType, alpha: number, sigmaT: number): X0Coefficients {
  switch (type) {
    case 'epsilon':
      return [1 / alpha, -sigmaT / alpha];
    case 'v_prediction':
      return [alpha, -sigmaT];
    case 'sample':
      return [0, 1];
  }
}

/**
 * x0 from a VE sample x = x0 + σ·ε (Euler samplers; the model saw x / √(σ²+1)):
 *   epsilon:      x0 = x − σ·ε̂
 *   v_prediction: x0 = x / (σ²+1) − σ/√(σ²+1) · v̂
 *   sample:       x0 = model output
 */
export function veX0Coefficients(type: PredictionType, sigma: number): X0Coefficients {
  switch (type) {
    case 'epsilon':
      return [1, -sigma];
    case 'v_prediction':
      return [1 / (sigma * sigma + 1), -sigma / Math.sqrt(sigma * sigma + 1)];
    case 'sample':
      return [0, 1];
  }
}

/** a·x + b·y, element-wise, computed in float64 and stored as float32. */
export function combine(a: number, x: Float32Array, b: number, y: Float32Array): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = a * x[i] + b * y[i];
  return out;
}

/** x multiplied by a scalar. */
export function scale(x: Float32Array, factor: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i] * factor;
  return out;
}

/** Clamps in place to ±range (diffusers `clip_sample`). */
export function clipInPlace(x: Float32Array, range: number): Float32Array {
  for (let i = 0; i < x.length; i++) x[i] = Math.min(Math.max(x[i], -range), range);
  return x;
}

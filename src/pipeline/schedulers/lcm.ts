/**
 * diffusers `LCMScheduler` (Luo et al. 2023, latent consistency models), in VP space.
 *
 * Timesteps: the distillation schedule is t_k = k·(N // original_inference_steps) − 1 for
 * k = 1 … original (19, 39, …, 999 for 50); reversed, `steps` entries are taken at indices
 * floor(linspace(0, original, steps, endpoint=False)). 4 steps → [999, 759, 499, 259].
 *
 * Step at t (next timestep s, or t itself at the last step):
 *   x0 = prediction from the model output (vpX0Coefficients with α = √ᾱ_t), clipped if clip_sample
 *   c_skip = σ_data² / ((10t)² + σ_data²),  c_out = 10t / √((10t)² + σ_data²),  σ_data = 0.5
 *         (10 = timestep_scaling)
 *   denoised = c_out·x0 + c_skip·x
 *   x' = √ᾱ_s · denoised + √(1 − ᾱ_s) · z (z ~ N(0, 1)), except at the last step: x' = denoised.
 * No input scaling, init σ = 1. `predictOriginal` returns `denoised`, what LCM pipelines decode.
 */
import type { SchedulerConfig } from './config.ts';
import { alphasCumprod } from './noise-schedule.ts';
import { checkStepArguments, checkStepCount, clipInPlace, combine, drawNoise, stepCoefficients, vpX0Coefficients, type NoiseSource, type Scheduler, type StepCoefficients } from './scheduler.ts';

const SIGMA_DATA = 0.5;

export class LCMScheduler implements Scheduler {
  readonly name = 'lcm';
  readonly timesteps: Float64Array;
  readonly initNoiseSigma = 1;
  private readonly alphasCumprod: Float64Array;

  constructor(
    private readonly config: SchedulerConfig,
    numInferenceSteps: number,
  ) {
    const original = config.originalInferenceSteps;
    checkStepCount(numInferenceSteps, original, 'the original_inference_steps LCM was distilled with');
    this.alphasCumprod = alphasCumprod(config);
    const k = Math.floor(config.numTrainTimesteps / original);
    this.timesteps = Float64Array.from({ length: numInferenceSteps }, (_, i) => {
      const index = Math.floor(i * (original / numInferenceSteps)); // into the reversed schedule, as numpy computes it
      return (original - index) * k - 1;
    });
  }

  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array {
    checkStepArguments(this.timesteps.length, stepIndex);
    return sample;
  }

  predictOriginal(modelOutput: Float32Array, stepIndex: number, sample: Float32Array): Float32Array {
    checkStepArguments(this.timesteps.length, stepIndex, modelOutput, sample);
    const timestep = this.timesteps[stepIndex];
    const alphaProd = this.alphasCumprod[timestep];
    const [a, b] = vpX0Coefficients(this.config.predictionType, Math.sqrt(alphaProd), Math.sqrt(1 - alphaProd));
    const x0 = combine(a, sample, b, modelOutput);
    if (this.config.clipSample) clipInPlace(x0, this.config.clipSampleRange);
    const { cSkip, cOut } = this.boundaryScalings(timestep);
    return combine(cOut, x0, cSkip, sample);
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, noise?: NoiseSource): Float32Array {
    const denoised = this.predictOriginal(modelOutput, stepIndex, sample);
    if (stepIndex === this.timesteps.length - 1) return denoised;
    const alphaProdNext = this.alphasCumprod[this.timesteps[stepIndex + 1]];
    const z = drawNoise(noise, sample.length, 'LCM');
    return combine(Math.sqrt(alphaProdNext), denoised, Math.sqrt(1 - alphaProdNext), z);
  }

  /** denoised = c_skip·x + c_out·x0; x' = denoised (last step) or √ᾱ_s·denoised + √(1 − ᾱ_s)·z. */
  coefficients(stepIndex: number): StepCoefficients {
    checkStepArguments(this.timesteps.length, stepIndex);
    const timestep = this.timesteps[stepIndex];
    const alphaProd = this.alphasCumprod[timestep];
    const [p, q] = vpX0Coefficients(this.config.predictionType, Math.sqrt(alphaProd), Math.sqrt(1 - alphaProd));
    const clipRange = this.config.clipSample ? this.config.clipSampleRange : Number.POSITIVE_INFINITY;
    const { cSkip, cOut } = this.boundaryScalings(timestep);
    const isLast = stepIndex === this.timesteps.length - 1;
    const alphaProdNext = isLast ? 1 : this.alphasCumprod[this.timesteps[stepIndex + 1]];
    const keep = Math.sqrt(alphaProdNext);
    return stepCoefficients({ p, q, clipRange, a: keep * cSkip, c: keep * cOut, e: isLast ? 0 : Math.sqrt(1 - alphaProdNext), m: cSkip, n: cOut });
  }

  /** c_skip and c_out at timestep t (the consistency model's boundary condition). */
  private boundaryScalings(timestep: number): { cSkip: number; cOut: number } {
    const scaled = timestep * this.config.timestepScaling;
    return { cSkip: SIGMA_DATA ** 2 / (scaled ** 2 + SIGMA_DATA ** 2), cOut: scaled / Math.sqrt(scaled ** 2 + SIGMA_DATA ** 2) };
  }
}

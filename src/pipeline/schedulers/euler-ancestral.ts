/**
 * diffusers `EulerAncestralDiscreteScheduler` (k-diffusion `sample_euler_ancestral`, η = 1): an Euler
 * step down to σ_down, then fresh noise of scale σ_up, where
 *   σ_up   = √(σ_to² · (σ_from² − σ_to²) / σ_from²),   σ_down = √(σ_to² − σ_up²)
 *   x' = x + (x − x0)/σ_from · (σ_down − σ_from) + σ_up · z,   z ~ N(0, 1)
 * Same timesteps, sigmas and input scaling as Euler (diffusers offers no Karras sigmas here). At the
 * last step σ_to = 0, so σ_up = 0 and the result is x0: no noise is drawn then.
 */
import type { SchedulerConfig } from './config.ts';
import { eulerSchedule } from './euler.ts';
import { checkStepArguments, combine, drawNoise, scale, stepCoefficients, veX0Coefficients, type NoiseSource, type Scheduler, type StepCoefficients } from './scheduler.ts';

export class EulerAncestralDiscreteScheduler implements Scheduler {
  readonly name = 'euler_a';
  readonly timesteps: Float64Array;
  readonly sigmas: Float64Array;
  readonly initNoiseSigma: number;

  constructor(
    private readonly config: SchedulerConfig,
    numInferenceSteps: number,
  ) {
    ({ timesteps: this.timesteps, sigmas: this.sigmas, initNoiseSigma: this.initNoiseSigma } = eulerSchedule(config, numInferenceSteps, false));
  }

  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array {
    checkStepArguments(this.timesteps.length, stepIndex);
    const sigma = this.sigmas[stepIndex];
    return scale(sample, 1 / Math.sqrt(sigma * sigma + 1));
  }

  predictOriginal(modelOutput: Float32Array, stepIndex: number, sample: Float32Array): Float32Array {
    checkStepArguments(this.timesteps.length, stepIndex, modelOutput, sample);
    const [a, b] = veX0Coefficients(this.config.predictionType, this.sigmas[stepIndex]);
    return combine(a, sample, b, modelOutput);
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, noise?: NoiseSource): Float32Array {
    const x0 = this.predictOriginal(modelOutput, stepIndex, sample);
    const { sigmaUp, dtOverSigma } = this.ancestralStep(stepIndex);
    const z = sigmaUp > 0 ? drawNoise(noise, sample.length, 'Euler a') : null;
    const next = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) {
      next[i] = sample[i] + (sample[i] - x0[i]) * dtOverSigma + (z ? sigmaUp * z[i] : 0);
    }
    return next;
  }

  /** x' = (1 + r)·x − r·x0 + σ_up·z with r = (σ_down − σ_from)/σ_from. */
  coefficients(stepIndex: number): StepCoefficients {
    checkStepArguments(this.timesteps.length, stepIndex);
    const sigma = this.sigmas[stepIndex];
    const [p, q] = veX0Coefficients(this.config.predictionType, sigma);
    const { sigmaUp, dtOverSigma } = this.ancestralStep(stepIndex);
    return stepCoefficients({ inputScale: 1 / Math.sqrt(sigma * sigma + 1), p, q, a: 1 + dtOverSigma, c: -dtOverSigma, e: sigmaUp });
  }

  private ancestralStep(stepIndex: number): { sigmaUp: number; dtOverSigma: number } {
    const sigmaFrom = this.sigmas[stepIndex];
    const sigmaTo = this.sigmas[stepIndex + 1];
    const sigmaUp = Math.sqrt((sigmaTo ** 2 * (sigmaFrom ** 2 - sigmaTo ** 2)) / sigmaFrom ** 2);
    // max(0, …): rounding must not turn an exact 0 into √(−1e-17) = NaN.
    const sigmaDown = Math.sqrt(Math.max(0, sigmaTo ** 2 - sigmaUp ** 2));
    return { sigmaUp, dtOverSigma: (sigmaDown - sigmaFrom) / sigmaFrom };
  }
}

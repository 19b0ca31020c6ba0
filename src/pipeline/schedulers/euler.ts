/**
 * diffusers `EulerDiscreteScheduler` (Karras et al. 2022, Algorithm 2 with s_churn = 0): a first-order
 * ODE step in VE space,
 *   x0  = prediction from the model output (see veX0Coefficients)
 *   x' = x + (x − x0)/σ_i · (σ_{i+1} − σ_i)
 * with the model fed x / √(σ_i² + 1). The last σ is 0, so the last step returns x0.
 */
import type { SchedulerConfig } from './config.ts';
import { interpolate, karrasSigmas, leadingTimesteps, linspaceTimesteps, sigmaToTimestep, trailingTimesteps, trainingSigmas } from './noise-schedule.ts';
import { checkStepArguments, checkStepCount, combine, scale, stepCoefficients, veX0Coefficients, type Scheduler, type StepCoefficients } from './scheduler.ts';

export interface SigmaSchedule {
  /** Model timesteps, float32 values as diffusers keeps them. */
  readonly timesteps: Float64Array;
  /** σ per step and a final 0. */
  readonly sigmas: Float64Array;
  readonly initNoiseSigma: number;
}

/**
 * The Euler samplers' `set_timesteps`: spaced timesteps, σ interpolated linearly at them from the
 * training sigmas (np.interp), optionally replaced by Karras sigmas between the first and last of
 * those (timesteps then follow σ via `_sigma_to_t`), and a final σ = 0.
 */
export function eulerSchedule(config: SchedulerConfig, steps: number, useKarrasSigmas: boolean): SigmaSchedule {
  checkStepCount(steps, config.numTrainTimesteps);
  const training = trainingSigmas(config);
  let timesteps: Float64Array;
  switch (config.timestepSpacing) {
    case 'leading':
      timesteps = leadingTimesteps(config, steps);
      break;
    case 'trailing':
      timesteps = trailingTimesteps(config, steps);
      break;
    case 'linspace':
      // diffusers asks numpy for float32 here, before interpolating.
      timesteps = linspaceTimesteps(config, steps).map(Math.fround);
      break;
  }
  let sigmas: Float64Array = timesteps.map((t) => interpolate(training, t));
  if (useKarrasSigmas) {
    sigmas = karrasSigmas(sigmas[0], sigmas[steps - 1], steps);
    const logSigmas = training.map(Math.log);
    timesteps = sigmas.map((sigma) => sigmaToTimestep(sigma, logSigmas));
  }
  if (config.timestepType === 'continuous' && config.predictionType === 'v_prediction') {
    // EDM-style v-prediction models take c_noise = ¼·ln σ instead of t.
    timesteps = sigmas.map((sigma) => 0.25 * Math.log(sigma));
  }
  const sigmaMax = Math.max(...sigmas);
  return {
    timesteps: timesteps.map(Math.fround),
    sigmas: Float64Array.of(...sigmas, 0),
    // diffusers' `init_noise_sigma`: σ_max for linspace and trailing, √(σ_max² + 1) for leading.
    initNoiseSigma: config.timestepSpacing === 'leading' ? Math.sqrt(sigmaMax * sigmaMax + 1) : sigmaMax,
  };
}

export class EulerDiscreteScheduler implements Scheduler {
  readonly name = 'euler';
  readonly timesteps: Float64Array;
  readonly sigmas: Float64Array;
  readonly initNoiseSigma: number;

  constructor(
    private readonly config: SchedulerConfig,
    numInferenceSteps: number,
  ) {
    ({ timesteps: this.timesteps, sigmas: this.sigmas, initNoiseSigma: this.initNoiseSigma } = eulerSchedule(config, numInferenceSteps, config.useKarrasSigmas));
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

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array): Float32Array {
    const x0 = this.predictOriginal(modelOutput, stepIndex, sample);
    const sigma = this.sigmas[stepIndex];
    const dtOverSigma = (this.sigmas[stepIndex + 1] - sigma) / sigma;
    const next = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) next[i] = sample[i] + (sample[i] - x0[i]) * dtOverSigma;
    return next;
  }

  /** x' = (1 + r)·x − r·x0 with r = (σ_{i+1} − σ_i)/σ_i. */
  coefficients(stepIndex: number): StepCoefficients {
    checkStepArguments(this.timesteps.length, stepIndex);
    const sigma = this.sigmas[stepIndex];
    const [p, q] = veX0Coefficients(this.config.predictionType, sigma);
    const dtOverSigma = (this.sigmas[stepIndex + 1] - sigma) / sigma;
    return stepCoefficients({ inputScale: 1 / Math.sqrt(sigma * sigma + 1), p, q, a: 1 + dtOverSigma, c: -dtOverSigma });
  }
}

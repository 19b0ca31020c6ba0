/**
 * diffusers `DPMSolverMultistepScheduler` with algorithm_type "dpmsolver++", solver_order 2,
 * solver_type "midpoint", lower_order_final and final_sigmas_type "zero": DPM-Solver++(2M)
 * (Lu et al. 2022, https://arxiv.org/abs/2211.01095), in VP space.
 *
 * With α_i = 1/√(σ_i² + 1), σ'_i = σ_i·α_i and λ_i = ln α_i − ln σ'_i = −ln σ_i, h = λ_{i+1} − λ_i:
 *   D0 = x0 prediction at step i (vpX0Coefficients)
 *   1st order (first step, last step, or no previous step):  x' = (σ'_{i+1}/σ'_i)·x − α_{i+1}(e^−h − 1)·D0
 *   2nd order: r = (λ_i − λ_{i−1}) / h,  D1 = (D0 − D0_prev) / r,
 *              x' = (σ'_{i+1}/σ'_i)·x − α_{i+1}(e^−h − 1)·D0 − ½·α_{i+1}(e^−h − 1)·D1
 * The last σ is 0 (λ = ∞, e^−h = 0), so the last step returns D0.
 *
 * Timesteps: "leading" takes N // (steps + 1) as the ratio and drops the 0, "linspace" takes
 * steps + 1 points and drops the last, "trailing" is as elsewhere. With Karras sigmas (DPM++ 2M
 * Karras) σ runs from the training σ_max to σ_min and timesteps are round(_sigma_to_t(σ)).
 * No input scaling, init σ = 1.
 */
import type { SchedulerConfig } from './config.ts';
import { interpolate, karrasSigmas, leadingTimesteps, linspaceTimesteps, roundHalfEven, sigmaToTimestep, trailingTimesteps, trainingSigmas } from './noise-schedule.ts';
import { checkStepArguments, checkStepCount, combine, stepCoefficients, vpX0Coefficients, type Scheduler, type StepCoefficients } from './scheduler.ts';

export class DPMSolverMultistepScheduler implements Scheduler {
  readonly name: 'dpmpp_2m' | 'dpmpp_2m_karras';
  readonly timesteps: Float64Array;
  readonly sigmas: Float64Array;
  readonly initNoiseSigma = 1;
  /** The previous step's D0, for the second-order update. */
  private previous: { readonly stepIndex: number; readonly x0: Float32Array } | null = null;

  constructor(
    private readonly config: SchedulerConfig,
    numInferenceSteps: number,
    useKarrasSigmas: boolean,
  ) {
    checkStepCount(numInferenceSteps, config.numTrainTimesteps);
    this.name = useKarrasSigmas ? 'dpmpp_2m_karras' : 'dpmpp_2m';
    const training = trainingSigmas(config);
    let sigmas: Float64Array;
    if (useKarrasSigmas) {
      sigmas = karrasSigmas(training[training.length - 1], training[0], numInferenceSteps);
      const logSigmas = training.map(Math.log);
      this.timesteps = sigmas.map((sigma) => roundHalfEven(sigmaToTimestep(sigma, logSigmas)));
    } else {
      this.timesteps = spacedTimesteps(config, numInferenceSteps);
      sigmas = this.timesteps.map((t) => interpolate(training, t));
    }
    this.sigmas = Float64Array.of(...sigmas, 0);
  }

  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array {
    checkStepArguments(this.timesteps.length, stepIndex);
    return sample;
  }

  predictOriginal(modelOutput: Float32Array, stepIndex: number, sample: Float32Array): Float32Array {
    checkStepArguments(this.timesteps.length, stepIndex, modelOutput, sample);
    const { alpha, sigmaT } = vpScales(this.sigmas[stepIndex]);
    const [a, b] = vpX0Coefficients(this.config.predictionType, alpha, sigmaT);
    return combine(a, sample, b, modelOutput);
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array): Float32Array {
    const d0 = this.predictOriginal(modelOutput, stepIndex, sample);
    const previous = this.previous;
    this.previous = { stepIndex, x0: d0 };

    const { sampleCoef, d0Coef, d1Coef } = this.update(stepIndex);
    if (d1Coef === null || previous?.stepIndex !== stepIndex - 1) {
      return combine(sampleCoef, sample, d0Coef, d0);
    }
    const prevD0 = previous.x0;
    const next = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) {
      next[i] = sampleCoef * sample[i] + d0Coef * d0[i] + d1Coef * (d0[i] - prevD0[i]);
    }
    return next;
  }

  /** x' = s·x + (c0 + c1)·D0 − c1·D0_prev (c1 = 0 for a first-order step), no clipping. */
  coefficients(stepIndex: number): StepCoefficients {
    checkStepArguments(this.timesteps.length, stepIndex);
    const { alpha, sigmaT } = vpScales(this.sigmas[stepIndex]);
    const [p, q] = vpX0Coefficients(this.config.predictionType, alpha, sigmaT);
    const { sampleCoef, d0Coef, d1Coef } = this.update(stepIndex);
    return stepCoefficients({ p, q, a: sampleCoef, c: d0Coef + (d1Coef ?? 0), d: -(d1Coef ?? 0) });
  }

  /** The update's coefficients at this step; d1Coef is null for a first-order step. */
  private update(stepIndex: number): { sampleCoef: number; d0Coef: number; d1Coef: number | null } {
    const sigma = this.sigmas[stepIndex];
    const sigmaNext = this.sigmas[stepIndex + 1];
    const from = vpScales(sigma);
    const to = vpScales(sigmaNext);
    const h = lambda(sigmaNext) - lambda(sigma);
    const sampleCoef = to.sigmaT / from.sigmaT;
    const d0Coef = -to.alpha * (Math.exp(-h) - 1);
    const isLast = stepIndex === this.timesteps.length - 1;
    const h0 = stepIndex > 0 ? lambda(sigma) - lambda(this.sigmas[stepIndex - 1]) : 0;
    // First order at the first and last step; h0 > 0 also guards against repeated timesteps,
    // where r = 0 would divide by zero.
    if (isLast || stepIndex === 0 || !(h0 > 0)) return { sampleCoef, d0Coef, d1Coef: null };
    return { sampleCoef, d0Coef, d1Coef: (0.5 * d0Coef) / (h0 / h) }; // ½·α(1 − e^−h) / r
  }
}

/** α_t = 1/√(σ² + 1) and σ_t = σ·α_t (diffusers `_sigma_to_alpha_sigma_t`). */
function vpScales(sigma: number): { alpha: number; sigmaT: number } {
  const alpha = 1 / Math.sqrt(sigma * sigma + 1);
  return { alpha, sigmaT: sigma * alpha };
}

/** λ = ln α_t − ln σ_t = −ln σ (half the log signal-to-noise ratio); +∞ at σ = 0. */
function lambda(sigma: number): number {
  return -Math.log(sigma);
}

function spacedTimesteps(config: SchedulerConfig, steps: number): Float64Array {
  switch (config.timestepSpacing) {
    case 'leading':
      return leadingTimesteps(config, steps + 1).slice(0, steps);
    case 'trailing':
      return trailingTimesteps(config, steps);
    case 'linspace':
      return linspaceTimesteps(config, steps + 1).map(roundHalfEven).slice(0, steps);
  }
}

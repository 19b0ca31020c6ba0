/**
 * diffusers `DDIMScheduler` with η = 0 (deterministic DDIM, Song et al. 2020, eq. 12), in VP space:
 *   x0  = prediction from the model output (vpX0Coefficients with α = √ᾱ_t, σ_t = √(1 − ᾱ_t)),
 *         clipped to ±clip_sample_range when clip_sample is set
 *   ε̂  = the matching noise estimate (the output itself for epsilon)
 *   x' = √ᾱ_prev · x0 + √(1 − ᾱ_prev) · ε̂
 * where prev = t − N // steps (as diffusers computes it, even when the spacing makes the next timestep
 * differ) and ᾱ_prev = 1 (set_alpha_to_one) or ᾱ_0 once prev < 0. No input scaling, init σ = 1.
 */
import type { SchedulerConfig } from './config.ts';
import { alphasCumprod, leadingTimesteps, linspaceTimesteps, roundHalfEven, trailingTimesteps } from './noise-schedule.ts';
import { checkStepArguments, checkStepCount, clipInPlace, combine, stepCoefficients, vpX0Coefficients, type Scheduler, type StepCoefficients } from './scheduler.ts';

export class DDIMScheduler implements Scheduler {
  readonly name = 'ddim';
  readonly timesteps: Float64Array;
  readonly initNoiseSigma = 1;
  private readonly alphasCumprod: Float64Array;
  private readonly finalAlphaCumprod: number;
  private readonly stepRatio: number;

  constructor(
    private readonly config: SchedulerConfig,
    numInferenceSteps: number,
  ) {
    checkStepCount(numInferenceSteps, config.numTrainTimesteps);
    this.alphasCumprod = alphasCumprod(config);
    this.finalAlphaCumprod = config.setAlphaToOne ? 1 : this.alphasCumprod[0];
    this.stepRatio = Math.floor(config.numTrainTimesteps / numInferenceSteps);
    switch (config.timestepSpacing) {
      case 'leading':
        this.timesteps = leadingTimesteps(config, numInferenceSteps);
        break;
      case 'trailing':
        this.timesteps = trailingTimesteps(config, numInferenceSteps);
        break;
      case 'linspace':
        this.timesteps = linspaceTimesteps(config, numInferenceSteps).map(roundHalfEven);
        break;
    }
  }

  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array {
    checkStepArguments(this.timesteps.length, stepIndex);
    return sample;
  }

  predictOriginal(modelOutput: Float32Array, stepIndex: number, sample: Float32Array): Float32Array {
    checkStepArguments(this.timesteps.length, stepIndex, modelOutput, sample);
    const alphaProd = this.alphasCumprod[this.timesteps[stepIndex]];
    const [a, b] = vpX0Coefficients(this.config.predictionType, Math.sqrt(alphaProd), Math.sqrt(1 - alphaProd));
    const x0 = combine(a, sample, b, modelOutput);
    return this.config.clipSample ? clipInPlace(x0, this.config.clipSampleRange) : x0;
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array): Float32Array {
    const x0 = this.predictOriginal(modelOutput, stepIndex, sample);
    const { alphaProd, alphaProdPrev } = this.alphas(stepIndex);
    const [c, d] = this.epsilonCoefficients(Math.sqrt(alphaProd), Math.sqrt(1 - alphaProd));
    const eps = combine(c, sample, d, modelOutput);
    return combine(Math.sqrt(alphaProdPrev), x0, Math.sqrt(1 - alphaProdPrev), eps);
  }

  /** x' = √ᾱ_prev·x0 + √(1 − ᾱ_prev)·(c_ε·x + d_ε·ε̂), x0 clipped when clip_sample is set. */
  coefficients(stepIndex: number): StepCoefficients {
    checkStepArguments(this.timesteps.length, stepIndex);
    const { alphaProd, alphaProdPrev } = this.alphas(stepIndex);
    const [p, q] = vpX0Coefficients(this.config.predictionType, Math.sqrt(alphaProd), Math.sqrt(1 - alphaProd));
    const [epsX, epsOutput] = this.epsilonCoefficients(Math.sqrt(alphaProd), Math.sqrt(1 - alphaProd));
    const noiseScale = Math.sqrt(1 - alphaProdPrev);
    return stepCoefficients({
      p,
      q,
      clipRange: this.config.clipSample ? this.config.clipSampleRange : Number.POSITIVE_INFINITY,
      a: noiseScale * epsX,
      b: noiseScale * epsOutput,
      c: Math.sqrt(alphaProdPrev),
    });
  }

  private alphas(stepIndex: number): { alphaProd: number; alphaProdPrev: number } {
    const timestep = this.timesteps[stepIndex];
    const prevTimestep = timestep - this.stepRatio;
    return {
      alphaProd: this.alphasCumprod[timestep],
      alphaProdPrev: prevTimestep >= 0 ? this.alphasCumprod[prevTimestep] : this.finalAlphaCumprod,
    };
  }

  /** (c, d) with ε̂ = c·x + d·output, from the unclipped prediction as diffusers does. */
  private epsilonCoefficients(alpha: number, sigmaT: number): readonly [number, number] {
    switch (this.config.predictionType) {
      case 'epsilon':
        return [0, 1];
      case 'v_prediction': // ε = α·v + σ_t·x
        return [sigmaT, alpha];
      case 'sample': // ε = (x − α·x0) / σ_t
        return [1 / sigmaT, -alpha / sigmaT];
    }
  }
}

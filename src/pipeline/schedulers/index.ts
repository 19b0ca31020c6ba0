/**
 * The diffusion samplers the app offers, implemented as diffusers does (see each file for the
 * formulas). Every one accepts epsilon, v_prediction and sample models.
 */
import type { SchedulerConfig } from './config.ts';
import { DDIMScheduler } from './ddim.ts';
import { DPMSolverMultistepScheduler } from './dpm-solver-multistep.ts';
import { EulerDiscreteScheduler } from './euler.ts';
import { EulerAncestralDiscreteScheduler } from './euler-ancestral.ts';
import { LCMScheduler } from './lcm.ts';
import { SchedulerError, type Scheduler, type SchedulerName } from './scheduler.ts';

export { DEFAULT_SCHEDULER_CONFIG, parseSchedulerConfig, SchedulerConfigError } from './config.ts';
export type { BetaSchedule, PredictionType, SchedulerConfig, SchedulerConfigErrorCode, TimestepSpacing, TimestepType } from './config.ts';
export { SchedulerError } from './scheduler.ts';
export type { NoiseSource, Scheduler, SchedulerErrorCode, SchedulerName, StepCoefficients } from './scheduler.ts';
export { DDIMScheduler, DPMSolverMultistepScheduler, EulerAncestralDiscreteScheduler, EulerDiscreteScheduler, LCMScheduler };

/** The samplers in the order the UI lists them, with their usual names. */
export const SCHEDULERS: readonly { readonly id: SchedulerName; readonly label: string }[] = Object.freeze([
  { id: 'euler', label: 'Euler' },
  { id: 'euler_a', label: 'Euler a' },
  { id: 'ddim', label: 'DDIM' },
  { id: 'dpmpp_2m', label: 'DPM++ 2M' },
  { id: 'dpmpp_2m_karras', label: 'DPM++ 2M Karras' },
  { id: 'lcm', label: 'LCM' },
]);

export function isSchedulerName(value: string): value is SchedulerName {
  return SCHEDULERS.some((s) => s.id === value);
}

/**
 * A scheduler for one run of `numInferenceSteps` steps (1 … num_train_timesteps; LCM: 1 …
 * original_inference_steps). Throws {@link SchedulerError} ('unknown_scheduler', 'invalid_steps').
 */
export function createScheduler(name: SchedulerName, config: SchedulerConfig, numInferenceSteps: number): Scheduler {
  switch (name) {
    case 'euler':
      return new EulerDiscreteScheduler(config, numInferenceSteps);
    case 'euler_a':
      return new EulerAncestralDiscreteScheduler(config, numInferenceSteps);
    case 'ddim':
      return new DDIMScheduler(config, numInferenceSteps);
    case 'dpmpp_2m':
      return new DPMSolverMultistepScheduler(config, numInferenceSteps, false);
    case 'dpmpp_2m_karras':
      return new DPMSolverMultistepScheduler(config, numInferenceSteps, true);
    case 'lcm':
      return new LCMScheduler(config, numInferenceSteps);
    default: {
      // Names can come from stored settings or messages, so check at run time too.
      const valid = SCHEDULERS.map((s) => `"${s.id}"`).join(', ');
      throw new SchedulerError('unknown_scheduler', `Unknown scheduler ${JSON.stringify(name)}; valid names are ${valid}.`);
    }
  }
}

/**
 * The noise-schedule settings of a diffusers `scheduler/scheduler_config.json`, parsed and checked.
 *
 * Keys are camelCase versions of the diffusers keys. Keys we do not use (`_class_name`,
 * `skip_prk_steps`, `solver_order`, …) are ignored; `null` means "use the default", as in diffusers.
 */

export type BetaSchedule = 'linear' | 'scaled_linear' | 'squaredcos_cap_v2';
export type TimestepSpacing = 'leading' | 'trailing' | 'linspace';
export type PredictionType = 'epsilon' | 'v_prediction' | 'sample';
export type TimestepType = 'discrete' | 'continuous';

export interface SchedulerConfig {
  readonly numTrainTimesteps: number;
  readonly betaStart: number;
  readonly betaEnd: number;
  readonly betaSchedule: BetaSchedule;
  /** Explicit betas (diffusers `trained_betas`), one per training step; overrides the schedule. */
  readonly trainedBetas: readonly number[] | null;
  readonly predictionType: PredictionType;
  readonly timestepSpacing: TimestepSpacing;
  readonly stepsOffset: number;
  /** DDIM/LCM: the "previous" ᾱ after the last step is 1 (clean image) instead of ᾱ at t = 0. */
  readonly setAlphaToOne: boolean;
  readonly useKarrasSigmas: boolean;
  readonly clipSample: boolean;
  readonly clipSampleRange: number;
  /** Euler with v-prediction: 'continuous' feeds the model 0.25·ln σ instead of t. */
  readonly timestepType: TimestepType;
  readonly rescaleBetasZeroSnr: boolean;
  /** LCM: the number of steps of the schedule it was distilled on. */
  readonly originalInferenceSteps: number;
  /** LCM: the factor on t in the boundary-condition scalings c_skip and c_out. */
  readonly timestepScaling: number;
}

/**
 * diffusers' defaults. Two are chosen among the per-class defaults:
 * - `timestep_spacing` 'leading': DDIM, PNDM and LCM default to it and SD pipelines record it, so
 *   that is what diffusers uses after `XScheduler.from_config(pipe.scheduler.config)`.
 * - `clip_sample` false: every SD-family config states false; clipping latents to ±1 would be wrong.
 */
export const DEFAULT_SCHEDULER_CONFIG: SchedulerConfig = Object.freeze({
  numTrainTimesteps: 1000,
  betaStart: 0.0001,
  betaEnd: 0.02,
  betaSchedule: 'linear',
  trainedBetas: null,
  predictionType: 'epsilon',
  timestepSpacing: 'leading',
  stepsOffset: 0,
  setAlphaToOne: true,
  useKarrasSigmas: false,
  clipSample: false,
  clipSampleRange: 1,
  timestepType: 'discrete',
  rescaleBetasZeroSnr: false,
  originalInferenceSteps: 50,
  timestepScaling: 10,
});

export type SchedulerConfigErrorCode = 'not_an_object' | 'invalid_value' | 'unsupported_value';

export class SchedulerConfigError extends Error {
  override readonly name = 'SchedulerConfigError';
  constructor(
    readonly code: SchedulerConfigErrorCode,
    message: string,
    /** The diffusers key at fault, when there is one. */
    readonly key?: string,
  ) {
    super(message);
  }
}

const BETA_SCHEDULES: readonly BetaSchedule[] = ['linear', 'scaled_linear', 'squaredcos_cap_v2'];
const TIMESTEP_SPACINGS: readonly TimestepSpacing[] = ['leading', 'trailing', 'linspace'];
const PREDICTION_TYPES: readonly PredictionType[] = ['epsilon', 'v_prediction', 'sample'];
const TIMESTEP_TYPES: readonly TimestepType[] = ['discrete', 'continuous'];

/**
 * Parses the JSON value of a diffusers `scheduler_config.json` (already `JSON.parse`d).
 * Throws {@link SchedulerConfigError} naming the key and the accepted values.
 */
export function parseSchedulerConfig(json: unknown): SchedulerConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new SchedulerConfigError('not_an_object', 'The scheduler config must be a JSON object.');
  }
  const fields = new ConfigFields(json as Record<string, unknown>);
  const d = DEFAULT_SCHEDULER_CONFIG;

  const numTrainTimesteps = fields.integer('num_train_timesteps', d.numTrainTimesteps, 2, 100_000);
  const betaStart = fields.number('beta_start', d.betaStart, (v) => v > 0 && v < 1, 'between 0 and 1 (exclusive)');
  const betaEnd = fields.number('beta_end', d.betaEnd, (v) => v >= betaStart && v < 1, `at least beta_start (${betaStart}) and below 1`);
  const config: SchedulerConfig = {
    numTrainTimesteps,
    betaStart,
    betaEnd,
    betaSchedule: fields.choice('beta_schedule', d.betaSchedule, BETA_SCHEDULES),
    trainedBetas: fields.betas('trained_betas', numTrainTimesteps),
    predictionType: fields.choice('prediction_type', d.predictionType, PREDICTION_TYPES),
    timestepSpacing: fields.choice('timestep_spacing', d.timestepSpacing, TIMESTEP_SPACINGS),
    stepsOffset: fields.integer('steps_offset', d.stepsOffset, 0, numTrainTimesteps - 1),
    setAlphaToOne: fields.boolean('set_alpha_to_one', d.setAlphaToOne),
    useKarrasSigmas: fields.boolean('use_karras_sigmas', d.useKarrasSigmas),
    clipSample: fields.boolean('clip_sample', d.clipSample),
    clipSampleRange: fields.number('clip_sample_range', d.clipSampleRange, (v) => v > 0, 'a positive number'),
    timestepType: fields.choice('timestep_type', d.timestepType, TIMESTEP_TYPES),
    rescaleBetasZeroSnr: fields.boolean('rescale_betas_zero_snr', d.rescaleBetasZeroSnr),
    originalInferenceSteps: fields.integer('original_inference_steps', d.originalInferenceSteps, 1, numTrainTimesteps),
    timestepScaling: fields.number('timestep_scaling', d.timestepScaling, (v) => v > 0, 'a positive number'),
  };
  if (fields.boolean('thresholding', false)) {
    throw new SchedulerConfigError('unsupported_value', 'Dynamic thresholding ("thresholding": true) is not supported; it is meant for pixel-space models.', 'thresholding');
  }
  return Object.freeze(config);
}

/** Reads typed values from the raw JSON object; absent or null keys give the default. */
class ConfigFields {
  constructor(private readonly raw: Record<string, unknown>) {}

  private value(key: string): unknown {
    return this.raw[key] ?? undefined;
  }

  number(key: string, fallback: number, isValid: (v: number) => boolean, expected: string): number {
    const v = this.value(key);
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || !isValid(v)) {
      throw invalid(key, v, expected);
    }
    return v;
  }

  integer(key: string, fallback: number, min: number, max: number): number {
    return this.number(key, fallback, (v) => Number.isInteger(v) && v >= min && v <= max, `an integer from ${min} to ${max}`);
  }

  boolean(key: string, fallback: boolean): boolean {
    const v = this.value(key);
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') throw invalid(key, v, 'true or false');
    return v;
  }

  choice<T extends string>(key: string, fallback: T, allowed: readonly T[]): T {
    const v = this.value(key);
    if (v === undefined) return fallback;
    if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
    const list = allowed.map((a) => `"${a}"`).join(', ');
    throw new SchedulerConfigError(typeof v === 'string' ? 'unsupported_value' : 'invalid_value', `"${key}" is ${JSON.stringify(v)}; supported values are ${list}.`, key);
  }

  betas(key: string, count: number): readonly number[] | null {
    const v = this.value(key);
    if (v === undefined) return null;
    const valid = Array.isArray(v) && v.length === count && v.every((b) => typeof b === 'number' && b > 0 && b < 1);
    if (!valid) {
      throw new SchedulerConfigError('invalid_value', `"${key}" must be ${count} numbers between 0 and 1 (one per training step).`, key);
    }
    return Object.freeze([...(v as number[])]);
  }
}

function invalid(key: string, value: unknown, expected: string): SchedulerConfigError {
  return new SchedulerConfigError('invalid_value', `"${key}" is ${JSON.stringify(value)}; expected ${expected}.`, key);
}

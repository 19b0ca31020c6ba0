import { describe, expect, it } from 'vitest';
import { createScheduler, DEFAULT_SCHEDULER_CONFIG, parseSchedulerConfig, SchedulerConfigError } from '../../src/pipeline/schedulers/index.ts';

// runwayml/stable-diffusion-v1-5 scheduler/scheduler_config.json, as published.
const SD15_JSON = {
  _class_name: 'PNDMScheduler',
  _diffusers_version: '0.6.0',
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  beta_start: 0.00085,
  num_train_timesteps: 1000,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  trained_betas: null,
  clip_sample: false,
};

describe('parseSchedulerConfig', () => {
  it('reads a published SD 1.5 config, ignoring keys it does not use and treating null as absent', () => {
    expect(parseSchedulerConfig(SD15_JSON)).toEqual({
      ...DEFAULT_SCHEDULER_CONFIG,
      betaStart: 0.00085,
      betaEnd: 0.012,
      betaSchedule: 'scaled_linear',
      stepsOffset: 1,
      setAlphaToOne: false,
    });
  });

  it('fills absent keys with diffusers defaults and returns a frozen object', () => {
    const config = parseSchedulerConfig({});
    expect(config).toEqual(DEFAULT_SCHEDULER_CONFIG);
    expect(config).toMatchObject({ numTrainTimesteps: 1000, betaStart: 0.0001, betaEnd: 0.02, betaSchedule: 'linear', predictionType: 'epsilon', timestepSpacing: 'leading', stepsOffset: 0 });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads every supported key', () => {
    const config = parseSchedulerConfig({
      prediction_type: 'v_prediction',
      timestep_spacing: 'trailing',
      use_karras_sigmas: true,
      clip_sample: true,
      clip_sample_range: 2,
      timestep_type: 'continuous',
      rescale_betas_zero_snr: true,
      original_inference_steps: 25,
      timestep_scaling: 5,
      trained_betas: Array.from({ length: 100 }, () => 0.01),
      num_train_timesteps: 100,
    });
    expect(config).toMatchObject({
      predictionType: 'v_prediction',
      timestepSpacing: 'trailing',
      useKarrasSigmas: true,
      clipSample: true,
      clipSampleRange: 2,
      timestepType: 'continuous',
      rescaleBetasZeroSnr: true,
      originalInferenceSteps: 25,
      timestepScaling: 5,
      numTrainTimesteps: 100,
    });
    expect(config.trainedBetas).toHaveLength(100);
  });

  const bad: [string, unknown, string, RegExp][] = [
    ['null', null, 'not_an_object', /JSON object/],
    ['an array', [], 'not_an_object', /JSON object/],
    ['an unknown beta schedule', { beta_schedule: 'cosine' }, 'unsupported_value', /"beta_schedule" is "cosine"; supported values are "linear", "scaled_linear", "squaredcos_cap_v2"/],
    ['an unknown prediction type', { prediction_type: 'flow' }, 'unsupported_value', /"epsilon", "v_prediction", "sample"/],
    ['an unknown spacing', { timestep_spacing: 'karras' }, 'unsupported_value', /"leading", "trailing", "linspace"/],
    ['a spacing that is not a string', { timestep_spacing: 3 }, 'invalid_value', /timestep_spacing/],
    ['zero training steps', { num_train_timesteps: 0 }, 'invalid_value', /"num_train_timesteps" is 0; expected an integer from 2/],
    ['fractional training steps', { num_train_timesteps: 999.5 }, 'invalid_value', /num_train_timesteps/],
    ['a negative beta_start', { beta_start: -0.1 }, 'invalid_value', /beta_start/],
    ['beta_end below beta_start', { beta_start: 0.01, beta_end: 0.001 }, 'invalid_value', /"beta_end" is 0.001; expected at least beta_start \(0.01\)/],
    ['beta as a string', { beta_end: '0.012' }, 'invalid_value', /beta_end/],
    ['a steps_offset past the schedule', { steps_offset: 1000 }, 'invalid_value', /steps_offset/],
    ['a boolean as a string', { set_alpha_to_one: 'yes' }, 'invalid_value', /"set_alpha_to_one" is "yes"; expected true or false/],
    ['trained betas of the wrong length', { trained_betas: [0.1, 0.2] }, 'invalid_value', /1000 numbers/],
    ['dynamic thresholding', { thresholding: true }, 'unsupported_value', /thresholding/],
  ];
  for (const [what, json, code, message] of bad) {
    it(`refuses ${what} with a SchedulerConfigError`, () => {
      const attempt = () => parseSchedulerConfig(json);
      expect(attempt).toThrow(SchedulerConfigError);
      expect(attempt).toThrow(expect.objectContaining({ name: 'SchedulerConfigError', code }));
      expect(attempt).toThrow(message);
    });
  }
});

describe('beta schedules', () => {
  for (const beta_schedule of ['linear', 'scaled_linear', 'squaredcos_cap_v2']) {
    it(`${beta_schedule}: sigmas are finite and fall to 0`, () => {
      const sigmas = createScheduler('euler', parseSchedulerConfig({ beta_schedule, timestep_spacing: 'linspace' }), 50).sigmas!;
      expect(sigmas.every(Number.isFinite)).toBe(true);
      expect(sigmas.every((s, i) => i === 0 || s < sigmas[i - 1])).toBe(true);
      expect(sigmas[50]).toBe(0);
    });
  }

  it('trained_betas replace the schedule', () => {
    const betas = Array.from({ length: 1000 }, (_, i) => 0.00085 + (i / 999) * (0.012 - 0.00085));
    const fromBetas = createScheduler('euler', parseSchedulerConfig({ trained_betas: betas, beta_schedule: 'squaredcos_cap_v2' }), 4).sigmas!;
    const linear = createScheduler('euler', parseSchedulerConfig({ beta_start: 0.00085, beta_end: 0.012 }), 4).sigmas!;
    [...fromBetas].forEach((s, i) => expect(s).toBeCloseTo(linear[i], 12));
  });

  it('zero terminal SNR rescaling keeps σ_min and caps σ_max at √((1 − 2⁻²⁴)/2⁻²⁴) ≈ 4096', () => {
    const sd = { beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear', timestep_spacing: 'trailing' };
    const rescaled = createScheduler('euler', parseSchedulerConfig({ ...sd, rescale_betas_zero_snr: true }), 1000).sigmas!;
    const plain = createScheduler('euler', parseSchedulerConfig(sd), 1000).sigmas!;
    expect(rescaled[0]).toBeCloseTo(Math.sqrt((1 - 2 ** -24) / 2 ** -24), 6);
    expect(rescaled[999]).toBeCloseTo(plain[999], 12);
  });
});

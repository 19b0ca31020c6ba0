import { describe, expect, it } from 'vitest';
import { NormalStream, randomNormal } from '../../src/pipeline/random.ts';
import {
  createScheduler,
  parseSchedulerConfig,
  SCHEDULERS,
  SchedulerError,
  type PredictionType,
  type Scheduler,
  type SchedulerConfig,
  type SchedulerName,
  type TimestepSpacing,
} from '../../src/pipeline/schedulers/index.ts';

// ---------------------------------------------------------------------------------------------
// An independent float64 reference of the SD 1.x training schedule (diffusers `scaled_linear`):
//   β_i = (√0.00085 + i/999 · (√0.012 − √0.00085))²,  ᾱ_t = Π_{i≤t} (1 − β_i),  σ_t = √((1 − ᾱ_t)/ᾱ_t)
// ---------------------------------------------------------------------------------------------
const SD1_JSON = { beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear', num_train_timesteps: 1000, steps_offset: 1, set_alpha_to_one: false, clip_sample: false };
const N = 1000;
const REF_ALPHAS_CUMPROD: number[] = [];
for (let i = 0, product = 1; i < N; i++) {
  const sqrtBeta = Math.sqrt(0.00085) + (i / (N - 1)) * (Math.sqrt(0.012) - Math.sqrt(0.00085));
  product *= 1 - sqrtBeta * sqrtBeta;
  REF_ALPHAS_CUMPROD.push(product);
}
const REF_SIGMAS = REF_ALPHAS_CUMPROD.map((a) => Math.sqrt((1 - a) / a));

/** σ(t) by linear interpolation of the training sigmas, as the oracle UNet and np.interp do. */
function refSigmaAt(t: number): number {
  const low = Math.min(Math.floor(t), N - 2);
  return REF_SIGMAS[low] + (t - low) * (REF_SIGMAS[low + 1] - REF_SIGMAS[low]);
}

/** numpy's round-half-to-even. */
const npRound = (x: number) => (Math.abs(x - Math.trunc(x)) === 0.5 ? 2 * Math.round(x / 2) : Math.round(x));

// diffusers `set_timesteps` spacings, written from its source:
//   leading:  (arange(0, n) * (N // n)).round()[::-1] + steps_offset
//   trailing: arange(N, 0, -N/n).round() - 1
//   linspace: linspace(0, N-1, n)[::-1] (Euler keeps float32; DDIM rounds)
const refLeading = (n: number, offset = 1) => Array.from({ length: n }, (_, i) => (n - 1 - i) * Math.floor(N / n) + offset);
const refTrailing = (n: number) => Array.from({ length: n }, (_, i) => npRound(N - (i * N) / n) - 1);
const refLinspace = (n: number) => Array.from({ length: n }, (_, i) => (n === 1 ? 0 : ((N - 1) * (n - 1 - i)) / (n - 1)));

function sdConfig(overrides: Record<string, unknown> = {}): SchedulerConfig {
  return parseSchedulerConfig({ ...SD1_JSON, ...overrides });
}

/** The oracle model's scheduler config: SD 1.x but DDIM's last step lands on ᾱ = 1. */
function oracleConfig(spacing: TimestepSpacing, predictionType: PredictionType): SchedulerConfig {
  return sdConfig({ set_alpha_to_one: true, timestep_spacing: spacing, prediction_type: predictionType });
}

const expectAllClose = (actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number) => {
  expect(actual.length).toBe(expected.length);
  const worst = Math.max(...Array.from(actual, (a, i) => Math.abs(a - expected[i])));
  expect(worst).toBeLessThanOrEqual(tolerance);
};

describe('training schedule (SD 1.x, scaled_linear 0.00085 → 0.012, 1000 steps)', () => {
  it('has the well-known σ_max = 14.6146 and σ_min = 0.0292', () => {
    const euler = createScheduler('euler', sdConfig({ timestep_spacing: 'trailing' }), 1);
    expect(euler.sigmas?.[0]).toBeCloseTo(14.6146, 4);
    const karras = createScheduler('dpmpp_2m_karras', sdConfig(), 20);
    expect(karras.sigmas?.[19]).toBeCloseTo(0.0292, 4);
    expect(REF_SIGMAS[999]).toBeCloseTo(14.6146, 4);
  });
});

describe('timesteps and sigmas', () => {
  it('leading spacing with steps_offset 1: 50 steps are 981, 961, …, 21, 1 and 4 steps 751, 501, 251, 1', () => {
    const fifty = Array.from({ length: 50 }, (_, i) => 981 - 20 * i);
    for (const name of ['euler', 'euler_a', 'ddim'] as const) {
      expect([...createScheduler(name, sdConfig(), 50).timesteps]).toEqual(fifty);
      expect([...createScheduler(name, sdConfig(), 4).timesteps]).toEqual([751, 501, 251, 1]);
    }
  });

  it('trailing spacing: 1 step is 999 (SD-Turbo) and 4 steps 999, 749, 499, 249', () => {
    for (const name of ['euler', 'euler_a', 'ddim', 'dpmpp_2m'] as const) {
      expect([...createScheduler(name, sdConfig({ timestep_spacing: 'trailing' }), 1).timesteps]).toEqual([999]);
      expect([...createScheduler(name, sdConfig({ timestep_spacing: 'trailing' }), 4).timesteps]).toEqual([999, 749, 499, 249]);
    }
  });

  it('SD-Turbo one-step Euler: timestep 999, σ = σ_max, initial noise σ = σ_max', () => {
    const s = createScheduler('euler', sdConfig({ timestep_spacing: 'trailing' }), 1);
    expect([...s.timesteps]).toEqual([999]);
    expectAllClose(s.sigmas!, [REF_SIGMAS[999], 0], 1e-9);
    expect(s.initNoiseSigma).toBeCloseTo(REF_SIGMAS[999], 9);
  });

  it('linspace spacing: 4 steps are 999, 666, 333, 0', () => {
    for (const name of ['euler', 'euler_a', 'ddim'] as const) {
      expect([...createScheduler(name, sdConfig({ timestep_spacing: 'linspace' }), 4).timesteps]).toEqual([999, 666, 333, 0]);
    }
  });

  it('DPM-Solver spaces steps + 1 points and drops the last: leading 4 → 801…201, linspace 4 → 999, 749, 500, 250', () => {
    // leading: ratio = 1000 // 5 = 200 → [800, 600, 400, 200, 0][:-1] + 1.
    expect([...createScheduler('dpmpp_2m', sdConfig(), 4).timesteps]).toEqual([801, 601, 401, 201]);
    // linspace(0, 999, 5) = [0, 249.75, 499.5, 749.25, 999], rounded half-to-even: 499.5 → 500.
    expect([...createScheduler('dpmpp_2m', sdConfig({ timestep_spacing: 'linspace' }), 4).timesteps]).toEqual([999, 749, 500, 250]);
  });

  it('LCM picks from its 50-step distillation schedule: 4 steps → 999, 759, 499, 259; 1 step → 999', () => {
    // Schedule 19, 39, …, 999 reversed; indices floor(linspace(0, 50, n, endpoint=False)): 0, 12, 25, 37 for 4 and 0, 6, 12, 18, 25, 31, 37, 43 for 8.
    expect([...createScheduler('lcm', sdConfig(), 4).timesteps]).toEqual([999, 759, 499, 259]);
    expect([...createScheduler('lcm', sdConfig(), 1).timesteps]).toEqual([999]);
    expect([...createScheduler('lcm', sdConfig(), 8).timesteps]).toEqual([999, 879, 759, 639, 499, 379, 259, 139]);
  });

  const spacingCases: [TimestepSpacing, (n: number) => number[]][] = [
    ['leading', (n) => refLeading(n)],
    ['trailing', refTrailing],
    ['linspace', refLinspace],
  ];
  for (const [spacing, reference] of spacingCases) {
    for (const steps of [1, 4, 20, 50]) {
      it(`Euler and Euler a, ${spacing}, ${steps} steps: σ = np.interp of the training sigmas, then 0`, () => {
        const timesteps = reference(steps).map(Math.fround); // diffusers keeps Euler timesteps in float32
        const sigmas = [...timesteps.map(refSigmaAt), 0];
        const maxSigma = Math.max(...sigmas);
        for (const name of ['euler', 'euler_a'] as const) {
          const s = createScheduler(name, sdConfig({ timestep_spacing: spacing }), steps);
          expectAllClose(s.timesteps, timesteps, 0);
          expectAllClose(s.sigmas!, sigmas, 1e-9);
          // init_noise_sigma: σ_max for linspace/trailing, √(σ_max² + 1) for leading.
          expect(s.initNoiseSigma).toBeCloseTo(spacing === 'leading' ? Math.hypot(maxSigma, 1) : maxSigma, 9);
        }
        const ddim = createScheduler('ddim', sdConfig({ timestep_spacing: spacing }), steps);
        expect([...ddim.timesteps]).toEqual(reference(steps).map(npRound));
        expect(ddim.initNoiseSigma).toBe(1);
      });
    }
  }

  for (const steps of [1, 4, 20, 50]) {
    it(`DPM++ 2M Karras, ${steps} steps: Karras sigmas (ρ = 7) from σ_max to σ_min, timesteps rounded back`, () => {
      const s = createScheduler('dpmpp_2m_karras', sdConfig(), steps);
      const rho = 7;
      const [hi, lo] = [REF_SIGMAS[N - 1] ** (1 / rho), REF_SIGMAS[0] ** (1 / rho)];
      const karras = Array.from({ length: steps }, (_, i) => (hi + (steps === 1 ? 0 : i / (steps - 1)) * (lo - hi)) ** rho);
      expectAllClose(s.sigmas!, [...karras, 0], 1e-9);
      expect(s.sigmas![0]).toBeCloseTo(REF_SIGMAS[N - 1], 9);
      if (steps > 1) expect(s.sigmas![steps - 1]).toBeCloseTo(REF_SIGMAS[0], 9);
      expect(s.timesteps[0]).toBe(999);
      if (steps > 1) expect(s.timesteps[steps - 1]).toBe(0);
      // Each timestep is the integer whose training σ brackets the Karras σ.
      s.timesteps.forEach((t, i) => {
        expect(Number.isInteger(t)).toBe(true);
        expect(karras[i]).toBeGreaterThanOrEqual(REF_SIGMAS[Math.max(t - 1, 0)] - 1e-9);
        expect(karras[i]).toBeLessThanOrEqual(REF_SIGMAS[Math.min(t + 1, N - 1)] + 1e-9);
      });
    });
  }

  it('Euler honours use_karras_sigmas, between the first and last spaced σ, with fractional timesteps', () => {
    const s = createScheduler('euler', sdConfig({ use_karras_sigmas: true }), 20);
    expect(s.sigmas![0]).toBeCloseTo(refSigmaAt(951), 9);
    expect(s.sigmas![19]).toBeCloseTo(refSigmaAt(1), 9);
    expect(s.timesteps[0]).toBeCloseTo(951, 3);
    expect(s.timesteps[19]).toBeCloseTo(1, 3);
    expect(s.timesteps.some((t) => !Number.isInteger(t))).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// The key property. A "perfect model" knows the clean sample x0 and, like the Shapes oracle UNet,
// answers from the scaled model input and the timestep only:
//   σ = σ(t) (linear interpolation), ᾱ = 1/(1 + σ²), ε = (input − √ᾱ·x0)/√(1 − ᾱ),
//   v = √ᾱ·ε − √(1 − ᾱ)·x0, sample = x0.
// Every scheduler must then land on x0 at its last step, whatever the noise and step count:
// this checks the model-input scaling, the timesteps and each x0 formula end to end.
// ---------------------------------------------------------------------------------------------
type Denoiser = (noisyVe: number, sigma: number, index: number) => number;

function modelFor(predictionType: PredictionType, denoise: Denoiser) {
  return (input: Float32Array, t: number): Float32Array => {
    const sigma = refSigmaAt(t);
    const sqrtAlpha = 1 / Math.sqrt(1 + sigma * sigma);
    const sqrtOneMinusAlpha = sigma * sqrtAlpha;
    return input.map((x, i) => {
      const x0 = denoise(x / sqrtAlpha, sigma, i);
      const eps = (x - sqrtAlpha * x0) / sqrtOneMinusAlpha;
      if (predictionType === 'epsilon') return eps;
      if (predictionType === 'v_prediction') return sqrtAlpha * eps - sqrtOneMinusAlpha * x0;
      return x0;
    });
  };
}

function sample(scheduler: Scheduler, model: (input: Float32Array, t: number) => Float32Array, initialNoise: Float32Array, seed = 7): Float32Array {
  const noise = new NormalStream(seed, 1);
  let x: Float32Array = initialNoise.map((v) => v * scheduler.initNoiseSigma);
  for (let i = 0; i < scheduler.timesteps.length; i++) {
    const output = model(scheduler.scaleModelInput(x, i), scheduler.timesteps[i]);
    x = scheduler.step(output, i, x, () => noise.next(x.length));
  }
  return x;
}

const LATENT_SIZE = 64;
// A target latent like the oracle's: colours in [−1, 1] times the VAE factor 0.18215.
const X0 = Float32Array.from({ length: LATENT_SIZE }, (_, i) => 0.18215 * Math.sin(i * 1.7));

describe('a perfect model lands exactly on x0', () => {
  for (const { id } of SCHEDULERS) {
    for (const spacing of ['leading', 'trailing', 'linspace'] as const) {
      for (const predictionType of ['epsilon', 'v_prediction', 'sample'] as const) {
        it(`${id}, ${spacing}, ${predictionType}, 1 / 4 / 20 steps`, () => {
          const model = modelFor(predictionType, (_x, _sigma, i) => X0[i]);
          for (const steps of [1, 4, 20]) {
            const scheduler = createScheduler(id, oracleConfig(spacing, predictionType), steps);
            const result = sample(scheduler, model, randomNormal(steps, LATENT_SIZE));
            expectAllClose(result, X0, 1e-4);
          }
        });
      }
    }
  }

  it('DDIM without set_alpha_to_one stops at the noise level of t = 0, as diffusers does (why the oracle sets it)', () => {
    const model = modelFor('epsilon', (_x, _sigma, i) => X0[i]);
    const scheduler = createScheduler('ddim', sdConfig(), 4);
    const initial = randomNormal(1, LATENT_SIZE);
    // Last step from t = 1 to ᾱ_0: x' = √ᾱ_0·x0 + √(1 − ᾱ_0)·ε̂, with ε̂ the noise left in the sample.
    let x = initial;
    for (let i = 0; i < 3; i++) x = scheduler.step(model(x, scheduler.timesteps[i]), i, x);
    const lastOutput = model(x, 1);
    const a0 = REF_ALPHAS_CUMPROD[0];
    const expected = X0.map((x0, i) => Math.sqrt(a0) * x0 + Math.sqrt(1 - a0) * lastOutput[i]);
    expectAllClose(scheduler.step(lastOutput, 3, x), expected, 1e-5);
  });
});

// ---------------------------------------------------------------------------------------------
// Step formulas. With data x0 ~ N(μ, s²) the ideal denoiser is D(x; σ) = μ + s²/(s² + σ²)·(x − μ)
// and the probability-flow ODE dx/dσ = (x − D)/σ has the exact solution x(σ) − μ ∝ √(s² + σ²).
// Every sampler's last step jumps from the last σ to 0 by returning D, so the exact reference is
// the ODE solution from the first σ to the last one, then D. Deterministic samplers must approach
// it at their order: errors halve (Euler, DDIM) or quarter (DPM++ 2M) when the steps double.
// s = 4 puts the curved part of the ODE mid-schedule, where the steps are dense enough for the
// asymptotic rates to show; trailing spacing with steps dividing 1000 keeps DDIM's
// `prev = t − 1000 // steps` equal to the next timestep.
// ---------------------------------------------------------------------------------------------
describe('deterministic samplers solve the probability-flow ODE', () => {
  const MU = 0.1;
  const S = 4;
  const gaussianDenoiser: Denoiser = (x, sigma) => MU + ((S * S) / (S * S + sigma * sigma)) * (x - MU);

  function odeError(name: 'euler' | 'ddim' | 'dpmpp_2m', steps: number): number {
    const scheduler = createScheduler(name, oracleConfig('trailing', 'epsilon'), steps);
    const initial = randomNormal(3, LATENT_SIZE);
    const result = sample(scheduler, modelFor('epsilon', gaussianDenoiser), initial);
    const sigmaFirst = refSigmaAt(scheduler.timesteps[0]);
    const sigmaLast = refSigmaAt(scheduler.timesteps[steps - 1]);
    // The start in VE form: Euler's sample already is; a VP sample is x·√(σ² + 1).
    const veStart = name === 'euler' ? scheduler.initNoiseSigma : Math.hypot(sigmaFirst, 1);
    const exact = initial.map((n) => {
      const atLast = MU + (n * veStart - MU) * (Math.hypot(S, sigmaLast) / Math.hypot(S, sigmaFirst));
      return gaussianDenoiser(atLast, sigmaLast, 0);
    });
    return Math.max(...result.map((r, i) => Math.abs(r - exact[i])));
  }

  it('Euler and DDIM converge at first order', () => {
    for (const name of ['euler', 'ddim'] as const) {
      const [e10, e20, e40] = [odeError(name, 10), odeError(name, 20), odeError(name, 40)];
      for (const ratio of [e10 / e20, e20 / e40]) {
        expect(ratio).toBeGreaterThan(1.7);
        expect(ratio).toBeLessThan(2.3);
      }
    }
  });

  it('DPM++ 2M converges at second order and beats Euler tenfold', () => {
    const [e10, e20, e40] = [odeError('dpmpp_2m', 10), odeError('dpmpp_2m', 20), odeError('dpmpp_2m', 40)];
    expect(e10 / e20).toBeGreaterThan(3.5);
    expect(e20 / e40).toBeGreaterThan(3.5);
    expect(e20).toBeLessThan(odeError('euler', 20) / 10);
  });

  it('DDIM is the Euler step in VE form: from the same start both give the same samples', () => {
    // DDIM: x'/√ᾱ' = x0 + σ'·ε̂ with ε̂ = (x/√ᾱ − x0)/σ, i.e. x/√ᾱ + (x/√ᾱ − x0)/σ·(σ' − σ).
    const config = oracleConfig('trailing', 'epsilon');
    const [euler, ddim] = [createScheduler('euler', config, 20), createScheduler('ddim', config, 20)];
    const model = modelFor('epsilon', gaussianDenoiser);
    const initial = randomNormal(5, LATENT_SIZE);
    let ve: Float32Array = initial.map((n) => n * Math.hypot(euler.sigmas![0], 1));
    let vp: Float32Array = initial;
    for (let i = 0; i < 20; i++) {
      ve = euler.step(model(euler.scaleModelInput(ve, i), euler.timesteps[i]), i, ve);
      vp = ddim.step(model(vp, ddim.timesteps[i]), i, vp);
      const toVp = 1 / Math.hypot(euler.sigmas![i + 1], 1);
      expectAllClose(vp, ve.map((v) => v * toVp), 1e-5);
    }
  });
});

describe('single steps, by hand', () => {
  it('Euler: input scaled by 1/√(σ²+1), x0 = x − σε, x\' = x + (x − x0)/σ·(σ_next − σ)', () => {
    const s = createScheduler('euler', sdConfig({ timestep_spacing: 'trailing' }), 4);
    const [sigma, next] = [s.sigmas![0], s.sigmas![1]];
    const x = Float32Array.of(1, -2, 3);
    const eps = Float32Array.of(0.5, 0.25, -1);
    expectAllClose(s.scaleModelInput(x, 0), [...x].map((v) => v / Math.sqrt(sigma ** 2 + 1)), 1e-6);
    const x0 = [...x].map((v, i) => v - sigma * eps[i]);
    expectAllClose(s.predictOriginal(eps, 0, x), x0, 1e-5);
    expectAllClose(s.step(eps, 0, x), [...x].map((v, i) => v + ((v - x0[i]) / sigma) * (next - sigma)), 1e-5);
  });

  it('Euler a: Euler step to σ_down plus σ_up times the fresh noise', () => {
    const s = createScheduler('euler_a', sdConfig({ timestep_spacing: 'trailing' }), 4);
    const [from, to] = [s.sigmas![1], s.sigmas![2]];
    const up = Math.sqrt((to ** 2 * (from ** 2 - to ** 2)) / from ** 2);
    const down = Math.sqrt(to ** 2 - up ** 2);
    const x = Float32Array.of(1, -2, 3);
    const eps = Float32Array.of(0.5, 0.25, -1);
    const z = Float32Array.of(0.3, -0.7, 1.1);
    const expected = [...x].map((v, i) => v + eps[i] * (down - from) + up * z[i]);
    expectAllClose(s.step(eps, 1, x, () => z), expected, 1e-5);
  });

  it('Euler a and LCM draw noise between steps but not at the last step', () => {
    for (const name of ['euler_a', 'lcm'] as const) {
      const s = createScheduler(name, sdConfig(), 2);
      let calls = 0;
      const noise = () => {
        calls++;
        return new Float32Array(3);
      };
      s.step(new Float32Array(3), 0, new Float32Array(3), noise);
      s.step(new Float32Array(3), 1, new Float32Array(3), noise);
      expect(calls).toBe(1);
      expect(() => s.step(new Float32Array(3), 0, new Float32Array(3))).toThrow(expect.objectContaining({ code: 'noise_required' }));
    }
  });

  it('LCM: denoised = c_out·x0 + c_skip·x, then re-noised to the next timestep', () => {
    const s = createScheduler('lcm', sdConfig(), 4);
    const [t, next] = [s.timesteps[0], s.timesteps[1]];
    const [a, aNext] = [REF_ALPHAS_CUMPROD[t], REF_ALPHAS_CUMPROD[next]];
    const x = Float32Array.of(1, -2, 3);
    const eps = Float32Array.of(0.5, 0.25, -1);
    const z = Float32Array.of(0.3, -0.7, 1.1);
    const scaled = 10 * t;
    const [cSkip, cOut] = [0.25 / (scaled ** 2 + 0.25), scaled / Math.sqrt(scaled ** 2 + 0.25)];
    const denoised = [...x].map((v, i) => cOut * ((v - Math.sqrt(1 - a) * eps[i]) / Math.sqrt(a)) + cSkip * v);
    expectAllClose(s.predictOriginal(eps, 0, x), denoised, 1e-5);
    expectAllClose(s.step(eps, 0, x, () => z), denoised.map((d, i) => Math.sqrt(aNext) * d + Math.sqrt(1 - aNext) * z[i]), 1e-5);
  });

  it('DDIM with clip_sample clamps the x0 estimate', () => {
    const s = createScheduler('ddim', sdConfig({ clip_sample: true }), 4);
    const x0 = s.predictOriginal(Float32Array.of(-50, 50), 0, Float32Array.of(0, 0));
    expect([...x0]).toEqual([1, -1]);
  });

  it('a scheduler can be run again and gives the same result (DPM++ 2M forgets the last run)', () => {
    const model = modelFor('epsilon', (x, sigma) => x / (1 + sigma * sigma));
    for (const { id } of SCHEDULERS) {
      const scheduler = createScheduler(id, sdConfig(), 6);
      const initial = randomNormal(11, LATENT_SIZE);
      expect([...sample(scheduler, model, initial)]).toEqual([...sample(scheduler, model, initial)]);
    }
  });
});

describe('errors', () => {
  it('an unknown scheduler name lists the valid ones', () => {
    const attempt = () => createScheduler('heun' as SchedulerName, sdConfig(), 4);
    expect(attempt).toThrow(SchedulerError);
    expect(attempt).toThrow(expect.objectContaining({ code: 'unknown_scheduler' }));
    expect(attempt).toThrow(/"euler", "euler_a", "ddim", "dpmpp_2m", "dpmpp_2m_karras", "lcm"/);
  });

  it('steps outside 1 … num_train_timesteps are refused', () => {
    for (const { id } of SCHEDULERS) {
      for (const steps of [0, -1, 1.5, Number.NaN, 1001]) {
        expect(() => createScheduler(id, sdConfig(), steps)).toThrow(expect.objectContaining({ name: 'SchedulerError', code: 'invalid_steps' }));
      }
    }
    // LCM only knows its 50 distillation timesteps.
    expect(() => createScheduler('lcm', sdConfig(), 51)).toThrow(expect.objectContaining({ code: 'invalid_steps' }));
    // 1000 leading steps with steps_offset 1 would need timestep 1000.
    expect(() => createScheduler('euler', sdConfig(), 1000)).toThrow(expect.objectContaining({ code: 'invalid_steps' }));
    expect(createScheduler('euler', sdConfig({ timestep_spacing: 'trailing' }), 1000).timesteps).toHaveLength(1000);
  });

  it('bad step indices and mismatched lengths are refused', () => {
    const s = createScheduler('euler', sdConfig(), 4);
    expect(() => s.step(new Float32Array(4), 4, new Float32Array(4))).toThrow(expect.objectContaining({ code: 'invalid_step_index' }));
    expect(() => s.step(new Float32Array(3), 0, new Float32Array(4))).toThrow(expect.objectContaining({ code: 'length_mismatch' }));
    const a = createScheduler('euler_a', sdConfig(), 4);
    expect(() => a.step(new Float32Array(4), 0, new Float32Array(4), () => new Float32Array(3))).toThrow(expect.objectContaining({ code: 'length_mismatch' }));
  });
});

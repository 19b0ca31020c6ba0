/**
 * The training noise schedule and the timestep selections shared by the schedulers, as diffusers
 * computes them. diffusers works in float32 (torch) and float64 (numpy); we use float64 throughout,
 * which moves values by about 1e-6 relative (σ_max = 14.61464 here, 14.61466 in torch).
 *
 * Notation: ᾱ_t = Π_{s≤t} (1 − β_s) (`alphas_cumprod`), σ_t = √((1 − ᾱ_t) / ᾱ_t). A noisy sample is
 * x_t = √ᾱ_t·x0 + √(1 − ᾱ_t)·ε ("VP" form, what the UNet sees) or x_t/√ᾱ_t = x0 + σ_t·ε ("VE" form,
 * what the Euler samplers step on).
 */
import type { SchedulerConfig } from './config.ts';
import { SchedulerError } from './scheduler.ts';

/** ᾱ_t for t = 0 … N−1. */
export function alphasCumprod(config: SchedulerConfig): Float64Array {
  let betas = trainingBetas(config);
  if (config.rescaleBetasZeroSnr) betas = rescaleZeroTerminalSnr(betas);
  return cumulativeProduct(betas.map((beta) => 1 - beta));
}

/**
 * σ_t for t = 0 … N−1 (ascending). With zero-terminal-SNR rescaling ᾱ_{N−1} is 0 and σ infinite, so
 * diffusers' sigma-based schedulers set ᾱ_{N−1} = 2^−24 first; so do we.
 */
export function trainingSigmas(config: SchedulerConfig): Float64Array {
  const cumprod = alphasCumprod(config);
  if (config.rescaleBetasZeroSnr) cumprod[cumprod.length - 1] = 2 ** -24;
  return cumprod.map((a) => Math.sqrt((1 - a) / a));
}

function trainingBetas(config: SchedulerConfig): Float64Array {
  const n = config.numTrainTimesteps;
  if (config.trainedBetas) return Float64Array.from(config.trainedBetas);
  switch (config.betaSchedule) {
    case 'linear':
      return numpyLinspace(config.betaStart, config.betaEnd, n);
    case 'scaled_linear':
      // Latent diffusion's schedule: linear in √β.
      return numpyLinspace(Math.sqrt(config.betaStart), Math.sqrt(config.betaEnd), n).map((b) => b * b);
    case 'squaredcos_cap_v2': {
      // GLIDE's cosine schedule (diffusers `betas_for_alpha_bar`): ᾱ(s) = cos²((s + 0.008) / 1.008 · π/2),
      // β_i = min(1 − ᾱ((i+1)/N) / ᾱ(i/N), 0.999).
      const alphaBar = (s: number) => Math.cos(((s + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
      return Float64Array.from({ length: n }, (_, i) => Math.min(1 - alphaBar((i + 1) / n) / alphaBar(i / n), 0.999));
    }
  }
}

function cumulativeProduct(values: Float64Array): Float64Array {
  const out = new Float64Array(values.length);
  let product = 1;
  for (let i = 0; i < values.length; i++) out[i] = product *= values[i];
  return out;
}

/**
 * diffusers `rescale_zero_terminal_snr` (Lin et al. 2023, Algorithm 1): shift and scale √ᾱ so that it
 * keeps its first value and ends at exactly 0, then turn ᾱ back into betas.
 */
function rescaleZeroTerminalSnr(betas: Float64Array): Float64Array {
  const sqrtCumprod = cumulativeProduct(betas.map((beta) => 1 - beta)).map(Math.sqrt);
  const first = sqrtCumprod[0];
  const last = sqrtCumprod[sqrtCumprod.length - 1];
  const cumprod = sqrtCumprod.map((a) => (((a - last) * first) / (first - last)) ** 2);
  return cumprod.map((a, t) => 1 - (t === 0 ? a : a / cumprod[t - 1]));
}

/** `np.linspace(start, stop, num)`: start + i·step, the last value exactly `stop`; [start] for num = 1. */
export function numpyLinspace(start: number, stop: number, num: number): Float64Array {
  if (num === 1) return Float64Array.of(start);
  const step = (stop - start) / (num - 1);
  return Float64Array.from({ length: num }, (_, i) => (i === num - 1 ? stop : start + i * step));
}

/** `np.round`: halves go to the even neighbour (Math.round would send 812.5 to 813, numpy to 812). */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  if (x - floor !== 0.5) return Math.round(x);
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * "leading" spacing (diffusers `set_timesteps`): ratio = N // count, timesteps
 * [(count−1)·ratio, …, ratio, 0] + steps_offset. E.g. N = 1000, count 4, offset 1 → [751, 501, 251, 1].
 */
export function leadingTimesteps(config: SchedulerConfig, count: number): Float64Array {
  const n = config.numTrainTimesteps;
  const ratio = Math.floor(n / count);
  if (ratio < 1 || (count - 1) * ratio + config.stepsOffset > n - 1) {
    throw new SchedulerError('invalid_steps', `${count} steps are too many for "leading" timestep spacing with ${n} training steps and steps_offset ${config.stepsOffset}.`);
  }
  return Float64Array.from({ length: count }, (_, i) => (count - 1 - i) * ratio + config.stepsOffset);
}

/**
 * "trailing" spacing: `np.arange(N, 0, −N/count).round() − 1`, i.e. round(N − i·N/count) − 1.
 * E.g. count 4 → [999, 749, 499, 249]; count 1 → [999].
 */
export function trailingTimesteps(config: SchedulerConfig, count: number): Float64Array {
  const n = config.numTrainTimesteps;
  const ratio = n / count;
  return Float64Array.from({ length: count }, (_, i) => roundHalfEven(n - i * ratio) - 1);
}

/** "linspace" spacing: `np.linspace(0, N−1, count)` reversed; fractional, callers round as diffusers does. */
export function linspaceTimesteps(config: SchedulerConfig, count: number): Float64Array {
  return numpyLinspace(0, config.numTrainTimesteps - 1, count).reverse();
}

/** `np.interp(t, arange(len(table)), table)`: linear interpolation at a fractional index, clamped at the ends. */
export function interpolate(table: Float64Array, t: number): number {
  const last = table.length - 1;
  if (t <= 0) return table[0];
  if (t >= last) return table[last];
  const low = Math.floor(t);
  const w = t - low;
  return w === 0 ? table[low] : table[low] + w * (table[low + 1] - table[low]);
}

/**
 * Karras et al. (2022) sigmas, ρ = 7: σ_i = (σ_max^(1/ρ) + i/(n−1)·(σ_min^(1/ρ) − σ_max^(1/ρ)))^ρ, from
 * σ_max down to σ_min; one step gives [σ_max] (`np.linspace(0, 1, 1)` is [0]).
 */
export function karrasSigmas(sigmaMax: number, sigmaMin: number, count: number): Float64Array {
  const rho = 7;
  const maxInvRho = sigmaMax ** (1 / rho);
  const minInvRho = sigmaMin ** (1 / rho);
  return numpyLinspace(0, 1, count).map((ramp) => (maxInvRho + ramp * (minInvRho - maxInvRho)) ** rho);
}

/**
 * diffusers `_sigma_to_t`: the fractional timestep for σ, interpolating ln σ linearly between the two
 * training steps around it, clamped to [0, N−1].
 */
export function sigmaToTimestep(sigma: number, logSigmas: Float64Array): number {
  const logSigma = Math.log(Math.max(sigma, 1e-10));
  // The last index whose ln σ is ≤ ln sigma (0 when none), at most N−2 (numpy: cumsum(dists >= 0).argmax()).
  let low = 0;
  for (let t = 0; t < logSigmas.length; t++) if (logSigma >= logSigmas[t]) low = t;
  low = Math.min(low, logSigmas.length - 2);
  const w = (logSigmas[low] - logSigma) / (logSigmas[low] - logSigmas[low + 1]);
  const clamped = Math.min(Math.max(w, 0), 1);
  return (1 - clamped) * low + clamped * (low + 1);
}

/**
 * The pieces of the device-resident denoising loop (DiffusionPipeline on WebGPU): the generated
 * step graphs' bytes, their sessions (made on first use, released with the pipeline), and the
 * scalars one sampler step is fed. See step-graph-spec.ts for what the graphs compute.
 */
import type { OnnxRuntime, RuntimeSession } from './runtime.ts';
import type { StepCoefficients } from './schedulers/index.ts';
import {
  NO_CLIP,
  SAMPLER_STEP_INPUTS,
  SAMPLER_STEP_OUTPUTS,
  SCALE_CAST_INPUTS,
  SCALE_CAST_OUTPUT,
  samplerStepGraphName,
  scaleCastGraphName,
  type GuidanceLayout,
  type SamplerStepScalar,
  type StepFloatType,
} from './step-graph-spec.ts';
import { STEP_GRAPHS_BASE64 } from './step-graphs.generated.ts';

export class StepGraphError extends Error {
  override readonly name = 'StepGraphError';
  readonly code = 'step-graph-unavailable';
}

/** The ONNX bytes of a generated step graph. Throws StepGraphError for an unknown name. */
export function stepGraphBytes(name: string): Uint8Array {
  const base64 = STEP_GRAPHS_BASE64[name];
  if (base64 === undefined) throw new StepGraphError(`There is no step graph "${name}".`);
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The sessions one device loop runs: the sampler step and the scale-and-cast graphs it needs. */
export interface DeviceStepPlan {
  readonly layout: GuidanceLayout;
  readonly samplerStep: RuntimeSession;
  /** Latents → the UNet's `sample` (type and batch of the UNet). */
  readonly unetInput: RuntimeSession;
  /** Latents → the VAE decoder's `latent_sample`. */
  readonly vaeInput: RuntimeSession;
  /**
   * float32 k·x: puts the initial latents on the device once (k = 1) and makes the device's zeros
   * (k = 0), so that no step uploads more than its scalars, timestep and fresh noise.
   */
  readonly latents: RuntimeSession;
}

export interface DevicePlanRequest {
  readonly layout: GuidanceLayout;
  readonly unetOutputType: string;
  readonly unetSampleType: string;
  readonly unetBatch: 1 | 2;
  readonly vaeInputType: string;
}

/** Step-graph sessions by graph name, made once per pipeline on the pipeline's runtime. */
export class StepGraphSessions {
  private readonly sessions = new Map<string, Promise<RuntimeSession>>();

  constructor(private readonly runtime: OnnxRuntime) {}

  /**
   * The sessions for `request`. Throws StepGraphError when a type has no graph, or whatever the
   * runtime throws when it cannot create one; the caller then keeps the latents in JS.
   */
  async plan(request: DevicePlanRequest): Promise<DeviceStepPlan> {
    // One at a time, as the pipeline creates its parts.
    const samplerStep = await this.session(samplerStepGraphName(request.layout, floatType(request.unetOutputType, 'UNet output')));
    const unetInput = await this.session(scaleCastGraphName(floatType(request.unetSampleType, 'UNet sample'), request.unetBatch));
    const vaeInput = await this.session(scaleCastGraphName(floatType(request.vaeInputType, 'VAE input'), 1));
    const latents = await this.session(scaleCastGraphName('float32', 1));
    return { layout: request.layout, samplerStep, unetInput, vaeInput, latents };
  }

  async release(): Promise<void> {
    const pending = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.allSettled(pending.map(async (session) => (await session).release()));
  }

  private session(name: string): Promise<RuntimeSession> {
    let session = this.sessions.get(name);
    if (!session) {
      session = this.runtime.createSession({ model: stepGraphBytes(name), externalData: [], outputsOnGpu: true });
      this.sessions.set(name, session);
      // A failed creation is not cached as a session: forget it (the caller falls back).
      session.catch(() => {
        if (this.sessions.get(name) === session) this.sessions.delete(name);
      });
    }
    return session;
  }
}

function floatType(type: string, what: string): StepFloatType {
  if (type === 'float32' || type === 'float16') return type;
  throw new StepGraphError(`The ${what} is ${type}; the step graphs take float32 or float16.`);
}

/** The sampler step's scalar inputs for one step; `guidance` for the guided layouts only. */
export function samplerStepScalars(k: StepCoefficients, guidance: number | null): Partial<Record<SamplerStepScalar, number>> {
  const scalars: Partial<Record<SamplerStepScalar, number>> = {
    p: k.p,
    q: k.q,
    clip: Math.min(k.clipRange, NO_CLIP),
    a: k.a,
    b: k.b,
    c: k.c,
    d: k.d,
    e: k.e,
    m: k.m,
    n: k.n,
  };
  if (guidance !== null) scalars.g = guidance;
  return scalars;
}

export { SAMPLER_STEP_INPUTS, SAMPLER_STEP_OUTPUTS, SCALE_CAST_INPUTS, SCALE_CAST_OUTPUT };

/**
 * What each part's graph takes and gives, read from its session: input names, element types,
 * fixed dimensions. Nothing here is hard-coded per model; the well-known diffusers names are
 * preferred and checked, and anything the pipeline cannot feed is reported up front.
 */
import { ModelInterfaceError } from './errors.ts';
import type { RuntimeSession, TensorElementType, TensorMetadata } from './runtime.ts';

export type FloatElementType = 'float32' | 'float16';
export type IdElementType = 'int32' | 'int64';

/** A dimension: a number when the graph fixes it, null when it is symbolic or unknown. */
export type Dimension = number | null;

export interface InputInfo<T extends TensorElementType = TensorElementType> {
  readonly name: string;
  readonly type: T;
  /** Null when the runtime does not report shapes. */
  readonly shape: readonly Dimension[] | null;
}

export interface TextEncoderInterface {
  readonly inputIds: InputInfo<IdElementType>;
  readonly output: string;
  readonly outputType: FloatElementType;
  /** Fixed batch size, or null when any batch is accepted. */
  readonly batch: Dimension;
  readonly sequenceLength: Dimension;
}

export interface UnetInterface {
  readonly sample: InputInfo<FloatElementType>;
  readonly timestep: InputInfo<FloatElementType | IdElementType>;
  readonly encoderHiddenStates: InputInfo<FloatElementType>;
  /** LCM's guidance embedding input, when the UNet has one. */
  readonly timestepCond: InputInfo<FloatElementType> | null;
  readonly output: string;
  readonly outputType: FloatElementType;
  readonly batch: Dimension;
  /** Fixed latent height and width, or null each. */
  readonly latentHeight: Dimension;
  readonly latentWidth: Dimension;
}

export interface VaeDecoderInterface {
  readonly latentSample: InputInfo<FloatElementType>;
  readonly output: string;
  readonly outputType: FloatElementType;
}

function metadataOf(list: readonly TensorMetadata[], name: string): TensorMetadata | undefined {
  return list.find((m) => m.name === name);
}

function shapeOf(meta: TensorMetadata | undefined): Dimension[] | null {
  if (!meta?.shape || meta.shape.length === 0) return meta?.isTensor && meta.shape ? [] : null;
  return meta.shape.map((d) => (typeof d === 'number' && d > 0 ? d : null));
}

function inputInfo<T extends TensorElementType>(
  part: string,
  session: RuntimeSession,
  name: string,
  allowed: readonly T[],
  fallback: T,
): InputInfo<T> {
  const meta = metadataOf(session.inputMetadata, name);
  const type = (meta?.type ?? fallback) as T;
  if (!allowed.includes(type)) {
    throw new ModelInterfaceError(`The ${part}'s input "${name}" is ${type}; the pipeline can feed ${allowed.join(' or ')}.`);
  }
  return { name, type, shape: shapeOf(meta) };
}

function outputInfo(part: string, session: RuntimeSession, preferred: string): { name: string; type: FloatElementType } {
  const name = session.outputNames.includes(preferred) ? preferred : session.outputNames[0];
  if (!name) throw new ModelInterfaceError(`The ${part} has no outputs.`);
  const type = metadataOf(session.outputMetadata, name)?.type ?? 'float32';
  if (type !== 'float32' && type !== 'float16') {
    throw new ModelInterfaceError(`The ${part}'s output "${name}" is ${type}; expected float32 or float16.`);
  }
  return { name, type };
}

/** The input called `preferred`, else the only input; otherwise the graph is not one we know. */
function soleInputName(part: string, session: RuntimeSession, preferred: string): string {
  if (session.inputNames.includes(preferred)) return preferred;
  if (session.inputNames.length === 1) return session.inputNames[0];
  throw new ModelInterfaceError(`The ${part} takes ${session.inputNames.join(', ')}; expected one input, "${preferred}".`);
}

const FLOATS = ['float32', 'float16'] as const;
const IDS = ['int32', 'int64'] as const;

export function textEncoderInterface(session: RuntimeSession): TextEncoderInterface {
  const inputIds = inputInfo('text encoder', session, soleInputName('text encoder', session, 'input_ids'), IDS, 'int32');
  const output = outputInfo('text encoder', session, 'last_hidden_state');
  return {
    inputIds,
    output: output.name,
    outputType: output.type,
    batch: inputIds.shape?.[0] ?? null,
    sequenceLength: inputIds.shape?.[1] ?? null,
  };
}

const UNET_INPUTS = ['sample', 'timestep', 'encoder_hidden_states', 'timestep_cond'];

export function unetInterface(session: RuntimeSession): UnetInterface {
  const unknown = session.inputNames.filter((name) => !UNET_INPUTS.includes(name));
  const missing = UNET_INPUTS.slice(0, 3).filter((name) => !session.inputNames.includes(name));
  if (unknown.length > 0 || missing.length > 0) {
    throw new ModelInterfaceError(
      `The UNet takes ${session.inputNames.join(', ')}; the pipeline feeds sample, timestep, encoder_hidden_states ` +
        `and optionally timestep_cond` + (missing.length ? ` (missing: ${missing.join(', ')}).` : ` (unknown: ${unknown.join(', ')}).`),
    );
  }
  const sample = inputInfo('UNet', session, 'sample', FLOATS, 'float32');
  const output = outputInfo('UNet', session, 'out_sample');
  return {
    sample,
    timestep: inputInfo('UNet', session, 'timestep', [...FLOATS, ...IDS], 'float32'),
    encoderHiddenStates: inputInfo('UNet', session, 'encoder_hidden_states', FLOATS, sample.type),
    timestepCond: session.inputNames.includes('timestep_cond') ? inputInfo('UNet', session, 'timestep_cond', FLOATS, sample.type) : null,
    output: output.name,
    outputType: output.type,
    batch: sample.shape?.[0] ?? null,
    latentHeight: sample.shape?.[2] ?? null,
    latentWidth: sample.shape?.[3] ?? null,
  };
}

export function vaeDecoderInterface(session: RuntimeSession): VaeDecoderInterface {
  const latentSample = inputInfo('VAE decoder', session, soleInputName('VAE decoder', session, 'latent_sample'), FLOATS, 'float32');
  const output = outputInfo('VAE decoder', session, 'sample');
  return { latentSample, output: output.name, outputType: output.type };
}

// The device loop's two tiny graphs (src/pipeline/step-graph-spec.ts): "sampler step" per guidance
// layout × UNet output type, and "scale and cast" per output type × batch. The worker cannot run
// this Node-only builder, so the bytes are written, base64, into a committed TypeScript module,
// src/pipeline/step-graphs.generated.ts; a unit test regenerates it and compares.
//
//   npx tsx tools/models/step-graphs.ts          writes the module (after validating every graph)
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  GUIDANCE_LAYOUTS,
  LATENT_HEIGHT_DIM,
  LATENT_WIDTH_DIM,
  SAMPLER_STEP_INPUTS,
  SAMPLER_STEP_OUTPUTS,
  SAMPLER_STEP_SCALARS,
  SCALE_CAST_INPUTS,
  SCALE_CAST_OUTPUT,
  STEP_FLOAT_TYPES,
  samplerStepGraphName,
  scaleCastGraphName,
  type GuidanceLayout,
  type StepFloatType,
} from '../../src/pipeline/step-graph-spec.ts';
import { GraphBuilder, decodeModel, type Dim, type Value } from '../onnx/graph-builder.ts';
import { validateModel, type ModelExpectation, type TensorExpectation } from '../onnx/validate-model.ts';
import { repoRoot } from '../tokenizer/clip-vocabulary.ts';

// onnx-proto is CommonJS with `module.exports = root`; Node's ESM loader cannot see its named export.
const { onnx } = createRequire(import.meta.url)('onnx-proto') as typeof import('onnx-proto');

export const STEP_GRAPHS_MODULE = join('src', 'pipeline', 'step-graphs.generated.ts');

const MODEL_OPTIONS = { producerName: 'local-sd-tools', producerVersion: '1' };

export interface StepGraph {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly expected: ModelExpectation;
}

const latent = (batch: number): Dim[] => [batch, 4, LATENT_HEIGHT_DIM, LATENT_WIDTH_DIM];

/** x_next, x0 and preview from the latents, the UNet output(s), the previous x0, noise and the step's scalars. */
export function samplerStepGraph(layout: GuidanceLayout, outputType: StepFloatType): StepGraph {
  const name = samplerStepGraphName(layout, outputType);
  const g = new GraphBuilder(name);
  const inputs: TensorExpectation[] = [];
  const input = (inputName: string, type: StepFloatType, dims: Dim[]): Value => {
    inputs.push({ name: inputName, type, dims });
    return g.input(inputName, type, dims);
  };
  const x = input(SAMPLER_STEP_INPUTS.x, 'float32', latent(1));
  const outputs =
    layout === 'pair'
      ? [input(SAMPLER_STEP_INPUTS.uncond, outputType, latent(1)), input(SAMPLER_STEP_INPUTS.cond, outputType, latent(1))]
      : [input(SAMPLER_STEP_INPUTS.modelOutput, outputType, latent(layout === 'batched' ? 2 : 1))];
  const x0Previous = input(SAMPLER_STEP_INPUTS.x0Previous, 'float32', latent(1));
  const noise = input(SAMPLER_STEP_INPUTS.noise, 'float32', latent(1));
  const scalars = {} as Record<(typeof SAMPLER_STEP_SCALARS)[number], Value>;
  for (const scalar of SAMPLER_STEP_SCALARS) {
    if (scalar === 'g' && layout === 'single') continue;
    scalars[scalar] = input(scalar, 'float32', []);
  }

  const guided = g.scoped('guidance', () => {
    const asFloat32 = (v: Value) => (outputType === 'float16' ? g.cast(v, 'float32') : v);
    if (layout === 'single') return asFloat32(outputs[0]);
    const [uncond, cond] = layout === 'pair' ? outputs.map(asFloat32) : g.split(asFloat32(outputs[0]), [1, 1], 0);
    return g.add(uncond, g.mul(scalars.g, g.sub(cond, uncond)));
  });
  const x0 = g.scoped('x0', () => {
    const raw = g.add(g.mul(scalars.p, x), g.mul(scalars.q, guided));
    // A clamp from Where and comparisons: WebGPU (onnxruntime-web's JSEP) has no Min or Max, and
    // its Clip wants its bounds in CPU memory, so −clip computed here would be copied back.
    const low = g.neg(scalars.clip);
    const belowHigh = g.where(g.greater(raw, scalars.clip), scalars.clip, raw);
    return g.where(g.less(belowHigh, low), low, belowHigh);
  });
  const next = g.scoped('next', () => {
    let sum = g.add(g.mul(scalars.a, x), g.mul(scalars.b, guided));
    sum = g.add(sum, g.mul(scalars.c, x0));
    sum = g.add(sum, g.mul(scalars.d, x0Previous));
    return g.add(sum, g.mul(scalars.e, noise));
  });
  const preview = g.scoped('preview', () => g.add(g.mul(scalars.m, x), g.mul(scalars.n, x0)));

  const outputInfos: TensorExpectation[] = [
    { name: SAMPLER_STEP_OUTPUTS.next, type: 'float32', dims: latent(1) },
    { name: SAMPLER_STEP_OUTPUTS.x0, type: 'float32', dims: latent(1) },
    { name: SAMPLER_STEP_OUTPUTS.preview, type: 'float32', dims: latent(1) },
  ];
  [next, x0, preview].forEach((value, i) => g.output(value, outputInfos[i].name, 'float32', outputInfos[i].dims));
  return {
    name,
    bytes: foldOutputIdentities(g.encode({ ...MODEL_OPTIONS, docString: `Local SD sampler step (${layout} guidance, ${outputType} UNet output).` })),
    expected: { inputs, outputs: outputInfos },
  };
}

/** Cast(k·x) to `outputType`, twice along the batch axis for batch 2. */
export function scaleCastGraph(outputType: StepFloatType, batch: 1 | 2): StepGraph {
  const name = scaleCastGraphName(outputType, batch);
  const g = new GraphBuilder(name);
  const x = g.input(SCALE_CAST_INPUTS.x, 'float32', latent(1));
  const factor = g.input(SCALE_CAST_INPUTS.factor, 'float32', []);
  let scaled = g.mul(x, factor);
  if (outputType === 'float16') scaled = g.cast(scaled, 'float16');
  if (batch === 2) scaled = g.concat([scaled, scaled], 0);
  g.output(scaled, SCALE_CAST_OUTPUT, outputType, latent(batch));
  return {
    name,
    bytes: foldOutputIdentities(g.encode({ ...MODEL_OPTIONS, docString: `Local SD scale and cast (${outputType}, batch ${batch}).` })),
    expected: {
      inputs: [
        { name: SCALE_CAST_INPUTS.x, type: 'float32', dims: latent(1) },
        { name: SCALE_CAST_INPUTS.factor, type: 'float32', dims: [] },
      ],
      outputs: [{ name: SCALE_CAST_OUTPUT, type: outputType, dims: latent(batch) }],
    },
  };
}

/**
 * The builder names a graph output through an Identity node; onnxruntime-web's WebGPU provider has
 * no Identity kernel, so one ORT cannot optimise away (x0 is both an output and an input of later
 * nodes) would run on the CPU, with a copy back each step. Instead the producing node's output
 * takes the output's name.
 */
export function foldOutputIdentities(bytes: Uint8Array): Uint8Array {
  const model = decodeModel(bytes);
  const graph = model.graph;
  if (!graph) throw new Error('The model has no graph.');
  const outputs = new Set((graph.output ?? []).map((output) => output.name ?? ''));
  const nodes = graph.node ?? [];
  const produced = new Set(nodes.flatMap((node) => node.output ?? []));
  const renames = new Map<string, string>();
  graph.node = nodes.filter((node) => {
    const [from = ''] = node.input ?? [];
    const [to = ''] = node.output ?? [];
    if (node.opType !== 'Identity' || !outputs.has(to)) return true;
    if (!produced.has(from) || renames.has(from) || outputs.has(from)) throw new Error(`Cannot fold the Identity "${node.name}" (${from} → ${to}).`);
    renames.set(from, to);
    return false;
  });
  for (const node of graph.node) {
    node.input = (node.input ?? []).map((name) => renames.get(name) ?? name);
    node.output = (node.output ?? []).map((name) => renames.get(name) ?? name);
  }
  return onnx.ModelProto.encode(model).finish();
}

/** Every graph, in the order of allStepGraphNames(). */
export function stepGraphs(): StepGraph[] {
  return [
    ...GUIDANCE_LAYOUTS.flatMap((layout) => STEP_FLOAT_TYPES.map((type) => samplerStepGraph(layout, type))),
    ...STEP_FLOAT_TYPES.flatMap((type) => ([1, 2] as const).map((batch) => scaleCastGraph(type, batch))),
  ];
}

/** The generated module's text: deterministic, so it can be compared with the committed file. */
export function stepGraphsModuleSource(graphs: readonly StepGraph[] = stepGraphs()): string {
  const lines = graphs.map(({ name, bytes }) => `  ${name}:\n    '${Buffer.from(bytes).toString('base64')}',`);
  return [
    '// Generated by tools/models/step-graphs.ts (npx tsx tools/models/step-graphs.ts); do not edit.',
    '// The device loop\'s ONNX graphs (src/pipeline/step-graph-spec.ts), base64. A unit test',
    '// regenerates them and compares.',
    '',
    'export const STEP_GRAPHS_BASE64: Readonly<Record<string, string>> = {',
    ...lines,
    '};',
    '',
  ].join('\n');
}

/** Validates every graph in onnxruntime-node, then writes the module when its text changed. */
export async function writeStepGraphsModule(log: (line: string) => void = () => {}): Promise<{ path: string; changed: boolean }> {
  const graphs = stepGraphs();
  for (const graph of graphs) await validateModel(graph.bytes, graph.expected, { label: graph.name });
  const path = join(repoRoot(), STEP_GRAPHS_MODULE);
  const source = stepGraphsModuleSource(graphs);
  let current: string | null = null;
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    current = null;
  }
  const changed = current !== source;
  if (changed) writeFileSync(path, source);
  const bytes = graphs.reduce((sum, graph) => sum + graph.bytes.length, 0);
  log(`step graphs: ${graphs.length} validated, ${bytes} bytes, ${changed ? 'written to' : 'up to date in'} ${STEP_GRAPHS_MODULE}`);
  return { path, changed };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeStepGraphsModule((line) => console.info(line)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}

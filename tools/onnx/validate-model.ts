// Loads a model in onnxruntime-node and checks its interface against what the app expects: a
// model that protobuf accepts but a runtime rejects (bad types, unknown ops) fails here, at build time.
import * as ort from 'onnxruntime-node';
import type { Dim, ElementType } from './graph-builder.ts';

export interface TensorExpectation {
  readonly name: string;
  readonly type: ElementType;
  readonly dims: readonly Dim[];
}

export interface ModelExpectation {
  readonly inputs: readonly TensorExpectation[];
  readonly outputs: readonly TensorExpectation[];
}

export class ModelValidationError extends Error {
  override readonly name = 'ModelValidationError';
  readonly code = 'MODEL_VALIDATION_FAILED';
  constructor(
    readonly model: string,
    readonly problems: readonly string[],
  ) {
    super(`${model} does not match its expected interface:\n  ${problems.join('\n  ')}`);
  }
}

function describeDims(dims: readonly Dim[]): string {
  return `[${dims.join(', ')}]`;
}

function compareTensors(
  role: 'input' | 'output',
  expected: readonly TensorExpectation[],
  actual: readonly ort.InferenceSession.ValueMetadata[],
): string[] {
  const problems: string[] = [];
  const actualNames = actual.map((value) => value.name);
  const expectedNames = expected.map((value) => value.name);
  if (actualNames.join('\u0000') !== expectedNames.join('\u0000')) {
    problems.push(`${role}s are [${actualNames.join(', ')}], expected [${expectedNames.join(', ')}]`);
  }
  for (const want of expected) {
    const have = actual.find((value) => value.name === want.name);
    if (!have) continue;
    if (!have.isTensor) {
      problems.push(`${role} ${want.name} is not a tensor`);
      continue;
    }
    if (have.type !== want.type) problems.push(`${role} ${want.name} has type ${have.type}, expected ${want.type}`);
    const sameDims = have.shape.length === want.dims.length && have.shape.every((dim, i) => dim === want.dims[i]);
    if (!sameDims) problems.push(`${role} ${want.name} has dims ${describeDims(have.shape)}, expected ${describeDims(want.dims)}`);
  }
  return problems;
}

/**
 * Creates an inference session for `model` (a path, so external data resolves, or the bytes) and
 * checks names, element types and dims of its inputs and outputs. Throws ModelValidationError.
 */
export async function validateModel(
  model: string | Uint8Array,
  expected: ModelExpectation,
  { label = typeof model === 'string' ? model : 'model' }: { label?: string } = {},
): Promise<void> {
  const session =
    typeof model === 'string'
      ? await ort.InferenceSession.create(model, { graphOptimizationLevel: 'disabled' })
      : await ort.InferenceSession.create(model, { graphOptimizationLevel: 'disabled' });
  try {
    const problems = [
      ...compareTensors('input', expected.inputs, session.inputMetadata),
      ...compareTensors('output', expected.outputs, session.outputMetadata),
    ];
    if (problems.length > 0) throw new ModelValidationError(label, problems);
  } finally {
    await session.release();
  }
}

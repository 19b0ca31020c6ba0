// A small typed builder for ONNX graphs (opset 17, IR 8) over the onnx-proto schema. Values are
// named after the op and a scope, PyTorch-export style ("/unet/down.0/Conv_output_0"), so graphs
// read like the diffusers exports they imitate.
import { closeSync, openSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { onnx as OnnxNamespace } from 'onnx-proto';
import { toFloat16Array } from './float16.ts';

// onnx-proto is CommonJS with `module.exports = root`; Node's ESM loader cannot see its named export.
const { onnx } = createRequire(import.meta.url)('onnx-proto') as typeof import('onnx-proto');

export const OPSET_VERSION = 17;
export const IR_VERSION = 8;

export type ElementType = 'float32' | 'float16' | 'int64' | 'int32' | 'bool' | 'uint8';
export type FloatType = 'float32' | 'float16';
/** A fixed size, or a symbolic name (dim_param) for a dynamic one. */
export type Dim = number | string;

const ONNX_DATA_TYPE: Readonly<Record<ElementType, number>> = {
  float32: 1,
  uint8: 2,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
};

export const BYTES_PER_ELEMENT: Readonly<Record<ElementType, number>> = {
  float32: 4,
  uint8: 1,
  int32: 4,
  int64: 8,
  bool: 1,
  float16: 2,
};

export function onnxDataType(type: ElementType): number {
  return ONNX_DATA_TYPE[type];
}

/** Tensor contents produced on demand, so a large model's weights can be streamed to disk. */
export interface TensorData {
  readonly type: ElementType;
  readonly dims: readonly number[];
  readonly bytes: () => Uint8Array;
}

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((product, dim) => product * dim, 1);
}

/** Little-endian raw bytes of `values` as `type` (float16 values are converted, not bit patterns). */
export function encodeTensorBytes(type: ElementType, values: ArrayLike<number>): Uint8Array {
  const bytes = new Uint8Array(values.length * BYTES_PER_ELEMENT[type]);
  const view = new DataView(bytes.buffer);
  switch (type) {
    case 'float32':
      for (let i = 0; i < values.length; i += 1) view.setFloat32(i * 4, values[i], true);
      break;
    case 'float16': {
      const bits = toFloat16Array(values);
      for (let i = 0; i < bits.length; i += 1) view.setUint16(i * 2, bits[i], true);
      break;
    }
    case 'int64':
      for (let i = 0; i < values.length; i += 1) view.setBigInt64(i * 8, BigInt(values[i]), true);
      break;
    case 'int32':
      for (let i = 0; i < values.length; i += 1) view.setInt32(i * 4, values[i], true);
      break;
    case 'bool':
    case 'uint8':
      for (let i = 0; i < values.length; i += 1) view.setUint8(i, values[i]);
      break;
  }
  return bytes;
}

export function tensorData(type: ElementType, values: ArrayLike<number>, dims: readonly number[] = [values.length]): TensorData {
  if (elementCount(dims) !== values.length) {
    throw new GraphBuildError('SHAPE_MISMATCH', `${values.length} values do not fill dims [${dims.join(', ')}]`);
  }
  const bytes = encodeTensorBytes(type, values);
  return { type, dims: [...dims], bytes: () => bytes };
}

export class GraphBuildError extends Error {
  override readonly name = 'GraphBuildError';
  constructor(
    readonly code: 'SHAPE_MISMATCH' | 'UNKNOWN_VALUE' | 'DUPLICATE_NAME',
    message: string,
  ) {
    super(message);
  }
}

/** A named tensor in the graph: a graph input, an initializer or a node output. */
export class Value {
  constructor(readonly name: string) {}
}

export type AttributeValue =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly kind: 'floats'; readonly value: readonly number[] }
  | { readonly kind: 'tensor'; readonly value: TensorData };

export const attr = {
  int: (value: number): AttributeValue => ({ kind: 'int', value }),
  float: (value: number): AttributeValue => ({ kind: 'float', value }),
  string: (value: string): AttributeValue => ({ kind: 'string', value }),
  ints: (value: readonly number[]): AttributeValue => ({ kind: 'ints', value }),
  floats: (value: readonly number[]): AttributeValue => ({ kind: 'floats', value }),
  tensor: (value: TensorData): AttributeValue => ({ kind: 'tensor', value }),
};

export interface ValueInfo {
  readonly name: string;
  readonly type: ElementType;
  readonly dims: readonly Dim[];
}

export interface ModelOptions {
  readonly producerName?: string;
  readonly producerVersion?: string;
  readonly docString?: string;
  /** Written as metadata_props, sorted by key so the bytes do not depend on insertion order. */
  readonly metadata?: Readonly<Record<string, string>>;
}

interface Initializer {
  readonly name: string;
  readonly data: TensorData;
}

interface PendingNode {
  readonly opType: string;
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: Readonly<Record<string, AttributeValue>>;
}

export interface ConvOptions {
  readonly strides?: readonly number[];
  readonly pads?: readonly number[];
  readonly group?: number;
  readonly dilations?: readonly number[];
}

export class GraphBuilder {
  private readonly nodes: PendingNode[] = [];
  private readonly initializers: Initializer[] = [];
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly usedNames = new Set<string>();
  /** Names a node may read: graph inputs, initializers and earlier nodes' outputs. */
  private readonly available = new Set<string>();
  private readonly scopes: string[] = [];

  constructor(readonly graphName: string) {}

  // ---- naming -------------------------------------------------------------------------------

  /** Runs `build` with names prefixed by `scope` (nested scopes join with "/"). */
  scoped<T>(scope: string, build: () => T): T {
    this.scopes.push(scope);
    try {
      return build();
    } finally {
      this.scopes.pop();
    }
  }

  private uniqueName(hint: string): string {
    const base = this.scopes.length > 0 ? `/${this.scopes.join('/')}/${hint}` : hint;
    let name = base;
    for (let counter = 1; this.usedNames.has(name); counter += 1) name = `${base}_${counter}`;
    this.usedNames.add(name);
    return name;
  }

  private claimName(name: string): void {
    if (this.usedNames.has(name)) throw new GraphBuildError('DUPLICATE_NAME', `"${name}" is already used in ${this.graphName}`);
    this.usedNames.add(name);
  }

  // ---- graph interface ------------------------------------------------------------------------

  input(name: string, type: ElementType, dims: readonly Dim[]): Value {
    this.claimName(name);
    this.inputs.push({ name, type, dims: [...dims] });
    this.available.add(name);
    return new Value(name);
  }

  /** Declares `value` as the graph output `name` (through an Identity when it has another name). */
  output(value: Value, name: string, type: ElementType, dims: readonly Dim[]): void {
    if (!this.available.has(value.name)) {
      throw new GraphBuildError('UNKNOWN_VALUE', `output "${name}" reads "${value.name}", which nothing in ${this.graphName} produces`);
    }
    if (value.name !== name) {
      this.claimName(name);
      this.nodes.push({ opType: 'Identity', name: this.uniqueName(`${name}_identity`), inputs: [value.name], outputs: [name], attributes: {} });
    }
    this.outputs.push({ name, type, dims: [...dims] });
  }

  initializer(data: TensorData, hint = 'const'): Value {
    const name = this.uniqueName(hint);
    this.initializers.push({ name, data });
    this.available.add(name);
    return new Value(name);
  }

  /** An initializer whose bytes are generated from its final (unique) name when the model is written. */
  generatedInitializer(hint: string, type: ElementType, dims: readonly number[], generate: (name: string) => Uint8Array): Value {
    const name = this.uniqueName(hint);
    this.initializers.push({ name, data: { type, dims: [...dims], bytes: () => generate(name) } });
    this.available.add(name);
    return new Value(name);
  }

  float32(values: ArrayLike<number>, dims?: readonly number[], hint = 'const'): Value {
    return this.initializer(tensorData('float32', values, dims), hint);
  }

  float16(values: ArrayLike<number>, dims?: readonly number[], hint = 'const'): Value {
    return this.initializer(tensorData('float16', values, dims), hint);
  }

  floats(type: FloatType, values: ArrayLike<number>, dims?: readonly number[], hint = 'const'): Value {
    return this.initializer(tensorData(type, values, dims), hint);
  }

  /** A 0-d float constant of the given type. */
  scalar(type: FloatType, value: number, hint = 'const'): Value {
    return this.initializer(tensorData(type, [value], []), hint);
  }

  int64(values: ArrayLike<number>, dims?: readonly number[], hint = 'const'): Value {
    return this.initializer(tensorData('int64', values, dims), hint);
  }

  int32(values: ArrayLike<number>, dims?: readonly number[], hint = 'const'): Value {
    return this.initializer(tensorData('int32', values, dims), hint);
  }

  // ---- nodes ----------------------------------------------------------------------------------

  /** Adds a node; `null` inputs are ONNX's empty "optional input left out". */
  node(
    opType: string,
    inputs: readonly (Value | null)[],
    attributes: Readonly<Record<string, AttributeValue>> = {},
    outputCount = 1,
  ): Value[] {
    for (const input of inputs) {
      if (input !== null && !this.available.has(input.name)) {
        throw new GraphBuildError('UNKNOWN_VALUE', `${opType} reads "${input.name}", which nothing in ${this.graphName} produces yet`);
      }
    }
    // ONNX lets trailing optional inputs be left out entirely; do so rather than write "".
    let inputCount = inputs.length;
    while (inputCount > 0 && inputs[inputCount - 1] === null) inputCount -= 1;
    const name = this.uniqueName(opType);
    const outputs = Array.from({ length: outputCount }, (_, i) => `${name}_output_${i}`);
    for (const output of outputs) {
      this.claimName(output);
      this.available.add(output);
    }
    this.nodes.push({ opType, name, inputs: inputs.slice(0, inputCount).map((i) => (i === null ? '' : i.name)), outputs, attributes });
    return outputs.map((output) => new Value(output));
  }

  op(opType: string, inputs: readonly (Value | null)[], attributes: Readonly<Record<string, AttributeValue>> = {}): Value {
    return this.node(opType, inputs, attributes, 1)[0];
  }

  // ---- elementwise ----------------------------------------------------------------------------

  add(a: Value, b: Value): Value { return this.op('Add', [a, b]); }
  sub(a: Value, b: Value): Value { return this.op('Sub', [a, b]); }
  mul(a: Value, b: Value): Value { return this.op('Mul', [a, b]); }
  div(a: Value, b: Value): Value { return this.op('Div', [a, b]); }
  pow(a: Value, b: Value): Value { return this.op('Pow', [a, b]); }
  max(...values: Value[]): Value { return this.op('Max', values); }
  min(...values: Value[]): Value { return this.op('Min', values); }
  sqrt(x: Value): Value { return this.op('Sqrt', [x]); }
  abs(x: Value): Value { return this.op('Abs', [x]); }
  neg(x: Value): Value { return this.op('Neg', [x]); }
  floor(x: Value): Value { return this.op('Floor', [x]); }
  exp(x: Value): Value { return this.op('Exp', [x]); }
  sin(x: Value): Value { return this.op('Sin', [x]); }
  cos(x: Value): Value { return this.op('Cos', [x]); }
  erf(x: Value): Value { return this.op('Erf', [x]); }
  sigmoid(x: Value): Value { return this.op('Sigmoid', [x]); }
  equal(a: Value, b: Value): Value { return this.op('Equal', [a, b]); }
  less(a: Value, b: Value): Value { return this.op('Less', [a, b]); }
  greater(a: Value, b: Value): Value { return this.op('Greater', [a, b]); }
  not(x: Value): Value { return this.op('Not', [x]); }
  and(a: Value, b: Value): Value { return this.op('And', [a, b]); }
  where(condition: Value, whenTrue: Value, whenFalse: Value): Value { return this.op('Where', [condition, whenTrue, whenFalse]); }
  identity(x: Value): Value { return this.op('Identity', [x]); }

  cast(x: Value, to: ElementType): Value {
    return this.op('Cast', [x], { to: attr.int(onnxDataType(to)) });
  }

  /** x · sigmoid(x), as torch exports SiLU at opset 17. */
  silu(x: Value): Value {
    return this.mul(x, this.sigmoid(x));
  }

  /** Exact (erf) GELU: 0.5 · x · (1 + erf(x / √2)). */
  gelu(x: Value, type: FloatType): Value {
    const erf = this.erf(this.div(x, this.scalar(type, Math.SQRT2)));
    return this.mul(this.mul(x, this.scalar(type, 0.5)), this.add(erf, this.scalar(type, 1)));
  }

  clip(x: Value, min: Value | null, max: Value | null): Value {
    return this.op('Clip', [x, min, max]);
  }

  // ---- shapes ---------------------------------------------------------------------------------

  /** Shape(x)[start:end] as int64 (opset 15 start/end attributes). */
  shape(x: Value, start?: number, end?: number): Value {
    const attributes: Record<string, AttributeValue> = {};
    if (start !== undefined) attributes.start = attr.int(start);
    if (end !== undefined) attributes.end = attr.int(end);
    return this.op('Shape', [x], attributes);
  }

  private int64Input(value: Value | readonly number[]): Value {
    return value instanceof Value ? value : this.int64(value);
  }

  reshape(x: Value, shape: Value | readonly number[]): Value {
    return this.op('Reshape', [x, this.int64Input(shape)]);
  }

  unsqueeze(x: Value, axes: readonly number[]): Value {
    return this.op('Unsqueeze', [x, this.int64(axes)]);
  }

  squeeze(x: Value, axes: readonly number[]): Value {
    return this.op('Squeeze', [x, this.int64(axes)]);
  }

  concat(values: readonly Value[], axis: number): Value {
    return this.op('Concat', values, { axis: attr.int(axis) });
  }

  transpose(x: Value, perm: readonly number[]): Value {
    return this.op('Transpose', [x], { perm: attr.ints(perm) });
  }

  expand(x: Value, shape: Value | readonly number[]): Value {
    return this.op('Expand', [x, this.int64Input(shape)]);
  }

  slice(
    x: Value,
    starts: Value | readonly number[],
    ends: Value | readonly number[],
    axes?: readonly number[],
    steps?: readonly number[],
  ): Value {
    return this.op('Slice', [
      x,
      this.int64Input(starts),
      this.int64Input(ends),
      axes === undefined ? null : this.int64(axes),
      steps === undefined ? null : this.int64(steps),
    ]);
  }

  split(x: Value, sizes: readonly number[], axis: number): Value[] {
    return this.node('Split', [x, this.int64(sizes)], { axis: attr.int(axis) }, sizes.length);
  }

  gather(data: Value, indices: Value, axis = 0): Value {
    return this.op('Gather', [data, indices], { axis: attr.int(axis) });
  }

  range(start: Value, limit: Value, delta: Value): Value {
    return this.op('Range', [start, limit, delta]);
  }

  constantOfShape(shape: Value, fill: TensorData): Value {
    return this.op('ConstantOfShape', [shape], { value: attr.tensor(fill) });
  }

  // ---- reductions -----------------------------------------------------------------------------

  /** ReduceSum (axes as an input since opset 13). */
  reduceSum(x: Value, axes: readonly number[], keepDims = true): Value {
    return this.op('ReduceSum', [x, this.int64(axes)], { keepdims: attr.int(keepDims ? 1 : 0) });
  }

  /** ReduceMax (axes still an attribute at opset 17). */
  reduceMax(x: Value, axes: readonly number[], keepDims = true): Value {
    return this.op('ReduceMax', [x], { axes: attr.ints(axes), keepdims: attr.int(keepDims ? 1 : 0) });
  }

  reduceMean(x: Value, axes: readonly number[], keepDims = true): Value {
    return this.op('ReduceMean', [x], { axes: attr.ints(axes), keepdims: attr.int(keepDims ? 1 : 0) });
  }

  argMax(x: Value, axis: number, keepDims = true): Value {
    return this.op('ArgMax', [x], { axis: attr.int(axis), keepdims: attr.int(keepDims ? 1 : 0) });
  }

  cumSum(x: Value, axis: number): Value {
    return this.op('CumSum', [x, this.int64([axis], [])]);
  }

  // ---- neural-network ops -----------------------------------------------------------------------

  matMul(a: Value, b: Value): Value {
    return this.op('MatMul', [a, b]);
  }

  softmax(x: Value, axis = -1): Value {
    return this.op('Softmax', [x], { axis: attr.int(axis) });
  }

  conv(x: Value, weight: Value, bias: Value | null, options: ConvOptions = {}): Value {
    const attributes: Record<string, AttributeValue> = {};
    if (options.strides) attributes.strides = attr.ints(options.strides);
    if (options.pads) attributes.pads = attr.ints(options.pads);
    if (options.dilations) attributes.dilations = attr.ints(options.dilations);
    if (options.group !== undefined) attributes.group = attr.int(options.group);
    return this.op('Conv', bias === null ? [x, weight] : [x, weight, bias], attributes);
  }

  instanceNorm(x: Value, scale: Value, bias: Value, epsilon = 1e-5): Value {
    return this.op('InstanceNormalization', [x, scale, bias], { epsilon: attr.float(epsilon) });
  }

  /**
   * GroupNorm over [N, C, H, W] the way torch exports it before opset 18: reshape to [N, G, -1],
   * InstanceNormalization, reshape back, then the per-channel affine.
   */
  groupNorm(x: Value, groups: number, gamma: Value, beta: Value, type: FloatType, epsilon = 1e-5): Value {
    const grouped = this.reshape(x, [0, groups, -1]);
    const ones = this.floats(type, new Array<number>(groups).fill(1), [groups], 'group_norm_ones');
    const zeros = this.floats(type, new Array<number>(groups).fill(0), [groups], 'group_norm_zeros');
    const normalized = this.reshape(this.instanceNorm(grouped, ones, zeros, epsilon), this.shape(x));
    return this.add(this.mul(normalized, gamma), beta);
  }

  layerNorm(x: Value, scale: Value, bias: Value, epsilon = 1e-5, axis = -1): Value {
    return this.op('LayerNormalization', [x, scale, bias], { axis: attr.int(axis), epsilon: attr.float(epsilon) });
  }

  /** Nearest-neighbour upsampling of the two trailing axes of an NCHW tensor by an integer factor. */
  resizeNearest(x: Value, factor: number): Value {
    const scales = this.float32([1, 1, factor, factor], [4], 'resize_scales');
    return this.op('Resize', [x, null, scales], {
      mode: attr.string('nearest'),
      coordinate_transformation_mode: attr.string('asymmetric'),
      nearest_mode: attr.string('floor'),
    });
  }

  // ---- inspection -----------------------------------------------------------------------------

  private floatInitializers(): TensorData[] {
    return this.initializers.map(({ data }) => data).filter((data) => data.type === 'float32' || data.type === 'float16');
  }

  /** Number of float values held in initializers (the weights; integer shape constants are left out). */
  parameterCount(): number {
    return this.floatInitializers().reduce((sum, data) => sum + elementCount(data.dims), 0);
  }

  /** Bytes of float initializer data. */
  parameterBytes(): number {
    return this.floatInitializers().reduce((sum, data) => sum + elementCount(data.dims) * BYTES_PER_ELEMENT[data.type], 0);
  }

  get nodeCount(): number {
    return this.nodes.length;
  }

  // ---- serialisation ---------------------------------------------------------------------------

  /** ModelProto bytes with every initializer inline. */
  encode(options: ModelOptions = {}): Uint8Array {
    const initializers = this.initializers.map(({ name, data }) =>
      onnx.TensorProto.create({ name, dims: [...data.dims], dataType: onnxDataType(data.type), rawData: data.bytes() }),
    );
    return encodeModelProto(this.modelProto(initializers, [], options));
  }

  /**
   * ModelProto bytes where every weight larger than `keepInlineBelow` elements is replaced by a
   * ConstantOfShape node filled with a small value: the graph keeps its real structure and shapes
   * (a runtime can load and check it) without gigabytes of weights.
   */
  encodeStructureOnly(options: ModelOptions = {}, keepInlineBelow = 1024): Uint8Array {
    const initializers: OnnxNamespace.ITensorProto[] = [];
    const generators: PendingNode[] = [];
    for (const { name, data } of this.initializers) {
      if (elementCount(data.dims) < keepInlineBelow) {
        initializers.push(onnx.TensorProto.create({ name, dims: [...data.dims], dataType: onnxDataType(data.type), rawData: data.bytes() }));
        continue;
      }
      const shapeName = `${name}__shape`;
      initializers.push(onnx.TensorProto.create({
        name: shapeName,
        dims: [data.dims.length],
        dataType: onnxDataType('int64'),
        rawData: encodeTensorBytes('int64', data.dims),
      }));
      generators.push({
        opType: 'ConstantOfShape',
        name: `${name}__generate`,
        inputs: [shapeName],
        outputs: [name],
        attributes: { value: attr.tensor(tensorData(data.type, [0.01], [1])) },
      });
    }
    return encodeModelProto(this.modelProto(initializers, generators, options));
  }

  /**
   * Writes the model to `modelPath` with the bytes of every initializer of at least
   * `externalFrom` bytes streamed, one tensor at a time, into `modelPath`'s sibling file
   * `dataFileName` (ONNX external data), so multi-gigabyte weights never sit in memory together.
   * Small tensors stay inline, as onnx.save does: runtimes read shape constants (axes, shapes)
   * while inferring shapes, before external data is loaded.
   */
  writeWithExternalData(
    modelPath: string,
    dataFileName: string,
    options: ModelOptions = {},
    externalFrom = 1024,
  ): { modelBytes: number; dataBytes: number } {
    const dataPath = modelPath.replace(/[^/\\]+$/, dataFileName);
    const descriptor = openSync(dataPath, 'w');
    let offset = 0;
    const initializers: OnnxNamespace.ITensorProto[] = [];
    try {
      for (const { name, data } of this.initializers) {
        const bytes = data.bytes();
        if (bytes.length < externalFrom) {
          initializers.push(onnx.TensorProto.create({ name, dims: [...data.dims], dataType: onnxDataType(data.type), rawData: bytes }));
          continue;
        }
        writeSync(descriptor, bytes);
        initializers.push(onnx.TensorProto.create({
          name,
          dims: [...data.dims],
          dataType: onnxDataType(data.type),
          dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
          externalData: [
            { key: 'location', value: dataFileName },
            { key: 'offset', value: String(offset) },
            { key: 'length', value: String(bytes.length) },
          ],
        }));
        offset += bytes.length;
      }
    } finally {
      closeSync(descriptor);
    }
    const modelBytes = encodeModelProto(this.modelProto(initializers, [], options));
    const modelDescriptor = openSync(modelPath, 'w');
    try {
      writeSync(modelDescriptor, modelBytes);
    } finally {
      closeSync(modelDescriptor);
    }
    return { modelBytes: modelBytes.length, dataBytes: offset };
  }

  private modelProto(
    initializers: OnnxNamespace.ITensorProto[],
    leadingNodes: readonly PendingNode[],
    options: ModelOptions,
  ): OnnxNamespace.ModelProto {
    const metadata = Object.entries(options.metadata ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: options.producerName ?? 'local-sd-tools',
      producerVersion: options.producerVersion ?? '1',
      docString: options.docString ?? '',
      opsetImport: [{ domain: '', version: OPSET_VERSION }],
      metadataProps: metadata.map(([key, value]) => ({ key, value })),
      graph: {
        name: this.graphName,
        node: [...leadingNodes, ...this.nodes].map(nodeProto),
        initializer: initializers,
        input: this.inputs.map(valueInfoProto),
        output: this.outputs.map(valueInfoProto),
      },
    });
  }
}

function encodeModelProto(model: OnnxNamespace.ModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

function valueInfoProto(info: ValueInfo): OnnxNamespace.IValueInfoProto {
  return {
    name: info.name,
    type: {
      tensorType: {
        elemType: onnxDataType(info.type),
        shape: { dim: info.dims.map((dim) => (typeof dim === 'number' ? { dimValue: dim } : { dimParam: dim })) },
      },
    },
  };
}

function nodeProto(node: PendingNode): OnnxNamespace.INodeProto {
  return {
    name: node.name,
    opType: node.opType,
    domain: '',
    input: [...node.inputs],
    output: [...node.outputs],
    attribute: Object.entries(node.attributes).map(([name, value]) => attributeProto(name, value)),
  };
}

function attributeProto(name: string, value: AttributeValue): OnnxNamespace.IAttributeProto {
  const types = onnx.AttributeProto.AttributeType;
  switch (value.kind) {
    case 'int':
      return { name, type: types.INT, i: value.value };
    case 'float':
      return { name, type: types.FLOAT, f: value.value };
    case 'string':
      return { name, type: types.STRING, s: new TextEncoder().encode(value.value) };
    case 'ints':
      return { name, type: types.INTS, ints: [...value.value] };
    case 'floats':
      return { name, type: types.FLOATS, floats: [...value.value] };
    case 'tensor': {
      const data = value.value;
      return { name, type: types.TENSOR, t: { dims: [...data.dims], dataType: onnxDataType(data.type), rawData: data.bytes() } };
    }
  }
}

/** Decodes ModelProto bytes (for tests and inspection). */
export function decodeModel(bytes: Uint8Array): OnnxNamespace.ModelProto {
  return onnx.ModelProto.decode(bytes);
}

// Stable-Diffusion-shaped models with seeded random weights, for measuring speed: the UNet follows
// diffusers' UNet2DConditionModel (SD 2.x flavour: linear projections, GEGLU feed-forward), the text
// encoder and VAE decoder follow their CLIP / AutoencoderKL counterparts in a reduced form. The
// pictures they make are noise; only the work per step is realistic.
import {
  GraphBuilder,
  elementCount,
  encodeTensorBytes,
  type FloatType,
  type Value,
} from '../onnx/graph-builder.ts';
import type { ModelExpectation } from '../onnx/validate-model.ts';

export type BenchConfigName = 'small' | 'full';

export interface BenchUnetConfig {
  /** Output channels of each resolution level (diffusers `block_out_channels`). */
  readonly blockChannels: readonly number[];
  readonly layersPerBlock: number;
  /** Attention heads per level (SD 2.x's `attention_head_dim`, which diffusers reads as head counts). */
  readonly attentionHeads: readonly number[];
  /** Whether each level has transformer (self + cross attention) blocks; the innermost one has not. */
  readonly crossAttention: readonly boolean[];
  readonly contextDim: number;
  readonly groups: number;
}

export interface BenchTextEncoderConfig {
  readonly width: number;
  readonly layers: number;
  readonly heads: number;
  readonly vocabSize: number;
  readonly sequenceLength: number;
}

export interface BenchVaeDecoderConfig {
  /** Channels per level from the highest resolution up (diffusers order); the decoder runs them reversed. */
  readonly blockChannels: readonly number[];
  /** ResNets per level (the decoder has `layersPerBlock + 1`). */
  readonly layersPerBlock: number;
  readonly groups: number;
}

export interface BenchConfig {
  readonly name: BenchConfigName;
  readonly type: FloatType;
  readonly seed: number;
  /** The latent side the benchmark is meant to run at (the graphs accept any multiple of 8). */
  readonly latentSize: number;
  readonly unet: BenchUnetConfig;
  readonly textEncoder: BenchTextEncoderConfig;
  readonly vaeDecoder: BenchVaeDecoderConfig;
}

export const BENCH_CONFIGS: Readonly<Record<BenchConfigName, BenchConfig>> = {
  // SD's layout at a fifth of the width (≈35M parameters): about one second per UNet step (batch 2,
  // 64×64 latent) on two CPU cores in onnxruntime-node.
  small: {
    name: 'small',
    type: 'float32',
    seed: 1,
    latentSize: 64,
    unet: { blockChannels: [64, 128, 256, 256], layersPerBlock: 2, attentionHeads: [1, 2, 4, 4], crossAttention: [true, true, true, false], contextDim: 256, groups: 32 },
    textEncoder: { width: 256, layers: 2, heads: 4, vocabSize: 49408, sequenceLength: 77 },
    vaeDecoder: { blockChannels: [32, 64, 64, 64], layersPerBlock: 1, groups: 32 },
  },
  // SD-Turbo / SD 2.1 UNet shapes (≈865M parameters), fp16 weights (≈1.7 GB): for GPUs.
  full: {
    name: 'full',
    type: 'float16',
    seed: 1,
    latentSize: 64,
    unet: { blockChannels: [320, 640, 1280, 1280], layersPerBlock: 2, attentionHeads: [5, 10, 20, 20], crossAttention: [true, true, true, false], contextDim: 1024, groups: 32 },
    textEncoder: { width: 1024, layers: 2, heads: 16, vocabSize: 49408, sequenceLength: 77 },
    vaeDecoder: { blockChannels: [128, 256, 512, 512], layersPerBlock: 2, groups: 32 },
  },
};

// ---- seeded weights ----------------------------------------------------------------------------------

/** FNV-1a of the tensor's name, so each tensor's values depend on its name and the seed, not on build order. */
function nameSeed(name: string, seed: number): number {
  let hash = 0x811c9dc5 ^ seed;
  for (let i = 0; i < name.length; i += 1) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Uniform values in [−scale, scale) from a mulberry32 stream. */
function uniformValues(count: number, scale: number, seed: number): Float32Array {
  const values = new Float32Array(count);
  let state = seed >>> 0;
  for (let i = 0; i < count; i += 1) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const unit = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    values[i] = (unit * 2 - 1) * scale;
  }
  return values;
}

/** Creates named weight initializers whose bytes are generated only when the model is written. */
class Weights {
  constructor(
    private readonly g: GraphBuilder,
    private readonly type: FloatType,
    private readonly seed: number,
  ) {}

  random(hint: string, dims: readonly number[], scale: number): Value {
    return this.g.generatedInitializer(hint, this.type, dims, (name) =>
      encodeTensorBytes(this.type, uniformValues(elementCount(dims), scale, nameSeed(name, this.seed))),
    );
  }

  filled(hint: string, dims: readonly number[], fill: number): Value {
    return this.g.initializer({ type: this.type, dims, bytes: () => encodeTensorBytes(this.type, new Float32Array(elementCount(dims)).fill(fill)) }, hint);
  }

  /** Weight [in, out] scaled so activations keep roughly unit size, plus a small bias. */
  linear(inFeatures: number, outFeatures: number, bias = true): { weight: Value; bias: Value | null } {
    return {
      weight: this.random('weight', [inFeatures, outFeatures], Math.sqrt(3 / inFeatures)),
      bias: bias ? this.random('bias', [outFeatures], 0.02) : null,
    };
  }

  conv(inChannels: number, outChannels: number, kernel: number): { weight: Value; bias: Value } {
    return {
      weight: this.random('weight', [outChannels, inChannels, kernel, kernel], Math.sqrt(3 / (inChannels * kernel * kernel))),
      bias: this.random('bias', [outChannels], 0.02),
    };
  }
}

/** The layers diffusers models are made of, over one graph and one weight factory. */
class Layers {
  readonly w: Weights;

  constructor(
    readonly g: GraphBuilder,
    readonly type: FloatType,
    seed: number,
  ) {
    this.w = new Weights(g, type, seed);
  }

  scalar(value: number): Value {
    return this.g.scalar(this.type, value);
  }

  linear(x: Value, inFeatures: number, outFeatures: number, bias = true): Value {
    const { weight, bias: b } = this.w.linear(inFeatures, outFeatures, bias);
    const product = this.g.matMul(x, weight);
    return b ? this.g.add(product, b) : product;
  }

  conv(x: Value, inChannels: number, outChannels: number, kernel: number, stride = 1): Value {
    const { weight, bias } = this.w.conv(inChannels, outChannels, kernel);
    const pad = (kernel - 1) / 2;
    return this.g.conv(x, weight, bias, { pads: [pad, pad, pad, pad], strides: [stride, stride] });
  }

  groupNorm(x: Value, channels: number, groups: number, epsilon: number): Value {
    const gamma = this.w.filled('norm_weight', [channels, 1, 1], 1);
    const beta = this.w.filled('norm_bias', [channels, 1, 1], 0);
    return this.g.groupNorm(x, groups, gamma, beta, this.type, epsilon);
  }

  layerNorm(x: Value, width: number, epsilon = 1e-5): Value {
    return this.g.layerNorm(x, this.w.filled('ln_weight', [width], 1), this.w.filled('ln_bias', [width], 0), epsilon);
  }

  /** ResnetBlock2D: GN, SiLU, conv3×3, + time embedding, GN, SiLU, conv3×3, + (1×1 conv) shortcut. */
  resnet(x: Value, inChannels: number, outChannels: number, groups: number, timeEmbedding: Value | null, timeDim = 0): Value {
    const g = this.g;
    return g.scoped('resnet', () => {
      let h = this.conv(g.silu(this.groupNorm(x, inChannels, groups, 1e-5)), inChannels, outChannels, 3);
      if (timeEmbedding) {
        const projected = this.linear(g.silu(timeEmbedding), timeDim, outChannels); // [T, out]
        h = g.add(h, g.unsqueeze(projected, [2, 3]));
      }
      h = this.conv(g.silu(this.groupNorm(h, outChannels, groups, 1e-5)), outChannels, outChannels, 3);
      const shortcut = inChannels === outChannels ? x : this.conv(x, inChannels, outChannels, 1);
      return g.add(shortcut, h);
    });
  }

  /** Multi-head attention of `x` [B, N, C] over `context` [B, M, contextDim] (itself when null). */
  attention(x: Value, width: number, heads: number, context: Value | null, contextDim: number, causalMask: Value | null = null): Value {
    const g = this.g;
    return g.scoped('attn', () => {
      const headDim = width / heads;
      const source = context ?? x;
      const sourceDim = context ? contextDim : width;
      const splitHeads = (t: Value, perm: number[]): Value => g.transpose(g.reshape(t, [0, 0, heads, headDim]), perm);
      const query = splitHeads(this.linear(x, width, width, false), [0, 2, 1, 3]); // [B, h, N, d]
      const keyT = splitHeads(this.linear(source, sourceDim, width, false), [0, 2, 3, 1]); // [B, h, d, M]
      const value = splitHeads(this.linear(source, sourceDim, width, false), [0, 2, 1, 3]); // [B, h, M, d]
      let scores = g.mul(g.matMul(query, keyT), this.scalar(1 / Math.sqrt(headDim)));
      if (causalMask) scores = g.add(scores, causalMask);
      const attended = g.matMul(g.softmax(scores, -1), value);
      const merged = g.reshape(g.transpose(attended, [0, 2, 1, 3]), [0, 0, width]);
      return this.linear(merged, width, width);
    });
  }

  /** GEGLU feed-forward: Linear(C → 8C), value · GELU(gate), Linear(4C → C). */
  gegluFeedForward(x: Value, width: number): Value {
    const g = this.g;
    return g.scoped('ff', () => {
      const inner = 4 * width;
      const [value, gate] = g.split(this.linear(x, width, 2 * inner), [inner, inner], -1);
      return this.linear(g.mul(value, g.gelu(gate, this.type)), inner, width);
    });
  }

  /** Transformer2DModel with linear projections: GN, proj_in, self-attn, cross-attn, FF, proj_out, residual. */
  spatialTransformer(x: Value, channels: number, heads: number, groups: number, context: Value, contextDim: number): Value {
    const g = this.g;
    return g.scoped('transformer', () => {
      const normed = this.groupNorm(x, channels, groups, 1e-6);
      const tokens = g.transpose(g.reshape(normed, [0, channels, -1]), [0, 2, 1]); // [B, HW, C]
      let h = this.linear(tokens, channels, channels);
      h = g.add(h, this.attention(this.layerNorm(h, channels), channels, heads, null, 0));
      h = g.add(h, this.attention(this.layerNorm(h, channels), channels, heads, context, contextDim));
      h = g.add(h, this.gegluFeedForward(this.layerNorm(h, channels), channels));
      h = this.linear(h, channels, channels);
      const spatial = g.reshape(g.transpose(h, [0, 2, 1]), g.shape(x));
      return g.add(spatial, x);
    });
  }
}

// ---- UNet ------------------------------------------------------------------------------------------

export function benchUnetInterface(config: BenchConfig): ModelExpectation {
  const { type } = config;
  return {
    inputs: [
      { name: 'sample', type, dims: ['batch', 4, 'height', 'width'] },
      { name: 'timestep', type, dims: ['batch'] },
      { name: 'encoder_hidden_states', type, dims: ['batch', 'sequence', config.unet.contextDim] },
    ],
    outputs: [{ name: 'out_sample', type, dims: ['batch', 4, 'height', 'width'] }],
  };
}

/** Sinusoidal embedding of the timestep (diffusers Timesteps, flip_sin_to_cos, shift 0) in float32, [T, dim]. */
function timestepEmbedding(g: GraphBuilder, timestep: Value, dim: number): Value {
  const half = dim / 2;
  const frequencies = Array.from({ length: half }, (_, i) => Math.exp((-Math.log(10000) * i) / half));
  const angles = g.mul(g.unsqueeze(timestep, [1]), g.float32(frequencies, [1, half], 'frequencies'));
  return g.concat([g.cos(angles), g.sin(angles)], 1);
}

export function buildBenchUnet(config: BenchConfig): GraphBuilder {
  const { type, unet } = config;
  const g = new GraphBuilder('bench_unet');
  const layers = new Layers(g, type, config.seed);
  const channels = unet.blockChannels;
  const levels = channels.length;
  const timeDim = channels[0] * 4;

  const sample = g.input('sample', type, ['batch', 4, 'height', 'width']);
  const timestep = g.input('timestep', type, ['batch']);
  const context = g.input('encoder_hidden_states', type, ['batch', 'sequence', unet.contextDim]);

  const timeEmbedding = g.scoped('time_embedding', () => {
    let embedded = timestepEmbedding(g, type === 'float32' ? timestep : g.cast(timestep, 'float32'), channels[0]);
    if (type !== 'float32') embedded = g.cast(embedded, type);
    return layers.linear(g.silu(layers.linear(embedded, channels[0], timeDim)), timeDim, timeDim);
  });

  let h = g.scoped('conv_in', () => layers.conv(sample, 4, channels[0], 3));
  const skips: { value: Value; channels: number }[] = [{ value: h, channels: channels[0] }];
  let current = channels[0];

  for (let level = 0; level < levels; level += 1) {
    g.scoped(`down_blocks.${level}`, () => {
      for (let i = 0; i < unet.layersPerBlock; i += 1) {
        h = layers.resnet(h, current, channels[level], unet.groups, timeEmbedding, timeDim);
        current = channels[level];
        if (unet.crossAttention[level]) h = layers.spatialTransformer(h, current, unet.attentionHeads[level], unet.groups, context, unet.contextDim);
        skips.push({ value: h, channels: current });
      }
      if (level < levels - 1) {
        h = g.scoped('downsample', () => layers.conv(h, current, current, 3, 2));
        skips.push({ value: h, channels: current });
      }
    });
  }

  g.scoped('mid_block', () => {
    const last = levels - 1;
    h = layers.resnet(h, current, current, unet.groups, timeEmbedding, timeDim);
    h = layers.spatialTransformer(h, current, unet.attentionHeads[last], unet.groups, context, unet.contextDim);
    h = layers.resnet(h, current, current, unet.groups, timeEmbedding, timeDim);
  });

  for (let up = 0; up < levels; up += 1) {
    const level = levels - 1 - up;
    g.scoped(`up_blocks.${up}`, () => {
      for (let i = 0; i <= unet.layersPerBlock; i += 1) {
        const skip = skips.pop();
        if (!skip) throw new Error('the UNet ran out of skip connections');
        h = layers.resnet(g.concat([h, skip.value], 1), current + skip.channels, channels[level], unet.groups, timeEmbedding, timeDim);
        current = channels[level];
        if (unet.crossAttention[level]) h = layers.spatialTransformer(h, current, unet.attentionHeads[level], unet.groups, context, unet.contextDim);
      }
      if (level > 0) h = g.scoped('upsample', () => layers.conv(g.resizeNearest(h, 2), current, current, 3));
    });
  }

  const out = g.scoped('conv_out', () => layers.conv(g.silu(layers.groupNorm(h, current, unet.groups, 1e-5)), current, 4, 3));
  g.output(out, 'out_sample', type, ['batch', 4, 'height', 'width']);
  return g;
}

// ---- text encoder ------------------------------------------------------------------------------------

export function benchTextEncoderInterface(config: BenchConfig): ModelExpectation {
  const { textEncoder, type } = config;
  return {
    inputs: [{ name: 'input_ids', type: 'int32', dims: ['batch', textEncoder.sequenceLength] }],
    outputs: [{ name: 'last_hidden_state', type, dims: ['batch', textEncoder.sequenceLength, textEncoder.width] }],
  };
}

/** CLIP-text-shaped: token + position embeddings, causal pre-LN transformer layers (quick-GELU MLP), final LN. */
export function buildBenchTextEncoder(config: BenchConfig): GraphBuilder {
  const { textEncoder: te, type } = config;
  const g = new GraphBuilder('bench_text_encoder');
  const layers = new Layers(g, type, config.seed);
  const inputIds = g.input('input_ids', 'int32', ['batch', te.sequenceLength]);
  const tokenTable = layers.w.random('token_embedding', [te.vocabSize, te.width], 1);
  const positions = layers.w.random('position_embedding', [te.sequenceLength, te.width], 0.1);
  let h = g.add(g.gather(tokenTable, inputIds), positions);
  const mask = new Float32Array(te.sequenceLength * te.sequenceLength);
  for (let row = 0; row < te.sequenceLength; row += 1) {
    for (let column = row + 1; column < te.sequenceLength; column += 1) mask[row * te.sequenceLength + column] = -1e4;
  }
  const causalMask = g.floats(type, mask, [te.sequenceLength, te.sequenceLength], 'causal_mask');
  for (let i = 0; i < te.layers; i += 1) {
    g.scoped(`layers.${i}`, () => {
      h = g.add(h, layers.attention(layers.layerNorm(h, te.width), te.width, te.heads, null, 0, causalMask));
      const hidden = layers.linear(layers.layerNorm(h, te.width), te.width, 4 * te.width);
      const quickGelu = g.mul(hidden, g.sigmoid(g.mul(hidden, layers.scalar(1.702))));
      h = g.add(h, layers.linear(quickGelu, 4 * te.width, te.width));
    });
  }
  g.output(layers.layerNorm(h, te.width), 'last_hidden_state', type, ['batch', te.sequenceLength, te.width]);
  return g;
}

// ---- VAE decoder -------------------------------------------------------------------------------------

export function benchVaeDecoderInterface(config: BenchConfig): ModelExpectation {
  return {
    inputs: [{ name: 'latent_sample', type: config.type, dims: ['batch', 4, 'height', 'width'] }],
    outputs: [{ name: 'sample', type: config.type, dims: ['batch', 3, 'image_height', 'image_width'] }],
  };
}

/** AutoencoderKL-decoder-shaped: conv_in, mid (resnet, attention, resnet), 4 levels of resnets with 3 upsamplings, conv_out. */
export function buildBenchVaeDecoder(config: BenchConfig): GraphBuilder {
  const { vaeDecoder: vae, type } = config;
  const g = new GraphBuilder('bench_vae_decoder');
  const layers = new Layers(g, type, config.seed);
  const reversed = [...vae.blockChannels].reverse();
  const latent = g.input('latent_sample', type, ['batch', 4, 'height', 'width']);
  let current = reversed[0];
  let h = g.scoped('post_quant_conv', () => layers.conv(latent, 4, 4, 1));
  h = g.scoped('conv_in', () => layers.conv(h, 4, current, 3));
  h = g.scoped('mid_block', () => {
    let x = layers.resnet(h, current, current, vae.groups, null);
    const tokens = g.transpose(g.reshape(layers.groupNorm(x, current, vae.groups, 1e-6), [0, current, -1]), [0, 2, 1]);
    const attended = layers.attention(tokens, current, 1, null, 0);
    x = g.add(x, g.reshape(g.transpose(attended, [0, 2, 1]), g.shape(x)));
    return layers.resnet(x, current, current, vae.groups, null);
  });
  reversed.forEach((channels, level) => {
    g.scoped(`up_blocks.${level}`, () => {
      for (let i = 0; i <= vae.layersPerBlock; i += 1) {
        h = layers.resnet(h, current, channels, vae.groups, null);
        current = channels;
      }
      if (level < reversed.length - 1) h = g.scoped('upsample', () => layers.conv(g.resizeNearest(h, 2), current, current, 3));
    });
  });
  const out = g.scoped('conv_out', () => layers.conv(g.silu(layers.groupNorm(h, current, vae.groups, 1e-6)), current, 3, 3));
  g.output(out, 'sample', type, ['batch', 3, 'image_height', 'image_width']);
  return g;
}

export interface BenchModel {
  readonly path: string;
  readonly graph: GraphBuilder;
  readonly expected: ModelExpectation;
}

export function benchModels(config: BenchConfig): BenchModel[] {
  return [
    { path: 'text_encoder/model.onnx', graph: buildBenchTextEncoder(config), expected: benchTextEncoderInterface(config) },
    { path: 'unet/model.onnx', graph: buildBenchUnet(config), expected: benchUnetInterface(config) },
    { path: 'vae_decoder/model.onnx', graph: buildBenchVaeDecoder(config), expected: benchVaeDecoderInterface(config) },
  ];
}

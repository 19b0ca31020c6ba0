// The benchmark models: the small config builds into the diffusers layout, loads in onnxruntime-node
// and runs a UNet step; the full config (SD-Turbo shapes) is checked as structure only, with its
// weights generated inside the graph, so no gigabytes are written.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBenchModels, parseCommandLine, type BuiltFolder } from '../../tools/build-models.ts';
import { BENCH_CONFIGS, benchModels, buildBenchVaeDecoder } from '../../tools/models/bench.ts';
import { validateModel } from '../../tools/onnx/validate-model.ts';

const small = BENCH_CONFIGS.small;
let outDir: string;
let folder: BuiltFolder;

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'bench-models-'));
  folder = await buildBenchModels({ config: 'small', outDir });
});

afterAll(() => {
  rmSync(outDir, { recursive: true, force: true });
});

function random(count: number): Float32Array {
  return Float32Array.from({ length: count }, (_, i) => Math.sin(i * 12.9898) * 0.9);
}

async function runOnce(path: string, feeds: Record<string, ort.Tensor>): Promise<ort.Tensor> {
  const session = await ort.InferenceSession.create(path, { intraOpNumThreads: 2 });
  try {
    const outputs = await session.run(feeds);
    return outputs[session.outputNames[0]];
  } finally {
    await session.release();
  }
}

describe('small bench config', () => {
  it('writes the diffusers layout with a tokenizer and scheduler', () => {
    const paths = folder.files.map((file) => file.path).sort();
    expect(paths).toEqual(
      expect.arrayContaining(['model_index.json', 'scheduler/scheduler_config.json', 'tokenizer/tokenizer.json', 'text_encoder/model.onnx', 'unet/model.onnx', 'vae_decoder/model.onnx']),
    );
    expect(folder.dir).toBe(join(outDir, 'small'));
  });

  it('runs one UNet step with batch 2 and returns out_sample in the sample shape', async () => {
    const [batch, side] = [2, 16];
    const output = await runOnce(join(folder.dir, 'unet', 'model.onnx'), {
      sample: new ort.Tensor('float32', random(batch * 4 * side * side), [batch, 4, side, side]),
      timestep: new ort.Tensor('float32', new Float32Array([999]), [1]),
      encoder_hidden_states: new ort.Tensor('float32', random(batch * 77 * small.unet.contextDim), [batch, 77, small.unet.contextDim]),
    });
    expect(output.dims).toEqual([batch, 4, side, side]);
    const values = output.data as Float32Array;
    expect(values.every(Number.isFinite)).toBe(true);
    expect(new Set(values).size).toBeGreaterThan(100); // real work happened, not a constant
  });

  it('runs the text encoder to [1, 77, C] and the VAE decoder to [1, 3, 8h, 8w]', async () => {
    const ids = new Int32Array(77).fill(49407);
    ids.set([49406, 320, 1125, 539, 320, 2368]);
    const hidden = await runOnce(join(folder.dir, 'text_encoder', 'model.onnx'), { input_ids: new ort.Tensor('int32', ids, [1, 77]) });
    expect(hidden.dims).toEqual([1, 77, small.textEncoder.width]);
    const image = await runOnce(join(folder.dir, 'vae_decoder', 'model.onnx'), { latent_sample: new ort.Tensor('float32', random(4 * 8 * 12), [1, 4, 8, 12]) });
    expect(image.dims).toEqual([1, 3, 64, 96]);
    expect((image.data as Float32Array).every(Number.isFinite)).toBe(true);
  });

  it('generates the same weights on every build (seeded by tensor name)', () => {
    const first = buildBenchVaeDecoder(small).encode();
    const second = buildBenchVaeDecoder(small).encode();
    expect(Buffer.from(first).equals(Buffer.from(second))).toBe(true);
    const reseeded = buildBenchVaeDecoder({ ...small, seed: 2 }).encode();
    expect(Buffer.from(first).equals(Buffer.from(reseeded))).toBe(false);
  });
});

describe('full bench config (structure only)', () => {
  it('has SD-Turbo UNet shapes: ≈865M parameters, ≈1.7 GB in fp16', () => {
    const unet = benchModels(BENCH_CONFIGS.full).find((model) => model.path === 'unet/model.onnx');
    const parameters = unet?.graph.parameterCount() ?? 0;
    // diffusers' UNet2DConditionModel for SD 2.1 / SD-Turbo has 865,910,724.
    expect(Math.abs(parameters - 865_910_724) / 865_910_724).toBeLessThan(1e-3);
    expect((unet?.graph.parameterBytes() ?? 0) / parameters).toBeCloseTo(2, 4); // fp16 throughout
  });

  it('loads in onnxruntime-node with the expected fp16 interface for all three models', async () => {
    for (const model of benchModels(BENCH_CONFIGS.full)) {
      const bytes = model.graph.encodeStructureOnly({ docString: 'structure check' });
      expect(bytes.length).toBeLessThan(4 * 1024 * 1024);
      await validateModel(bytes, model.expected, { label: `full/${model.path}` });
    }
    expect(benchModels(BENCH_CONFIGS.full)[1].expected.inputs.map((input) => input.type)).toEqual(['float16', 'float16', 'float16']);
  });

  it('is asked for explicitly on the command line', () => {
    expect(parseCommandLine([])).toMatchObject({ bench: false, config: 'small' });
    expect(parseCommandLine(['--bench', '--config', 'full', '--out', '/tmp/x'])).toMatchObject({ bench: true, config: 'full', outDir: '/tmp/x' });
    expect(() => parseCommandLine(['--bench', '--config', 'huge'])).toThrowError(/small or full/);
    expect(() => parseCommandLine(['--fast'])).toThrowError(/unknown option/);
  });
});

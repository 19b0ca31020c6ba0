import { describe, expect, it } from 'vitest';
import { deflateSync } from 'node:zlib';
import { formatParameters, parseParameters, type GenerationParams } from '../../src/generation/params.ts';
import { crc32, encodePng, readPngText } from '../../src/image/png.ts';

const params: GenerationParams = {
  prompt: 'a red circle on a blue background',
  negativePrompt: 'blurry',
  seed: 42,
  steps: 8,
  guidance: 1.5,
  width: 512,
  height: 384,
  scheduler: 'euler_a',
  modelId: 'oracle-shapes',
};

describe('A1111 parameters text', () => {
  it('is written in the format AUTOMATIC1111 uses', () => {
    expect(formatParameters(params, 'Shapes oracle (demo)')).toBe(
      'a red circle on a blue background\nNegative prompt: blurry\n' +
        'Steps: 8, Sampler: Euler a, CFG scale: 1.5, Seed: 42, Size: 512x384, Model: Shapes oracle (demo)',
    );
  });

  it('omits an empty negative prompt and quotes values with separators', () => {
    const text = formatParameters({ ...params, negativePrompt: '' }, 'org/model, v2');
    expect(text.split('\n')).toHaveLength(2);
    expect(text).toContain('Model: "org/model, v2"');
  });

  it('round-trips multi-line prompts and quoted values', () => {
    const text = formatParameters({ ...params, prompt: 'line one\nline two', negativePrompt: 'bad\nworse' }, 'a, b');
    const parsed = parseParameters(text);
    expect(parsed.prompt).toBe('line one\nline two');
    expect(parsed.negativePrompt).toBe('bad\nworse');
    expect(parsed.fields).toMatchObject({ Steps: '8', Sampler: 'Euler a', 'CFG scale': '1.5', Seed: '42', Size: '512x384', Model: 'a, b' });
  });
});

describe('PNG text chunks', () => {
  const deflate = async (d: Uint8Array) => new Uint8Array(deflateSync(d));
  const pixels = new Uint8Array(2 * 2 * 4).fill(200);

  it('writes chunks whose CRCs a decoder accepts', async () => {
    // The CRC of the IEND chunk type is fixed by the PNG spec.
    expect(crc32(new TextEncoder().encode('IEND'))).toBe(0xae426082);
    const png = await encodePng(pixels, 2, 2, deflate, { parameters: 'x' });
    const view = new DataView(png.buffer);
    for (let offset = 8; offset < png.length; ) {
      const length = view.getUint32(offset);
      expect(view.getUint32(offset + 8 + length)).toBe(crc32(png.subarray(offset + 4, offset + 8 + length)));
      offset += 12 + length;
    }
  });

  it('stores Latin-1 text as tEXt and reads it back', async () => {
    const png = await encodePng(pixels, 2, 2, deflate, { parameters: 'a red circle' });
    expect(Buffer.from(png).includes(Buffer.from('tEXtparameters'))).toBe(true);
    expect(readPngText(png)).toEqual({ parameters: 'a red circle' });
  });

  it('stores other scripts as UTF-8 iTXt', async () => {
    const text = 'un cercle rouge 🔴 赤い円';
    const png = await encodePng(pixels, 2, 2, deflate, { parameters: text });
    expect(Buffer.from(png).includes(Buffer.from('iTXtparameters'))).toBe(true);
    expect(readPngText(png).parameters).toBe(text);
  });

  it('rejects a pixel buffer of the wrong size', async () => {
    await expect(encodePng(pixels, 3, 2, deflate)).rejects.toThrow(/expected 24 RGBA bytes/);
  });
});

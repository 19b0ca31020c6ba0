// The CLIP tokenizer files built from shared/data/clip: the vocabulary matches CLIP's construction,
// @huggingface/transformers loads the folder and produces the ids of an independent port of CLIP's
// own tokenizer, which in turn match the hand-checked golden file.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer, env, type PreTrainedTokenizer } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clipTokenizerFiles, writeFiles } from '../../tools/tokenizer/build-clip.ts';
import { ReferenceClipTokenizer } from '../../tools/tokenizer/clip-reference.ts';
import { CLIP_MERGE_COUNT, byteToUnicodePairs, readClipMerges } from '../../tools/tokenizer/clip-vocabulary.ts';
import { GOLDEN_PROMPTS, type GoldenEntry } from '../../tools/tokenizer/write-clip-golden.ts';

const BOS = 49406;
const EOS = 49407;
const golden = JSON.parse(readFileSync(new URL('./golden/clip-tokens.json', import.meta.url), 'utf8')) as GoldenEntry[];

let workDir: string;
let merges: string[];
let files: Map<string, string>;
let vocab: Record<string, number>;
let tokenizer: PreTrainedTokenizer;
let reference: ReferenceClipTokenizer;

function modelInputIds(text: string): number[] {
  const encoded = tokenizer(text, { padding: 'max_length', max_length: 77, truncation: true, return_tensor: false }) as { input_ids: number[] };
  return encoded.input_ids;
}

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'clip-tokenizer-'));
  merges = readClipMerges();
  files = clipTokenizerFiles(merges);
  writeFiles(join(workDir, 'clip'), files);
  vocab = JSON.parse(files.get('vocab.json') ?? '{}') as Record<string, number>;
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = workDir;
  tokenizer = await AutoTokenizer.from_pretrained('clip');
  reference = new ReferenceClipTokenizer(merges);
});

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

describe('vocabulary', () => {
  it('has 49,408 ids: 256 bytes, 256 bytes with </w>, 48,894 merges, then the two specials', () => {
    const ids = Object.values(vocab);
    expect(ids).toHaveLength(49408);
    expect(new Set(ids).size).toBe(49408);
    expect(Math.max(...ids)).toBe(49407);
    expect(merges).toHaveLength(CLIP_MERGE_COUNT);
    expect(vocab['<|startoftext|>']).toBe(BOS);
    expect(vocab['<|endoftext|>']).toBe(EOS);
    // Line 48,895 of the merges file ("jeky ll</w>") is the last merge used and the last regular token.
    expect(merges[merges.length - 1]).toBe('jeky ll</w>');
    expect(vocab['jekyll</w>']).toBe(49405);
  });

  it('numbers the byte characters in bytes_to_unicode order', () => {
    // '!' … '~' come first, so '!' is 0 and 'a' (0x61) is 0x61 − 0x21 = 64; with </w>, 256 more.
    expect(vocab['!']).toBe(0);
    expect(vocab.a).toBe(64);
    expect(vocab['a</w>']).toBe(320);
    // After the 188 printable bytes, byte 0 maps to U+0100 with id 188, and byte 0x20 (space) to 'Ġ'.
    expect(vocab['\u0100']).toBe(188);
    expect(vocab['Ġ']).toBe(188 + 32);
    const pairs = byteToUnicodePairs();
    expect(new Set(pairs.map(([byte]) => byte)).size).toBe(256);
    expect(pairs[vocab['é']]).toEqual([0xe9, 'é']);
  });

  it('writes merges.txt with the version header and the specials in tokenizer.json', () => {
    const mergesText = files.get('merges.txt') ?? '';
    expect(mergesText.startsWith('#version: 0.2\ni n\nt h\n')).toBe(true);
    expect(mergesText.trimEnd().split('\n')).toHaveLength(CLIP_MERGE_COUNT + 1);
    const tokenizerJson = JSON.parse(files.get('tokenizer.json') ?? '{}') as {
      model: { end_of_word_suffix: string; continuing_subword_prefix: string };
      post_processor: { cls: [string, number]; sep: [string, number] };
      added_tokens: { id: number; content: string; special: boolean }[];
    };
    expect(tokenizerJson.model.end_of_word_suffix).toBe('</w>');
    expect(tokenizerJson.model.continuing_subword_prefix).toBe('');
    expect(tokenizerJson.post_processor.cls).toEqual(['<|startoftext|>', BOS]);
    expect(tokenizerJson.post_processor.sep).toEqual(['<|endoftext|>', EOS]);
    expect(tokenizerJson.added_tokens.map((t) => [t.id, t.content, t.special])).toEqual([
      [BOS, '<|startoftext|>', true],
      [EOS, '<|endoftext|>', true],
    ]);
    const config = JSON.parse(files.get('tokenizer_config.json') ?? '{}') as Record<string, unknown>;
    expect(config).toMatchObject({ tokenizer_class: 'CLIPTokenizer', model_max_length: 77, pad_token: '<|endoftext|>' });
  });
});

describe('encoding with @huggingface/transformers', () => {
  it('encodes the reference prompt and pads to 77 with <|endoftext|>', () => {
    const ids = modelInputIds('a photo of a cat');
    expect(ids.slice(0, 7)).toEqual([BOS, 320, 1125, 539, 320, 2368, EOS]);
    expect(ids).toHaveLength(77);
    expect(ids.slice(7).every((id) => id === EOS)).toBe(true);
  });

  it('matches the golden ids for every golden prompt', () => {
    expect(golden.map((entry) => entry.prompt)).toEqual([...GOLDEN_PROMPTS]);
    for (const entry of golden) {
      const padded = [...entry.ids, ...new Array<number>(77 - entry.ids.length).fill(EOS)];
      expect(modelInputIds(entry.prompt), JSON.stringify(entry.prompt)).toEqual(padded);
    }
  });

  it('agrees with the reference port of simple_tokenizer.py token by token', () => {
    for (const entry of golden) {
      expect(reference.tokenize(entry.prompt), JSON.stringify(entry.prompt)).toEqual(entry.tokens);
      expect(reference.encodeForModel(entry.prompt).slice(0, entry.ids.length)).toEqual(entry.ids);
      expect(entry.tokens.map((token) => vocab[token])).toEqual(entry.ids.slice(1, -1));
    }
  });

  it('spells the hand-checked cases as CLIP does', () => {
    const tokensOf = (prompt: string): string[] => golden.find((entry) => entry.prompt === prompt)?.tokens as string[];
    // Apostrophe suffixes split off; lower-casing; punctuation as separate words.
    expect(tokensOf("it's a dog's life, isn't it? we'll see; they'd've").slice(0, 9)).toEqual([
      'it</w>', "'s</w>", 'a</w>', 'dog</w>', "'s</w>", 'life</w>', ',</w>', 'isn</w>', "'t</w>",
    ]);
    expect(tokensOf('A RED Circle on a Blue Background')).toEqual(['a</w>', 'red</w>', 'circle</w>', 'on</w>', 'a</w>', 'blue</w>', 'background</w>']);
    // Digits are single tokens each.
    expect(tokensOf('1024 x 768, 3.14 and 42nd street').slice(0, 4)).toEqual(['1</w>', '0</w>', '2</w>', '4</w>']);
    // é is UTF-8 C3 A9, byte characters 'Ã' '©'; the emoji are 4 bytes merged into one token.
    expect(tokensOf('café crème brûlée')[0]).toBe('cafÃ©</w>');
    expect(tokensOf('a cat 🐱 with a rocket 🚀')[2]).toBe('ðŁĲ±</w>');
    // Runs of whitespace collapse; leading and trailing whitespace vanish.
    expect(tokensOf('  lots   of\textra \n spaces  ')).toEqual(['lots</w>', 'of</w>', 'extra</w>', 'spaces</w>']);
  });

  it('truncates a long prompt to 77 ids; diffusers-style truncation keeps <|endoftext|> last', () => {
    const long = Array.from({ length: 120 }, (_, i) => (i % 2 === 0 ? 'red' : 'circle')).join(' ');
    const expected = reference.encodeForModel(long);
    expect(expected).toHaveLength(77);
    expect(expected[0]).toBe(BOS);
    expect(expected[76]).toBe(EOS);
    // transformers.js cuts after adding the markers, so its 77th id is a word, unlike Python's
    // CLIPTokenizer; the first 76 agree. Encoding without markers and wrapping gives diffusers' ids.
    const cut = modelInputIds(long);
    expect(cut).toHaveLength(77);
    expect(cut.slice(0, 76)).toEqual(expected.slice(0, 76));
    const bare = (tokenizer(long, { add_special_tokens: false, return_tensor: false }) as { input_ids: number[] }).input_ids;
    expect([BOS, ...bare.slice(0, 75), EOS]).toEqual(expected);
  });
});

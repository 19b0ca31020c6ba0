// Writes a Hugging Face CLIPTokenizer folder (vocab.json, merges.txt, tokenizer.json, configs) from
// the CLIP merges in the shared folder. Usage: npx tsx tools/tokenizer/build-clip.ts [--out DIR]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { clipTokenizerJson } from '../../src/pipeline/clip-tokenizer.ts';
import {
  END_OF_TEXT,
  START_OF_TEXT,
  clipVocabulary,
  readClipMerges,
  repoRoot,
  sharedDir,
} from './clip-vocabulary.ts';


export interface ClipTokenizerOptions {
  /** SD 1.x pads with <|endoftext|>; SD 2.x / SD-Turbo tokenizers pad with "!" (id 0). */
  readonly padToken?: string;
  readonly modelMaxLength?: number;
}

/** File name → contents of the tokenizer folder. JSON is compact: the folder ships with the app. */
export function clipTokenizerFiles(merges: readonly string[], options: ClipTokenizerOptions = {}): Map<string, string> {
  const padToken = options.padToken ?? END_OF_TEXT;
  const modelMaxLength = options.modelMaxLength ?? 77;
  const tokens = clipVocabulary(merges);
  const vocab: Record<string, number> = {};
  tokens.forEach((token, id) => {
    vocab[token] = id;
  });
  // The same tokenizer.json the app builds for repos that ship only vocab.json + merges.txt.
  const tokenizerJson = clipTokenizerJson({ vocab, merges: merges.join('\n') });
  const specialTokensMap = { bos_token: START_OF_TEXT, eos_token: END_OF_TEXT, pad_token: padToken, unk_token: END_OF_TEXT };
  const tokenizerConfig = {
    add_prefix_space: false,
    bos_token: START_OF_TEXT,
    clean_up_tokenization_spaces: true,
    do_lower_case: true,
    eos_token: END_OF_TEXT,
    errors: 'replace',
    model_max_length: modelMaxLength,
    pad_token: padToken,
    tokenizer_class: 'CLIPTokenizer',
    unk_token: END_OF_TEXT,
  };
  return new Map([
    ['merges.txt', `#version: 0.2\n${merges.join('\n')}\n`],
    ['special_tokens_map.json', `${JSON.stringify(specialTokensMap, null, 2)}\n`],
    ['tokenizer.json', JSON.stringify(tokenizerJson)],
    ['tokenizer_config.json', `${JSON.stringify(tokenizerConfig, null, 2)}\n`],
    ['vocab.json', JSON.stringify(vocab)],
  ]);
}

export function writeFiles(dir: string, files: ReadonlyMap<string, string | Uint8Array>): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, contents] of files) writeFileSync(join(dir, name), contents);
}

function main(argv: readonly string[]): void {
  const outIndex = argv.indexOf('--out');
  const out = outIndex >= 0 && argv[outIndex + 1] ? resolve(argv[outIndex + 1]) : join(repoRoot(), 'build', 'tokenizer');
  writeFiles(out, clipTokenizerFiles(readClipMerges(sharedDir())));
  console.info(`CLIP tokenizer written to ${out}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main(process.argv.slice(2));

// Regenerates tests/unit/golden/clip-tokens.json from the reference port of CLIP's tokenizer. Run it
// only on purpose (npx tsx tools/tokenizer/write-clip-golden.ts) and review the diff by hand: the
// golden file is what the Hugging Face tokenizer files are held to.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ReferenceClipTokenizer } from './clip-reference.ts';
import { readClipMerges, repoRoot } from './clip-vocabulary.ts';

/** Prompts covering capitals, punctuation, apostrophes, whitespace, digits, accents, emoji and CJK. */
export const GOLDEN_PROMPTS = [
  'a photo of a cat',
  'A RED Circle on a Blue Background',
  'a red circle, on a blue background!',
  "it's a dog's life, isn't it? we'll see; they'd've",
  '  lots   of\textra \n spaces  ',
  '1024 x 768, 3.14 and 42nd street',
  'café crème brûlée',
  'a cat 🐱 with a rocket 🚀',
  '東京の猫',
  'green on on red square',
  "don't STOP—believin' … ¿qué?",
  'reddish-blue squares',
  '',
] as const;

export interface GoldenEntry {
  readonly prompt: string;
  /** BPE tokens, without the start and end markers. */
  readonly tokens: readonly string[];
  /** Ids with the start and end markers, unpadded. */
  readonly ids: readonly number[];
}

export function goldenEntries(tokenizer: ReferenceClipTokenizer): GoldenEntry[] {
  return GOLDEN_PROMPTS.map((prompt) => {
    const ids = tokenizer.encodeForModel(prompt);
    return { prompt, tokens: tokenizer.tokenize(prompt), ids: ids.slice(0, ids.indexOf(49407) + 1) };
  });
}

function main(): void {
  const path = join(repoRoot(), 'tests', 'unit', 'golden', 'clip-tokens.json');
  const entries = goldenEntries(new ReferenceClipTokenizer(readClipMerges()));
  writeFileSync(path, `${JSON.stringify(entries, null, 2)}\n`);
  console.info(`wrote ${entries.length} prompts to ${path}`);
}

if (process.argv[1]?.endsWith('write-clip-golden.ts')) main();

// CLIP's byte-level BPE vocabulary, constructed the way OpenAI's simple_tokenizer.py does from
// bpe_simple_vocab_16e6.txt.gz (see shared/data/clip/README.md).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

export const CLIP_MERGE_COUNT = 49152 - 256 - 2; // 48,894: lines 2 … 48,895 of the merges file
export const CLIP_VOCAB_SIZE = 49408;
export const START_OF_TEXT = '<|startoftext|>';
export const END_OF_TEXT = '<|endoftext|>';
export const START_OF_TEXT_ID = 49406;
export const END_OF_TEXT_ID = 49407;
export const END_OF_WORD = '</w>';
export const CLIP_MERGES_FILE = 'data/clip/bpe_simple_vocab_16e6.txt.gz';

export class ClipVocabularyError extends Error {
  override readonly name = 'ClipVocabularyError';
  constructor(
    readonly code: 'MERGES_FILE_MISSING' | 'MERGES_FILE_MALFORMED',
    message: string,
  ) {
    super(message);
  }
}

/** The project's root (two levels above this file). */
export function repoRoot(): string {
  return fileURLToPath(new URL('../../', import.meta.url));
}

/** The read-only shared folder: `$SHARED_DIR`, else `../shared` next to the repository. */
export function sharedDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.SHARED_DIR ? resolve(env.SHARED_DIR) : resolve(repoRoot(), '../shared');
}

/**
 * GPT-2's reversible byte → printable character table, in CLIP's order: the printable Latin-1
 * bytes first ('!'…'~', '¡'…'¬', '®'…'ÿ') mapped to themselves, then the other bytes mapped to
 * U+0100 onwards. The order of the pairs is the order of the first 256 vocabulary ids.
 */
export function byteToUnicodePairs(): Array<readonly [byte: number, char: string]> {
  const printable: number[] = [];
  const addRange = (from: string, to: string): void => {
    for (let code = from.charCodeAt(0); code <= to.charCodeAt(0); code += 1) printable.push(code);
  };
  addRange('!', '~');
  addRange('¡', '¬');
  addRange('®', 'ÿ');
  const pairs: Array<readonly [number, string]> = printable.map((byte) => [byte, String.fromCharCode(byte)] as const);
  let extra = 0;
  for (let byte = 0; byte < 256; byte += 1) {
    if (!printable.includes(byte)) {
      pairs.push([byte, String.fromCharCode(256 + extra)]);
      extra += 1;
    }
  }
  return pairs;
}

/** The merges, in rank order, as "left right" strings. */
export function readClipMerges(shared = sharedDir()): string[] {
  const path = resolve(shared, CLIP_MERGES_FILE);
  let text: string;
  try {
    text = gunzipSync(readFileSync(path)).toString('utf8');
  } catch (cause) {
    throw new ClipVocabularyError('MERGES_FILE_MISSING', `cannot read the CLIP merges at ${path}: ${String(cause)}`);
  }
  const merges = text.split('\n').slice(1, CLIP_MERGE_COUNT + 1);
  if (merges.length !== CLIP_MERGE_COUNT || merges.some((line) => line.split(' ').length !== 2)) {
    throw new ClipVocabularyError('MERGES_FILE_MALFORMED', `${path} does not hold ${CLIP_MERGE_COUNT} "left right" merges`);
  }
  return merges;
}

/** Tokens by id: 256 byte chars, the same with </w>, one per merge, then the two specials. */
export function clipVocabulary(merges: readonly string[]): string[] {
  const byteChars = byteToUnicodePairs().map(([, char]) => char);
  return [
    ...byteChars,
    ...byteChars.map((char) => char + END_OF_WORD),
    ...merges.map((merge) => merge.replace(' ', '')),
    START_OF_TEXT,
    END_OF_TEXT,
  ];
}

// CLIP's byte-level BPE vocabulary, constructed the way OpenAI's simple_tokenizer.py does from
// bpe_simple_vocab_16e6.txt.gz (see shared/data/clip/README.md).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
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

/**
 * The folder holding `data/clip/`: `$SHARED_DIR`, else the project's read-only `../shared`, else the
 * copy vendored in `vendor/shared` (for machines without the shared folder).
 */
export function sharedDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SHARED_DIR) return resolve(env.SHARED_DIR);
  const sibling = resolve(repoRoot(), '../shared');
  return existsSync(resolve(sibling, CLIP_MERGES_FILE)) ? sibling : resolve(repoRoot(), 'vendor/shared');
}

/** sha256 of bpe_simple_vocab_16e6.txt.gz (shared/data/clip/README.md). */
export const CLIP_MERGES_SHA256 = '924691ac288e54409236115652ad4aa250f48203de50a9e4722a6ecd48d6804a';

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
  let gz: Buffer;
  try {
    gz = readFileSync(path);
    text = gunzipSync(gz).toString('utf8');
  } catch (cause) {
    throw new ClipVocabularyError('MERGES_FILE_MISSING', `cannot read the CLIP merges at ${path}: ${String(cause)}`);
  }
  if (createHash('sha256').update(gz).digest('hex') !== CLIP_MERGES_SHA256) {
    throw new ClipVocabularyError('MERGES_FILE_MALFORMED', `${path} is not the CLIP vocabulary file (its sha256 differs from ${CLIP_MERGES_SHA256})`);
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

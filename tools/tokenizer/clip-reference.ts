// A direct port of OpenAI CLIP's simple_tokenizer.py, independent of the Hugging Face files, used
// to derive and check the tokenizer's golden ids. Left out: ftfy.fix_text and html.unescape, which
// repair mojibake and HTML entities (neither the HF tokenizers nor diffusers apply them).
import {
  END_OF_TEXT,
  END_OF_TEXT_ID,
  END_OF_WORD,
  START_OF_TEXT,
  START_OF_TEXT_ID,
  byteToUnicodePairs,
  clipVocabulary,
} from './clip-vocabulary.ts';

/** CLIP's split pattern (Python `regex` with IGNORECASE; the text is lower-cased before it anyway). */
const CLIP_PATTERN = /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/giu;

export class ReferenceClipTokenizer {
  private readonly encoder: Map<string, number>;
  private readonly ranks: Map<string, number>;
  private readonly byteEncoder: Map<number, string>;
  private readonly cache = new Map<string, string[]>([
    [START_OF_TEXT, [START_OF_TEXT]],
    [END_OF_TEXT, [END_OF_TEXT]],
  ]);

  constructor(merges: readonly string[]) {
    this.encoder = new Map(clipVocabulary(merges).map((token, id) => [token, id]));
    this.ranks = new Map(merges.map((merge, rank) => [merge, rank]));
    this.byteEncoder = new Map(byteToUnicodePairs());
  }

  /** simple_tokenizer.bpe: repeatedly merge the lowest-ranked adjacent pair, all occurrences left to right. */
  bpe(token: string): string[] {
    const cached = this.cache.get(token);
    if (cached) return cached;
    const chars = Array.from(token);
    let word = [...chars.slice(0, -1), chars[chars.length - 1] + END_OF_WORD];
    while (word.length > 1) {
      let best: [string, string] | null = null;
      let bestRank = Infinity;
      for (let i = 0; i < word.length - 1; i += 1) {
        const rank = this.ranks.get(`${word[i]} ${word[i + 1]}`);
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          best = [word[i], word[i + 1]];
        }
      }
      if (best === null) break;
      const [first, second] = best;
      const merged: string[] = [];
      for (let i = 0; i < word.length; ) {
        if (word[i] === first && i < word.length - 1 && word[i + 1] === second) {
          merged.push(first + second);
          i += 2;
        } else {
          merged.push(word[i]);
          i += 1;
        }
      }
      word = merged;
    }
    this.cache.set(token, word);
    return word;
  }

  /** Token strings for `text`, without the start/end markers. */
  tokenize(text: string): string[] {
    const cleaned = text.replace(/\s+/g, ' ').trim().toLowerCase();
    const tokens: string[] = [];
    for (const piece of cleaned.match(CLIP_PATTERN) ?? []) {
      const byteChars = Array.from(new TextEncoder().encode(piece), (byte) => this.byteEncoder.get(byte) ?? '');
      tokens.push(...this.bpe(byteChars.join('')));
    }
    return tokens;
  }

  /** Ids for `text`, without the start/end markers. */
  encode(text: string): number[] {
    return this.tokenize(text).map((token) => {
      const id = this.encoder.get(token);
      if (id === undefined) throw new Error(`BPE produced "${token}", which is not in the vocabulary`);
      return id;
    });
  }

  /**
   * What a diffusers pipeline feeds the text encoder: start marker, the tokens cut to leave room
   * for the end marker, end marker, then `padId` up to `length`.
   */
  encodeForModel(text: string, length = 77, padId = END_OF_TEXT_ID): number[] {
    const ids = [START_OF_TEXT_ID, ...this.encode(text).slice(0, length - 2), END_OF_TEXT_ID];
    while (ids.length < length) ids.push(padId);
    return ids;
  }
}

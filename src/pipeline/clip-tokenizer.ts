/**
 * The CLIP tokenizer, as Stable Diffusion pipelines call it: `tokenizer(prompt, padding="max_length",
 * max_length=77, truncation=True)` → [BOS, tokens…, EOS, PAD…].
 *
 * Built on `@huggingface/tokenizers`, the tokenizer engine of transformers.js 4, from the model's
 * own files. Importing `@huggingface/transformers` itself into the worker would bundle its second
 * (development) copy of onnxruntime-web, 28 MB of WASM, just to reach the same class.
 * Repos that ship only the classic `vocab.json` + `merges.txt` get the standard CLIP
 * `tokenizer.json` built around them (as `CLIPTokenizerFast` does when converting).
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { ModelLoadError } from './errors.ts';

export const CLIP_SEQUENCE_LENGTH = 77;
const START_OF_TEXT = '<|startoftext|>';
const END_OF_TEXT = '<|endoftext|>';
/** CLIP's split pattern as the Hugging Face `tokenizers` Split pre-tokenizer spells it. */
const CLIP_SPLIT_PATTERN = "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+";

export interface ClipTokenizerFiles {
  /** Parsed `tokenizer.json`, when the repo has one. */
  readonly tokenizerJson: Record<string, unknown> | null;
  /** Parsed `vocab.json` and the text of `merges.txt`, used when there is no tokenizer.json. */
  readonly vocab: Record<string, number> | null;
  readonly merges: string | null;
  /** Parsed `tokenizer_config.json` (special tokens, model_max_length). */
  readonly config: Record<string, unknown>;
}

export class ClipTokenizer {
  readonly bosTokenId: number;
  readonly eosTokenId: number;
  readonly padTokenId: number;

  private constructor(
    private readonly tokenizer: Tokenizer,
    ids: { bos: number; eos: number; pad: number },
    /** Tokens per sequence, specials included. */
    readonly sequenceLength: number,
  ) {
    this.bosTokenId = ids.bos;
    this.eosTokenId = ids.eos;
    this.padTokenId = ids.pad;
  }

  /**
   * `padTokenId` overrides the config's `pad_token` (SD 2.x models pad with 0, "!", although the
   * tokenizer they borrow says <|endoftext|>). Throws {@link ModelLoadError} on unusable files.
   */
  static fromFiles(files: ClipTokenizerFiles, { padTokenId = null, sequenceLength = CLIP_SEQUENCE_LENGTH }: { padTokenId?: number | null; sequenceLength?: number } = {}): ClipTokenizer {
    const json = files.tokenizerJson ?? clipTokenizerJson(files);
    let tokenizer: Tokenizer;
    try {
      tokenizer = new Tokenizer(json, files.config);
    } catch (error) {
      throw new ModelLoadError(`The tokenizer files could not be read: ${error instanceof Error ? error.message : String(error)}`);
    }
    const idOf = (key: string, fallback: string): number => {
      const token = tokenContent(files.config[key]) ?? fallback;
      const id = tokenizer.token_to_id(token);
      if (id === undefined) throw new ModelLoadError(`The tokenizer has no "${token}" token (its ${key}).`);
      return id;
    };
    const bos = idOf('bos_token', START_OF_TEXT);
    const eos = idOf('eos_token', END_OF_TEXT);
    const pad = padTokenId ?? idOf('pad_token', END_OF_TEXT);
    return new ClipTokenizer(tokenizer, { bos, eos, pad }, sequenceLength);
  }

  /** [BOS, tokens…, EOS, PAD…], truncated to the sequence length like `truncation=True`. */
  encode(text: string): Int32Array {
    const tokens = this.tokenizer.encode(text, { add_special_tokens: false }).ids.slice(0, this.sequenceLength - 2);
    const ids = new Int32Array(this.sequenceLength).fill(this.padTokenId);
    ids[0] = this.bosTokenId;
    ids.set(tokens, 1);
    ids[tokens.length + 1] = this.eosTokenId;
    return ids;
  }
}

/** A special token in tokenizer_config.json is a string or an AddedToken object `{ content }`. */
function tokenContent(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  return null;
}

/** The standard CLIP `tokenizer.json` (as CLIPTokenizerFast converts it) around a vocab and merges. */
export function clipTokenizerJson({ vocab, merges }: Pick<ClipTokenizerFiles, 'vocab' | 'merges'>): Record<string, unknown> {
  if (!vocab || merges === null) {
    throw new ModelLoadError('The tokenizer needs tokenizer.json, or vocab.json and merges.txt; the model has neither.');
  }
  const mergeList = merges.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#version'));
  const special = (content: string) => {
    const id = vocab[content];
    if (id === undefined) throw new ModelLoadError(`vocab.json has no "${content}" token.`);
    return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true };
  };
  const bos = special(START_OF_TEXT);
  const eos = special(END_OF_TEXT);
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [bos, eos],
    normalizer: {
      type: 'Sequence',
      normalizers: [{ type: 'NFC' }, { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' }, { type: 'Lowercase' }],
    },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: CLIP_SPLIT_PATTERN }, behavior: 'Removed', invert: true },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: { type: 'RobertaProcessing', sep: [END_OF_TEXT, eos.id], cls: [START_OF_TEXT, bos.id], trim_offsets: false, add_prefix_space: false },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: END_OF_TEXT,
      continuing_subword_prefix: '',
      end_of_word_suffix: '</w>',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges: mergeList,
    },
  };
}

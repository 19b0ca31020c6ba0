/**
 * Fetching a model's files (graphs, external data, tokenizer, scheduler config) from their URLs:
 * the bundled demo from the app, downloaded models from the service worker's same-origin store.
 * Abortable, with per-file byte progress.
 */
import type { ClipTokenizerFiles } from './clip-tokenizer.ts';
import { GenerationCancelledError, ModelFileError, ModelLoadError, isAbortError, messageOf, throwIfAborted } from './errors.ts';
import type { ModelVariant, PipelineModel, PipelinePartName } from './model.ts';

/** The part of `fetch` used here; tests pass one that reads files from disk. */
export type FetchLike = (url: string, init: { signal?: AbortSignal }) => Promise<Response>;

export interface FileProgress {
  readonly url: string;
  readonly loadedBytes: number;
  /** From Content-Length; null when the server does not say. */
  readonly totalBytes: number | null;
  /** 0-based position of the file in this load, and how many there are. */
  readonly index: number;
  readonly count: number;
}

export interface FetchedPart {
  readonly model: Uint8Array;
  readonly externalData: { path: string; data: Uint8Array }[];
}

export interface ModelFiles {
  readonly tokenizer: ClipTokenizerFiles;
  /** Parsed scheduler_config.json, or null when the model has none. */
  readonly schedulerConfig: Record<string, unknown> | null;
  /**
   * Fetches one part's graph and external data. The caller creates the part's session and drops the
   * bytes before fetching the next, so only one part's bytes are ever held in JS memory.
   */
  fetchPart(part: PipelinePartName): Promise<FetchedPart>;
}

interface FetchContext {
  readonly signal?: AbortSignal;
  readonly fetch: FetchLike;
  readonly onProgress?: (progress: FileProgress) => void;
  readonly count: number;
  index: number;
}

async function fetchResponse(url: string, context: FetchContext): Promise<Response> {
  throwIfAborted(context.signal, 'Loading cancelled.');
  let response: Response;
  try {
    response = await context.fetch(url, { signal: context.signal });
  } catch (error) {
    if (isAbortError(error) || context.signal?.aborted) throw new GenerationCancelledError('Loading cancelled.');
    throw new ModelFileError(`Could not fetch ${url}: ${messageOf(error)}`);
  }
  if (!response.ok) {
    const why = response.status === 404 ? 'it is not on this device or server (404)' : `HTTP ${response.status}`;
    throw new ModelFileError(`Could not fetch ${url}: ${why}.`);
  }
  return response;
}

/** The whole body, reporting progress as chunks arrive. */
async function fetchBytes(url: string, context: FetchContext): Promise<Uint8Array> {
  const index = context.index++;
  const response = await fetchResponse(url, context);
  const header = response.headers.get('Content-Length');
  const totalBytes = header !== null && /^\d+$/.test(header) ? Number(header) : null;
  const report = (loadedBytes: number) => context.onProgress?.({ url, loadedBytes, totalBytes, index, count: context.count });
  try {
    if (!response.body) {
      const bytes = new Uint8Array(await response.arrayBuffer());
      report(bytes.byteLength);
      return bytes;
    }
    const reader = response.body.getReader();
    // With a known length the chunks go straight into one buffer: no second copy of a graph.
    // A body longer than announced (a compressed response) falls back to collecting chunks.
    let whole: Uint8Array | null = totalBytes !== null && totalBytes > 0 ? new Uint8Array(totalBytes) : null;
    const chunks: Uint8Array[] = [];
    let loaded = 0;
    report(0);
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (whole && loaded + value.byteLength <= whole.byteLength) {
        whole.set(value, loaded);
      } else {
        if (whole) {
          chunks.push(whole.subarray(0, loaded));
          whole = null;
        }
        chunks.push(value);
      }
      loaded += value.byteLength;
      report(loaded);
    }
    if (whole) return loaded === whole.byteLength ? whole : whole.subarray(0, loaded);
    if (chunks.length === 1) return chunks[0];
    const bytes = new Uint8Array(loaded);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return bytes;
  } catch (error) {
    if (isAbortError(error) || context.signal?.aborted) throw new GenerationCancelledError('Loading cancelled.');
    throw new ModelFileError(`Reading ${url} failed: ${messageOf(error)}`);
  }
}

async function fetchText(url: string, context: FetchContext): Promise<string> {
  return new TextDecoder().decode(await fetchBytes(url, context));
}

async function fetchJson(url: string, context: FetchContext): Promise<Record<string, unknown>> {
  const text = await fetchText(url, context);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ModelLoadError(`${url} is not valid JSON: ${messageOf(error)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ModelLoadError(`${url} is not a JSON object.`);
  return value as Record<string, unknown>;
}

/** The tokenizer file list: tokenizer.json when there is one, else vocab.json + merges.txt. */
function tokenizerPlan(files: Readonly<Record<string, string>>): { json: string | null; vocab: string | null; merges: string | null; config: string | null } {
  const byName = (name: string) => files[name] ?? null;
  const json = byName('tokenizer.json');
  return {
    json,
    vocab: json ? null : byName('vocab.json'),
    merges: json ? null : byName('merges.txt'),
    config: byName('tokenizer_config.json'),
  };
}

/** Fetches the small files one variant of the model needs; the graphs come part by part from `fetchPart`. */
export async function openModelFiles(
  model: PipelineModel,
  variant: ModelVariant,
  options: { signal?: AbortSignal; fetch?: FetchLike; onProgress?: (progress: FileProgress) => void },
): Promise<ModelFiles> {
  const tokenizer = tokenizerPlan(model.tokenizer.files);
  if (!tokenizer.json && !(tokenizer.vocab && tokenizer.merges)) {
    throw new ModelLoadError(`${model.displayName} has no usable tokenizer: it needs tokenizer.json, or vocab.json and merges.txt.`);
  }
  const partNames: PipelinePartName[] = ['textEncoder', 'unet', 'vaeDecoder'];
  const textFiles = [tokenizer.json, tokenizer.vocab, tokenizer.merges, tokenizer.config, model.scheduler.configUrl].filter((u) => u !== null);
  const graphFiles = partNames.flatMap((part) => [variant.parts[part].model, ...variant.parts[part].externalData.map((e) => e.url)]);
  const context: FetchContext = {
    signal: options.signal,
    fetch: options.fetch ?? ((url, init) => fetch(url, init)),
    onProgress: options.onProgress,
    count: textFiles.length + graphFiles.length,
    index: 0,
  };

  const tokenizerJson = tokenizer.json ? await fetchJson(tokenizer.json, context) : null;
  const vocab = tokenizer.vocab ? ((await fetchJson(tokenizer.vocab, context)) as Record<string, number>) : null;
  const merges = tokenizer.merges ? await fetchText(tokenizer.merges, context) : null;
  const config = tokenizer.config ? await fetchJson(tokenizer.config, context) : {};
  const schedulerConfig = model.scheduler.configUrl ? await fetchJson(model.scheduler.configUrl, context) : null;

  return {
    tokenizer: { tokenizerJson, vocab, merges, config },
    schedulerConfig,
    async fetchPart(part) {
      const files = variant.parts[part];
      const graph = await fetchBytes(files.model, context);
      const externalData = [];
      for (const { path, url } of files.externalData) externalData.push({ path, data: await fetchBytes(url, context) });
      return { model: graph, externalData };
    },
  };
}

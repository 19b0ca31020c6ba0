import { PIPELINE_PARTS, type ModelDtype, type OnnxPartFiles, type PipelinePart } from './catalog.ts';

/**
 * Recognises the diffusers ONNX layout in a repo's file list (hub-spec.md, "The ONNX diffusers
 * layout"), including the variants real browser repos use: `model_layernorm.onnx` names, external
 * data (`model.onnx_data`, `weights.pb`), fp16 file names, an `onnx/` folder, a missing tokenizer.
 */

/** The fields of a tree entry that detection needs (a subset of `@huggingface/hub`'s ListFileEntry). */
export interface RepoTreeFile {
  path: string;
  size: number;
  type?: 'file' | 'directory' | 'unknown';
}

export interface DetectedLayout {
  /** Folder holding the part folders: '' or e.g. 'onnx/'. */
  root: string;
  parts: Record<PipelinePart, OnnxPartFiles>;
  /** Tokenizer files found in the repo; empty when it has none (the app then uses a CLIP tokenizer repo). */
  tokenizerFiles: string[];
  schedulerConfig: string | null;
  modelIndex: string | null;
  dtype: ModelDtype;
  totalBytes: number;
  /** Things that will stop it from running in a browser, or that the user should know. */
  warnings: string[];
}

export type LayoutDetection = { ok: true; layout: DetectedLayout } | { ok: false; found: string; needed: string };

export class NotOnnxLayoutError extends Error {
  readonly code = 'not-onnx-layout';
  override name = 'NotOnnxLayoutError';
  readonly found: string;
  readonly needed: string;
  constructor(repo: string, found: string, needed: string) {
    super(`${repo} is not a Stable Diffusion ONNX model this app can load. Found: ${found} Needed: ${needed}`);
    this.found = found;
    this.needed = needed;
  }
}

const PART_FOLDERS: Record<PipelinePart, string> = { textEncoder: 'text_encoder', unet: 'unet', vaeDecoder: 'vae_decoder' };

/** Preferred graph names in a part folder, best first (fp32 `model.onnx` wins over variants). */
const GRAPH_PREFERENCE = ['model.onnx', 'model_layernorm.onnx', 'model_fp16.onnx', 'model.fp16.onnx'];

/** An ONNX graph bigger than this cannot be parsed without external data (protobuf's 2 GiB limit). */
const PROTOBUF_LIMIT_BYTES = 2 ** 31 - 1;

const fileName = (path: string) => path.slice(path.lastIndexOf('/') + 1);
const folderOf = (path: string) => (path.includes('/') ? path.slice(0, path.lastIndexOf('/') + 1) : '');

function externalDataFor(graph: string, inFolder: RepoTreeFile[]): string[] {
  const name = fileName(graph);
  const candidates = new Set([`${name}_data`, `${name}.data`, `${name.replace(/\.onnx$/, '')}.onnx_data`, 'weights.pb']);
  return inFolder.filter((file) => candidates.has(fileName(file.path))).map((file) => file.path);
}

function pickGraph(graphs: RepoTreeFile[]): RepoTreeFile | undefined {
  for (const name of GRAPH_PREFERENCE) {
    const found = graphs.find((file) => fileName(file.path) === name);
    if (found) return found;
  }
  return graphs.length === 1 ? graphs[0] : undefined;
}

function describeFound(files: RepoTreeFile[]): string {
  if (files.length === 0) return 'an empty repo.';
  const count = (pattern: RegExp) => files.filter((file) => pattern.test(file.path)).length;
  const onnx = count(/\.onnx$/);
  const safetensors = count(/\.safetensors$/);
  const pytorch = count(/\.(bin|ckpt|pt|pth)$/);
  const gguf = count(/\.gguf$/);
  const bits: string[] = [];
  if (onnx) bits.push(`${onnx} .onnx file${onnx === 1 ? '' : 's'} (${files.filter((f) => f.path.endsWith('.onnx')).slice(0, 4).map((f) => f.path).join(', ')})`);
  if (safetensors) bits.push(`${safetensors} .safetensors file${safetensors === 1 ? '' : 's'} (PyTorch weights)`);
  if (pytorch) bits.push(`${pytorch} PyTorch checkpoint file${pytorch === 1 ? '' : 's'}`);
  if (gguf) bits.push(`${gguf} GGUF file${gguf === 1 ? '' : 's'}`);
  if (bits.length === 0) bits.push(`${files.length} file${files.length === 1 ? '' : 's'}, none of them model weights`);
  return `${bits.join(', ')}.`;
}

/** Detects the layout under one root ('' or 'onnx/'); null when a part is missing there. */
function detectUnder(root: string, files: RepoTreeFile[]): DetectedLayout | { missing: PipelinePart[] } {
  const parts = {} as Record<PipelinePart, OnnxPartFiles>;
  const missing: PipelinePart[] = [];
  let totalBytes = 0;
  const warnings: string[] = [];
  for (const part of PIPELINE_PARTS) {
    const folder = `${root}${PART_FOLDERS[part]}/`;
    const inFolder = files.filter((file) => folderOf(file.path) === folder);
    const graph = pickGraph(inFolder.filter((file) => file.path.endsWith('.onnx')));
    if (!graph) {
      missing.push(part);
      continue;
    }
    const externalData = externalDataFor(graph.path, inFolder);
    const sizeBytes = graph.size + externalData.reduce((sum, path) => sum + (files.find((f) => f.path === path)?.size ?? 0), 0);
    totalBytes += sizeBytes;
    parts[part] = { model: graph.path, externalData, sizeBytes };
    if (graph.size > PROTOBUF_LIMIT_BYTES) {
      warnings.push(`${graph.path} is over 2 GB without external data; ONNX Runtime Web cannot parse it.`);
    }
  }
  if (missing.length) return { missing };

  const tokenizerFolder = `${root}tokenizer/`;
  const tokenizerNames = ['vocab.json', 'merges.txt', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'];
  const tokenizerFiles = files
    .filter((file) => folderOf(file.path) === tokenizerFolder && tokenizerNames.includes(fileName(file.path)))
    .map((file) => file.path);
  const usableTokenizer =
    tokenizerFiles.some((path) => path.endsWith('/tokenizer.json')) ||
    (tokenizerFiles.some((path) => path.endsWith('/vocab.json')) && tokenizerFiles.some((path) => path.endsWith('/merges.txt')));
  for (const path of tokenizerFiles) totalBytes += files.find((f) => f.path === path)?.size ?? 0;
  const schedulerConfig = files.find((file) => file.path === `${root}scheduler/scheduler_config.json`)?.path ?? null;
  const modelIndex = files.find((file) => file.path === `${root}model_index.json`)?.path ?? null;
  if (!usableTokenizer) warnings.push('No tokenizer in the repo: the standard CLIP tokenizer is used.');
  const graphs = PIPELINE_PARTS.map((part) => parts[part].model);
  const dtype: ModelDtype = graphs.some((path) => /fp16|float16|half/i.test(path)) ? 'fp16' : 'fp32';
  return {
    root,
    parts,
    tokenizerFiles: usableTokenizer ? tokenizerFiles : [],
    schedulerConfig,
    modelIndex,
    dtype,
    totalBytes,
    warnings,
  };
}

export function detectOnnxLayout(tree: readonly RepoTreeFile[]): LayoutDetection {
  const files = tree.filter((entry) => (entry.type ?? 'file') === 'file');
  let closest: PipelinePart[] = [...PIPELINE_PARTS];
  for (const root of ['', 'onnx/']) {
    const result = detectUnder(root, files);
    if ('parts' in result) return { ok: true, layout: result };
    if (result.missing.length < closest.length) closest = result.missing;
  }
  const neededParts = closest.map((part) => `${PART_FOLDERS[part]}/model.onnx`).join(', ');
  return {
    ok: false,
    found: describeFound(files),
    needed:
      `the diffusers ONNX layout: ${neededParts}${closest.length < PIPELINE_PARTS.length ? ' (missing)' : ''}, ` +
      'plus a tokenizer. Export PyTorch weights with `optimum-cli export onnx --task text-to-image`, ' +
      'or pick a browser-ready repo from the list.',
  };
}

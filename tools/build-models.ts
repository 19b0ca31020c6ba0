// Builds the models the app serves: the Shapes oracle (fp32 + fp16, and v-prediction) with its CLIP
// tokenizer into public/models/, each folder with a manifest.json of sizes and sha256 sums; the
// device loop's step graphs into src/pipeline/step-graphs.generated.ts (committed; rewritten only
// when they change); and, on request, the random-weight benchmark models into build/bench-models/<config>/.
//
//   npm run build:models [-- --out DIR] [--force]
//   npm run build:models -- --bench [--config small|full] [--out DIR]
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { validateModel } from './onnx/validate-model.ts';
import { BENCH_CONFIGS, benchModels, type BenchConfigName } from './models/bench.ts';
import { ORACLE_VARIANTS, markerTokenIds, oracleFolderFiles, oracleModelIndex, oracleSchedulerConfig } from './models/oracle.ts';
import { writeStepGraphsModule } from './models/step-graphs.ts';
import { clipTokenizerFiles } from './tokenizer/build-clip.ts';
import { CLIP_MERGES_FILE, clipVocabulary, readClipMerges, repoRoot, sharedDir } from './tokenizer/clip-vocabulary.ts';

export interface ManifestEntry {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

/** manifest.json: every other file of the folder, sorted by path, for precaching and integrity checks. */
export interface Manifest {
  readonly id: string;
  /** Hash of the generator's sources and inputs: a folder built from the same ones is up to date. */
  readonly generator: string;
  readonly files: readonly ManifestEntry[];
}

export interface BuiltFolder {
  readonly id: string;
  readonly dir: string;
  readonly files: readonly ManifestEntry[];
  readonly totalBytes: number;
  /** True when the folder was already up to date and left alone. */
  readonly skipped: boolean;
}

export interface BuildOptions {
  /** Folder receiving one sub-folder per model (default public/models). */
  readonly outDir?: string;
  readonly sharedDir?: string;
  /** Rebuild even when the manifest says the folder is up to date. */
  readonly force?: boolean;
  readonly log?: (line: string) => void;
  readonly signal?: AbortSignal;
}

export const MANIFEST_FILE = 'manifest.json';

function sha256(contents: string | Uint8Array): string {
  return createHash('sha256').update(contents).digest('hex');
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? listFiles(join(dir, entry.name)) : [join(dir, entry.name)]))
    .sort();
}

/** Hash of the oracle generator's sources (tools/onnx, tools/tokenizer, the oracle, this script) and the CLIP merges. */
export function oracleGeneratorHash(shared: string): string {
  const tools = join(repoRoot(), 'tools');
  const sources = [
    ...listFiles(join(tools, 'onnx')),
    ...listFiles(join(tools, 'tokenizer')),
    join(tools, 'models', 'oracle.ts'),
    join(tools, 'build-models.ts'),
  ].filter((path) => path.endsWith('.ts'));
  const hash = createHash('sha256');
  for (const path of sources) hash.update(`${relative(tools, path)}\n`).update(readFileSync(path));
  hash.update(readFileSync(resolve(shared, CLIP_MERGES_FILE)));
  return hash.digest('hex');
}

function manifestEntries(dir: string): ManifestEntry[] {
  return listFiles(dir)
    .map((path) => relative(dir, path).split('\\').join('/'))
    .filter((path) => path !== MANIFEST_FILE)
    .map((path) => {
      const contents = readFileSync(join(dir, path));
      return { path, size: contents.length, sha256: sha256(contents) };
    });
}

function writeManifest(dir: string, id: string, generator: string): ManifestEntry[] {
  const files = manifestEntries(dir);
  const manifest: Manifest = { id, generator, files };
  writeFileSync(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return files;
}

/** The folder's manifest entries when it was built by `generator` and no file changed since; else null. */
export function upToDateFiles(dir: string, generator: string): ManifestEntry[] | null {
  const manifestPath = join(dir, MANIFEST_FILE);
  if (!existsSync(manifestPath)) return null;
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
  } catch {
    return null;
  }
  if (manifest.generator !== generator) return null;
  const actual = manifestEntries(dir);
  const same =
    actual.length === manifest.files.length &&
    actual.every((entry, i) => {
      const listed = manifest.files[i];
      return listed.path === entry.path && listed.size === entry.size && listed.sha256 === entry.sha256;
    });
  return same ? actual : null;
}

function writeFolder(dir: string, files: ReadonlyMap<string, string | Uint8Array>): void {
  rmSync(dir, { recursive: true, force: true });
  for (const [path, contents] of files) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), contents);
  }
}

function totalBytes(files: readonly ManifestEntry[]): number {
  return files.reduce((sum, file) => sum + file.size, 0);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(2)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

/** Builds (or confirms up to date) every oracle variant; each written model is checked in onnxruntime-node. */
export async function buildOracleModels(options: BuildOptions = {}): Promise<BuiltFolder[]> {
  const outDir = resolve(options.outDir ?? join(repoRoot(), 'public', 'models'));
  const shared = options.sharedDir ?? sharedDir();
  const log = options.log ?? (() => {});
  const generator = oracleGeneratorHash(shared);
  const merges = readClipMerges(shared);
  const tokenizerFiles = clipTokenizerFiles(merges);
  const markerIds = markerTokenIds(new Map(clipVocabulary(merges).map((token, id) => [token, id])));

  const built: BuiltFolder[] = [];
  for (const variant of ORACLE_VARIANTS) {
    options.signal?.throwIfAborted();
    const dir = join(outDir, variant.id);
    const current = options.force ? null : upToDateFiles(dir, generator);
    if (current) {
      built.push({ id: variant.id, dir, files: current, totalBytes: totalBytes(current), skipped: true });
      log(`${variant.id}: up to date (${formatBytes(totalBytes(current))})`);
      continue;
    }
    const { files, models } = oracleFolderFiles(variant, tokenizerFiles, markerIds);
    writeFolder(dir, files);
    for (const model of models) {
      options.signal?.throwIfAborted();
      await validateModel(join(dir, model.path), model.expected, { label: `${variant.id}/${model.path}` });
    }
    const entries = writeManifest(dir, variant.id, generator);
    built.push({ id: variant.id, dir, files: entries, totalBytes: totalBytes(entries), skipped: false });
    log(`${variant.id}: built and validated`);
    for (const entry of entries) log(`  ${entry.path.padEnd(36)} ${formatBytes(entry.size).padStart(10)}`);
    log(`  ${'total'.padEnd(36)} ${formatBytes(totalBytes(entries)).padStart(10)}`);
  }
  return built;
}

export interface BenchBuildOptions extends BuildOptions {
  readonly config?: BenchConfigName;
}

/**
 * Writes the random-weight benchmark models (diffusers layout, with tokenizer and scheduler so the
 * app can load the folder) into `<outDir>/<config>/`. The full config's UNet weights go to
 * `unet/model.onnx_data`, streamed tensor by tensor.
 */
export async function buildBenchModels(options: BenchBuildOptions = {}): Promise<BuiltFolder> {
  const config = BENCH_CONFIGS[options.config ?? 'small'];
  const outDir = resolve(options.outDir ?? join(repoRoot(), 'build', 'bench-models'));
  const log = options.log ?? (() => {});
  const dir = join(outDir, config.name);
  const merges = readClipMerges(options.sharedDir ?? sharedDir());
  const files = new Map<string, string | Uint8Array>([
    ['model_index.json', `${JSON.stringify(oracleModelIndex(), null, 2)}\n`],
    ['scheduler/scheduler_config.json', `${JSON.stringify({ ...oracleSchedulerConfig('epsilon'), set_alpha_to_one: false }, null, 2)}\n`],
    ['README.md', `# bench-${config.name}\n\nStable-Diffusion-shaped graphs with seeded random weights, for speed measurements only.\n`],
  ]);
  for (const [name, contents] of clipTokenizerFiles(merges)) files.set(`tokenizer/${name}`, contents);
  writeFolder(dir, files);
  for (const model of benchModels(config)) {
    options.signal?.throwIfAborted();
    const path = join(dir, model.path);
    mkdirSync(dirname(path), { recursive: true });
    const started = performance.now();
    if (model.graph.parameterBytes() > 1024 ** 3) {
      model.graph.writeWithExternalData(path, 'model.onnx_data', { docString: `bench ${config.name}: random weights` });
    } else {
      writeFileSync(path, model.graph.encode({ docString: `bench ${config.name}: random weights` }));
    }
    await validateModel(path, model.expected, { label: `bench-${config.name}/${model.path}` });
    log(`${model.path}: ${model.graph.parameterCount().toLocaleString('en')} parameters, written and validated in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  const entries = listFiles(dir).map((path) => ({ path: relative(dir, path), size: statSync(path).size, sha256: '' }));
  return { id: `bench-${config.name}`, dir, files: entries, totalBytes: totalBytes(entries), skipped: false };
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'BAD_ARGUMENTS';
}

interface CommandLine {
  readonly outDir?: string;
  readonly force: boolean;
  readonly bench: boolean;
  readonly config: BenchConfigName;
}

export function parseCommandLine(argv: readonly string[]): CommandLine {
  const valueOf = (flag: string): string | undefined => {
    const index = argv.indexOf(flag);
    if (index < 0) return undefined;
    const value = argv[index + 1];
    if (value === undefined || value.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    return value;
  };
  const known = new Set(['--out', '--force', '--bench', '--config']);
  const unknown = argv.filter((arg, i) => arg.startsWith('--') && !known.has(arg) && !(i > 0 && ['--out', '--config'].includes(argv[i - 1])));
  if (unknown.length > 0) throw new UsageError(`unknown option ${unknown.join(', ')}; use --out DIR, --force, --bench [--config small|full]`);
  const config = valueOf('--config') ?? 'small';
  if (config !== 'small' && config !== 'full') throw new UsageError(`--config must be small or full, not ${config}`);
  return { outDir: valueOf('--out'), force: argv.includes('--force'), bench: argv.includes('--bench'), config };
}

async function main(argv: readonly string[]): Promise<void> {
  const commandLine = parseCommandLine(argv);
  const log = (line: string): void => console.info(line);
  if (commandLine.bench) {
    const folder = await buildBenchModels({ config: commandLine.config, outDir: commandLine.outDir, log });
    log(`bench-${commandLine.config}: ${formatBytes(folder.totalBytes)} in ${folder.dir}`);
    return;
  }
  const folders = await buildOracleModels({ outDir: commandLine.outDir, force: commandLine.force, log });
  log(`oracle models: ${formatBytes(folders.reduce((sum, folder) => sum + folder.totalBytes, 0))} in ${dirname(folders[0].dir)}`);
  await writeStepGraphsModule(log);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}

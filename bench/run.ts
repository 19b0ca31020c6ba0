/**
 * `npm run bench`: speed and memory of the app side by side with their baselines, in one run.
 *
 *   npm run bench [-- --config oracle|small|full] [--quick] [--reps N] [--no-build] [--out DIR] [--name latest]
 *                 [--hub-port 8796] [--gpu --chromium-args "…"]   (bench/gpu.sh sets the last two)
 *
 * Builds the app (production, pointed at a fake hub), serves it with its own headers, drives it in
 * headless Chromium and compares with onnxruntime-node and plain Node fetch. Writes
 * bench/results/latest.json and latest.md (or --out DIR) and prints the table.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { PipelineModel } from '../src/pipeline/model.ts';
import type { GenerateParams } from '../src/workers/protocol.ts';
import { startFakeHub, type FakeHub } from '../tests/fake-hub/server.ts';
import { BenchAppServer } from './app-server.ts';
import { BrowserRig, type TimedGeneration, type TimedLoad } from './browser-rig.ts';
import { atLeast, atMost, figure, markdownReport, median, round, type BenchReport, type Figure, type MachineInfo } from './figures.ts';
import { downloadThroughApp } from './app-download.ts';
import { nativeUnetSteps, plainFetch, streamingSha256MBps } from './native.ts';
import { PeakMemorySampler, rendererResidentBytes, settledRendererBytes } from './process-memory.ts';
import type { SessionTuning } from '../src/pipeline/runtime.ts';

const ROOT = resolve(import.meta.dirname, '..');
const MB = 1024 * 1024;

export type BenchConfigChoice = 'oracle' | 'small' | 'full';

export interface BenchOptions {
  readonly config: BenchConfigChoice;
  /** Repetitions per median (≥ 5 for figures worth quoting; 1 with --quick). */
  readonly repetitions: number;
  /** Reuse the existing build in `distDir`. */
  readonly skipBuild: boolean;
  readonly outDir: string;
  readonly distDir: string;
  readonly hubPort: number;
  readonly cdnPort: number;
  readonly chromiumArgs: readonly string[];
  /** WebGPU generation for figure 6 on the bench model instead of the oracle (GPU machines). */
  readonly gpu: boolean;
  readonly log: (line: string) => void;
  readonly signal?: AbortSignal;
}

interface ModelUnderTest {
  readonly id: string;
  readonly repo: string;
  readonly dir: string;
  readonly dtype: 'fp32' | 'fp16';
  readonly unetExternalData: boolean;
  readonly params: GenerateParams;
}

function modelUnderTest(config: BenchConfigChoice): ModelUnderTest {
  const common = { scheduler: 'euler', prompt: 'a red circle on a blue square', seed: 42, previewEvery: 2 } as const;
  if (config === 'oracle') {
    // The Shapes oracle: tiny graphs, for the smoke test. Its UNet has a batch dimension, so guidance batches.
    return {
      id: 'bench-oracle',
      repo: 'local-sd/bench-oracle',
      dir: join(ROOT, 'public', 'models', 'oracle-shapes'),
      dtype: 'fp32',
      unetExternalData: false,
      params: { ...common, steps: 4, guidance: 7.5, width: 64, height: 64 },
    };
  }
  return {
    id: `bench-${config}`,
    repo: `local-sd/bench-${config}`,
    dir: join(ROOT, 'build', 'bench-models', config),
    dtype: config === 'full' ? 'fp16' : 'fp32',
    unetExternalData: config === 'full',
    // Classifier-free guidance, 4 steps. On CPUs 256 × 256 (32² latents): at 512 × 512 one WASM
    // generation of the small config takes ≈ 90 s on 2 cores, too long for ≥ 5 repetitions in 10 minutes.
    params: config === 'full' ? { ...common, steps: 4, guidance: 7.5, width: 512, height: 512 } : { ...common, steps: 4, guidance: 7.5, width: 256, height: 256 },
  };
}

/** The pipeline's description of a diffusers-layout folder whose files are at `fileUrl(path)`. */
function pipelineModel(model: ModelUnderTest, fileUrl: (path: string) => string): PipelineModel {
  const part = (folder: string) => ({
    model: fileUrl(`${folder}/model.onnx`),
    externalData: folder === 'unet' && model.unetExternalData ? [{ path: 'model.onnx_data', url: fileUrl('unet/model.onnx_data') }] : [],
  });
  const tokenizerFiles = ['tokenizer.json', 'tokenizer_config.json', 'vocab.json', 'merges.txt', 'special_tokens_map.json'];
  return {
    id: model.id,
    displayName: model.id,
    variants: [
      {
        dtype: model.dtype,
        requiredFeatures: model.dtype === 'fp16' ? ['shader-f16'] : [],
        parts: { textEncoder: part('text_encoder'), unet: part('unet'), vaeDecoder: part('vae_decoder') },
        largestTensorBytes: null,
      },
    ],
    tokenizer: { files: Object.fromEntries(tokenizerFiles.map((name) => [name, fileUrl(`tokenizer/${name}`)])), padTokenId: null },
    scheduler: { configUrl: fileUrl('scheduler/scheduler_config.json'), overrides: {} },
    vaeScalingFactor: 0.18215,
    latentPreview: 'rgb-channels',
    defaults: { steps: 4, guidance: 7.5, width: model.params.width, height: model.params.height, scheduler: 'euler' },
  };
}

/** Bytes of the graphs (and their external data) the pipeline loads. */
function modelBytes(model: ModelUnderTest): number {
  const files = ['text_encoder/model.onnx', 'unet/model.onnx', 'vae_decoder/model.onnx', ...(model.unetExternalData ? ['unet/model.onnx_data'] : [])];
  return files.reduce((sum, path) => sum + readFileSync(join(model.dir, path)).byteLength, 0);
}

function ensureBenchModel(config: BenchConfigChoice, log: (line: string) => void): void {
  if (config === 'oracle') {
    if (!existsSync(join(ROOT, 'public', 'models', 'oracle-shapes', 'unet', 'model.onnx'))) {
      log('building the oracle models (npm run build:models)…');
      execFileSync('npx', ['tsx', 'tools/build-models.ts'], { cwd: ROOT, stdio: 'inherit' });
    }
    return;
  }
  if (existsSync(join(ROOT, 'build', 'bench-models', config, 'vae_decoder', 'model.onnx'))) return;
  log(`building the ${config} bench model (npm run build:models -- --bench --config ${config})…`);
  execFileSync('npx', ['tsx', 'tools/build-models.ts', '--bench', '--config', config], { cwd: ROOT, stdio: 'inherit' });
}

function buildApp(options: BenchOptions): void {
  options.log(`building the app into ${options.distDir} (vite build)…`);
  execFileSync('npx', ['vite', 'build', '--outDir', options.distDir, '--logLevel', 'warn'], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, VITE_HF_ENDPOINT: `http://127.0.0.1:${options.hubPort}`, VITE_HF_CDN_ORIGINS: `http://127.0.0.1:${options.cdnPort}` },
  });
}

/** gzip -9 bytes of the JavaScript index.html loads up front (entry script and modulepreloads). */
export function appShellGzipBytes(distDir: string): { files: Record<string, number>; total: number } {
  const html = readFileSync(join(distDir, 'index.html'), 'utf8');
  const urls = [...html.matchAll(/<script[^>]*\bsrc="([^"]+\.m?js)"|<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)].map((m) => (m[1] ?? m[2])!);
  const files: Record<string, number> = {};
  for (const url of urls) {
    if (/worker|ort-wasm/.test(url)) continue;
    files[url] = gzipSync(readFileSync(join(distDir, url)), { level: 9 }).byteLength;
  }
  return { files, total: Object.values(files).reduce((a, b) => a + b, 0) };
}

function machineInfo(chromium: string, gpu: string): MachineInfo {
  return {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    gpu,
    node: process.versions.node,
    chromium,
  };
}

const NOT_ISOLATED = 'the pipeline page is not cross-origin isolated, so WASM runs one thread';

async function timedGenerations(rig: BrowserRig, params: GenerateParams, repetitions: number): Promise<TimedGeneration[]> {
  await rig.generate(params); // warm-up: first-run kernel selection and allocations, not counted
  const runs: TimedGeneration[] = [];
  for (let i = 0; i < repetitions; i++) runs.push(await rig.generate(params));
  return runs;
}

/** `WorkerNavigator.hardwareConcurrency` as the app's worker will read it. */
const forceWorkerThreads = (threads: number) =>
  `if (typeof WorkerNavigator !== 'undefined') Object.defineProperty(WorkerNavigator.prototype, 'hardwareConcurrency', { get: () => ${threads}, configurable: true });`;

export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const started = performance.now();
  const { log, repetitions: reps } = options;
  const model = modelUnderTest(options.config);
  ensureBenchModel(options.config, log);
  if (!options.skipBuild || !existsSync(join(options.distDir, 'index.html'))) buildApp(options);
  const bytesOfModel = modelBytes(model);
  const figures: Figure[] = [];

  const hub: FakeHub = await startFakeHub({
    hubPort: options.hubPort,
    cdnPort: options.cdnPort,
    fixture: {
      users: [],
      repos: [
        {
          id: model.repo,
          dir: model.dir,
          revisions: { main: 'b'.repeat(40) },
          pipelineTag: 'text-to-image',
          tags: ['onnx', 'diffusers', 'text-to-image'],
          license: 'mit',
          libraryName: 'diffusers',
        },
      ],
    },
  });
  const server = await BenchAppServer.start(options.distDir, { '/bench-model/': model.dir, '/bench-oracle/': modelUnderTest('oracle').dir });
  const rig = await BrowserRig.launch({ extraArgs: options.chromiumArgs });
  let chromiumVersion = rig.browser.version();
  let gpuName = 'none';
  try {
    // ---- 1, 2, 3, 7: generation on WASM, all threads vs one ----------------------------------------
    const { crossOriginIsolated } = await rig.openPipelinePage(server.url);
    const served = pipelineModel(model, (path) => `/bench-model/${path}`);
    const idleBytes = rendererResidentBytes(rig.pid);
    // On a GPU machine the generation figures are WebGPU's (the full config is fp16, which WASM cannot run).
    const backend = options.gpu ? 'webgpu' : 'wasm';
    log(`${backend}, all threads: loading ${model.id} (${(bytesOfModel / MB).toFixed(0)} MB of graphs)…`);
    const loadSampler = new PeakMemorySampler(rig.pid);
    const allLoad = await rig.load(served, backend);
    const peakDuringLoad = loadSampler.stop();
    log(`  ${allLoad.result.threads} threads, loaded in ${allLoad.totalMs.toFixed(0)} ms; generating ${reps + 1}×…`);
    const genSampler = new PeakMemorySampler(rig.pid);
    const allThreads = await timedGenerations(rig, model.params, reps);
    const peakDuringGeneration = genSampler.stop();
    await rig.release();

    const wall = median(allThreads.map((g) => g.wallMs));
    const sessionRunMs = median(allThreads.map((g) => g.result.timings.sessionRunMs));
    figures.push(
      figure({
        id: 1,
        name: 'Pipeline overhead',
        definition: `generation wall time (page side) ÷ Σ ORT session.run time (text encoder, every UNet run, VAE), ${allLoad.result.backend}, ${model.params.steps} steps`,
        value: round(wall / sessionRunMs),
        unit: '×',
        goal: atMost(1.05),
        measurements: {
          medianWallMs: round(wall, 1),
          medianSessionRunMs: round(sessionRunMs, 1),
          generations: allThreads.map((g) => ({ wallMs: round(g.wallMs, 1), timings: g.result.timings, unetRuns: g.result.stats.unetRuns, guidance: g.result.stats.guidance })),
        },
        notes: [
          'Σ session.run is counted by the runtime wrapper around every `session.run` (src/pipeline/runtime.ts → GenerateResult.timings.sessionRunMs); the rest is tokenizing, the schedulers, tensor copies, the worker round trip and structured cloning of the image.',
        ],
      }),
    );

    let oneThread: TimedGeneration[] = [];
    let oneThreadLoad: TimedLoad | null = null;
    if (crossOriginIsolated && allLoad.result.threads > 1 && backend === 'wasm') {
      log('WASM, one thread (worker sees hardwareConcurrency = 1)…');
      server.workerPrelude = forceWorkerThreads(1);
      await rig.freshWorker();
      oneThreadLoad = await rig.load(served, 'wasm');
      oneThread = await timedGenerations(rig, model.params, reps);
      await rig.release();
      server.workerPrelude = '';
      await rig.freshWorker();
    }
    const oneWall = oneThread.length > 0 ? median(oneThread.map((g) => g.wallMs)) : null;
    figures.push(
      figure({
        id: 2,
        name: 'Threads',
        definition: `WASM generation with 1 thread ÷ with all ${allLoad.result.threads} threads (speed-up), cross-origin isolated`,
        value: oneWall === null ? null : round(oneWall / wall),
        unit: '×',
        goal: atLeast(1.7, `≥ 1.7× on ${availableParallelism()} cores`),
        measurements: {
          crossOriginIsolated,
          threadsAll: allLoad.result.threads,
          threadsOne: oneThreadLoad?.result.threads ?? null,
          medianWallAllMs: round(wall, 1),
          medianWallOneMs: oneWall === null ? null : round(oneWall, 1),
        },
        notes: [
          'The app picks `navigator.hardwareConcurrency` threads (src/pipeline/backend.ts wasmThreadCount); the bench forces 1 by prepending a `WorkerNavigator.hardwareConcurrency` override to the worker script it serves, and checks LoadResult.threads.',
          ...(crossOriginIsolated ? [] : [NOT_ISOLATED]),
          ...(backend === 'wasm' ? [] : ['not measured on a GPU run: the generation figures ran on WebGPU']),
          ...(oneThreadLoad && oneThreadLoad.result.threads !== 1 ? [`the override did not take: the worker used ${oneThreadLoad.result.threads} threads`] : []),
        ],
      }),
    );

    // ---- 3 and 7: ORT's session options tried in the app's worker -------------------------------------
    const latent = model.params.width / 8;
    const tuningTrials: TuningTrialResult[] = [];
    if (backend === 'wasm') {
      for (const trial of tuningTrialsFor({ latentSize: latent, sequence: 77 })) {
        log(`WASM, ${trial.label}…`);
        // A new page (and renderer process) per trial: the memory baseline holds nothing of the last one.
        await rig.freshPipelinePage(server.url);
        tuningTrials.push(await runTuningTrial(rig, served, model.params, trial, Math.min(reps, 3), bytesOfModel));
      }
      await rig.freshPipelinePage(server.url);
    }
    // Trials are compared with the control trial (same page set-up, same repetitions), not with figure 1's run.
    const controlStepMs = tuningTrials.find((t) => Object.keys(t.tuning).length === 0)?.stepMs ?? median(allThreads.map((g) => g.result.timings.unetMs / g.result.stats.unetRuns));
    const trialNotes = tuningTrials.map(
      (t) =>
        `app WASM, ${t.label}: ${t.stepMs.toFixed(1)} ms/step${Object.keys(t.tuning).length === 0 ? '' : ` (${t.stepMs >= controlStepMs ? '+' : ''}${((t.stepMs / controlStepMs - 1) * 100).toFixed(0)} % vs the control)`}, memory ${t.memoryRatio === null ? '—' : `${t.memoryRatio.toFixed(2)}×`} model bytes`,
    );

    // ---- 3: the UNet step, app WASM vs onnxruntime-node ----------------------------------------------
    const unetRuns = allThreads[0]!.result.stats.unetRuns;
    const appStepMs = median(allThreads.map((g) => g.result.timings.unetMs / g.result.stats.unetRuns));
    const batch = allThreads[0]!.result.stats.guidance === 'batched' ? 2 : 1;
    let nativeNotes: string[] = [];
    let nativeBest: number | null = null;
    let nativeApp: number | null = null;
    let nativeResults: unknown = null;
    if (model.dtype === 'fp32') {
      log('onnxruntime-node: the same UNet step under several session options…');
      const results = await nativeUnetSteps(join(model.dir, 'unet', 'model.onnx'), { batch, latentSize: model.params.width / 8, sequence: 77 }, reps);
      nativeResults = results.map((r) => ({ ...r, medianStepMs: round(r.medianStepMs, 2), stepMs: r.stepMs.map((v) => round(v, 2)) }));
      nativeApp = results[0]!.medianStepMs;
      nativeBest = Math.min(...results.map((r) => r.medianStepMs));
      nativeNotes = results.map((r) => `native, ${r.label}: ${r.medianStepMs.toFixed(1)} ms/step (ratio ${(appStepMs / r.medianStepMs).toFixed(2)})`);
    } else {
      nativeNotes = ['fp16 model: onnxruntime-node here has no GPU provider, so there is no native baseline for the full config.'];
    }
    figures.push(
      figure({
        id: 3,
        name: 'Browser vs native',
        definition: `UNet step (batch ${batch}, ${model.params.width / 8}² latent) in the app's WASM ÷ the same file in onnxruntime-node (same options as the app)`,
        value: nativeApp === null ? null : round(appStepMs / nativeApp),
        unit: '×',
        goal: atMost(3),
        measurements: { appStepMs: round(appStepMs, 2), unetRunsPerImage: unetRuns, native: nativeResults, nativeBestStepMs: nativeBest, browserTrials: tuningTrials },
        notes: [
          ...nativeNotes,
          ...trialNotes,
          'Browser trials load the model in a fresh worker with `LoadRequest.tuning` (ORT session options; the UI never sets it) and time the UNet step the same way as the app\'s own run.',
        ],
      }),
    );

    const modelGrowth = peakDuringGeneration - (idleBytes ?? 0);
    figures.push(
      figure({
        id: 7,
        name: 'Memory',
        definition: 'peak renderer (page + worker) resident memory above the idle page during generation ÷ model bytes',
        value: idleBytes === null ? null : round(modelGrowth / bytesOfModel),
        unit: '×',
        goal: atMost(1.5),
        measurements: {
          modelBytes: bytesOfModel,
          idleRendererBytes: idleBytes,
          peakDuringLoadBytes: peakDuringLoad,
          peakDuringGenerationBytes: peakDuringGeneration,
          loadRatio: idleBytes === null ? null : round((peakDuringLoad - idleBytes) / bytesOfModel),
        },
        notes: [
          'Resident set (VmRSS) of Chromium\'s renderer processes, sampled every 100 ms from /proc; WASM heaps and ArrayBuffers included.',
          ...tuningTrials.map((t) => `with ${t.label}: ${t.memoryRatio === null ? '—' : `${t.memoryRatio.toFixed(2)}×`} (peak during load ${t.loadRatio === null ? '—' : `${t.loadRatio.toFixed(2)}×`})`),
        ],
      }),
    );

    // ---- 6: WebGPU readbacks ------------------------------------------------------------------------
    log('WebGPU: readbacks per image…');
    const gpuModel = options.gpu ? served : pipelineModel(modelUnderTest('oracle'), (path) => `/bench-oracle/${path}`);
    const gpuParams = options.gpu ? model.params : modelUnderTest('oracle').params;
    let readbackFigure: Figure;
    try {
      await rig.freshWorker();
      const gpuLoad = await rig.load(gpuModel, 'webgpu');
      gpuName = gpuLoad.result.adapter ?? 'none';
      const gpuRuns = gpuLoad.result.backend === 'webgpu' ? await timedGenerations(rig, gpuParams, options.gpu ? reps : 1) : [];
      await rig.release();
      const run = gpuRuns[0];
      const ideal = run ? 1 + run.previews : null;
      readbackFigure = figure({
        id: 6,
        name: 'WebGPU readbacks',
        definition: `GPU → CPU copies per image (${gpuParams.steps} steps, preview every ${gpuParams.previewEvery}) − (final image + previews)`,
        value: run && ideal !== null ? run.result.readbacks - ideal : null,
        unit: 'extra',
        goal: atMost(0, '0 extra (image + previews only)'),
        measurements: {
          backend: gpuLoad.result.backend,
          adapter: gpuLoad.result.adapter,
          reason: gpuLoad.result.reason,
          readbacks: run?.result.readbacks ?? null,
          previews: run?.previews ?? null,
          unetRuns: run?.result.stats.unetRuns ?? null,
          medianWallMs: gpuRuns.length > 0 ? round(median(gpuRuns.map((g) => g.wallMs)), 1) : null,
        },
        notes: [
          `Counted by the runtime wrapper (GenerateResult.readbacks) on ${gpuLoad.result.adapter ?? 'no adapter'}${options.gpu ? '' : ', with the Shapes oracle (the count does not depend on the model size)'}.`,
          ...(gpuLoad.result.backend !== 'webgpu' ? [`WebGPU not used: ${gpuLoad.result.reason}`] : []),
          ...(run && ideal !== null && run.result.readbacks > ideal
            ? ['Readbacks beyond the image and the previews: the latents left the GPU during the loop (see src/pipeline/device-steps.ts; the host loop is the fallback when the step graphs cannot be made).']
            : ['The scheduler step runs as small ONNX graphs on the same backend (src/pipeline/device-steps.ts), so the latents stay on the GPU between steps.']),
        ],
      });
    } catch (error) {
      readbackFigure = figure({
        id: 6,
        name: 'WebGPU readbacks',
        definition: 'GPU → CPU copies per image beyond the final image and the previews',
        value: null,
        unit: 'extra',
        goal: atMost(0, '0 extra (image + previews only)'),
        measurements: {},
        notes: [`WebGPU run failed: ${error instanceof Error ? error.message : String(error)}`],
      });
    }

    // ---- 5: download through the app vs plain fetch; 4: cold start from the offline cache ------------
    try {
      log(`download: ${model.repo} through the app's Models tab vs Node fetch…`);
      const download = await downloadThroughApp(rig, server.url, hub, model.repo, reps === 1 ? 30_000 : 300_000);
      const repoInfo = hub.info().repos.find((r) => r.id === model.repo)!;
      const repoBytes = repoInfo.files.reduce((sum, f) => sum + f.size, 0);
      const fileUrls = repoInfo.files.map((f) => `${hub.hubUrl}/${model.repo}/resolve/main/${f.path.split('/').map(encodeURIComponent).join('/')}`);
      const nodeFetchMs: number[] = [];
      for (let i = 0; i < Math.max(1, Math.min(reps, 3)); i++) nodeFetchMs.push((await plainFetch(fileUrls, { signal: options.signal })).ms);
      const nodeMs = median(nodeFetchMs);
      const sha256MBps = await streamingSha256MBps();
      const nodeMBps = repoBytes / MB / (nodeMs / 1000);
      figures.push(
        figure({
          id: 5,
          name: 'Download throughput',
          definition: `app download (Models tab → "Ready offline", ${(repoBytes / MB).toFixed(0)} MB from the fake hub) throughput ÷ plain Node fetch of the same files`,
          value: round(nodeMs / download.ms),
          unit: '×',
          goal: atLeast(0.8),
          measurements: {
            bytes: repoBytes,
            appMs: round(download.ms, 1),
            appMBps: round(repoBytes / MB / (download.ms / 1000), 1),
            nodeFetchMs: nodeFetchMs.map((v) => round(v, 1)),
            nodeMBps: round(nodeMBps, 1),
            sha256MBps: round(sha256MBps, 1),
          },
          notes: [
            'One app download per run (it stores the model, and a second would need a delete); Node fetch median of up to 3.',
            `Ceiling: the app verifies every byte with a streaming SHA-256 (hash-wasm, the Hub's lfs.oid), which runs at ${sha256MBps.toFixed(0)} MB/s in V8 on this machine, so no verified download can beat ${(sha256MBps / nodeMBps).toFixed(2)}× of the plain fetch here (${nodeMBps.toFixed(0)} MB/s over loopback). WebCrypto's native digest is not streaming (it needs the whole file in memory).`,
          ],
        }),
      );
      figures.push(
        figure({
          id: 5.1,
          name: 'Download memory',
          definition: 'peak renderer (page + worker + service worker) resident memory growth during the download',
          value: download.peakGrowthBytes === null ? null : round(download.peakGrowthBytes / MB, 1),
          unit: 'MB',
          goal: atMost(64, '≤ 64 MB'),
          measurements: { peakGrowthBytes: download.peakGrowthBytes, jsHeap: download.jsHeap },
          notes: ['Resident set of the renderer processes (VmRSS from /proc, every 100 ms) above the value just before clicking Download; `measureUserAgentSpecificMemory` JS-heap figures are in the JSON.'],
        }),
      );

      log('cold start: loading from the offline cache (service worker) …');
      const stored = pipelineModel(model, (path) => storedFileUrl(hub, model.repo, repoInfo.revisions.main!, path));
      await rig.openPipelinePage(server.url);
      const cacheLoads: TimedLoad[] = [];
      for (let i = 0; i < reps; i++) {
        await rig.freshWorker();
        cacheLoads.push(await rig.load(stored, backend));
        await rig.release();
      }
      const cacheTotal = median(cacheLoads.map((l) => l.totalMs));
      const cacheSessions = median(cacheLoads.map((l) => l.sessionsMs));
      figures.push(
        figure({
          id: 4,
          name: 'Cold start',
          definition: 'model load from the offline cache (service worker → worker → sessions) ÷ session creation from bytes already in memory (same loads)',
          value: round(cacheTotal / cacheSessions),
          unit: '×',
          goal: atMost(1.2),
          measurements: {
            medianCacheLoadMs: round(cacheTotal, 1),
            medianSessionCreateMs: round(cacheSessions, 1),
            loads: cacheLoads.map((l) => ({ totalMs: round(l.totalMs, 1), sessionsMs: round(l.sessionsMs, 1), timeline: l.timeline })),
            medianFirstEventMs: medianOf(cacheLoads.map((l) => l.timeline.firstEventMs)),
            medianFirstSessionMs: medianOf(cacheLoads.map((l) => l.timeline.sessionStartMs.textEncoder ?? null)),
            firstLoadFromServerMs: round(allLoad.totalMs, 1),
          },
          notes: [
            `Where the time outside session creation goes (medians, page side): ${fmtMs(medianOf(cacheLoads.map((l) => l.timeline.firstEventMs)))} until the worker's first progress event (worker start, ORT's JS), ${fmtMs(medianOf(cacheLoads.map((l) => l.timeline.sessionStartMs.textEncoder ?? null)))} until the first session starts (the small files and the text encoder's ${(partBytes(model, 'text_encoder') / MB).toFixed(0)} MB); the other parts' bytes arrive while earlier sessions are created.`,
            'Each load uses a fresh worker. Session creation is timed in the worker around each `InferenceSession.create` (LoadResult.sessionsMs); the pipeline starts the next part\'s fetch before creating the current part\'s session and drops each part\'s bytes once its session exists, but on WASM the create call holds the worker\'s thread, so the next body is read afterwards: the rest of the ratio is the worker start, the small files and those reads.',
          ],
        }),
      );
    } catch (error) {
      const why = `failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
      const unmeasured = (id: number, name: string, goal: Figure['goal'], unit: string) =>
        figure({ id, name, definition: 'see the notes', value: null, unit, goal, measurements: {}, notes: [`the download through the app ${why}`] });
      for (const f of [unmeasured(5, 'Download throughput', atLeast(0.8), '×'), unmeasured(5.1, 'Download memory', atMost(64, '≤ 64 MB'), 'MB'), unmeasured(4, 'Cold start', atMost(1.2), '×')]) {
        if (!figures.some((existing) => existing.id === f.id)) figures.push(f);
      }
    }

    // ---- 8: app shell ---------------------------------------------------------------------------------
    const shell = appShellGzipBytes(options.distDir);
    figures.push(
      figure({
        id: 8,
        name: 'App shell',
        definition: 'gzip -9 size of the JavaScript index.html loads (entry + modulepreloads), worker and ORT excluded',
        value: round(shell.total / 1024, 1),
        unit: 'KB',
        goal: atMost(60, '≤ 60 KB'),
        measurements: shell,
        notes: [],
      }),
    );
    figures.push(readbackFigure);
  } finally {
    chromiumVersion = rig.browser.version();
    await rig.close();
    await server.close();
    await hub.close();
  }

  figures.sort((a, b) => a.id - b.id);
  return {
    date: new Date().toISOString(),
    machine: machineInfo(chromiumVersion, gpuName),
    config: options.config,
    repetitions: reps,
    durationS: round((performance.now() - started) / 1000, 1),
    figures,
  };
}

function medianOf(values: readonly (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length > 0 ? round(median(known), 1) : null;
}

const fmtMs = (ms: number | null) => (ms === null ? '—' : `${ms.toFixed(0)} ms`);

/** Bytes of one part's files in the model under test (its folder in the diffusers layout). */
function partBytes(model: ModelUnderTest, folder: string): number {
  const dir = join(model.dir, folder);
  return existsSync(dir) ? readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0) : 0;
}

interface TuningTrial {
  readonly label: string;
  readonly tuning: SessionTuning;
}

interface TuningTrialResult {
  readonly label: string;
  readonly tuning: SessionTuning;
  readonly stepMs: number;
  readonly sessionRunMs: number;
  readonly wallMs: number;
  readonly memoryRatio: number | null;
  readonly loadRatio: number | null;
}

/** ORT session options worth trying against the app's own (graph optimisation "all", defaults otherwise). */
function tuningTrialsFor(shape: { latentSize: number; sequence: number }): TuningTrial[] {
  return [
    // The app's own options again, measured like the trials: how far apart two runs of the same thing land.
    { label: "the app's options (control)", tuning: {} },
    { label: 'optimisation disabled', tuning: { graphOptimizationLevel: 'disabled' } },
    { label: 'optimisation extended', tuning: { graphOptimizationLevel: 'extended' } },
    // One set of overrides serves every session, and the VAE's batch is 1 while the UNet's is 2 with
    // guidance: so the sizes only, which all three parts share.
    { label: 'free-dimension overrides (height, width, sequence)', tuning: { freeDimensionOverrides: { height: shape.latentSize, width: shape.latentSize, sequence: shape.sequence } } },
    { label: 'CPU memory arena off', tuning: { enableCpuMemArena: false } },
    { label: 'weight pre-packing off', tuning: { extra: { 'session.disable_prepacking': '1' } } },
    // Idle pool threads spin before sleeping; on 2 cores shared with the page and the GPU process that may cost more than it saves.
    { label: 'thread spinning off', tuning: { extra: { 'session.intra_op.allow_spinning': '0' } } },
  ];
}

/** One load with `trial.tuning` in a fresh worker, then generations: step time and memory growth. */
async function runTuningTrial(rig: BrowserRig, served: PipelineModel, params: GenerateParams, trial: TuningTrial, repetitions: number, modelByteCount: number): Promise<TuningTrialResult> {
  const idle = await settledRendererBytes(rig.pid);
  const loadSampler = new PeakMemorySampler(rig.pid);
  await rig.load(served, 'wasm', trial.tuning);
  const loadPeak = loadSampler.stop();
  const sampler = new PeakMemorySampler(rig.pid);
  const runs = await timedGenerations(rig, params, repetitions);
  const peak = sampler.stop();
  return {
    label: trial.label,
    tuning: trial.tuning,
    stepMs: round(median(runs.map((g) => g.result.timings.unetMs / g.result.stats.unetRuns)), 2),
    sessionRunMs: round(median(runs.map((g) => g.result.timings.sessionRunMs)), 1),
    wallMs: round(median(runs.map((g) => g.wallMs)), 1),
    memoryRatio: idle === null ? null : round((peak - idle) / modelByteCount),
    loadRatio: idle === null ? null : round((loadPeak - idle) / modelByteCount),
  };
}

function storedFileUrl(hub: FakeHub, repo: string, commit: string, path: string): string {
  return `/model-files/v1/${encodeURIComponent(hub.hubUrl)}/${repo}/${commit}/${path.split('/').map(encodeURIComponent).join('/')}`;
}

// ---- command line ----------------------------------------------------------------------------------

export class BenchUsageError extends Error {
  override readonly name = 'BenchUsageError';
  readonly code = 'BAD_ARGUMENTS';
}

export function parseBenchArgs(argv: readonly string[]): Omit<BenchOptions, 'log' | 'signal'> & { readonly name: string } {
  const valueOf = (flag: string, { mayStartWithDashes = false } = {}): string | undefined => {
    const index = argv.indexOf(flag);
    if (index < 0) return undefined;
    const value = argv[index + 1];
    if (value === undefined || (value.startsWith('--') && !mayStartWithDashes)) throw new BenchUsageError(`${flag} needs a value`);
    return value;
  };
  const config = valueOf('--config') ?? 'small';
  if (config !== 'oracle' && config !== 'small' && config !== 'full') throw new BenchUsageError(`--config must be oracle, small or full, not ${config}`);
  const quick = argv.includes('--quick');
  const repetitions = Number(valueOf('--reps') ?? (quick ? 1 : 5));
  if (!Number.isInteger(repetitions) || repetitions < 1) throw new BenchUsageError('--reps must be a whole number ≥ 1');
  const hubPort = Number(valueOf('--hub-port') ?? process.env.BENCH_HUB_PORT ?? 8796);
  return {
    config,
    repetitions,
    skipBuild: argv.includes('--no-build'),
    outDir: resolve(valueOf('--out') ?? join(ROOT, 'bench', 'results')),
    distDir: resolve(valueOf('--dist') ?? join(ROOT, 'build', `bench-dist-${hubPort}`)),
    hubPort,
    cdnPort: hubPort + 1,
    chromiumArgs: (valueOf('--chromium-args', { mayStartWithDashes: true }) ?? '').split(' ').filter(Boolean),
    gpu: argv.includes('--gpu'),
    name: valueOf('--name') ?? 'latest',
  };
}

/** Writes `<name>.json` (gitignored) and `<name>.md` (committed) into `outDir`. */
export function writeReport(report: BenchReport, outDir: string, name = 'latest'): { json: string; markdown: string } {
  mkdirSync(outDir, { recursive: true });
  const json = join(outDir, `${name}.json`);
  const markdown = join(outDir, `${name}.md`);
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(markdown, markdownReport(report));
  return { json, markdown };
}

async function main(argv: readonly string[]): Promise<void> {
  const options = parseBenchArgs(argv);
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  const started = performance.now();
  const log = (line: string) => console.info(`[${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}`);
  const report = await runBench({ ...options, log, signal: controller.signal });
  const written = writeReport(report, options.outDir, options.name);
  console.info(`\n${markdownReport(report)}`);
  console.info(`written: ${written.json}, ${written.markdown}`);
  // Playwright's connection and keep-alive sockets may outlive the run; the report is written.
  process.exit(0);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exitCode = 1;
  });
}

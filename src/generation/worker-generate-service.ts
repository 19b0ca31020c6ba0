import type { ModelStore, ReadyModel } from '../models/model-store.ts';
import { pipelineModelFromCatalog } from '../pipeline/catalog-model.ts';
import { ORACLE_MODEL_ID, oracleModel, type PipelineModel } from '../pipeline/model.ts';
import { SCHEDULERS, isSchedulerName } from '../pipeline/schedulers/index.ts';
import type { PreferencesStore } from '../settings/preferences.ts';
import type { DiffusionClient } from '../workers/diffusion-client.ts';
import type { LoadResult } from '../workers/protocol.ts';
import type { BackendReport, GenerateModelOption, GenerateService, GeneratedImage, PreviewImage, StepProgress } from './generate-service.ts';
import type { GenerationParams } from './params.ts';

const ALL_SCHEDULERS = SCHEDULERS.map((s) => s.id);
/** Every multiple of 64 from 128 to 768 (oracle-model.md), square. */
const ORACLE_SIZES = [128, 192, 256, 320, 384, 448, 512, 576, 640, 704, 768].map((side) => ({ width: side, height: side }));

interface Candidate {
  option: GenerateModelOption;
  model: PipelineModel;
}

/** The bundled demo: one choice whose fp16 variant is used on GPUs with shader-f16, fp32 elsewhere. */
function bundledDemo(): Candidate {
  const model = oracleModel('/models/oracle-shapes/', { dtypes: ['fp16', 'fp32'], displayName: 'Shapes demo (bundled)' });
  return {
    model,
    option: {
      id: model.id,
      displayName: model.displayName,
      defaults: { ...model.defaults, width: 512, height: 512 },
      sizes: ORACLE_SIZES,
      schedulers: ALL_SCHEDULERS,
      guidance: true,
      note: 'A tiny exact model that draws circles and squares in six colours ("a red circle on a blue background"), bundled so the app works offline at once. It is not a trained network.',
    },
  };
}

function fromStore(ready: ReadyModel): Candidate {
  const { entry } = ready;
  const model = pipelineModelFromCatalog(entry, ready.files);
  const guidance = entry.defaults.guidance > 0;
  return {
    model,
    option: {
      id: entry.id,
      displayName: entry.displayName,
      defaults: {
        steps: model.defaults.steps,
        // The form shows 1 for "off": the pipeline treats any guidance ≤ 1 as no guidance.
        guidance: guidance ? model.defaults.guidance : 1,
        width: model.defaults.width,
        height: model.defaults.height,
        scheduler: model.defaults.scheduler,
      },
      sizes: entry.sizes.length ? entry.sizes : [{ width: entry.defaults.width, height: entry.defaults.height }],
      schedulers: ALL_SCHEDULERS,
      guidance,
      note: entry.note,
    },
  };
}

function report(loaded: LoadResult): BackendReport {
  if (loaded.backend === 'webgpu') {
    return { name: 'WebGPU', detail: [loaded.adapter, loaded.dtype].filter(Boolean).join(', '), fallbackReason: loaded.reason };
  }
  const threads = loaded.threads === 1 ? '1 thread' : `${loaded.threads} threads`;
  return { name: 'WASM', detail: `${threads}, ${loaded.dtype}`, fallbackReason: loaded.reason };
}

/**
 * Runs the Generate view's requests on the diffusion worker: lists the bundled demo and every model
 * that is ready offline, loads the chosen one on the backend chosen in Settings (reloading when
 * either changes) and generates.
 */
export class WorkerGenerateService extends EventTarget implements GenerateService {
  backend: BackendReport | null = null;
  private _candidates = new Map<string, Candidate>();

  constructor(
    private readonly client: DiffusionClient,
    private readonly preferences: PreferencesStore,
    private readonly models: ModelStore | null,
  ) {
    super();
    models?.addEventListener('change', () => this.dispatchEvent(new Event('change')));
  }

  async listModels(): Promise<GenerateModelOption[]> {
    const candidates = [bundledDemo()];
    if (this.models) {
      const ready = await this.models.listReady();
      candidates.push(...ready.filter((r) => r.entry.source === 'hub' && r.availableOffline).map(fromStore));
    }
    this._candidates = new Map(candidates.map((c) => [c.option.id, c]));
    return candidates.map((c) => c.option);
  }

  async generate(
    params: GenerationParams,
    options: { signal?: AbortSignal; onProgress?: (p: StepProgress) => void; onPreview?: (p: PreviewImage) => void } = {},
  ): Promise<GeneratedImage> {
    if (this._candidates.size === 0) await this.listModels();
    const candidate = this._candidates.get(params.modelId) ?? (params.modelId === ORACLE_MODEL_ID ? bundledDemo() : undefined);
    if (!candidate) throw new Error('This model is not ready on this device any more. Pick another one, or download it again in the Models tab.');
    if (!isSchedulerName(params.scheduler)) throw new Error(`Unknown scheduler "${params.scheduler}".`);
    const backendPref = await this.preferences.computeBackend();
    const started = performance.now();
    // Loading the model that is already loaded answers at once (`reused`), and after a worker crash it
    // loads again, so every generation asks.
    const loaded = await this.client.load({ model: candidate.model, backend: backendPref }, { signal: options.signal });
    this.backend = report(loaded);
    const result = await this.client.generate(
      {
        prompt: params.prompt,
        negativePrompt: params.negativePrompt,
        seed: params.seed,
        steps: params.steps,
        guidance: candidate.option.guidance ? params.guidance : 1,
        width: params.width,
        height: params.height,
        scheduler: params.scheduler,
      },
      {
        signal: options.signal,
        onProgress: options.onProgress,
        onPreview: options.onPreview ? (p) => options.onPreview!({ rgba: p.rgba, width: p.width, height: p.height }) : undefined,
      },
    );
    return { rgba: result.rgba, width: result.width, height: result.height, params, backend: this.backend!, elapsedMs: performance.now() - started };
  }
}

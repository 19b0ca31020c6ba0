import type { GenerationParams } from './params.ts';

/** A model the Generate view can use right now (bundled, or downloaded and ready offline). */
export interface GenerateModelOption {
  id: string;
  displayName: string;
  defaults: Pick<GenerationParams, 'steps' | 'guidance' | 'width' | 'height' | 'scheduler'>;
  /** Image sizes the model can make. */
  sizes: readonly { width: number; height: number }[];
  /** Scheduler ids that suit the model. */
  schedulers: readonly string[];
  /** False for models distilled without classifier-free guidance (SD-Turbo): the field is fixed at its default. */
  guidance: boolean;
  /** A line shown under the picker, e.g. that the demo model is not a trained network. */
  note?: string;
}

export interface StepProgress {
  /** Steps done so far, 1-based. */
  step: number;
  total: number;
  elapsedMs: number;
}

export interface PreviewImage {
  rgba: Uint8ClampedArray;
  width: number;
  height: number;
}

export interface BackendReport {
  name: 'WebGPU' | 'WASM';
  /** e.g. "2 threads" or "1 thread: the page is not cross-origin isolated". */
  detail: string;
  /** Why the preferred backend was not used, in plain words; null when it was. */
  fallbackReason: string | null;
}

export interface GeneratedImage extends PreviewImage {
  params: GenerationParams;
  backend: BackendReport;
  elapsedMs: number;
}

/**
 * What the Generate view needs from the rest of the app: the models it may offer and a way to run
 * one generation. Implemented by {@link WorkerGenerateService} over the diffusion worker.
 */
export interface GenerateService extends EventTarget {
  /** Dispatches `change` when the list may have changed (a download finished, a model was deleted). */
  listModels(): Promise<GenerateModelOption[]>;
  generate(
    params: GenerationParams,
    options: { signal?: AbortSignal; onProgress?: (p: StepProgress) => void; onPreview?: (p: PreviewImage) => void },
  ): Promise<GeneratedImage>;
  /** The backend the current model runs on, once known. */
  readonly backend: BackendReport | null;
}

/**
 * The page side of the diffusion worker: {@link DiffusionClient} owns the worker's life, queues
 * calls (one runs at a time), forwards aborts, turns events back into callbacks and errors back
 * into their classes. It implements the same {@link DiffusionApi} as the worker's handler.
 *
 *   const client = new DiffusionClient();
 *   const loaded = await client.load({ model: oracleModel('/models/oracle-shapes/'), backend: 'auto' }, { signal });
 *   // loaded.backend 'webgpu' | 'wasm', loaded.reason e.g. "no WebGPU adapter"
 *   const image = await client.generate(params, { signal, onProgress, onPreview });
 *   ctx.putImageData(new ImageData(image.rgba, image.width, image.height), 0, 0);
 */
// Any page that starts the diffusion worker needs the Trusted Types policy for its script URL.
import '../security/trusted-types.ts';
import { GenerationCancelledError } from '../pipeline/errors.ts';
import {
  EVENT_ROUTES,
  WorkerCrashedError,
  rebuildError,
  type DiffusionApi,
  type EmptyRequest,
  type EventOf,
  type GenerateOptions,
  type GenerateParams,
  type GenerateResult,
  type LoadOptions,
  type LoadRequest,
  type LoadResult,
  type OptionsOf,
  type PageToWorkerMessage,
  type RequestKind,
  type RequestOf,
  type ResponseOf,
  type SignalOptions,
  type WorkerStatus,
  type WorkerToPageMessage,
} from './protocol.ts';

/** The page's view of a worker (a real `Worker`, or a stand-in in tests). */
export interface WorkerLike {
  postMessage(message: PageToWorkerMessage): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<WorkerToPageMessage>) => void): void;
  addEventListener(type: 'error' | 'messageerror', listener: (event: Event) => void): void;
  terminate(): void;
}

export interface DiffusionClientOptions {
  /** Makes the worker; the default is the app's diffusion worker. */
  readonly createWorker?: () => WorkerLike;
  /**
   * With no model loaded and nothing to do for this long, the worker is terminated (freeing ORT's
   * WASM memory); the next call starts a new one. Default 30 s.
   */
  readonly idleTerminateMs?: number;
}

interface PendingCall {
  readonly id: number;
  readonly kind: RequestKind;
  readonly request: unknown;
  readonly options: SignalOptions;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  /** Removes the abort listener. */
  cleanup(): void;
}

function defaultWorker(): WorkerLike {
  return new Worker(new URL('./diffusion.worker.ts', import.meta.url), { type: 'module', name: 'diffusion' }) as unknown as WorkerLike;
}

export class DiffusionClient implements DiffusionApi {
  private readonly createWorker: () => WorkerLike;
  private readonly idleTerminateMs: number;
  private worker: WorkerLike | null = null;
  private nextId = 1;
  private readonly waiting: PendingCall[] = [];
  private running: PendingCall | null = null;
  private modelLoaded = false;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;

  constructor({ createWorker = defaultWorker, idleTerminateMs = 30_000 }: DiffusionClientOptions = {}) {
    this.createWorker = createWorker;
    this.idleTerminateMs = idleTerminateMs;
  }

  /**
   * Loads a model in the worker, releasing the previous one. Resolves with the backend in use,
   * the reason for a fallback, precision and WASM threads. Rejects with WebGpuUnavailableError,
   * ModelFileError, ModelLoadError, ModelInterfaceError or an AbortError.
   */
  load(request: LoadRequest, options: LoadOptions = {}): Promise<LoadResult> {
    return this.call('load', request, options);
  }

  /**
   * One image: `{ rgba, width, height, seed, timings, readbacks, stats }`. `onProgress` fires after
   * every step, `onPreview` every `previewEvery` steps. Aborting stops within one step
   * (GenerationCancelledError, name 'AbortError') and the model stays loaded.
   */
  generate(request: GenerateParams, options: GenerateOptions = {}): Promise<GenerateResult> {
    return this.call('generate', request, options);
  }

  /** Releases the model's sessions; the worker is terminated once idle. */
  release(request: EmptyRequest = {}, options: SignalOptions = {}): Promise<null> {
    return this.call('release', request, options);
  }

  status(request: EmptyRequest = {}, options: SignalOptions = {}): Promise<WorkerStatus> {
    return this.call('status', request, options);
  }

  /** Stops the worker now; pending calls reject with WorkerCrashedError. */
  terminate(): void {
    this.stopWorker(new WorkerCrashedError('The diffusion worker was terminated.'));
  }

  private call<K extends RequestKind>(kind: K, request: RequestOf<K>, options: OptionsOf<K>): Promise<ResponseOf<K>> {
    return new Promise<ResponseOf<K>>((resolve, reject) => {
      const { signal } = options;
      if (signal?.aborted) {
        reject(new GenerationCancelledError(`The ${kind} call was cancelled before it started.`));
        return;
      }
      const onAbort = () => this.abort(call);
      const call: PendingCall = {
        id: this.nextId++,
        kind,
        request,
        options,
        resolve: resolve as (value: unknown) => void,
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(call);
      this.pump();
    });
  }

  private abort(call: PendingCall): void {
    const index = this.waiting.indexOf(call);
    if (index >= 0) {
      // Never sent: settle here.
      this.waiting.splice(index, 1);
      call.cleanup();
      call.reject(new GenerationCancelledError(`The ${call.kind} call was cancelled before it started.`));
      this.scheduleIdleCheck();
    } else if (this.running === call) {
      // The worker stops at its next check and answers with an AbortError.
      this.worker?.postMessage({ type: 'abort', id: call.id });
    }
  }

  private pump(): void {
    if (this.running || this.waiting.length === 0) {
      this.scheduleIdleCheck();
      return;
    }
    this.clearIdleTimer();
    const call = this.waiting.shift()!;
    this.running = call;
    this.ensureWorker().postMessage({ type: 'call', id: call.id, kind: call.kind, request: call.request } as PageToWorkerMessage);
  }

  private ensureWorker(): WorkerLike {
    if (this.worker) return this.worker;
    const worker = this.createWorker();
    worker.addEventListener('message', (event: MessageEvent<WorkerToPageMessage>) => this.onMessage(event.data));
    worker.addEventListener('error', (event: Event) => {
      const detail = (event as ErrorEvent).message;
      this.stopWorker(new WorkerCrashedError(`The diffusion worker failed${detail ? `: ${detail}` : ''}. Load the model again.`));
    });
    worker.addEventListener('messageerror', () => this.stopWorker(new WorkerCrashedError('A message from the diffusion worker could not be read.')));
    this.worker = worker;
    return worker;
  }

  private onMessage(message: WorkerToPageMessage): void {
    const call = this.running;
    if (!call || call.id !== message.id) return;
    if (message.type === 'event') {
      const route = EVENT_ROUTES[call.kind] as { deliver(event: EventOf<RequestKind>, options: SignalOptions): void };
      try {
        route.deliver(message.event, call.options);
      } catch (error) {
        console.error('A diffusion progress callback threw.', error);
      }
      return;
    }
    this.running = null;
    call.cleanup();
    if (message.type === 'ok') {
      if (call.kind === 'load') this.modelLoaded = true;
      if (call.kind === 'release') this.modelLoaded = false;
      call.resolve(message.response);
    } else {
      // A failed or aborted load leaves nothing loaded (the worker releases the previous model).
      if (call.kind === 'load') this.modelLoaded = false;
      call.reject(rebuildError(message.error));
    }
    this.pump();
  }

  private stopWorker(reason: Error): void {
    this.clearIdleTimer();
    this.worker?.terminate();
    this.worker = null;
    this.modelLoaded = false;
    const calls = [...(this.running ? [this.running] : []), ...this.waiting.splice(0)];
    this.running = null;
    for (const call of calls) {
      call.cleanup();
      call.reject(reason);
    }
  }

  private scheduleIdleCheck(): void {
    if (!this.worker || this.running || this.waiting.length > 0 || this.modelLoaded || this.idleTimer) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (!this.running && this.waiting.length === 0 && !this.modelLoaded) {
        this.worker?.terminate();
        this.worker = null;
      }
    }, this.idleTerminateMs);
  }

  private clearIdleTimer(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }
}

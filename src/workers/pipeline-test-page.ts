/**
 * The e2e tests' handle on the diffusion worker (pipeline-test.html, a second Vite input): the real
 * worker and client from the production build, driven through `window.pipelineTest` by
 * `page.evaluate`. Not imported by the app.
 */
import { oracleModel, ORACLE_VPRED_MODEL_ID, type ModelDtype } from '../pipeline/model.ts';
import { DiffusionClient } from './diffusion-client.ts';
import { serializeError, type GenerateParams, type GenerateResult, type LatentPreview, type SerializedError, type StepProgress } from './protocol.ts';

export interface TestGeneration {
  readonly result: Omit<GenerateResult, 'rgba'> | null;
  /** The RGBA bytes, when asked for. */
  readonly pixels: number[] | null;
  readonly steps: StepProgress[];
  readonly previews: Omit<LatentPreview, 'rgba'>[];
  readonly error: SerializedError | null;
  /** performance.now() at each step event and when the call settled, for cancel latency. */
  readonly stepTimes: number[];
  readonly abortedAt: number | null;
  readonly settledAt: number;
}

function hook() {
  let client = new DiffusionClient();
  return {
    get client() {
      return client;
    },
    /** A fresh client (and so a fresh worker). */
    resetClient(): void {
      client.terminate();
      client = new DiffusionClient();
    },
    oracle: (dtypes: ModelDtype[] = ['fp32']) => oracleModel('/models/oracle-shapes/', { dtypes }),
    vpred: () => oracleModel('/models/oracle-shapes-vpred/', { id: ORACLE_VPRED_MODEL_ID }),
    crossOriginIsolated: globalThis.crossOriginIsolated,
    /**
     * Live JS memory of the page and its workers (needs cross-origin isolation; immediate with
     * --enable-blink-features=ForceEagerMeasureMemory, otherwise at the next garbage collection).
     */
    async measureMemory(): Promise<{ total: number; worker: number }> {
      type Measurement = { bytes: number; breakdown: { bytes: number; attribution: { scope: string }[] }[] };
      const measure = (performance as Performance & { measureUserAgentSpecificMemory(): Promise<Measurement> }).measureUserAgentSpecificMemory;
      const result = await measure.call(performance);
      const worker = result.breakdown
        .filter((entry) => entry.attribution.some((a) => a.scope === 'DedicatedWorkerGlobalScope'))
        .reduce((sum, entry) => sum + entry.bytes, 0);
      return { total: result.bytes, worker };
    },
    /** One generation; `abortAtStep` aborts when that step's progress arrives. */
    async generate(params: GenerateParams, { pixels = false, abortAtStep = 0 } = {}): Promise<TestGeneration> {
      const controller = new AbortController();
      const steps: StepProgress[] = [];
      const stepTimes: number[] = [];
      const previews: Omit<LatentPreview, 'rgba'>[] = [];
      let abortedAt: number | null = null;
      try {
        const { rgba, ...result } = await client.generate(params, {
          signal: controller.signal,
          onProgress: (progress) => {
            steps.push(progress);
            stepTimes.push(performance.now());
            if (progress.step === abortAtStep) {
              abortedAt = performance.now();
              controller.abort();
            }
          },
          onPreview: ({ rgba: _rgba, ...preview }) => previews.push(preview),
        });
        return { result, pixels: pixels ? Array.from(rgba) : null, steps, previews, error: null, stepTimes, abortedAt, settledAt: performance.now() };
      } catch (error) {
        return { result: null, pixels: null, steps, previews, error: serializeError(error), stepTimes, abortedAt, settledAt: performance.now() };
      }
    },
  };
}

declare global {
  interface Window {
    pipelineTest: ReturnType<typeof hook>;
  }
}

window.pipelineTest = hook();
document.getElementById('status')!.textContent = 'ready';

/**
 * Headless Chromium driving the production build: the e2e tests' pipeline-test page (the real
 * diffusion worker and client, reached with `page.evaluate`) and the app itself (downloads through
 * the Models tab). Every call here measures page-side wall time around one worker call.
 */
import { chromium, type Browser, type BrowserServer, type Page } from 'playwright-core';
import type { PipelineModel } from '../src/pipeline/model.ts';
import type { SessionTuning } from '../src/pipeline/runtime.ts';
import type { GenerateParams, GenerateResult, LoadResult } from '../src/workers/protocol.ts';
import type {} from '../src/workers/pipeline-test-page.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../tests/e2e/browser.ts';

export interface TimedLoad {
  readonly result: LoadResult;
  /** From the call to its result, page side. */
  readonly totalMs: number;
  /** Of which creating the sessions from bytes already in memory (timed in the worker, fetching excluded). */
  readonly sessionsMs: number;
  /** Page-side ms from the call to the first progress event and to each part's session start. */
  readonly timeline: { readonly firstEventMs: number | null; readonly sessionStartMs: Readonly<Record<string, number>> };
}

export interface TimedGeneration {
  readonly result: Omit<GenerateResult, 'rgba'>;
  readonly wallMs: number;
  readonly previews: number;
}

export interface RigOptions {
  /** Extra Chromium switches (the GPU script's Vulkan flags). */
  readonly extraArgs?: readonly string[];
}

export class BrowserRig {
  private constructor(
    private readonly server: BrowserServer,
    readonly browser: Browser,
    private currentPage: Page,
  ) {}

  /** The page the rig drives (replaced by `freshPipelinePage`). */
  get page(): Page {
    return this.currentPage;
  }

  static async launch({ extraArgs = [] }: RigOptions = {}): Promise<BrowserRig> {
    const server = await chromium.launchServer({
      executablePath: CHROMIUM_PATH,
      // Eager memory measurement: measureUserAgentSpecificMemory answers at once instead of at the next GC.
      args: [...CHROMIUM_ARGS, '--enable-unsafe-webgpu', '--enable-blink-features=ForceEagerMeasureMemory', ...extraArgs],
    });
    try {
      const browser = await chromium.connect(server.wsEndpoint());
      const context = await browser.newContext();
      // tsx compiles with keepNames: functions passed to page.evaluate may call esbuild's __name helper.
      await context.addInitScript('globalThis.__name = (target) => target;');
      const page = await context.newPage();
      return new BrowserRig(server, browser, page);
    } catch (error) {
      await server.close();
      throw error;
    }
  }

  /** The browser process: its renderers hold the page and the worker. */
  get pid(): number {
    return this.server.process().pid ?? 0;
  }

  async close(): Promise<void> {
    await this.browser.close().catch(() => undefined);
    await this.server.close();
  }

  async openPipelinePage(appUrl: string): Promise<{ crossOriginIsolated: boolean }> {
    await this.page.goto(`${appUrl}/pipeline-test.html`);
    await this.page.locator('#status', { hasText: 'ready' }).waitFor();
    return { crossOriginIsolated: await this.page.evaluate(() => window.pipelineTest.crossOriginIsolated) };
  }

  /**
   * Closes the page, so that its renderer process and everything it held go away, and opens the
   * pipeline page in a new one: a clean memory baseline for the next measurement.
   */
  async freshPipelinePage(appUrl: string): Promise<{ crossOriginIsolated: boolean }> {
    const context = this.currentPage.context();
    await this.currentPage.close();
    this.currentPage = await context.newPage();
    return this.openPipelinePage(appUrl);
  }

  /** A new worker (ORT's WASM and its thread count are set once per worker). */
  async freshWorker(): Promise<void> {
    await this.page.evaluate(() => window.pipelineTest.resetClient());
  }

  /** Loads `model` in the current worker; `tuning` overrides the app's ORT session options. */
  async load(model: PipelineModel, backend: 'wasm' | 'webgpu', tuning?: SessionTuning): Promise<TimedLoad> {
    return this.page.evaluate(
      async ({ model, backend, tuning }) => {
        const started = performance.now();
        let firstEventMs: number | null = null;
        const sessionStartMs: Record<string, number> = {};
        const result = await window.pipelineTest.client.load(
          { model, backend, dtype: model.variants[0]!.dtype, ...(tuning ? { tuning } : {}) },
          {
            onProgress: (progress) => {
              const at = performance.now() - started;
              firstEventMs ??= at;
              if (progress.phase === 'session') sessionStartMs[progress.part] = at;
            },
          },
        );
        return { result, totalMs: performance.now() - started, sessionsMs: result.sessionsMs, timeline: { firstEventMs, sessionStartMs } };
      },
      { model, backend, tuning },
    );
  }

  async release(): Promise<void> {
    await this.page.evaluate(() => window.pipelineTest.client.release());
  }

  async generate(params: GenerateParams): Promise<TimedGeneration> {
    return this.page.evaluate(async (params) => {
      let previews = 0;
      const started = performance.now();
      const { rgba: _rgba, ...result } = await window.pipelineTest.client.generate(params, { onPreview: () => (previews += 1) });
      return { result, wallMs: performance.now() - started, previews };
    }, params);
  }
}

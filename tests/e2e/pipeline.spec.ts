// The diffusion worker in the built app (pipeline-test.html drives the real worker and client):
// the Shapes oracle's pictures on WASM and on WebGPU (SwiftShader), the WASM fallback without
// WebGPU, cancel, seeds and memory over repeated generations.
import type { Browser, Page } from '@playwright/test';
import { chromium } from '@playwright/test';
import type { GenerateParams, LoadResult, WorkerStatus } from '../../src/workers/protocol.ts';
import type { TestGeneration } from '../../src/workers/pipeline-test-page.ts';
import { chromiumLaunchOptions } from './browser.ts';
import { expect, test } from './fixtures.ts';

type Rgb = readonly [number, number, number];
const RED: Rgb = [230, 40, 40];
const GREEN: Rgb = [40, 200, 60];
const BLUE: Rgb = [40, 80, 230];
const WHITE: Rgb = [240, 240, 240];

const SCHEDULERS = ['euler', 'euler_a', 'ddim', 'dpmpp_2m', 'dpmpp_2m_karras', 'lcm'] as const;

const BASE: GenerateParams = {
  prompt: 'a red circle on a blue background',
  seed: 42,
  steps: 8,
  guidance: 1,
  width: 128,
  height: 128,
  scheduler: 'euler',
};

const CIRCLE = { prompt: 'a red circle on a blue background', shape: 'circle', inside: RED, outside: BLUE } as const;
const SQUARE = { prompt: 'a green square on a white background', shape: 'square', inside: GREEN, outside: WHITE } as const;

/** Largest channel error at least 8 px inside and 8 px outside the centred shape. */
function shapeErrors(pixels: readonly number[], width: number, height: number, shape: 'circle' | 'square', inside: Rgb, outside: Rgb) {
  const radius = Math.min(width, height) / 4;
  const errors = { inside: 0, outside: 0 };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const dx = x + 0.5 - width / 2;
      const dy = y + 0.5 - height / 2;
      const distance = shape === 'circle' ? Math.hypot(dx, dy) : Math.max(Math.abs(dx), Math.abs(dy));
      const region = distance < radius - 8 ? 'inside' : distance > radius + 8 ? 'outside' : null;
      if (!region) continue;
      const want = region === 'inside' ? inside : outside;
      for (let c = 0; c < 3; c++) errors[region] = Math.max(errors[region], Math.abs(pixels[4 * (y * width + x) + c] - want[c]));
    }
  }
  return errors;
}

async function openTestPage(page: Page): Promise<void> {
  await page.goto('/pipeline-test.html');
  await expect(page.locator('#status')).toHaveText('ready');
}

async function load(page: Page, backend: 'auto' | 'webgpu' | 'wasm', model: 'oracle' | 'vpred' = 'oracle'): Promise<LoadResult> {
  return page.evaluate(
    ([backend, model]) => {
      const t = window.pipelineTest;
      return t.client.load({ model: model === 'vpred' ? t.vpred() : t.oracle(), backend, dtype: 'fp32' });
    },
    [backend, model] as const,
  );
}

async function generate(page: Page, params: Partial<GenerateParams>, options: { pixels?: boolean; abortAtStep?: number } = {}): Promise<TestGeneration> {
  return page.evaluate(([params, options]) => window.pipelineTest.generate(params, options), [{ ...BASE, ...params }, { pixels: true, ...options }] as const);
}

function expectPicture(run: TestGeneration, shape: 'circle' | 'square', inside: Rgb, outside: Rgb, tolerance = 3, label = ''): void {
  expect(run.error, label).toBeNull();
  const { width, height } = run.result!;
  const errors = shapeErrors(run.pixels!, width, height, shape, inside, outside);
  expect(errors.inside, `${label} inside the ${shape}`).toBeLessThanOrEqual(tolerance);
  expect(errors.outside, `${label} outside the ${shape}`).toBeLessThanOrEqual(tolerance);
}

/**
 * The diffusion worker's live JS heap, measured over CDP after a forced garbage collection (the
 * worker has no performance.memory, and measureUserAgentSpecificMemory never settles once ORT's
 * pthread workers are blocked in Atomics.wait).
 */
async function workerHeapProbe(browser: Browser): Promise<{ liveBytes(): Promise<number>; detach(): Promise<void> }> {
  const cdp = await browser.newBrowserCDPSession();
  const { targetInfos } = await cdp.send('Target.getTargets');
  const worker = targetInfos.find((t) => t.type === 'worker' && /\/diffusion\.worker[^/]*\.js$/.test(t.url));
  if (!worker) throw new Error(`No diffusion worker among ${targetInfos.map((t) => t.url).join(', ')}`);
  const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: worker.targetId, flatten: false });
  let nextId = 1;
  const pending = new Map<number, (result: unknown) => void>();
  cdp.on('Target.receivedMessageFromTarget', (event) => {
    const message = JSON.parse(event.message) as { id?: number; result?: unknown; error?: unknown };
    if (message.id !== undefined) pending.get(message.id)?.(message.result ?? message.error);
  });
  const send = (method: string) =>
    new Promise<unknown>((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      void cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params: {} }) });
    });
  return {
    async liveBytes() {
      await send('HeapProfiler.collectGarbage');
      return ((await send('Runtime.getHeapUsage')) as { usedSize: number }).usedSize;
    },
    detach: () => cdp.detach(),
  };
}

async function status(page: Page): Promise<WorkerStatus> {
  return page.evaluate(() => window.pipelineTest.client.status());
}

for (const backend of ['wasm', 'webgpu'] as const) {
  test.describe(`on ${backend === 'wasm' ? 'WASM' : 'WebGPU (SwiftShader)'}`, () => {
    test.beforeEach(async ({ page }) => {
      await openTestPage(page);
    });

    test('the oracle draws both pictures with every scheduler at 1 and 8 steps', async ({ page, consoleMessages }) => {
      test.setTimeout(300_000);
      const loaded = await load(page, backend);
      expect(loaded).toMatchObject({ backend, dtype: 'fp32', reason: backend === 'wasm' ? 'WASM chosen in Settings' : null });
      const timings: string[] = [];
      for (const scheduler of SCHEDULERS) {
        for (const steps of [1, 8]) {
          for (const picture of [CIRCLE, SQUARE]) {
            const run = await generate(page, { prompt: picture.prompt, scheduler, steps, seed: steps * 100 + SCHEDULERS.indexOf(scheduler) });
            expectPicture(run, picture.shape, picture.inside, picture.outside, 3, `${scheduler} ${steps} steps ${picture.shape}`);
            timings.push(`${scheduler}/${steps}/${picture.shape}: ${run.result!.timings.totalMs.toFixed(0)} ms`);
          }
        }
      }
      console.info(`[${backend}] ${loaded.threads} thread(s), isolated ${loaded.crossOriginIsolated}, load ${loaded.loadMs.toFixed(0)} ms; ${timings.join(', ')}`);
      const logged = consoleMessages.filter((m) => m.type() === 'error' || m.type() === 'warning').map((m) => m.text());
      expect(logged).toEqual([]);
    });

    test('guidance 2 clips the extrapolated colours, and a negative prompt replaces the unconditional input', async ({ page }) => {
      await load(page, backend);
      const guided = await generate(page, { guidance: 2, scheduler: 'dpmpp_2m' });
      expect(guided.result!.stats.guidance).toBe('batched');
      expectPicture(guided, 'circle', [255, 0, 0], [0, 32, 255], 3, 'guidance 2');
      // x0 = negative + 2 · (prompt − negative): 2·red − green inside the circle, 2·blue − white outside the square.
      const negative = await generate(page, { guidance: 2, negativePrompt: 'a green square on a white background', scheduler: 'euler_a' });
      const { width, height } = negative.result!;
      expect(shapeErrors(negative.pixels!, width, height, 'circle', [255, 0, 20], [0, 0, 220]).inside).toBeLessThanOrEqual(3);
      expect(shapeErrors(negative.pixels!, width, height, 'square', [255, 0, 20], [0, 0, 220]).outside).toBeLessThanOrEqual(3);
    });

    test('the v-prediction variant draws the same pictures', async ({ page }) => {
      const loaded = await load(page, backend, 'vpred');
      expect(loaded.modelId).toBe('oracle-shapes-vpred');
      for (const scheduler of SCHEDULERS) {
        for (const steps of [1, 8]) {
          expectPicture(await generate(page, { scheduler, steps }), 'circle', RED, BLUE, 3, `v-prediction ${scheduler} ${steps}`);
        }
      }
    });

    test('same seed → identical pixels; different seeds → different initial latents; progress and previews', async ({ page }) => {
      await load(page, backend);
      const first = await generate(page, { seed: 7, scheduler: 'euler_a', steps: 6 });
      const again = await generate(page, { seed: 7, scheduler: 'euler_a', steps: 6 });
      const other = await generate(page, { seed: 8, scheduler: 'euler_a', steps: 6 });
      expect(again.pixels).toEqual(first.pixels);
      expect(again.result!.stats.initialLatentDigest).toBe(first.result!.stats.initialLatentDigest);
      expect(other.result!.stats.initialLatentDigest).not.toBe(first.result!.stats.initialLatentDigest);
      expect(first.steps.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(first.previews.map((p) => [p.step, p.width, p.height])).toEqual([[2, 16, 16], [4, 16, 16]]);
      // WASM: nothing to read back. WebGPU: the latents stay on the GPU; the image and the two previews come back.
      expect(first.result!.stats.latents).toBe(backend === 'wasm' ? 'host' : 'device');
      expect(first.result!.readbacks).toBe(backend === 'wasm' ? 0 : 1 + 2);
    });

    test('cancel stops within one step with an AbortError and the worker stays usable', async ({ page }) => {
      await load(page, backend);
      // 512 × 512: a step takes longer than a message's round trip, so "within one step" is measurable.
      const cancelled = await generate(page, { steps: 50, width: 512, height: 512 }, { abortAtStep: 3, pixels: false });
      expect(cancelled.error).toMatchObject({ name: 'AbortError', code: 'cancelled' });
      // The abort reaches the worker while it runs step 4 at the latest; it stops before step 5.
      expect(cancelled.steps.length).toBeGreaterThanOrEqual(3);
      expect(cancelled.steps.length).toBeLessThanOrEqual(4);
      const stepMs = (cancelled.stepTimes[2] - cancelled.stepTimes[0]) / 2;
      console.info(`[${backend}] cancel settled ${(cancelled.settledAt - cancelled.abortedAt!).toFixed(1)} ms after abort; a step takes ~${stepMs.toFixed(1)} ms`);
      expect((await status(page)).liveTensors).toBe(0);
      expectPicture(await generate(page, { steps: 2 }), 'circle', RED, BLUE, 3, 'after cancel');
    });

    test('20 generations in a row leave no tensors behind and do not grow the worker heap steadily', async ({ page, browser }) => {
      test.setTimeout(180_000);
      await openTestPage(page);
      await load(page, backend);
      const heap = await workerHeapProbe(browser);
      const samples: number[] = [];
      for (let i = 0; i < 20; i++) {
        const run = await generate(page, { seed: i, steps: 4, guidance: i % 2 ? 2 : 1, width: 256, height: 256 }, { pixels: false });
        expect(run.error).toBeNull();
        expect((await status(page)).liveTensors).toBe(0);
        samples.push(await heap.liveBytes());
      }
      await heap.detach();
      const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(2);
      console.info(`[${backend}] diffusion worker's live JS heap after each of 20 generations at 256², MB: ${samples.map(mb).join(', ')}`);
      // Each run makes a 256 KB image and a few latents; keeping one of them per run would add over
      // 4 MB across runs 3–20. Allow 1 MB for lazily compiled code and caches.
      expect(samples[19] - samples[2]).toBeLessThan(2 ** 20);
    });
  });
}

test.describe('on WebGPU (SwiftShader), the latents stay on the GPU for the whole loop', () => {
  test('readbacks are the image plus one per preview (the schedulers in JS read back every step too), and the pictures hold', async ({ page }) => {
    test.setTimeout(180_000);
    await openTestPage(page);
    expect(await load(page, 'webgpu')).toMatchObject({ backend: 'webgpu' });
    // 4 steps, a preview every 2: one preview (never after the last step), so 1 + 1 (it was 4 + 1).
    const withPreview = await generate(page, { steps: 4, seed: 11, scheduler: 'euler_a' });
    expectPicture(withPreview, 'circle', RED, BLUE, 3, 'with a preview');
    expect(withPreview.result!.stats.latents).toBe('device');
    expect(withPreview.previews.map((p) => p.step)).toEqual([2]);
    expect(withPreview.result!.readbacks).toBe(1 + 1);
    const withoutPreviews = await generate(page, { steps: 4, seed: 11, scheduler: 'euler_a', previewEvery: 0 });
    expect(withoutPreviews.previews).toEqual([]);
    expect(withoutPreviews.result!.readbacks).toBe(1);
    // Same seed, same noise drawn at the same steps: the same image whether or not previews came back.
    expect(withoutPreviews.pixels).toEqual(withPreview.pixels);
    // Batched guidance and the second-order solver (x0 of the previous step kept on the GPU).
    const guided = await generate(page, { steps: 6, seed: 3, guidance: 2, scheduler: 'dpmpp_2m_karras' });
    expect(guided.result!.stats).toMatchObject({ guidance: 'batched', latents: 'device', unetRuns: 6 });
    expect(guided.result!.readbacks).toBe(1 + guided.previews.length);
    expect(guided.previews).toHaveLength(2);
    expectPicture(guided, 'circle', [255, 0, 0], [0, 32, 255], 3, 'guidance 2');
    expect((await status(page)).liveTensors).toBe(0);

    // The step cost at 512² (the first run at a size compiles SwiftShader's shaders): logged, not asserted.
    await generate(page, { seed: 99, steps: 4, width: 512, height: 512, previewEvery: 0 }, { pixels: false });
    const timed = await generate(page, { seed: 99, steps: 4, width: 512, height: 512, previewEvery: 0 }, { pixels: false });
    const t = timed.result!.timings;
    console.info(`WebGPU 512², 4 steps, device loop: ${t.msPerStep.toFixed(1)} ms/step, total ${t.totalMs.toFixed(0)} ms, ${timed.result!.readbacks} readback(s)`);
  });
});

test.describe('backend choice', () => {
  test('Auto picks WebGPU here; WASM from Settings says so; switching releases and reloads; same seed → same initial latents on both', async ({ page }) => {
    await openTestPage(page);
    const auto = await page.evaluate(() => window.pipelineTest.client.load({ model: window.pipelineTest.oracle(), backend: 'auto' }));
    expect(auto).toMatchObject({ backend: 'webgpu', reason: null, dtype: 'fp32', reused: false, crossOriginIsolated: true });
    expect(auto.adapter).toBeTruthy();
    expect(auto.threads).toBeGreaterThanOrEqual(1);
    const onGpuFirst = await generate(page, { seed: 99, steps: 4, width: 512, height: 512 }, { pixels: false });
    // The first run at a new size compiles SwiftShader's shaders; the second shows the step cost.
    const onGpu = await generate(page, { seed: 99, steps: 4, width: 512, height: 512 });
    expectPicture(onGpu, 'circle', RED, BLUE, 3, 'WebGPU 512');

    const wasm = await load(page, 'wasm');
    expect(wasm).toMatchObject({ backend: 'wasm', reason: 'WASM chosen in Settings', reused: false });
    expect(await status(page)).toMatchObject({ backend: 'wasm', liveTensors: 0 });
    const onCpu = await generate(page, { seed: 99, steps: 4, width: 512, height: 512 });
    expectPicture(onCpu, 'circle', RED, BLUE, 3, 'WASM 512');
    expect(onCpu.result!.stats.initialLatentDigest).toBe(onGpu.result!.stats.initialLatentDigest);
    expect(await load(page, 'wasm')).toMatchObject({ reused: true });
    const ms = (run: TestGeneration) => `${run.result!.timings.msPerStep.toFixed(1)} ms/step, total ${run.result!.timings.totalMs.toFixed(0)} ms`;
    console.info(`512×512, 4 steps: WebGPU first ${ms(onGpuFirst)}, then ${ms(onGpu)} (${onGpu.result!.readbacks} readbacks); WASM ${ms(onCpu)}`);
  });

  test('the fp16 variant runs on WebGPU only with shader-f16, and says so otherwise', async ({ page }) => {
    await openTestPage(page);
    const platform = (await status(page)).platform;
    expect(platform.webgpu.available).toBe(true);
    const shaderF16 = platform.webgpu.available && platform.webgpu.shaderF16;
    const loaded = await page.evaluate(() =>
      window.pipelineTest.client.load({ model: window.pipelineTest.oracle(['fp16']), backend: 'auto' }).catch((error: Error & { code?: string }) => ({ error: { name: error.name, code: error.code, message: error.message } })),
    );
    console.info(`WebGPU adapter ${platform.webgpu.available ? platform.webgpu.adapter : '-'}: shader-f16 ${shaderF16}`);
    if (shaderF16) {
      expect(loaded).toMatchObject({ backend: 'webgpu', dtype: 'fp16' });
      expectPicture(await generate(page, { steps: 1 }), 'circle', RED, BLUE, 8, 'fp16, 1 step');
      expectPicture(await generate(page, { steps: 4, scheduler: 'dpmpp_2m_karras' }), 'circle', RED, BLUE, 3, 'fp16, 4 steps');
    } else {
      expect(loaded).toMatchObject({ error: { name: 'WebGpuUnavailableError', code: 'webgpu-unavailable', message: expect.stringContaining('GPU lacks shader-f16') } });
    }
  });

  test('launched without --enable-unsafe-webgpu: falls back to WASM and reports the reason', async ({ baseURL }) => {
    const browser = await chromium.launch(chromiumLaunchOptions({ webgpu: false }));
    try {
      const context = await browser.newContext({ baseURL });
      const page = await context.newPage();
      await openTestPage(page);
      expect((await status(page)).platform.webgpu.available).toBe(false);
      for (const backend of ['auto', 'webgpu'] as const) {
        const loaded = await page.evaluate((backend) => window.pipelineTest.client.load({ model: window.pipelineTest.oracle(), backend }), backend);
        expect(loaded.backend).toBe('wasm');
        expect(loaded.reason).toMatch(/^(no WebGPU adapter|this browser has no WebGPU)$/);
        console.info(`without WebGPU, "${backend}" → ${loaded.backend}: ${loaded.reason}`);
      }
      expectPicture(await generate(page, { steps: 4, scheduler: 'dpmpp_2m' }), 'circle', RED, BLUE, 3, 'fallback');
    } finally {
      await browser.close();
    }
  });
});

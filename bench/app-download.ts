/** Figure 5: a model download through the app's Models tab, timed and memory-sampled. */
import type { FakeHub } from '../tests/fake-hub/server.ts';
import type { BrowserRig } from './browser-rig.ts';
import { PeakMemorySampler, rendererResidentBytes } from './process-memory.ts';

export interface DownloadMeasurement {
  readonly ms: number;
  readonly peakGrowthBytes: number | null;
  readonly jsHeap: { before: number; peak: number } | null;
}

/** Adds the repo in the Models tab, downloads it and waits for "Ready offline", sampling memory. */
export async function downloadThroughApp(rig: BrowserRig, appUrl: string, hub: FakeHub, repo: string, timeoutMs: number): Promise<DownloadMeasurement> {
  const { page } = rig;
  await page.goto(`${appUrl}/`);
  page.setDefaultTimeout(60_000);
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }));
    }
  });
  await page.getByRole('tab', { name: 'Models' }).click();
  await page.getByRole('textbox', { name: 'Hugging Face repo' }).fill(repo);
  await page.getByRole('button', { name: 'Add model' }).click();
  const name = repo.slice(repo.indexOf('/') + 1);
  const item = page
    .getByRole('list', { name: 'Models' })
    .getByRole('listitem')
    .filter({ has: page.getByRole('heading', { name, exact: true }) });
  await item.waitFor();
  const measureHeap = () =>
    page
      .evaluate(async () => {
        const measure = (performance as Performance & { measureUserAgentSpecificMemory?: () => Promise<{ bytes: number }> }).measureUserAgentSpecificMemory;
        return measure ? (await measure.call(performance)).bytes : null;
      })
      .catch(() => null);
  const heapBefore = await measureHeap();
  const before = rendererResidentBytes(rig.pid);
  const sampler = new PeakMemorySampler(rig.pid);
  let heapPeak = heapBefore ?? 0;
  let sampling = true;
  const heapLoop = (async () => {
    while (sampling) {
      heapPeak = Math.max(heapPeak, (await measureHeap()) ?? 0);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  const started = performance.now();
  let ms: number;
  let peak: number;
  try {
    await item.getByRole('button', { name: 'Download' }).click();
    await item.getByText('Ready offline').waitFor({ timeout: timeoutMs });
    ms = performance.now() - started;
  } finally {
    sampling = false;
    await heapLoop;
    peak = sampler.stop();
  }
  void hub;
  return {
    ms,
    peakGrowthBytes: before === null ? null : peak - before,
    jsHeap: heapBefore === null ? null : { before: heapBefore, peak: heapPeak },
  };
}

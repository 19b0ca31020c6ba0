/** Figure 5: a model download through the app's Models tab, timed and memory-sampled. */
import type { Page } from 'playwright-core';
import type { FakeHub } from '../tests/fake-hub/server.ts';
import type { BrowserRig } from './browser-rig.ts';
import { PeakMemorySampler, rendererResidentBytes } from './process-memory.ts';

export interface DownloadMeasurement {
  readonly ms: number;
  readonly peakGrowthBytes: number | null;
  readonly jsHeap: { before: number; peak: number } | null;
}

/** Called around the timed part (from the Download click to "Ready offline"), e.g. to read CPU time. */
export interface DownloadHooks {
  readonly beforeDownload?: () => void;
  readonly afterDownload?: () => void;
}

/** How often the page is asked whether the download ended (see `waitForReady`). */
const READY_POLL_MS = 50;

/**
 * Adds the repo in the Models tab, downloads it and waits for "Ready offline", sampling memory.
 * Runs in the rig's page, or in a new page of the same browser context when an earlier stage left
 * that page closed or crashed (the downloaded model must land in the context later stages load from).
 */
export async function downloadThroughApp(
  rig: BrowserRig,
  appUrl: string,
  hub: FakeHub,
  repo: string,
  timeoutMs: number,
  hooks: DownloadHooks = {},
): Promise<DownloadMeasurement> {
  const page = await usablePage(rig.page);
  page.setDefaultTimeout(60_000);
  await page.goto(`${appUrl}/`);
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
  const download = item.getByRole('button', { name: 'Download' });
  await download.waitFor();
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
  hooks.beforeDownload?.();
  const started = performance.now();
  let ms: number;
  let peak: number;
  try {
    await download.click();
    await waitForReady(page, name, timeoutMs);
    ms = performance.now() - started;
    hooks.afterDownload?.();
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

/**
 * Waits until the repo's item in the Models list says "Ready offline", looking through the page's
 * shadow roots every 50 ms. Playwright's own `locator.waitFor` re-runs its selector engine on every
 * animation frame: while a download runs that costs the renderer CPU and tens of MB, which are the
 * harness's, not the app's.
 */
async function waitForReady(page: Page, name: string, timeoutMs: number): Promise<void> {
  await page.waitForFunction(
    (name) => {
      const elements = (root: Document | ShadowRoot | Element, found: Element[] = []): Element[] => {
        for (const element of root.querySelectorAll('*')) {
          found.push(element);
          if (element.shadowRoot) elements(element.shadowRoot, found);
        }
        return found;
      };
      const textOf = (node: Node): string => {
        if (node.nodeType === Node.TEXT_NODE) return (node as Text).data;
        let text = node instanceof Element && node.shadowRoot ? textOf(node.shadowRoot) : '';
        for (const child of node.childNodes) text += textOf(child);
        return text;
      };
      const item = elements(document).find(
        (element) => element.localName === 'li' && elements(element).some((inner) => /^h[1-6]$/.test(inner.localName) && textOf(inner).trim() === name),
      );
      return item !== undefined && /ready offline/i.test(textOf(item));
    },
    name,
    { polling: READY_POLL_MS, timeout: timeoutMs },
  );
}

/** The rig's page, or a new one in its context when that page was closed or crashed. */
async function usablePage(page: Page): Promise<Page> {
  if (!page.isClosed()) {
    const alive = await Promise.race([
      page.evaluate(() => true).catch(() => false),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), 10_000)),
    ]);
    if (alive) return page;
  }
  return page.context().newPage();
}

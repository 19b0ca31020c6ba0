import type { Locator, Page } from '@playwright/test';
import { DEMO_REPOS, DEMO_TOKENS } from '../fake-hub/fixtures.ts';
import { MODEL_TEST_REPOS, createModelsFixture } from '../fake-hub/fixtures-models.ts';
import type { FakeHub } from '../fake-hub/server.ts';
import { dumpStorage, expect, test } from './fixtures.ts';

/**
 * The Models tab against the fake hub: adding repos, gated and private access, verified and resumable
 * downloads into Cache Storage, files served back by the service worker, offline use and quota.
 * The public demo repo (`local-sd/oracle-shapes`) serves the Shapes oracle: 3 tiny graphs, a 2.9 MB
 * tokenizer and a scheduler config, the tokenizer files and the UNet above the LFS threshold (CDN).
 */

test.use({ hubFixture: createModelsFixture() });

const MODEL_CACHE = 'local-sd-models-v1';
const PUBLIC = DEMO_REPOS.public;
/** Added repos are listed under their name without the namespace. */
const nameOf = (repo: string) => repo.slice(repo.indexOf('/') + 1);

async function openModels(page: Page): Promise<Locator> {
  if (!page.url().startsWith('http')) await page.goto('/');
  // Model files are served by the service worker: wait until it controls the page.
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }));
    }
  });
  await page.getByRole('tab', { name: 'Models' }).click();
  const list = page.getByRole('list', { name: 'Models' });
  await expect(list).toBeVisible();
  return list;
}

function modelItem(page: Page, displayName: string): Locator {
  return page
    .getByRole('list', { name: 'Models' })
    .getByRole('listitem')
    .filter({ has: page.getByRole('heading', { name: displayName, exact: true }) });
}

async function addRepo(page: Page, repo: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Hugging Face repo' }).fill(repo);
  await page.getByRole('button', { name: 'Add model' }).click();
}

async function addAndOpen(page: Page, repo: string): Promise<Locator> {
  await openModels(page);
  await addRepo(page, repo);
  const item = modelItem(page, nameOf(repo));
  await expect(item).toBeVisible();
  return item;
}

async function logIn(page: Page, token: string, name: string): Promise<void> {
  await page.getByRole('tab', { name: 'Settings' }).click();
  const section = page.getByRole('region', { name: 'Hugging Face authentication' });
  await section.getByLabel('Hugging Face token').fill(token);
  await section.getByRole('button', { name: 'Save token' }).click();
  await expect(section.getByRole('status')).toHaveText(new RegExp(`^✓ Logged in as: ${name}`));
  await page.getByRole('tab', { name: 'Models' }).click();
}

/** `/model-files/v1/…` URL the service worker serves a stored file at. */
function storedFileUrl(hub: FakeHub, repo: string, path: string): string {
  const commit = hub.info().repos.find((r) => r.id === repo)!.revisions.main!;
  const encodedPath = path.split('/').map(encodeURIComponent).join('/');
  return `/model-files/v1/${encodeURIComponent(hub.hubUrl)}/${repo}/${commit}/${encodedPath}`;
}

function repoFile(hub: FakeHub, repo: string, path: string) {
  return hub.info().repos.find((r) => r.id === repo)!.files.find((f) => f.path === path)!;
}

/** GETs for one repo file: the hub's resolve URL names it, the CDN's path ends with its sha256. */
function fileGets(hub: FakeHub, repo: string, path: string) {
  const { sha256 } = repoFile(hub, repo, path);
  return hub.requests.filter(
    (r) =>
      r.method === 'GET' &&
      (r.served === 'hub' ? r.url.startsWith(`/${repo}/resolve/`) && r.url.endsWith(`/${path}`) : r.url.split('?')[0]!.endsWith(`/${sha256}`)),
  );
}

/** Fetches through the page (so through the service worker); status, headers and sha256 of the body. */
async function fetchThroughPage(page: Page, url: string, range?: string) {
  return page.evaluate(
    async ({ url, range }) => {
      const response = await fetch(url, range ? { headers: { Range: range } } : {});
      const body = new Uint8Array(await response.arrayBuffer());
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', body));
      return {
        status: response.status,
        contentRange: response.headers.get('Content-Range'),
        length: body.length,
        sha256: [...digest].map((b) => b.toString(16).padStart(2, '0')).join(''),
        firstBytes: [...body.slice(0, 8)],
      };
    },
    { url, range },
  );
}

/** Keys of the model cache, without the origin. */
async function modelCacheKeys(page: Page): Promise<string[]> {
  return page.evaluate(async (name) => {
    if (!(await caches.has(name))) return [];
    const cache = await caches.open(name);
    return (await cache.keys()).map((request) => new URL(request.url).pathname + new URL(request.url).search);
  }, MODEL_CACHE);
}

/** Records every aria-valuenow the model's progress bar takes, including between frames. */
async function recordProgress(page: Page, displayName: string): Promise<void> {
  await page.evaluate((name) => {
    const panel = document.querySelector('app-root')!.shadowRoot!.querySelector('models-panel')!.shadowRoot!;
    const item = [...panel.querySelectorAll('model-item')].find((el) => el.shadowRoot?.querySelector('h3')?.textContent === name)!;
    const values: number[] = [];
    (window as unknown as { progressValues: number[] }).progressValues = values;
    const observer = new MutationObserver((records) => {
      for (const record of records) {
        if (record.type === 'attributes' && record.oldValue !== null) values.push(Number(record.oldValue));
      }
      const bar = item.shadowRoot!.querySelector('progress');
      if (bar) values.push(Number(bar.getAttribute('aria-valuenow')));
    });
    observer.observe(item.shadowRoot!, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-valuenow'], attributeOldValue: true });
  }, displayName);
}

test.describe('Models tab', () => {
  test('lists the bundled demo, the default real model and the second-tier repos, with the contract names', async ({ page, hub }) => {
    void hub;
    const list = await openModels(page);
    await expect(page.getByText(/^Storage used: .+ · .+ available$/)).toBeVisible();
    const demo = modelItem(page, 'Shapes demo');
    await expect(demo).toContainText('Ready offline');
    await expect(demo.getByRole('button', { name: 'Download' })).toHaveCount(0);
    const sdTurbo = modelItem(page, 'SD-Turbo (WebGPU, fp16)');
    await expect(sdTurbo).toContainText('schmuell/sd-turbo-ort-web');
    await expect(sdTurbo).toContainText('shader-f16');
    await expect(sdTurbo.getByRole('button', { name: 'Download' })).toBeVisible();
    for (const repo of ['microsoft/sd-turbo-webnn', 'aislamov/lcm-dreamshaper-v7-onnx', 'microsoft/stable-diffusion-v1.5-webnn']) {
      await expect(list.getByRole('listitem').filter({ hasText: repo })).toHaveCount(1);
    }
    await expect(page.getByText('runwayml/stable-diffusion-v1-5', { exact: false })).toBeAttached();
  });

  test('public download: progress only grows to 100 %, "Ready offline", and the service worker serves identical bytes', async ({ page, hub }) => {
    // Slow enough to watch: the whole model (≈2.9 MB) at 1.5 MB/s per file.
    hub.addFault({ repo: PUBLIC, origin: 'cdn', fault: { kind: 'throttle', bytesPerSecond: 1_500_000 }, count: 'always' });
    const item = await addAndOpen(page, PUBLIC);
    await expect(item).toContainText('Not downloaded');
    await recordProgress(page, nameOf(PUBLIC));
    await item.getByRole('button', { name: 'Download' }).click();

    const bar = page.getByRole('progressbar', { name: `Downloading ${nameOf(PUBLIC)}` });
    await expect(bar).toBeVisible();
    await expect(item.getByRole('button', { name: 'Cancel download' })).toBeVisible();
    // Bytes done / total, speed and time left.
    await expect(item.getByText(/^\d+ % · [\d.]+ [kM]?B \/ 2\.\d\d MB · [\d.]+ [kM]?B\/s · .+ left$/)).toBeVisible();
    await expect(item).toContainText('Ready offline', { timeout: 30_000 });
    await expect(bar).toHaveCount(0);

    const values = await page.evaluate(() => (window as unknown as { progressValues: number[] }).progressValues);
    expect(values.length).toBeGreaterThan(3);
    expect(values.every((v, i) => i === 0 || v >= values[i - 1]!)).toBe(true);
    expect(values.every((v) => v >= 0 && v <= 100)).toBe(true);
    expect(values.at(-1)).toBe(100);

    for (const path of ['unet/model.onnx', 'tokenizer/tokenizer.json', 'text_encoder/model.onnx', 'scheduler/scheduler_config.json']) {
      const served = await fetchThroughPage(page, storedFileUrl(hub, PUBLIC, path));
      const expected = repoFile(hub, PUBLIC, path);
      expect(served, path).toMatchObject({ status: 200, length: expected.size, sha256: expected.sha256 });
    }
    // Range requests are answered from the shards too.
    const ranged = await fetchThroughPage(page, storedFileUrl(hub, PUBLIC, 'tokenizer/vocab.json'), 'bytes=100-199');
    expect(ranged).toMatchObject({ status: 206, length: 100, contentRange: `bytes 100-199/${repoFile(hub, PUBLIC, 'tokenizer/vocab.json').size}` });

    // The token-less download never sent Authorization, and the CDN got no credentials.
    expect(hub.requests.filter((r) => r.authorization)).toEqual([]);
    await expect(item.getByRole('button', { name: 'Delete' })).toBeVisible();
  });
});

test.describe('Adding a repo by id', () => {
  test('explains a PyTorch-only repo: what was found and what is needed', async ({ page, hub }) => {
    void hub;
    await openModels(page);
    await addRepo(page, MODEL_TEST_REPOS.pytorchOnly);
    const alert = page.locator('form').getByRole('alert');
    await expect(alert).toContainText('is not a Stable Diffusion ONNX model');
    await expect(alert).toContainText('Found: 3 .safetensors files (PyTorch weights).');
    await expect(alert).toContainText('Needed: the diffusers ONNX layout: text_encoder/model.onnx, unet/model.onnx, vae_decoder/model.onnx');
    await expect(modelItem(page, nameOf(MODEL_TEST_REPOS.pytorchOnly))).toHaveCount(0);
  });

  test('names the browser-ready counterpart of a seed PyTorch repo without asking the hub', async ({ page, hub }) => {
    await openModels(page);
    await addRepo(page, 'runwayml/stable-diffusion-v1-5');
    await expect(page.locator('form').getByRole('alert')).toContainText('Stable Diffusion 1.5 (WebNN export, fp16)');
    expect(hub.requests.filter((r) => r.url.includes('runwayml'))).toEqual([]);
  });

  test('a missing repo: "not found or no access"', async ({ page, hub }) => {
    void hub;
    await openModels(page);
    await addRepo(page, 'nobody/no-such-model');
    await expect(page.locator('form').getByRole('alert')).toContainText('nobody/no-such-model was not found or you have no access to it');
    expect(await modelCacheKeys(page)).toEqual([]);
  });
});

test.describe('Gated and private repos are checked before the first byte; nothing is stored', () => {
  /** No file bytes were requested and nothing is in the model cache. */
  async function expectNothingStored(page: Page, hub: FakeHub): Promise<void> {
    expect(hub.requests.filter((r) => r.url.includes('/resolve/') || r.served === 'cdn')).toEqual([]);
    const storage = await dumpStorage(page);
    expect(storage.caches[MODEL_CACHE] ?? []).toEqual([]);
  }

  test('not logged in: a gated model asks to log in, with a link to its page', async ({ page, hub }) => {
    const item = await addAndOpen(page, DEMO_REPOS.gatedAuto);
    const alert = item.getByRole('alert');
    await expect(alert).toContainText('is a gated model: log in first');
    await expect(alert).toContainText('Settings');
    await item.getByRole('button', { name: 'Download' }).click();
    await expect(alert).toContainText('is a gated model: log in first');
    await expect(alert.getByRole('link')).toHaveAttribute('href', `${hub.hubUrl}/${DEMO_REPOS.gatedAuto}`);
    await expectNothingStored(page, hub);
    // The alert leads to where the fix is.
    await alert.getByRole('button', { name: 'Open Settings' }).click();
    await expect(page.getByRole('tab', { name: 'Settings' })).toHaveAttribute('aria-selected', 'true');
    await expect(page.getByLabel('Hugging Face token')).toBeVisible();
  });

  test('logged in without accepting the licence: accept it on the model page', async ({ page, hub }) => {
    await openModels(page);
    await logIn(page, DEMO_TOKENS.aliceRead, 'alice');
    await addRepo(page, DEMO_REPOS.gatedManual);
    const item = modelItem(page, nameOf(DEMO_REPOS.gatedManual));
    const alert = item.getByRole('alert');
    await expect(alert).toContainText('has not accepted its licence yet');
    const link = alert.getByRole('link', { name: `Open ${DEMO_REPOS.gatedManual} on Hugging Face` });
    await expect(link).toHaveAttribute('href', `${hub.hubUrl}/${DEMO_REPOS.gatedManual}`);
    await expect(link).toHaveAttribute('target', '_blank');
    await expect(link).toHaveAttribute('rel', 'noopener noreferrer');
    await item.getByRole('button', { name: 'Download' }).click();
    await expect(alert).toContainText('has not accepted its licence yet');
    await expectNothingStored(page, hub);
    // The access check carried the token to the hub, and only to the hub.
    expect(hub.requests.some((r) => r.url === `/api/models/${DEMO_REPOS.gatedManual}/auth-check` && r.token === DEMO_TOKENS.aliceRead)).toBe(true);
  });

  test('a revoked token points to Settings', async ({ page, hub }) => {
    await openModels(page);
    await logIn(page, DEMO_TOKENS.aliceRead, 'alice');
    await addRepo(page, DEMO_REPOS.gatedAuto);
    const item = modelItem(page, nameOf(DEMO_REPOS.gatedAuto));
    await expect(item).toBeVisible();
    hub.revokeToken(DEMO_TOKENS.aliceRead);
    hub.clearRequests();
    await item.getByRole('button', { name: 'Download' }).click();
    await expect(item.getByRole('alert')).toContainText('rejected your saved token');
    await expect(item.getByRole('alert')).toContainText('Open Settings');
    await expectNothingStored(page, hub);
  });

  test('a private repo without access: "not found or no access"', async ({ page, hub }) => {
    await openModels(page);
    await addRepo(page, DEMO_REPOS.private);
    await expect(page.locator('form').getByRole('alert')).toContainText(`${DEMO_REPOS.private} was not found or you have no access to it`);
    await logIn(page, DEMO_TOKENS.bobWrite, 'bob');
    await addRepo(page, DEMO_REPOS.private);
    await expect(page.locator('form').getByRole('alert')).toContainText(`${DEMO_REPOS.private} was not found or you have no access to it`);
    await expectNothingStored(page, hub);
  });

  test('with access (terms accepted) a gated model downloads; the token never reaches the CDN', async ({ page, hub }) => {
    await openModels(page);
    await logIn(page, DEMO_TOKENS.bobWrite, 'bob');
    await addRepo(page, DEMO_REPOS.gatedAuto);
    const item = modelItem(page, nameOf(DEMO_REPOS.gatedAuto));
    await item.getByRole('button', { name: 'Download' }).click();
    await expect(item).toContainText('Ready offline', { timeout: 30_000 });
    await expect(item.getByRole('alert')).toHaveCount(0);
    const cdn = hub.requests.filter((r) => r.served === 'cdn' && r.method === 'GET');
    expect(cdn.length).toBeGreaterThan(0);
    expect(cdn.every((r) => !r.authorization)).toBe(true);
    const resolves = hub.requests.filter((r) => r.url.includes('/resolve/') && r.method === 'GET');
    expect(resolves.length).toBeGreaterThan(0);
    expect(resolves.every((r) => r.token === DEMO_TOKENS.bobWrite)).toBe(true);
  });
});

test.describe('Resumable, verified downloads', () => {
  test('a dropped connection resumes with Range from the stored offset and verifies', async ({ page, hub }) => {
    hub.addFault({ repo: PUBLIC, file: 'tokenizer/vocab.json', origin: 'cdn', fault: { kind: 'drop', afterBytes: 300_000 } });
    // Trickled (1 MB/s, 50 KB every 50 ms) so the page has read the bytes before the socket closes:
    // at loopback speed Chromium may receive all 300,000 bytes and the close together, and then
    // discards the unread ones, leaving nothing stored to resume from.
    hub.addFault({ repo: PUBLIC, file: 'tokenizer/vocab.json', origin: 'cdn', fault: { kind: 'throttle', bytesPerSecond: 1_000_000 }, count: 2 });
    const item = await addAndOpen(page, PUBLIC);
    await item.getByRole('button', { name: 'Download' }).click();
    await expect(item).toContainText('Ready offline', { timeout: 30_000 });
    const vocab = fileGets(hub, PUBLIC, 'tokenizer/vocab.json');
    expect(vocab.find((r) => r.served === 'cdn' && r.faults.includes('drop'))?.range).toBeNull();
    // The retry asked for the rest from the last stored byte: the hub's resolve and the CDN it
    // redirects to both saw it. Chromium may drop the last bytes in flight when the socket closes,
    // so the offset is at most the 300,000 the hub sent, and never 0.
    const resumed = vocab.filter((r) => r.range !== null);
    expect(resumed.map((r) => r.served).sort()).toEqual(['cdn', 'hub']);
    const offsets = resumed.map((r) => Number(/^bytes=(\d+)-$/.exec(r.range!)?.[1]));
    expect(offsets[0]).toBe(offsets[1]);
    expect(offsets[0]).toBeGreaterThan(100_000);
    expect(offsets[0]).toBeLessThanOrEqual(300_000);
    const served = await fetchThroughPage(page, storedFileUrl(hub, PUBLIC, 'tokenizer/vocab.json'));
    expect(served.sha256).toBe(repoFile(hub, PUBLIC, 'tokenizer/vocab.json').sha256);
  });

  test('a reload mid-download resumes from what was stored', async ({ page, hub }) => {
    // Slow enough that shards are stored on the commit interval, well before the file ends.
    hub.addFault({ repo: PUBLIC, file: 'tokenizer/tokenizer.json', origin: 'cdn', fault: { kind: 'throttle', bytesPerSecond: 250_000 }, count: 'always' });
    const item = await addAndOpen(page, PUBLIC);
    await item.getByRole('button', { name: 'Download' }).click();
    await expect.poll(async () => (await modelCacheKeys(page)).filter((k) => k.includes('tokenizer.json?shard=')).length, { timeout: 20_000 }).toBeGreaterThan(0);
    await page.reload();
    await openModels(page);
    await expect(item).toContainText('Paused at');
    const stored = await page.evaluate(async (name) => {
      const cache = await caches.open(name);
      let bytes = 0;
      for (const request of await cache.keys()) {
        if (request.url.includes('tokenizer.json?shard=')) bytes += (await (await cache.match(request))!.arrayBuffer()).byteLength;
      }
      return bytes;
    }, MODEL_CACHE);
    expect(stored).toBeGreaterThan(0);
    hub.clearFaults();
    hub.clearRequests();
    await item.getByRole('button', { name: 'Download' }).click();
    await expect(item).toContainText('Ready offline', { timeout: 30_000 });
    const resumed = fileGets(hub, PUBLIC, 'tokenizer/tokenizer.json').filter((r) => r.served === 'hub');
    expect(resumed.map((r) => r.range)).toEqual([`bytes=${stored}-`]);
    const served = await fetchThroughPage(page, storedFileUrl(hub, PUBLIC, 'tokenizer/tokenizer.json'));
    expect(served.sha256).toBe(repoFile(hub, PUBLIC, 'tokenizer/tokenizer.json').sha256);
  });

  test('a corrupted byte fails verification; the bad bytes are discarded and fetched again', async ({ page, hub }) => {
    hub.addFault({ repo: PUBLIC, file: 'tokenizer/merges.txt', origin: 'cdn', fault: { kind: 'corrupt', offset: 1_000 } });
    const item = await addAndOpen(page, PUBLIC);
    await item.getByRole('button', { name: 'Download' }).click();
    await expect(item).toContainText('Ready offline', { timeout: 30_000 });
    const merges = fileGets(hub, PUBLIC, 'tokenizer/merges.txt').filter((r) => r.served === 'cdn');
    expect(merges.map((r) => r.faults)).toEqual([['corrupt'], []]);
    expect(merges.map((r) => r.range)).toEqual([null, null]);
    const served = await fetchThroughPage(page, storedFileUrl(hub, PUBLIC, 'tokenizer/merges.txt'));
    expect(served.sha256).toBe(repoFile(hub, PUBLIC, 'tokenizer/merges.txt').sha256);
  });

  test('an HTML page instead of the file is never stored', async ({ page, hub }) => {
    hub.addFault({ repo: PUBLIC, file: 'unet/model.onnx', origin: 'cdn', fault: { kind: 'html' } });
    const item = await addAndOpen(page, PUBLIC);
    await item.getByRole('button', { name: 'Download' }).click();
    await expect(item.getByRole('alert')).toContainText('did not return the file (a web page)');
    const keys = await modelCacheKeys(page);
    expect(keys.filter((k) => k.includes('unet'))).toEqual([]);
    // What verified before stays; Download resumes with the rest.
    await item.getByRole('button', { name: 'Download' }).click();
    await expect(item).toContainText('Ready offline', { timeout: 30_000 });
  });

  test('Cancel keeps what arrived; Delete frees it', async ({ page, hub }) => {
    hub.addFault({ repo: PUBLIC, origin: 'cdn', fault: { kind: 'throttle', bytesPerSecond: 300_000 }, count: 'always' });
    const item = await addAndOpen(page, PUBLIC);
    await item.getByRole('button', { name: 'Download' }).click();
    await expect(page.getByRole('progressbar', { name: `Downloading ${nameOf(PUBLIC)}` })).toHaveAttribute('aria-valuenow', /^([1-9]\d?)$/, { timeout: 20_000 });
    await item.getByRole('button', { name: 'Cancel download' }).click();
    await expect(item).toContainText('Paused at');
    expect((await modelCacheKeys(page)).length).toBeGreaterThan(0);
    await item.getByRole('button', { name: 'Delete' }).click();
    // An added repo leaves the list with its bytes.
    await expect(item).toHaveCount(0);
    expect(await modelCacheKeys(page)).toEqual([]);
  });
});

test.describe('Offline and storage', () => {
  test('after a download the model stays "Ready offline" with the hub gone and the network off', async ({ page, hub, context }) => {
    const item = await addAndOpen(page, PUBLIC);
    await item.getByRole('button', { name: 'Download' }).click();
    await expect(item).toContainText('Ready offline', { timeout: 30_000 });
    const unetUrl = storedFileUrl(hub, PUBLIC, 'unet/model.onnx');
    const expected = repoFile(hub, PUBLIC, 'unet/model.onnx');
    await hub.close();
    await context.setOffline(true);
    await page.reload();
    await openModels(page);
    await expect(modelItem(page, nameOf(PUBLIC))).toContainText('Ready offline');
    await expect(modelItem(page, 'Shapes demo')).toContainText('Ready offline');
    const served = await fetchThroughPage(page, unetUrl);
    expect(served).toMatchObject({ status: 200, sha256: expected.sha256 });
    // The bundled demo loads offline from the precache.
    const bundled = await fetchThroughPage(page, '/models/oracle-shapes/unet/model.onnx');
    expect(bundled.status).toBe(200);
  });

  test('a download that cannot fit is refused with the numbers; nothing is stored', async ({ page, hub }) => {
    await page.addInitScript(() => {
      // A device with 500 kB left for this site.
      navigator.storage.estimate = async () => ({ usage: 1_000_000, quota: 1_500_000 });
    });
    const item = await addAndOpen(page, PUBLIC);
    await expect(page.getByText('Storage used: 1.00 MB · 500 kB available')).toBeVisible();
    await item.getByRole('button', { name: 'Download' }).click();
    await expect(item.getByRole('alert')).toContainText(/Not enough storage: this download needs 2\.\d\d MB but only 500 kB is available/);
    expect(hub.requests.filter((r) => r.url.includes('/resolve/'))).toEqual([]);
    expect((await dumpStorage(page)).caches[MODEL_CACHE] ?? []).toEqual([]);
    await expect(item.getByRole('button', { name: 'Download' })).toBeVisible();
  });

  test('running out of space mid-download leaves nothing of the model behind', async ({ page, hub }) => {
    void hub;
    await page.addInitScript(() => {
      // The browser's own quota error on the third write.
      const put = Cache.prototype.put;
      let writes = 0;
      Cache.prototype.put = function (this: Cache, ...args: Parameters<Cache['put']>) {
        if (++writes >= 3) return Promise.reject(new DOMException('Quota exceeded', 'QuotaExceededError'));
        return put.apply(this, args);
      };
    });
    const item = await addAndOpen(page, PUBLIC);
    await item.getByRole('button', { name: 'Download' }).click();
    await expect(item.getByRole('alert')).toContainText('ran out of storage');
    await expect(item).toContainText('Not downloaded');
    expect((await dumpStorage(page)).caches[MODEL_CACHE] ?? []).toEqual([]);
  });

  test('two tabs download each file once (Web Locks); other tabs follow', async ({ page, hub, context }) => {
    hub.addFault({ repo: PUBLIC, origin: 'cdn', fault: { kind: 'throttle', bytesPerSecond: 2_000_000 }, count: 'always' });
    const first = await addAndOpen(page, PUBLIC);
    const other = await context.newPage();
    await openModels(other);
    const second = modelItem(other, nameOf(PUBLIC));
    const onlyWatching = await context.newPage();
    await openModels(onlyWatching);
    await first.getByRole('button', { name: 'Download' }).click();
    await second.getByRole('button', { name: 'Download' }).click();
    await expect(first).toContainText('Ready offline', { timeout: 30_000 });
    await expect(second).toContainText('Ready offline', { timeout: 30_000 });
    // A tab that only watched learns of it too (BroadcastChannel).
    await expect(modelItem(onlyWatching, nameOf(PUBLIC))).toContainText('Ready offline');
    const gets = hub.requests.filter((r) => r.served === 'cdn' && r.method === 'GET').map((r) => r.url.split('?')[0]);
    expect(new Set(gets).size).toBe(gets.length);
  });
});

test('screenshots of the Models tab at 360 px and 1280 px, light and dark', async ({ page, hub }) => {
  hub.addFault({ repo: PUBLIC, origin: 'cdn', fault: { kind: 'throttle', bytesPerSecond: 150_000 }, count: 'always' });
  await page.setViewportSize({ width: 1280, height: 900 });
  await addAndOpen(page, DEMO_REPOS.gatedAuto);
  await expect(modelItem(page, nameOf(DEMO_REPOS.gatedAuto)).getByRole('alert')).toBeVisible();
  const item = await addAndOpen(page, PUBLIC);
  await item.getByRole('button', { name: 'Download' }).click();
  await expect(item.getByText(/ left$/)).toBeVisible();
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    for (const width of [360, 1280]) {
      await page.setViewportSize({ width, height: 900 });
      await item.scrollIntoViewIfNeeded();
      await page.screenshot({ path: test.info().outputPath(`models-${width}-${colorScheme}.png`), fullPage: true });
    }
  }
  // Nothing overflows sideways at the narrowest width.
  await page.setViewportSize({ width: 360, height: 900 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
});

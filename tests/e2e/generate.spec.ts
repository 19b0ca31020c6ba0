import { readFile } from 'node:fs/promises';
import { readPngText } from '../../src/image/png.ts';
import { parseParameters } from '../../src/generation/params.ts';
import { expect, test } from './fixtures.ts';
import { E2E_CDN_PORT, E2E_HUB_PORT } from './browser.ts';
import { COLOURS, expectColour, fillGenerateForm, generateAndWait, resultPixels, waitForServiceWorker } from './app-helpers.ts';

// The centre of a 256 × 256 image is inside the disc; (16, 16) is background, ≥ 8 px from any edge.
const CENTRE: [number, number] = [128, 128];
const CORNER: [number, number] = [16, 16];

test('newcomer path with no network: the bundled demo draws the prompt, and the PNG carries its settings', async ({ page, context }) => {
  // No fake hub runs in this test, and nothing may leave for any origin but the app's.
  const foreign: string[] = [];
  await context.route(/^https?:\/\/(?!localhost:)/, (route) => {
    foreign.push(route.request().url());
    return route.abort('internetdisconnected');
  });
  await page.goto('/');
  await expect(page.getByRole('combobox', { name: 'Model' })).toHaveValue('oracle-shapes');
  await fillGenerateForm(page, { prompt: 'a red circle on a blue background', seed: 1234, steps: 4, size: '256x256', scheduler: 'euler' });
  await generateAndWait(page);
  await expect(page.getByText(/^Backend: (WebGPU|WASM)/)).toBeVisible();

  const [centre, corner] = await resultPixels(page, [CENTRE, CORNER]);
  expectColour(centre!, COLOURS.red);
  expectColour(corner!, COLOURS.blue);

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download PNG' }).click()]);
  expect(download.suggestedFilename()).toMatch(/^local-sd-a-red-circle-on-a-blue-background-1234\.png$/);
  const png = new Uint8Array(await readFile((await download.path())!));
  const parsed = parseParameters(readPngText(png).parameters!);
  expect(parsed.prompt).toBe('a red circle on a blue background');
  expect(parsed.negativePrompt).toBe('');
  expect(parsed.fields).toEqual({ Steps: '4', Sampler: 'Euler', 'CFG scale': '1', Seed: '1234', Size: '256x256', Model: 'Shapes demo (bundled)' });
  expect(foreign.filter((u) => !u.includes(`:${E2E_HUB_PORT}`) && !u.includes(`:${E2E_CDN_PORT}`))).toEqual([]);
});

test('after one visit the demo model generates with the network off', async ({ page, context }) => {
  await page.goto('/');
  await waitForServiceWorker(page);
  await context.setOffline(true);
  await page.reload();
  await fillGenerateForm(page, { prompt: 'a green square on a white background', steps: 2, size: '128x128', scheduler: 'euler_a' });
  await generateAndWait(page);
  const [centre, corner] = await resultPixels(page, [[64, 64], [10, 10]]);
  expectColour(centre!, COLOURS.green);
  expectColour(corner!, COLOURS.white);
});

test('the gallery keeps images across reloads and "Reuse settings" restores every field', async ({ page }) => {
  await page.goto('/');
  const settings = { prompt: 'a white square on a black background', negativePrompt: 'a circle', seed: 987654321, steps: 3, guidance: 2, size: '128x128', scheduler: 'ddim' };
  await fillGenerateForm(page, settings);
  await generateAndWait(page);
  await page.reload();
  await page.getByRole('tab', { name: 'Gallery' }).click();
  const gallery = page.getByRole('list', { name: 'Gallery' });
  const item = gallery.getByRole('listitem').filter({ has: page.getByRole('img', { name: settings.prompt }) });
  await expect(item).toHaveCount(1);

  // Change the form, then restore it from the gallery.
  await page.getByRole('tab', { name: 'Generate' }).click();
  await fillGenerateForm(page, { prompt: 'something else', negativePrompt: '', seed: 1, steps: 9, guidance: 1, size: '256x256', scheduler: 'euler' });
  await page.getByRole('tab', { name: 'Gallery' }).click();
  await item.getByRole('button', { name: 'Reuse settings' }).click();
  await expect(page.getByRole('tab', { name: 'Generate' })).toHaveAttribute('aria-selected', 'true');
  const panel = page.getByRole('tabpanel');
  await expect(panel.getByRole('textbox', { name: 'Prompt', exact: true })).toHaveValue(settings.prompt);
  await expect(panel.getByRole('textbox', { name: 'Negative prompt' })).toHaveValue(settings.negativePrompt);
  await expect(panel.getByRole('spinbutton', { name: 'Seed' })).toHaveValue(String(settings.seed));
  await expect(panel.getByRole('spinbutton', { name: 'Steps' })).toHaveValue(String(settings.steps));
  await expect(panel.getByRole('spinbutton', { name: 'Guidance' })).toHaveValue(String(settings.guidance));
  await expect(panel.getByRole('combobox', { name: 'Size' })).toHaveValue(settings.size);
  await expect(panel.getByRole('combobox', { name: 'Scheduler' })).toHaveValue(settings.scheduler);

  // Delete removes it, also after a reload.
  await page.getByRole('tab', { name: 'Gallery' }).click();
  await item.getByRole('button', { name: 'Delete' }).click();
  await expect(item).toHaveCount(0);
  await page.reload();
  await page.getByRole('tab', { name: 'Gallery' }).click();
  await expect(page.getByText('No images yet.', { exact: false })).toBeVisible();
});

test('Cancel stops a generation and the next one still works', async ({ page }) => {
  await page.goto('/');
  await fillGenerateForm(page, { prompt: 'a blue circle', steps: 150, size: '128x128' });
  const panel = page.getByRole('tabpanel');
  await panel.getByRole('button', { name: 'Generate' }).click();
  const progress = panel.getByRole('progressbar', { name: 'Generation progress' });
  await expect(progress).toBeVisible();
  await expect(panel.getByText(/Step [1-9]\d* \/ 150/)).toBeVisible({ timeout: 120_000 });
  await panel.getByRole('button', { name: 'Cancel' }).click();
  await expect(panel.getByRole('status').filter({ hasText: 'Cancelled.' })).toBeVisible();
  await expect(panel.getByRole('img', { name: /^Generated image/ })).toHaveCount(0);
  await fillGenerateForm(page, { steps: 1 });
  await generateAndWait(page);
});

test('Ctrl+Enter in the prompt generates', async ({ page }) => {
  await page.goto('/');
  await fillGenerateForm(page, { prompt: 'a yellow square', steps: 1, size: '128x128' });
  await page.getByRole('textbox', { name: 'Prompt', exact: true }).press('Control+Enter');
  await expect(page.getByRole('tabpanel').getByRole('img', { name: 'Generated image: a yellow square' })).toBeVisible({ timeout: 180_000 });
});

test('a gallery of 300 images renders a page at a time', async ({ page }) => {
  await page.goto('/');
  // Fill the gallery's IndexedDB directly, as 300 earlier generations would have.
  await page.evaluate(async () => {
    const open = (name: string, store: string) =>
      new Promise<IDBDatabase>((resolve, reject) => {
        const req = indexedDB.open(name);
        req.onupgradeneeded = () => req.result.createObjectStore(store);
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
    const canvas = new OffscreenCanvas(16, 16);
    canvas.getContext('2d')!.fillRect(0, 0, 16, 16);
    const thumbnail = await canvas.convertToBlob({ type: 'image/png' });
    const db = await open('local-sd-gallery', 'items');
    const tx = db.transaction('items', 'readwrite');
    for (let i = 0; i < 300; i++) {
      const params = { prompt: `image ${i}`, negativePrompt: '', seed: i, steps: 1, guidance: 1, width: 128, height: 128, scheduler: 'euler', modelId: 'oracle-shapes' };
      tx.objectStore('items').put({ id: `id-${i}`, createdAt: 1_700_000_000_000 + i, params, modelName: 'Shapes demo (bundled)', backend: 'WASM', width: 128, height: 128, thumbnail }, `id-${i}`);
    }
    await new Promise((resolve, reject) => ((tx.oncomplete = resolve), (tx.onerror = reject)));
    db.close();
  });
  await page.reload();
  await page.getByRole('tab', { name: 'Gallery' }).click();
  const items = page.getByRole('list', { name: 'Gallery' }).getByRole('listitem');
  await expect(items).toHaveCount(48);
  // Newest first.
  await expect(items.first().getByRole('img')).toHaveAttribute('alt', 'image 299');
  await page.getByRole('button', { name: 'Show more (252 left)' }).click();
  await expect(items).toHaveCount(96);
});

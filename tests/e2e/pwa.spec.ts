import { chromium, type Page } from '@playwright/test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_REPOS, DEMO_TOKENS } from '../fake-hub/fixtures.ts';
import { COLOURS, expectColour, fillGenerateForm, generateAndWait, resultPixels, waitForServiceWorker } from './app-helpers.ts';
import { E2E_BUILD_DIR, acceptUpdate, offerUpdate, prepareNextBuild } from './app-update.ts';
import { E2E_APP_PORT, chromiumLaunchOptions } from './browser.ts';
import { expect, test } from './fixtures.ts';
import { SwappableStaticServer } from './static-server.ts';

const REPO_NAME = DEMO_REPOS.public.split('/')[1]!;

async function logIn(page: Page): Promise<void> {
  await page.getByRole('tab', { name: 'Settings' }).click();
  const section = page.getByRole('region', { name: 'Hugging Face authentication' });
  await section.getByLabel('Hugging Face token').fill(DEMO_TOKENS.aliceRead);
  await section.getByRole('button', { name: 'Save token' }).click();
  await expect(section.getByRole('status')).toHaveText(/^✓ Logged in as: alice/);
}

async function downloadPublicModel(page: Page): Promise<void> {
  await page.getByRole('tab', { name: 'Models' }).click();
  await page.getByRole('textbox', { name: 'Hugging Face repo' }).fill(DEMO_REPOS.public);
  await page.getByRole('button', { name: 'Add model' }).click();
  const item = page.getByRole('list', { name: 'Models' }).getByRole('listitem').filter({ has: page.getByRole('heading', { name: REPO_NAME, exact: true }) });
  await item.getByRole('button', { name: 'Download' }).click();
  await expect(item).toContainText('Ready offline', { timeout: 60_000 });
}

test('installable: Chromium reports no installability errors', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'local-sd-profile-'));
  const context = await chromium.launchPersistentContext(dir, { ...chromiumLaunchOptions(), headless: true });
  try {
    const page = await context.newPage();
    await page.goto(`http://localhost:${E2E_APP_PORT}/`);
    await waitForServiceWorker(page);
    const cdp = await context.newCDPSession(page);
    await expect
      .poll(async () => ((await cdp.send('Page.getInstallabilityErrors')) as { installabilityErrors: unknown[] }).installabilityErrors)
      .toEqual([]);
    const manifest = await (await page.request.get('/manifest.webmanifest')).json();
    expect(manifest).toMatchObject({ name: expect.stringContaining('Local SD'), short_name: 'Local SD', display: 'standalone' });
    expect(manifest.icons.map((i: { sizes: string; purpose: string }) => `${i.sizes} ${i.purpose}`)).toEqual(['192x192 any', '512x512 any', '512x512 maskable']);
  } finally {
    await context.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('full offline path: download from the hub, stop the hub, go offline, reload, generate the right picture', async ({ page, context, hub }) => {
  await page.goto('/');
  await waitForServiceWorker(page);
  await downloadPublicModel(page);
  await hub.close();
  await context.setOffline(true);
  await page.reload();
  const item = page.getByRole('list', { name: 'Models' }).getByRole('listitem').filter({ has: page.getByRole('heading', { name: REPO_NAME, exact: true }) });
  await page.getByRole('tab', { name: 'Models' }).click();
  await expect(item).toContainText('Ready offline');
  await page.getByRole('tab', { name: 'Generate' }).click();
  await page.getByRole('combobox', { name: 'Model' }).selectOption({ label: REPO_NAME });
  // An added repo gets the sizes of an SD model: 512 × 512.
  await fillGenerateForm(page, { prompt: 'a red circle on a blue background', steps: 3, guidance: 1, size: '512x512' });
  await generateAndWait(page);
  const [centre, corner] = await resultPixels(page, [[256, 256], [16, 16]]);
  expectColour(centre!, COLOURS.red);
  expectColour(corner!, COLOURS.blue);
});

test('an update is offered with "A new version is ready"; Reload runs it and keeps token, models and gallery', async ({ hub }) => {
  void hub;
  // Version 2 of the app: the same build with a changed page, as a deploy would bring.
  const v2 = await prepareNextBuild();
  const server = await SwappableStaticServer.start(E2E_BUILD_DIR);
  const browser = await chromium.launch(chromiumLaunchOptions());
  try {
    const page = await browser.newPage();
    await page.goto(server.url);
    await waitForServiceWorker(page);
    await logIn(page);
    await downloadPublicModel(page);
    await page.getByRole('tab', { name: 'Generate' }).click();
    await fillGenerateForm(page, { prompt: 'a black circle on a white background', steps: 1, size: '128x128' });
    await generateAndWait(page);

    await acceptUpdate(page, await offerUpdate(page, server, v2));

    await page.getByRole('tab', { name: 'Settings' }).click();
    await expect(page.getByRole('region', { name: 'Hugging Face authentication' }).getByRole('status')).toHaveText(/^✓ Logged in as: alice/);
    await page.getByRole('tab', { name: 'Models' }).click();
    const item = page.getByRole('list', { name: 'Models' }).getByRole('listitem').filter({ has: page.getByRole('heading', { name: REPO_NAME, exact: true }) });
    await expect(item).toContainText('Ready offline');
    await page.getByRole('tab', { name: 'Gallery' }).click();
    await expect(page.getByRole('list', { name: 'Gallery' }).getByRole('img', { name: 'a black circle on a white background' })).toBeVisible();
  } finally {
    await browser.close();
    await server.close();
    await v2.remove();
  }
});

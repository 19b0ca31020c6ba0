import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, type Locator, type Page } from '@playwright/test';
import { E2E_APP_PORT } from './browser.ts';
import type { SwappableStaticServer } from './static-server.ts';

/** The production build the e2e web server made (playwright.config.ts). */
export const E2E_BUILD_DIR = resolve(`build/e2e-dist-${E2E_APP_PORT}`);

/** A second version of a build, as a deploy would bring: serve it with `SwappableStaticServer.deploy`. */
export interface NextBuild {
  dir: string;
  remove(): Promise<void>;
}

/**
 * Version 2 of the app: a copy of `buildDir` whose page carries `<meta name="local-sd-build" content="v2">`
 * and whose service worker precaches that page under a new revision, so the browser sees a new worker.
 */
export async function prepareNextBuild(buildDir: string = E2E_BUILD_DIR): Promise<NextBuild> {
  const dir = await mkdtemp(join(tmpdir(), 'local-sd-v2-'));
  await cp(buildDir, dir, { recursive: true });
  const html = await readFile(join(dir, 'index.html'), 'utf8');
  await writeFile(join(dir, 'index.html'), html.replace('<head>', '<head>\n    <meta name="local-sd-build" content="v2" />'));
  const sw = await readFile(join(dir, 'sw.js'), 'utf8');
  const changed = sw.replace(/"revision":"[0-9a-f]+","url":"index\.html"/, '"revision":"v2","url":"index.html"');
  expect(changed, 'the service worker precaches index.html with a revision').not.toBe(sw);
  await writeFile(join(dir, 'sw.js'), changed);
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Deploys `next` and has the page check for an update; resolves to the visible "A new version is ready" prompt. */
export async function offerUpdate(page: Page, server: SwappableStaticServer, next: NextBuild): Promise<Locator> {
  server.deploy(next.dir);
  await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())!.update());
  const prompt = page.getByRole('status').filter({ hasText: 'A new version is ready' });
  await expect(prompt).toBeVisible({ timeout: 60_000 });
  return prompt;
}

/** Presses the prompt's Reload and waits until version 2 of the page has loaded. */
export async function acceptUpdate(page: Page, prompt: Locator): Promise<void> {
  await Promise.all([page.waitForEvent('load'), prompt.getByRole('button', { name: 'Reload' }).click()]);
  await expect(page.locator('meta[name="local-sd-build"]')).toHaveAttribute('content', 'v2');
}

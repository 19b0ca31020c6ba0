import { expect, test } from '@playwright/test';
import { TABS } from './names.ts';
import { E2E_CDN_PORT, E2E_HUB_PORT } from './browser.ts';

test('the built app loads with its four tabs, cross-origin isolated, under the CSP', async ({ page }) => {
  const response = await page.goto('/');
  const headers = response!.headers();
  expect(headers['content-security-policy']).toContain("script-src 'self' 'wasm-unsafe-eval'");
  expect(headers['content-security-policy']).toContain(`connect-src 'self' http://127.0.0.1:${E2E_HUB_PORT} http://127.0.0.1:${E2E_CDN_PORT}`);
  expect(headers['cross-origin-opener-policy']).toBe('same-origin');
  expect(headers['cross-origin-embedder-policy']).toBe('require-corp');

  for (const name of TABS) await expect(page.getByRole('tab', { name })).toBeVisible();
  await expect(page.getByRole('tab', { name: 'Generate' })).toHaveAttribute('aria-selected', 'true');
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
});

test('tabs are reachable by keyboard', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('tab', { name: 'Generate' }).focus();
  await page.keyboard.press('ArrowRight');
  await expect(page.getByRole('tab', { name: 'Models' })).toBeFocused();
  await expect(page.getByRole('tab', { name: 'Models' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('tabpanel')).toHaveAttribute('aria-labelledby', 'tab-Models');
  await page.keyboard.press('End');
  await expect(page.getByRole('tab', { name: 'Settings' })).toBeFocused();
  await page.keyboard.press('ArrowRight');
  await expect(page.getByRole('tab', { name: 'Generate' })).toBeFocused();
});

test('after one visit the shell reloads with the network offline', async ({ page, context }) => {
  await page.goto('/');
  // Wait until the service worker has precached the shell and controls the page.
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }));
    }
  });
  // The bundled demo model is part of the precache, so it is there before anyone generates.
  const precached = await page.evaluate(async () => {
    const manifest = await (await fetch('/models/oracle-shapes/manifest.json')).json();
    const paths: string[] = manifest.files.map((f: { path: string }) => f.path);
    const missing: string[] = [];
    for (const path of paths) if (!(await caches.match(`/models/oracle-shapes/${path}`, { ignoreSearch: true }))) missing.push(path);
    return { count: paths.length, missing };
  });
  expect(precached.count).toBeGreaterThan(10);
  expect(precached.missing).toEqual([]);
  await context.setOffline(true);
  // The page notices (navigator.onLine and its `offline` event). Checked before the reload: some
  // Chromium builds (150) drop the emulated offline state from navigator.onLine in the reloaded page.
  await expect(page.getByText('Offline — downloaded models still work')).toBeVisible();
  await page.reload();
  for (const name of TABS) await expect(page.getByRole('tab', { name })).toBeVisible();
  // Really offline: a same-origin file outside the precache cannot be fetched.
  expect(await page.evaluate(() => fetch('/security-headers.json', { cache: 'no-store' }).then((r) => `HTTP ${r.status}`, (e: Error) => e.name))).toBe('TypeError');
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
});

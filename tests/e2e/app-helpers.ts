import { expect, type Locator, type Page } from '@playwright/test';

/** Waits until the service worker controls the page and has finished precaching (it is active). */
export async function waitForServiceWorker(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const registration = await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }));
    }
    return registration.active?.state;
  });
}

export interface GenerateFields {
  prompt?: string;
  negativePrompt?: string;
  seed?: number;
  steps?: number;
  guidance?: number;
  size?: string; // "256x256"
  scheduler?: string; // scheduler id
}

/** Fills the Generate form by role and accessible name (shared/ui-contract.md). */
export async function fillGenerateForm(page: Page, fields: GenerateFields): Promise<void> {
  const panel = page.getByRole('tabpanel');
  if (fields.prompt !== undefined) await panel.getByRole('textbox', { name: 'Prompt', exact: true }).fill(fields.prompt);
  if (fields.negativePrompt !== undefined) await panel.getByRole('textbox', { name: 'Negative prompt' }).fill(fields.negativePrompt);
  if (fields.seed !== undefined) await panel.getByRole('spinbutton', { name: 'Seed' }).fill(String(fields.seed));
  if (fields.steps !== undefined) await panel.getByRole('spinbutton', { name: 'Steps' }).fill(String(fields.steps));
  if (fields.guidance !== undefined) await panel.getByRole('spinbutton', { name: 'Guidance' }).fill(String(fields.guidance));
  if (fields.size !== undefined) await panel.getByRole('combobox', { name: 'Size' }).selectOption(fields.size);
  if (fields.scheduler !== undefined) await panel.getByRole('combobox', { name: 'Scheduler' }).selectOption(fields.scheduler);
}

/** Clicks Generate and waits for the result image (SwiftShader WebGPU and WASM are slow: allow minutes). */
export async function generateAndWait(page: Page): Promise<void> {
  const panel = page.getByRole('tabpanel');
  await panel.getByRole('button', { name: 'Generate' }).click();
  await expect(panel.getByRole('button', { name: 'Cancel' })).toBeDisabled({ timeout: 180_000 });
  await expect(panel.getByRole('alert')).toHaveCount(0);
  await expect(panel.getByRole('img', { name: /^Generated image/ })).toBeVisible();
}

/** RGB of the result image at the given pixels, read through a canvas. */
export async function resultPixels(page: Page, points: readonly [number, number][]): Promise<number[][]> {
  const img = page.getByRole('tabpanel').getByRole('img', { name: /^Generated image/ });
  return img.evaluate(async (el: HTMLImageElement, pts) => {
    await el.decode();
    const canvas = new OffscreenCanvas(el.naturalWidth, el.naturalHeight);
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(el, 0, 0);
    return pts.map(([x, y]) => Array.from(ctx.getImageData(x, y, 1, 1).data.slice(0, 3)));
  }, points as [number, number][]);
}

export function expectColour(actual: number[], expected: readonly number[], tolerance = 3): void {
  for (let c = 0; c < 3; c++) {
    expect(Math.abs(actual[c]! - expected[c]!), `channel ${c} of ${actual} vs ${expected}`).toBeLessThanOrEqual(tolerance);
  }
}

export const COLOURS = {
  red: [230, 40, 40],
  green: [40, 200, 60],
  blue: [40, 80, 230],
  white: [240, 240, 240],
  black: [20, 20, 20],
} as const;

/** Opens Settings (loading the app first if needed) and returns the "Hugging Face authentication" region. */
export async function openSettings(page: Page): Promise<Locator> {
  if (!page.url().startsWith('http')) await page.goto('/');
  await page.getByRole('tab', { name: 'Settings' }).click();
  const section = page.getByRole('region', { name: 'Hugging Face authentication' });
  await expect(section).toBeVisible();
  return section;
}

export async function saveToken(section: Locator, token: string): Promise<void> {
  await section.getByLabel('Hugging Face token').fill(token);
  await section.getByRole('button', { name: 'Save token' }).click();
}

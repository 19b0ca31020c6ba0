import AxeBuilder from '@axe-core/playwright';
import type { Locator, Page } from '@playwright/test';
import { DEMO_REPOS, DEMO_TOKENS } from '../fake-hub/fixtures.ts';
import { createModelsFixture } from '../fake-hub/fixtures-models.ts';
import type { FakeHub } from '../fake-hub/server.ts';
import { dumpStorage, expect, test } from './fixtures.ts';

/**
 * Settings → the optional passphrase lock of the saved token (issue #9): locking, a locked start,
 * gated downloads asking to unlock first, a wrong passphrase, unlocking, removing the lock, and the
 * leak test with the lock on. Each key derivation is 600,000 PBKDF2 iterations (about a second).
 */

test.use({ hubFixture: createModelsFixture() });

const PASSPHRASE = 'correct horse battery staple';
const GATED = DEMO_REPOS.gatedAuto;
const GATED_NAME = GATED.slice(GATED.indexOf('/') + 1);

function authSection(page: Page): Locator {
  return page.getByRole('region', { name: 'Hugging Face authentication' });
}

async function openSettings(page: Page): Promise<Locator> {
  await page.getByRole('tab', { name: 'Settings' }).click();
  const section = authSection(page);
  await expect(section).toBeVisible();
  return section;
}

/** Loads the app and waits until the service worker (which serves model files) controls it. */
async function loadApp(page: Page): Promise<void> {
  if (!page.url().startsWith('http')) await page.goto('/');
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }));
    }
  });
}

async function logIn(page: Page, token: string, name: string): Promise<Locator> {
  const section = await openSettings(page);
  await section.getByLabel('Hugging Face token').fill(token);
  await section.getByRole('button', { name: 'Save token' }).click();
  await expect(section.getByRole('status')).toHaveText(`✓ Logged in as: ${name}`);
  return section;
}

async function lock(section: Locator, passphrase: string, confirmation = passphrase): Promise<void> {
  await section.getByRole('button', { name: 'Lock with passphrase' }).click();
  await section.getByLabel('Passphrase', { exact: true }).fill(passphrase);
  await section.getByLabel('Confirm passphrase').fill(confirmation);
  await section.getByRole('button', { name: 'Lock token' }).click();
}

async function unlock(section: Locator, passphrase: string): Promise<void> {
  await section.getByLabel('Passphrase', { exact: true }).fill(passphrase);
  await section.getByRole('button', { name: 'Unlock token' }).click();
}

function modelItem(page: Page, displayName: string): Locator {
  return page
    .getByRole('list', { name: 'Models' })
    .getByRole('listitem')
    .filter({ has: page.getByRole('heading', { name: displayName, exact: true }) });
}

/** Serious or critical axe violations inside the Settings panel (its shadow roots included). */
async function axeViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).include({ fromShadowDom: ['app-root', 'settings-panel'] }).analyze();
  expect(results.passes.map((p) => p.id)).toEqual(expect.arrayContaining(['button-name', 'label']));
  return results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help} (${v.nodes.length})`);
}

function whoamiCount(hub: FakeHub): number {
  return hub.requests.filter((r) => r.method === 'GET' && r.url.startsWith('/api/whoami-v2')).length;
}

test.describe('Settings → passphrase lock', () => {
  test('lock → reload: identity shown, token unusable (gated download asks to unlock) → wrong passphrase → unlock → download → remove lock', async ({ page, hub }) => {
    await loadApp(page);
    let section = await logIn(page, DEMO_TOKENS.bobWrite, 'bob');
    await lock(section, PASSPHRASE);
    // Locking keeps this session unlocked.
    await expect(section.getByRole('button', { name: 'Remove passphrase lock' })).toBeVisible();
    await expect(section.getByRole('alert')).not.toContainText('passphrase');

    await page.reload();
    await loadApp(page);
    hub.clearRequests();
    section = await openSettings(page);
    await expect(section.getByRole('status')).toHaveText('✓ Logged in as: bob');
    await expect(section).toContainText('locked with a passphrase, so it was not re-checked');
    await expect(section.getByText('Bob Example')).toBeVisible();
    await expect(section.getByRole('button', { name: 'Unlock token' })).toBeVisible();

    // Locked: the gated model asks to unlock first, and no request carries a token.
    await page.getByRole('tab', { name: 'Models' }).click();
    await page.getByRole('textbox', { name: 'Hugging Face repo' }).fill(GATED);
    await page.getByRole('button', { name: 'Add model' }).click();
    const item = modelItem(page, GATED_NAME);
    await expect(item.getByRole('alert')).toContainText('Unlock the token in Settings');
    await item.getByRole('button', { name: 'Download' }).click();
    await expect(item.getByRole('alert')).toContainText('locked with a passphrase');
    expect(hub.requests.filter((r) => r.url.includes('/resolve/') || r.served === 'cdn')).toEqual([]);
    expect(hub.requests.filter((r) => r.authorization)).toEqual([]);
    expect(whoamiCount(hub)).toBe(0);
    await item.getByRole('alert').getByRole('button', { name: 'Open Settings' }).click();

    // A wrong passphrase: a clear alert, nothing deleted, no lockout.
    section = authSection(page);
    await unlock(section, 'not the passphrase at all');
    await expect(section.getByRole('alert')).toContainText('Wrong passphrase');
    await expect(section.getByRole('status')).toHaveText('✓ Logged in as: bob');
    await expect(section.getByLabel('Passphrase', { exact: true })).toHaveValue('');
    expect(JSON.stringify((await dumpStorage(page)).indexedDB['local-sd-vault'])).toContain('token-record');

    await unlock(section, PASSPHRASE);
    await expect(section.getByRole('button', { name: 'Remove passphrase lock' })).toBeVisible();
    await expect(section.getByRole('alert')).toHaveCount(1); // only the write-token advice
    await expect(section.getByRole('alert')).toContainText('A Read token is enough');
    // Unlocking runs the revalidation that the locked start skipped.
    await expect.poll(() => whoamiCount(hub)).toBe(1);
    await expect(section.getByRole('status')).toHaveText('✓ Logged in as: bob');

    await page.getByRole('tab', { name: 'Models' }).click();
    await item.getByRole('button', { name: 'Download' }).click();
    await expect(item).toContainText('Ready offline', { timeout: 30_000 });
    await expect(item.getByRole('alert')).toHaveCount(0);
    const resolves = hub.requests.filter((r) => r.url.includes('/resolve/') && r.method === 'GET');
    expect(resolves.length).toBeGreaterThan(0);
    expect(resolves.every((r) => r.token === DEMO_TOKENS.bobWrite)).toBe(true);
    expect(hub.requests.filter((r) => r.served === 'cdn' && r.authorization)).toEqual([]);

    // Removing the lock asks the passphrase (a wrong one is refused) and re-encrypts without it.
    section = await openSettings(page);
    await section.getByRole('button', { name: 'Remove passphrase lock' }).click();
    await section.getByLabel('Passphrase', { exact: true }).fill('still not the passphrase');
    await section.getByRole('button', { name: 'Remove lock' }).click();
    await expect(section.getByRole('alert')).toContainText('Wrong passphrase');
    await section.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
    await section.getByRole('button', { name: 'Remove lock' }).click();
    await expect(section.getByRole('button', { name: 'Lock with passphrase' })).toBeVisible();

    await page.reload();
    section = await openSettings(page);
    await expect(section.getByRole('status')).toHaveText('✓ Logged in as: bob');
    await expect(section.getByRole('button', { name: 'Lock with passphrase' })).toBeVisible();
    await expect(section.getByRole('button', { name: 'Unlock token' })).toHaveCount(0);
    await expect.poll(() => whoamiCount(hub)).toBe(2);
  });

  test('a short or mistyped passphrase is refused; the forms pass axe; Forget token still deletes everything while locked', async ({ page, hub: _hub }) => {
    await page.goto('/');
    const section = await logIn(page, DEMO_TOKENS.aliceRead, 'alice');
    await lock(section, 'short', 'short');
    await expect(section.getByRole('alert')).toContainText('at least 8 characters');
    await section.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
    await section.getByLabel('Confirm passphrase').fill(PASSPHRASE + '!');
    await section.getByRole('button', { name: 'Lock token' }).click();
    await expect(section.getByRole('alert')).toContainText('The two passphrases differ');
    expect(await axeViolations(page)).toEqual([]);
    await section.getByRole('button', { name: 'Cancel' }).click();
    await expect(section.getByRole('button', { name: 'Lock with passphrase' })).toBeVisible();

    await lock(section, PASSPHRASE);
    await expect(section.getByRole('button', { name: 'Remove passphrase lock' })).toBeVisible();
    await page.reload();
    const reloaded = await openSettings(page);
    await expect(reloaded.getByRole('button', { name: 'Unlock token' })).toBeVisible();
    expect(await axeViolations(page)).toEqual([]);
    await reloaded.getByRole('button', { name: 'Forget token' }).click();
    await expect(reloaded.getByRole('status')).toHaveText('Not logged in');
    await expect(reloaded.getByRole('button', { name: 'Unlock token' })).toHaveCount(0);
    expect((await dumpStorage(page)).indexedDB['local-sd-vault']?.['keys'] ?? []).toEqual([]);
  });

  test('leak test with the lock on: neither the token nor the passphrase is in storage or the console', async ({ page, hub, consoleMessages }) => {
    const token = DEMO_TOKENS.aliceRead;
    await page.goto('/');
    const section = await logIn(page, token, 'alice');
    await lock(section, PASSPHRASE);
    await expect(section.getByRole('button', { name: 'Remove passphrase lock' })).toBeVisible();
    await page.reload();
    const reloaded = await openSettings(page);
    await expect(reloaded.getByRole('button', { name: 'Unlock token' })).toBeVisible();
    await unlock(reloaded, PASSPHRASE);
    await expect(reloaded.getByRole('button', { name: 'Remove passphrase lock' })).toBeVisible();
    // The token was used after unlocking: the revalidation sent it to the hub.
    await expect.poll(() => whoamiCount(hub)).toBe(2);
    await expect(reloaded.getByRole('status')).toHaveText('✓ Logged in as: alice');

    const dump = JSON.stringify(await dumpStorage(page));
    expect(dump).toContain('local-sd-vault');
    expect(dump).toContain('passphraseLock');
    const secrets = [token, token.slice(3), PASSPHRASE, PASSPHRASE.slice(8)];
    const forms = secrets.flatMap((s) => [s, Buffer.from(s).toString('base64'), Buffer.from(s).toString('base64url')]);
    for (const form of forms) {
      expect(dump).not.toContain(form);
      for (const message of consoleMessages) expect(message.text()).not.toContain(form);
      expect(page.url()).not.toContain(form);
    }
    for (const request of hub.requests.filter((r) => r.authorization)) {
      expect(request.served).toBe('hub');
      expect(request.token).toBe(token);
    }
    // The passphrase field keeps nothing after the attempt.
    await reloaded.getByRole('button', { name: 'Remove passphrase lock' }).click();
    await expect(reloaded.getByLabel('Passphrase', { exact: true })).toHaveValue('');
  });
});

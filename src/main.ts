import { Workbox } from 'workbox-window';
import './components/app-root.ts';

/**
 * Boot: define the elements (imported above) and register the service worker, which precaches the
 * shell, the WASM/WebGPU runtime and the bundled demo model so that the app works offline.
 */
async function registerServiceWorker(): Promise<Workbox | undefined> {
  if (!('serviceWorker' in navigator) || import.meta.env.DEV) return undefined;
  const wb = new Workbox('/sw.js', { type: 'module' });
  wb.addEventListener('waiting', () => {
    // The update prompt (Reload) sends SKIP_WAITING; once the new worker controls the page, reload.
    document.dispatchEvent(new CustomEvent('sw-update-waiting', { detail: wb }));
  });
  await wb.register();
  return wb;
}

registerServiceWorker().catch((err: unknown) => {
  console.error('Service worker registration failed; the app will not work offline.', err);
});

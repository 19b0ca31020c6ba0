import { Workbox } from 'workbox-window';

/** Chromium's install prompt event (not in TypeScript's DOM types). */
interface BeforeInstallPromptEvent extends Event {
  prompt(): Promise<void>;
  readonly userChoice: Promise<{ outcome: 'accepted' | 'dismissed' }>;
}

/**
 * The app's life as an installed PWA: registers the service worker, notices a waiting update and the
 * browser's offer to install. Dispatches `change` whenever `canInstall` or `updateReady` changes, and
 * `beforereload` when it is about to reload the page into an update.
 * An update only swaps the app's code: the token (IndexedDB), the models (their own caches) and the
 * gallery (IndexedDB) are untouched by the new service worker.
 */
export class PwaLifecycle extends EventTarget {
  canInstall = false;
  updateReady = false;
  private _installPrompt: BeforeInstallPromptEvent | null = null;
  private _wb: Workbox | null = null;

  constructor(private readonly win: Window = window) {
    super();
    win.addEventListener('beforeinstallprompt', (e) => {
      e.preventDefault(); // show our own Install button instead of the mini-infobar
      this._installPrompt = e as BeforeInstallPromptEvent;
      this._set({ canInstall: true });
    });
    win.addEventListener('appinstalled', () => {
      this._installPrompt = null;
      this._set({ canInstall: false });
    });
  }

  async register(): Promise<void> {
    if (!('serviceWorker' in this.win.navigator) || import.meta.env.DEV) return;
    const wb = new Workbox('/sw.js', { type: 'module' });
    wb.addEventListener('waiting', () => this._set({ updateReady: true }));
    this._wb = wb;
    await wb.register();
  }

  async install(): Promise<void> {
    const prompt = this._installPrompt;
    if (!prompt) return;
    await prompt.prompt();
    const { outcome } = await prompt.userChoice;
    if (outcome === 'accepted') {
      this._installPrompt = null;
      this._set({ canInstall: false });
    }
  }

  /**
   * Activates the waiting service worker and, once it controls the page, loads the new version.
   * Dispatches `beforereload` just before, so that work in flight (downloads) can be carried over.
   */
  applyUpdate(): void {
    // controllerchange rather than Workbox's `controlling`: the latter skips workers found by later update checks.
    this.win.navigator.serviceWorker.addEventListener(
      'controllerchange',
      () => {
        this.dispatchEvent(new Event('beforereload'));
        this.win.location.reload();
      },
      { once: true },
    );
    this._wb?.messageSkipWaiting();
  }

  private _set(patch: Partial<Pick<PwaLifecycle, 'canInstall' | 'updateReady'>>): void {
    Object.assign(this, patch);
    this.dispatchEvent(new Event('change'));
  }
}

import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { isAbortError } from '../hub/errors.ts';
import { sharedModelStore, type ModelStore, type ModelView } from '../models/model-store.ts';

/** The add form's outcome, rendered next to the "Hugging Face repo" field. */
export interface AddRepoProblem {
  code: string;
  message: string;
}

export interface StorageFigures {
  usage: number;
  quota: number;
}

/**
 * Bridges the Models panel to the `ModelStore`: re-renders the host on every store change, keeps
 * the "Storage used" figures fresh, and turns form errors into text. The element never touches
 * Cache Storage, IndexedDB or the hub itself.
 */
export class ModelsController implements ReactiveController {
  storage: StorageFigures | null = null;
  adding = false;
  addProblem: AddRepoProblem | null = null;
  private addController: AbortController | undefined;
  private storageRefresh: Promise<void> | undefined;
  private lastStoragePhases = '';

  private readonly onChange = () => {
    this.host.requestUpdate();
    // Storage changes when a model finishes, is deleted or fails; not on every progress tick.
    const phases = this.store.models.map((m) => `${m.entry.id}:${m.phase}`).join(',');
    if (phases !== this.lastStoragePhases) {
      this.lastStoragePhases = phases;
      void this.refreshStorage();
    }
  };

  constructor(
    private readonly host: ReactiveControllerHost,
    private store: ModelStore = sharedModelStore(),
  ) {
    host.addController(this);
  }

  get models(): readonly ModelView[] {
    return this.store.models;
  }

  /** Swaps the store (tests, or a store provided by the app). */
  setStore(store: ModelStore): void {
    if (store === this.store) return;
    this.store.removeEventListener('change', this.onChange);
    this.store = store;
    this.store.addEventListener('change', this.onChange);
    void this.store.init();
    this.host.requestUpdate();
  }

  hostConnected(): void {
    this.store.addEventListener('change', this.onChange);
    void this.store.init().then(() => this.refreshStorage());
  }

  hostDisconnected(): void {
    this.store.removeEventListener('change', this.onChange);
    this.addController?.abort();
  }

  async add(input: string): Promise<string | null> {
    this.addController?.abort();
    const controller = new AbortController();
    this.addController = controller;
    this.adding = true;
    this.addProblem = null;
    this.host.requestUpdate();
    try {
      return await this.store.addRepo(input, { signal: controller.signal });
    } catch (error) {
      if (isAbortError(error)) return null;
      const code = (error as { code?: unknown } | null)?.code;
      this.addProblem = { code: typeof code === 'string' ? code : 'error', message: addProblemMessage(error, input) };
      return null;
    } finally {
      if (this.addController === controller) {
        this.adding = false;
        this.addController = undefined;
      }
      this.host.requestUpdate();
    }
  }

  download(id: string): void {
    void this.store.download(id);
  }

  cancel(id: string): void {
    this.store.cancel(id);
  }

  async delete(id: string): Promise<void> {
    await this.store.delete(id);
    await this.refreshStorage();
  }

  refreshStorage(): Promise<void> {
    this.storageRefresh ??= this.store
      .storageEstimate()
      .then((figures) => {
        this.storage = figures;
        this.host.requestUpdate();
      })
      .finally(() => (this.storageRefresh = undefined));
    return this.storageRefresh;
  }
}

function addProblemMessage(error: unknown, input: string): string {
  const code = (error as { code?: unknown } | null)?.code;
  const repo = input.trim();
  switch (code) {
    case 'repo-not-found':
      return `${repo} was not found or you have no access to it. Check the name (org/name); for a private repo, log in in Settings with an account that can read it.`;
    case 'invalid-token':
      return 'Hugging Face rejected your saved token (it may have been revoked). Open Settings and save a valid token, then try again.';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

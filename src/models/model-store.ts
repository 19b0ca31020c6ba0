import { createStore, del, get, set, type UseStore } from 'idb-keyval';
import type { ListFileEntry } from '@huggingface/hub';
import { HUB } from '../config/hub.ts';
import { isSavedTokenLocked } from '../hub/auth.ts';
import { createHubFileFetcher } from '../hub/downloads.ts';
import { GatedRepoError, HubError, InvalidTokenError, RepoNotFoundError, isAbortError } from '../hub/errors.ts';
import { checkRepoAccess, fetchRepoSnapshot, normaliseRepoId, type RepoSnapshot } from '../hub/model-info.ts';
import { DownloadManager, type FileDownloadJob } from '../downloads/download-manager.ts';
import { QuotaError } from '../downloads/errors.ts';
import type { DownloadProgress } from '../downloads/progress.ts';
import {
  CATALOG,
  PIPELINE_PARTS,
  filesOf,
  findUnsupportedRepo,
  type CatalogEntry,
  type ModelFileRef,
  type PipelinePart,
  type UnsupportedRepo,
} from './catalog.ts';
import { NotOnnxLayoutError, detectOnnxLayout } from './layout.ts';
import { entryFromLayout } from './repo-entry.ts';
import { storedFilePath, type FileDigest, type StoredFileId } from './stored-files.ts';

/**
 * The models on this device: the catalog plus repos the user added, what is stored of each, and the
 * downloads in flight. Elements render `models` and call the actions; the Generate view asks
 * `listReady()` (and listens for `change`) to know which models it can offer, and `resolveFiles()`
 * for the URLs of a model's files (served by the service worker from Cache Storage).
 *
 *   const store = sharedModelStore();
 *   await store.init();
 *   store.addEventListener('change', () => render(await store.listReady()));
 */

export type ModelPhase =
  /** Shipped with the app. */
  | 'bundled'
  /** Nothing stored. */
  | 'absent'
  /** Some bytes stored (cancelled, interrupted, reloaded): Download resumes. */
  | 'partial'
  /** Asking the hub (model info, access) before the first byte. */
  | 'checking'
  | 'downloading'
  | 'ready';

/** Something the user must read about one model, rendered as its `role=alert`. */
export interface ModelProblem {
  code: string;
  message: string;
  /** A page to open, e.g. the gated model's page to accept its licence. */
  link?: { href: string; text: string };
  /** The fix is in Settings (log in, replace the token): offer a way there. */
  settings?: boolean;
}

export interface ModelView {
  entry: CatalogEntry;
  userAdded: boolean;
  phase: ModelPhase;
  /** For bundled models: whether the service worker has precached them. */
  availableOffline: boolean;
  bytesStored: number;
  /** Exact once the repo's files were listed; the catalog's estimate before. */
  bytesTotal: number;
  progress: DownloadProgress | null;
  problem: ModelProblem | null;
}

export interface ResolvedPartFiles {
  /** URL of the `.onnx` graph (same origin; served by the service worker for downloaded models). */
  model: string;
  /** `path` is the name the graph refers to (the file name), `url` where to fetch it. */
  externalData: { path: string; url: string }[];
}

export interface ResolvedModelFiles {
  parts: Record<PipelinePart, ResolvedPartFiles>;
  /** Tokenizer file name (e.g. `vocab.json`, `tokenizer.json`) → URL. */
  tokenizer: Record<string, string>;
  schedulerConfig: string | null;
}

export interface ReadyModel {
  entry: CatalogEntry;
  /** True once every file is on this device (bundled: once precached). */
  availableOffline: boolean;
  files: ResolvedModelFiles;
}

/** The repo is one of the seed documents' PyTorch repos. */
export class UnsupportedRepoError extends Error {
  readonly code = 'unsupported-repo';
  override name = 'UnsupportedRepoError';
  readonly unsupported: UnsupportedRepo;
  constructor(unsupported: UnsupportedRepo, instead: CatalogEntry | undefined) {
    super(
      `${unsupported.repo} cannot run in a browser: ${unsupported.reason}` +
        (instead ? ` Use "${instead.displayName}" (${instead.repo}) from the list instead.` : ''),
    );
    this.unsupported = unsupported;
  }
}

/** A file the catalog names is not in the repo's tree. */
export class MissingRepoFileError extends Error {
  readonly code = 'missing-repo-file';
  override name = 'MissingRepoFileError';
  constructor(repo: string, path: string) {
    super(`${repo} has no file ${path}; the repo may have changed. Nothing was downloaded.`);
  }
}

interface PlannedFile {
  ref: ModelFileRef;
  job: FileDownloadJob;
}

/** What a download resolved to, kept so that readiness and resume work offline and after reloads. */
interface ModelPlan {
  version: 1;
  entryId: string;
  files: PlannedFile[];
}

export interface ModelStoreOptions {
  hubUrl?: string;
  origin?: string;
  manager?: DownloadManager;
  snapshot?: typeof fetchRepoSnapshot;
  checkAccess?: typeof checkRepoAccess;
  /** Whether the saved token is passphrase-locked and not unlocked (default: ask the vault). */
  tokenLocked?: () => Promise<boolean>;
  storage?: { estimate(): Promise<StorageEstimate> } | null;
  /** IndexedDB store for added repos and plans. */
  idb?: UseStore;
}

const ADDED_KEY = 'added-entries';
const planKey = (id: string) => `plan:${id}`;

export class ModelStore extends EventTarget {
  readonly hubUrl: string;
  private readonly origin: string;
  private readonly manager: DownloadManager;
  private readonly snapshot: typeof fetchRepoSnapshot;
  private readonly checkAccess: typeof checkRepoAccess;
  private readonly tokenLocked: () => Promise<boolean>;
  private readonly storage: { estimate(): Promise<StorageEstimate> } | null;
  private readonly idb: UseStore;
  private views: ModelView[] = [];
  private readonly plans = new Map<string, ModelPlan>();
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private initialised: Promise<void> | undefined;
  /** Tells the app's other tabs that models were added, downloaded or deleted here. */
  private readonly channel: BroadcastChannel | null =
    typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel('local-sd-models');

  constructor(options: ModelStoreOptions = {}) {
    super();
    this.channel?.addEventListener('message', () => void this.syncFromStorage());
    this.hubUrl = options.hubUrl ?? HUB.endpoint;
    this.origin = options.origin ?? globalThis.location.origin;
    this.manager = options.manager ?? new DownloadManager({ fetchFile: createHubFileFetcher(), origin: this.origin });
    this.snapshot = options.snapshot ?? fetchRepoSnapshot;
    this.checkAccess = options.checkAccess ?? checkRepoAccess;
    this.tokenLocked = options.tokenLocked ?? (() => isSavedTokenLocked());
    this.storage = options.storage === undefined ? (globalThis.navigator?.storage ?? null) : options.storage;
    this.idb = options.idb ?? createStore('local-sd-models', 'state');
  }

  /** Every model, catalog first, in a stable order. */
  get models(): readonly ModelView[] {
    return this.views;
  }

  /** Loads added repos and download plans and works out what is stored. Idempotent. */
  init(): Promise<void> {
    this.initialised ??= this._init();
    return this.initialised;
  }

  private async _init(): Promise<void> {
    const added = (await get<CatalogEntry[]>(ADDED_KEY, this.idb)) ?? [];
    this.views = [...CATALOG, ...added].map((entry) => ({
      entry,
      userAdded: added.includes(entry),
      phase: entry.source === 'bundled' ? 'bundled' : 'absent',
      availableOffline: false,
      bytesStored: 0,
      bytesTotal: entry.sizeBytes,
      progress: null,
      problem: null,
    }));
    for (const view of this.views) {
      const plan = await get<ModelPlan>(planKey(view.entry.id), this.idb);
      if (plan?.version === 1) this.plans.set(view.entry.id, plan);
    }
    await Promise.all(this.views.map((view) => this.refresh(view.entry.id)));
    this.changed();
    // The bundled model becomes available offline once the service worker has precached it.
    globalThis.navigator?.serviceWorker?.ready
      .then(() => this.refreshBundled())
      .catch(() => undefined);
  }

  /** Models whose files are all available, with the URLs to load them from. */
  async listReady(): Promise<ReadyModel[]> {
    await this.init();
    const ready: ReadyModel[] = [];
    for (const view of this.views) {
      if (view.phase !== 'ready' && view.phase !== 'bundled') continue;
      const files = this.resolvedFiles(view.entry.id);
      if (files) ready.push({ entry: view.entry, availableOffline: view.availableOffline, files });
    }
    return ready;
  }

  /** URLs of a model's files, or null while it is not ready. */
  async resolveFiles(id: string): Promise<ResolvedModelFiles | null> {
    await this.init();
    const view = this.view(id);
    return view && (view.phase === 'ready' || view.phase === 'bundled') ? this.resolvedFiles(id) : null;
  }

  async storageEstimate(): Promise<{ usage: number; quota: number } | null> {
    if (!this.storage) return null;
    try {
      const { usage, quota } = await this.storage.estimate();
      return typeof usage === 'number' && typeof quota === 'number' ? { usage, quota } : null;
    } catch {
      return null;
    }
  }

  /**
   * Adds a repo by id after checking it is a diffusers ONNX model; resolves to its entry id (an
   * existing one when the repo is already listed). Rejects with a typed error for the add form.
   */
  async addRepo(input: string, { signal }: { signal?: AbortSignal } = {}): Promise<string> {
    await this.init();
    const repo = normaliseRepoId(input, this.hubUrl);
    const existing = this.views.find((view) => view.entry.source === 'hub' && view.entry.repo.toLowerCase() === repo.toLowerCase());
    if (existing) return existing.entry.id;
    const unsupported = findUnsupportedRepo(repo);
    if (unsupported) {
      throw new UnsupportedRepoError(unsupported, CATALOG.find((entry) => entry.id === unsupported.useInstead));
    }
    const snapshot = await this.snapshot(repo, 'main', { signal });
    const detection = detectOnnxLayout(snapshot.files.map((file) => ({ path: file.path, size: file.lfs?.size ?? file.size, type: file.type })));
    if (!detection.ok) throw new NotOnnxLayoutError(snapshot.repo, detection.found, detection.needed);
    const entry = entryFromLayout(snapshot.repo, snapshot.commit, snapshot.licence, detection.layout);
    const added = this.views.filter((view) => view.userAdded).map((view) => view.entry);
    await set(ADDED_KEY, [...added, entry], this.idb);
    this.views = [
      ...this.views,
      { entry, userAdded: true, phase: 'absent', availableOffline: false, bytesStored: 0, bytesTotal: entry.sizeBytes, progress: null, problem: null },
    ];
    this.changed();
    this.channel?.postMessage('changed');
    // Say at once when the files are gated or private, before anyone presses Download.
    if (snapshot.gated || snapshot.private) {
      this.checkAccess(repo, { signal }).catch(async (error: unknown) => {
        if (!isAbortError(error)) this.patch(entry.id, { problem: await this.problemFor(error, entry) });
      });
    }
    return entry.id;
  }

  /** Starts (or resumes) a download; resolves when it ends, whatever the outcome (see `problem`). */
  download(id: string): Promise<void> {
    const current = this.running.get(id);
    if (current) return current.done;
    const controller = new AbortController();
    const done = this.runDownload(id, controller.signal).finally(() => this.running.delete(id));
    this.running.set(id, { controller, done });
    return done;
  }

  /** Stops a download; what arrived stays stored and the next Download resumes from there. */
  cancel(id: string): void {
    this.running.get(id)?.controller.abort(new DOMException('Download cancelled', 'AbortError'));
  }

  /** Frees the space of a model (files shared with another stored model stay); removes an added repo. */
  async delete(id: string): Promise<void> {
    const running = this.running.get(id);
    if (running) {
      running.controller.abort(new DOMException('Model deleted', 'AbortError'));
      await running.done;
    }
    const plan = this.plans.get(id);
    if (plan) {
      const keep = new Set<string>();
      for (const [otherId, other] of this.plans) {
        if (otherId === id) continue;
        for (const file of other.files) keep.add(storedFilePath(file.job.id));
      }
      await this.manager.delete(plan.files.map((file) => file.job.id).filter((fileId) => !keep.has(storedFilePath(fileId))));
      this.plans.delete(id);
      await del(planKey(id), this.idb);
    }
    const view = this.view(id);
    if (view?.userAdded) {
      this.views = this.views.filter((v) => v.entry.id !== id);
      await set(ADDED_KEY, this.views.filter((v) => v.userAdded).map((v) => v.entry), this.idb);
      this.changed();
      this.channel?.postMessage('changed');
      return;
    }
    this.patch(id, { phase: view?.entry.source === 'bundled' ? 'bundled' : 'absent', bytesStored: 0, progress: null, problem: null });
    this.channel?.postMessage('changed');
  }

  private async runDownload(id: string, signal: AbortSignal): Promise<void> {
    await this.init();
    const view = this.view(id);
    if (!view || view.entry.source !== 'hub') return;
    const entry = view.entry;
    this.patch(id, { phase: 'checking', problem: null });
    try {
      const plan = await this.plan(entry, signal);
      const total = plan.files.reduce((sum, file) => sum + file.job.size, 0);
      this.patch(id, { phase: 'downloading', bytesTotal: total });
      await this.manager.download(
        plan.files.map((file) => file.job),
        { signal, onProgress: (progress) => this.patch(id, { progress, bytesStored: progress.bytesDone }) },
      );
      this.patch(id, { phase: 'ready', availableOffline: true, bytesStored: total, progress: null });
      this.channel?.postMessage('changed');
    } catch (error) {
      await this.refresh(id);
      if (error instanceof QuotaError) await this.rollBack(id);
      const cancelled = signal.aborted || isAbortError(error);
      this.patch(id, { progress: null, problem: cancelled ? null : await this.problemFor(error, entry) });
      if (!cancelled && !(error instanceof HubError) && !(error instanceof QuotaError)) console.error('Model download failed', error);
      this.channel?.postMessage('changed');
    }
  }

  /** Another tab changed what is stored: reload the added repos and plans, recompute phases. */
  private async syncFromStorage(): Promise<void> {
    await this.init();
    const added = (await get<CatalogEntry[]>(ADDED_KEY, this.idb)) ?? [];
    const addedIds = new Set(added.map((entry) => entry.id));
    const known = new Set(this.views.map((view) => view.entry.id));
    this.views = [
      ...this.views.filter((view) => !view.userAdded || addedIds.has(view.entry.id) || this.running.has(view.entry.id)),
      ...added
        .filter((entry) => !known.has(entry.id))
        .map((entry): ModelView => ({
          entry,
          userAdded: true,
          phase: 'absent',
          availableOffline: false,
          bytesStored: 0,
          bytesTotal: entry.sizeBytes,
          progress: null,
          problem: null,
        })),
    ];
    for (const view of this.views) {
      const id = view.entry.id;
      if (view.entry.source !== 'hub' || this.running.has(id)) continue;
      const plan = await get<ModelPlan>(planKey(id), this.idb);
      if (plan?.version === 1) this.plans.set(id, plan);
      else this.plans.delete(id);
      await this.refresh(id);
    }
    this.changed();
  }

  /**
   * Resolves the entry's files to commits, sizes and hashes, after checking that the token may read
   * every repo involved: nothing is downloaded, and no plan kept, when one of them refuses.
   */
  private async plan(entry: CatalogEntry, signal: AbortSignal): Promise<ModelPlan> {
    const refs = filesOf(entry);
    const repos = [...new Set(refs.map((ref) => `${ref.repo}@${ref.revision}`))];
    const snapshots = new Map<string, RepoSnapshot>();
    for (const key of repos) {
      const [repo, revision] = key.split('@') as [string, string];
      snapshots.set(key, await this.snapshot(repo, revision, { signal }));
      await this.checkAccess(repo, { signal });
    }
    const files: PlannedFile[] = [];
    for (const ref of refs) {
      const snapshot = snapshots.get(`${ref.repo}@${ref.revision}`)!;
      const treeEntry = snapshot.files.find((file) => file.type === 'file' && file.path === ref.path);
      if (!treeEntry) {
        // Tokenizer repos ship different subsets of the listed files; the graphs must all be there.
        if (ref.role === 'tokenizer') continue;
        throw new MissingRepoFileError(snapshot.repo, ref.path);
      }
      files.push({ ref, job: this.jobFor(snapshot, treeEntry) });
    }
    const previous = this.plans.get(entry.id);
    const plan: ModelPlan = { version: 1, entryId: entry.id, files };
    if (previous && JSON.stringify(previous.files.map((f) => f.job)) !== JSON.stringify(files.map((f) => f.job))) {
      // The branch moved: files of the old commit are no longer what this entry means.
      await this.manager.delete(previous.files.map((file) => file.job.id));
    }
    this.plans.set(entry.id, plan);
    await set(planKey(entry.id), plan, this.idb);
    return plan;
  }

  private jobFor(snapshot: RepoSnapshot, file: ListFileEntry): FileDownloadJob {
    const id: StoredFileId = { hubOrigin: this.hubUrl, repo: snapshot.repo, commit: snapshot.commit, path: file.path };
    const digest: FileDigest = file.lfs ? { algorithm: 'sha256', hex: file.lfs.oid } : { algorithm: 'git-sha1', hex: file.oid ?? '' };
    return { id, size: file.lfs?.size ?? file.size, digest };
  }

  /** After a quota failure nothing of the model may stay half-stored. */
  private async rollBack(id: string): Promise<void> {
    const plan = this.plans.get(id);
    if (!plan) return;
    const statuses = await this.manager.status(plan.files.map((file) => file.job));
    const shared = new Set<string>();
    for (const [otherId, other] of this.plans) {
      if (otherId !== id) for (const file of other.files) shared.add(storedFilePath(file.job.id));
    }
    await this.manager.delete(statuses.map((s) => s.job.id).filter((fileId) => !shared.has(storedFilePath(fileId))));
    this.plans.delete(id);
    await del(planKey(id), this.idb);
    this.patch(id, { phase: 'absent', bytesStored: 0 });
  }

  /** Recomputes a model's phase from what is stored. */
  private async refresh(id: string): Promise<void> {
    const view = this.view(id);
    if (!view) return;
    if (view.entry.source === 'bundled') {
      this.patch(id, { availableOffline: await this.bundledIsPrecached(view.entry) }, false);
      return;
    }
    const plan = this.plans.get(id);
    if (!plan) {
      this.patch(id, { phase: 'absent', bytesStored: 0 }, false);
      return;
    }
    const statuses = await this.manager.status(plan.files.map((file) => file.job));
    const stored = statuses.reduce((sum, s) => sum + s.stored, 0);
    const total = statuses.reduce((sum, s) => sum + s.job.size, 0);
    const complete = statuses.every((s) => s.complete);
    this.patch(
      id,
      { phase: complete ? 'ready' : stored > 0 ? 'partial' : 'absent', bytesStored: stored, bytesTotal: total, availableOffline: complete },
      false,
    );
  }

  private async refreshBundled(): Promise<void> {
    for (const view of this.views) if (view.entry.source === 'bundled') await this.refresh(view.entry.id);
    this.changed();
  }

  private async bundledIsPrecached(entry: CatalogEntry): Promise<boolean> {
    if (typeof caches === 'undefined' || !entry.baseUrl) return false;
    for (const part of PIPELINE_PARTS) {
      // Workbox keys precached files with a `__WB_REVISION__` query, hence ignoreSearch.
      const hit = await caches.match(new URL(entry.baseUrl + entry.parts[part].model, this.origin).href, { ignoreSearch: true });
      if (!hit) return false;
    }
    return true;
  }

  private resolvedFiles(id: string): ResolvedModelFiles | null {
    const view = this.view(id);
    if (!view) return null;
    const entry = view.entry;
    const urlOf = (ref: ModelFileRef): string | null => {
      if (entry.source === 'bundled') return new URL(entry.baseUrl! + ref.path, this.origin).href;
      const planned = this.plans.get(id)?.files.find((file) => file.ref.repo === ref.repo && file.ref.path === ref.path);
      return planned ? new URL(storedFilePath(planned.job.id), this.origin).href : null;
    };
    const refs = filesOf(entry);
    const parts = {} as Record<PipelinePart, ResolvedPartFiles>;
    for (const part of PIPELINE_PARTS) {
      const files = entry.parts[part];
      const own = refs.filter((ref) => ref.role === part);
      const model = urlOf(own.find((ref) => ref.path === files.model)!);
      if (!model) return null;
      const externalData = [];
      for (const path of files.externalData) {
        const url = urlOf(own.find((ref) => ref.path === path)!);
        if (!url) return null;
        externalData.push({ path: path.slice(path.lastIndexOf('/') + 1), url });
      }
      parts[part] = { model, externalData };
    }
    const tokenizer: Record<string, string> = {};
    for (const ref of refs.filter((r) => r.role === 'tokenizer')) {
      const url = urlOf(ref);
      if (url) tokenizer[ref.path.slice(ref.path.lastIndexOf('/') + 1)] = url;
    }
    const schedulerRef = refs.find((ref) => ref.role === 'scheduler');
    return { parts, tokenizer, schedulerConfig: schedulerRef ? urlOf(schedulerRef) : null };
  }

  /** As `problemOf`, but a refusal while the saved token is passphrase-locked asks to unlock it first. */
  private async problemFor(error: unknown, entry: CatalogEntry): Promise<ModelProblem> {
    const anonymousRefusal = (error instanceof GatedRepoError || error instanceof RepoNotFoundError) && error.status === 401;
    if (anonymousRefusal && (await this.tokenLocked().catch(() => false))) {
      return {
        code: 'token-locked',
        message: `${entry.displayName} needs your Hugging Face token, which is locked with a passphrase. Unlock the token in Settings, then press Download again.`,
        settings: true,
      };
    }
    return this.problemOf(error, entry);
  }

  /** The alert for one model, worded for what the user can do about it. */
  problemOf(error: unknown, entry: CatalogEntry): ModelProblem {
    const page = { href: `${this.hubUrl}/${entry.repo}`, text: `Open ${entry.repo} on Hugging Face` };
    if (error instanceof GatedRepoError) {
      return error.status === 401
        ? {
            code: 'gated-login',
            message: `${entry.displayName} is a gated model: log in first. Save your Hugging Face token in Settings, then accept the model's licence on its page and press Download again.`,
            link: page,
            settings: true,
          }
        : {
            code: 'gated-accept',
            message: `${entry.displayName} is a gated model and your account has not accepted its licence yet. Accept the licence on the model page, then press Download again.`,
            link: page,
          };
    }
    if (error instanceof InvalidTokenError) {
      return {
        code: 'invalid-token',
        message: 'Hugging Face rejected your saved token (it may have been revoked). Open Settings and save a valid token, then press Download again.',
        settings: true,
      };
    }
    if (error instanceof RepoNotFoundError) {
      return {
        code: 'not-found',
        message: `${entry.repo} was not found or you have no access to it. Check the name, or log in in Settings with an account that can read it.`,
        settings: true,
      };
    }
    const code = (error as { code?: unknown } | null)?.code;
    const message = error instanceof Error ? error.message : String(error);
    return { code: typeof code === 'string' ? code : 'error', message };
  }

  private view(id: string): ModelView | undefined {
    return this.views.find((view) => view.entry.id === id);
  }

  private patch(id: string, patch: Partial<ModelView>, notify = true): void {
    this.views = this.views.map((view) => (view.entry.id === id ? { ...view, ...patch } : view));
    if (notify) this.changed();
  }

  private changed(): void {
    this.dispatchEvent(new Event('change'));
  }
}

let shared: ModelStore | undefined;

/** The app's one store (memoised, like the token vault): the Models and Generate views share it. */
export function sharedModelStore(): ModelStore {
  shared ??= new ModelStore();
  return shared;
}

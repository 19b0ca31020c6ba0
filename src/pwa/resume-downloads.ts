import type { ModelStore } from '../models/model-store.ts';

/** Where the ids of the downloads interrupted by an update's reload wait for the new version (this tab only). */
export const RESUME_DOWNLOADS_KEY = 'local-sd-resume-downloads';

type Lifecycle = Pick<EventTarget, 'addEventListener'>;
type Store = Pick<ModelStore, 'init' | 'models' | 'download'>;
type Session = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

/**
 * Accepting "A new version is ready" reloads the page, which would stop a download half-way and
 * leave it "Paused" although the user only asked for the update. Before that reload the ids of the
 * downloads in flight are kept in sessionStorage; after it, the new version resumes them (from the
 * bytes already stored). A reload by the user is not an update's: it still pauses.
 */
export async function carryDownloadsAcrossUpdates(lifecycle: Lifecycle, store: Store, session: Session | null = sessionStorageOrNull()): Promise<void> {
  if (!session) return;
  lifecycle.addEventListener('beforereload', () => {
    const running = store.models.filter((view) => view.phase === 'checking' || view.phase === 'downloading').map((view) => view.entry.id);
    try {
      if (running.length > 0) session.setItem(RESUME_DOWNLOADS_KEY, JSON.stringify(running));
    } catch {
      // Storage full or disabled: the download stays paused, as after any reload.
    }
  });
  const saved = session.getItem(RESUME_DOWNLOADS_KEY);
  if (saved === null) return;
  session.removeItem(RESUME_DOWNLOADS_KEY);
  let ids: unknown;
  try {
    ids = JSON.parse(saved);
  } catch {
    return;
  }
  if (!Array.isArray(ids)) return;
  await store.init();
  for (const view of store.models) {
    if (ids.includes(view.entry.id) && (view.phase === 'partial' || view.phase === 'absent')) void store.download(view.entry.id);
  }
}

function sessionStorageOrNull(): Session | null {
  try {
    return globalThis.sessionStorage ?? null;
  } catch {
    return null;
  }
}

import { describe, expect, it } from 'vitest';
import type { ModelPhase, ModelView } from '../../src/models/model-store.ts';
import { RESUME_DOWNLOADS_KEY, carryDownloadsAcrossUpdates } from '../../src/pwa/resume-downloads.ts';

function fakeStore(phases: Record<string, ModelPhase>) {
  const started: string[] = [];
  return {
    started,
    init: async () => undefined,
    get models() {
      return Object.entries(phases).map(([id, phase]) => ({ entry: { id }, phase }) as unknown as ModelView);
    },
    download: async (id: string) => {
      started.push(id);
    },
  };
}

function fakeSession(initial: Record<string, string> = {}) {
  const items = new Map(Object.entries(initial));
  return {
    items,
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
    removeItem: (key: string) => void items.delete(key),
  };
}

describe('carryDownloadsAcrossUpdates', () => {
  it("keeps the ids of the downloads in flight when an update's reload comes, and nothing else", async () => {
    const lifecycle = new EventTarget();
    const session = fakeSession();
    await carryDownloadsAcrossUpdates(lifecycle, fakeStore({ a: 'downloading', b: 'checking', c: 'partial', d: 'ready', e: 'bundled' }), session);
    expect(session.items.size).toBe(0);
    lifecycle.dispatchEvent(new Event('beforereload'));
    expect(JSON.parse(session.getItem(RESUME_DOWNLOADS_KEY)!)).toEqual(['a', 'b']);
  });

  it('writes nothing when no download runs', async () => {
    const lifecycle = new EventTarget();
    const session = fakeSession();
    await carryDownloadsAcrossUpdates(lifecycle, fakeStore({ c: 'partial', d: 'ready' }), session);
    lifecycle.dispatchEvent(new Event('beforereload'));
    expect(session.items.size).toBe(0);
  });

  it('after the reload resumes those still incomplete, once', async () => {
    const session = fakeSession({ [RESUME_DOWNLOADS_KEY]: JSON.stringify(['a', 'b', 'd', 'gone']) });
    const store = fakeStore({ a: 'partial', b: 'absent', c: 'partial', d: 'ready' });
    await carryDownloadsAcrossUpdates(new EventTarget(), store, session);
    expect(store.started).toEqual(['a', 'b']);
    expect(session.getItem(RESUME_DOWNLOADS_KEY)).toBeNull();
    const again = fakeStore({ a: 'partial', b: 'absent' });
    await carryDownloadsAcrossUpdates(new EventTarget(), again, session);
    expect(again.started).toEqual([]);
  });

  it('a reload the user made (nothing kept) resumes nothing; a damaged value is dropped', async () => {
    const store = fakeStore({ a: 'partial' });
    await carryDownloadsAcrossUpdates(new EventTarget(), store, fakeSession());
    const damaged = fakeSession({ [RESUME_DOWNLOADS_KEY]: '{not json' });
    await carryDownloadsAcrossUpdates(new EventTarget(), store, damaged);
    await carryDownloadsAcrossUpdates(new EventTarget(), store, fakeSession({ [RESUME_DOWNLOADS_KEY]: '"a"' }));
    expect(store.started).toEqual([]);
    expect(damaged.getItem(RESUME_DOWNLOADS_KEY)).toBeNull();
  });
});

import type { Page } from '@playwright/test';

export interface StorageDump {
  indexedDB: Record<string, Record<string, Array<{ key: string; value: string }>>>;
  caches: Record<string, Array<{ url: string; headers: string; body: string }>>;
  localStorage: Record<string, string>;
  sessionStorage: Record<string, string>;
}

/**
 * Everything the page's origin has stored, flattened to strings so tests can search it (for a
 * leaked token, say). Binary values are rendered as text and as base64 so either form is found.
 * Cache bodies larger than `maxBodyBytes` are summarised by size.
 */
export async function dumpStorage(page: Page, { maxBodyBytes = 1 << 20 } = {}): Promise<StorageDump> {
  return page.evaluate(async (maxBody) => {
    const toBase64 = (bytes: Uint8Array) => {
      let s = '';
      for (const b of bytes) s += String.fromCharCode(b);
      return btoa(s);
    };
    const render = (value: unknown): string => {
      const seen = new WeakSet<object>();
      const walk = (v: unknown): unknown => {
        if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) {
          const bytes = v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
          return { bytesText: new TextDecoder('latin1').decode(bytes), base64: toBase64(bytes) };
        }
        if (typeof CryptoKey !== 'undefined' && v instanceof CryptoKey) {
          return { cryptoKey: { type: v.type, extractable: v.extractable, algorithm: v.algorithm, usages: v.usages } };
        }
        if (v instanceof Blob) return { blob: v.type, size: v.size };
        if (v && typeof v === 'object') {
          if (seen.has(v)) return '[circular]';
          seen.add(v);
          if (Array.isArray(v)) return v.map(walk);
          return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
        }
        return v;
      };
      return JSON.stringify(walk(value));
    };
    const idb: Record<string, Record<string, Array<{ key: string; value: string }>>> = {};
    for (const info of await indexedDB.databases()) {
      if (!info.name) continue;
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const req = indexedDB.open(info.name!);
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
      idb[info.name] = {};
      for (const storeName of Array.from(db.objectStoreNames)) {
        const tx = db.transaction(storeName, 'readonly');
        const store = tx.objectStore(storeName);
        const [keys, values] = await Promise.all(
          [store.getAllKeys(), store.getAll()].map(
            (req) => new Promise<unknown[]>((resolve, reject) => {
              req.onsuccess = () => resolve(req.result as unknown[]);
              req.onerror = () => reject(req.error);
            }),
          ),
        );
        idb[info.name][storeName] = keys!.map((k, i) => ({ key: render(k), value: render(values![i]) }));
      }
      db.close();
    }
    const cacheDump: Record<string, Array<{ url: string; headers: string; body: string }>> = {};
    for (const name of await caches.keys()) {
      const cache = await caches.open(name);
      cacheDump[name] = [];
      for (const request of await cache.keys()) {
        const response = await cache.match(request);
        const buffer = response ? new Uint8Array(await response.arrayBuffer()) : new Uint8Array();
        const body = buffer.byteLength <= maxBody ? render(buffer) : `[${buffer.byteLength} bytes]`;
        const headers = response ? JSON.stringify([...response.headers]) : '';
        cacheDump[name].push({ url: request.url, headers, body });
      }
    }
    const fromStorage = (s: Storage) => Object.fromEntries(Array.from({ length: s.length }, (_, i) => [s.key(i)!, s.getItem(s.key(i)!)!]));
    return {
      indexedDB: idb,
      caches: cacheDump,
      localStorage: fromStorage(localStorage),
      sessionStorage: fromStorage(sessionStorage),
    };
  }, maxBodyBytes);
}

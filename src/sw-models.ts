/// <reference lib="webworker" />
import type { RouteHandlerCallback, RouteMatchCallback } from 'workbox-core';
import { MODEL_CACHE_NAME, parseStoredFilePath, respondWithStoredFile } from './models/stored-files.ts';

/**
 * The service worker's side of the model store: answers `/model-files/v1/…` from the shards in
 * Cache Storage, whole or by byte range, for the page and for workers alike, online or offline.
 * It never deletes or rewrites the model cache, so an app update keeps every downloaded model.
 *
 * sw.ts: `registerRoute(matchModelFile, serveModelFile);`
 */

declare const self: ServiceWorkerGlobalScope;

export const matchModelFile: RouteMatchCallback = ({ url, request }) =>
  url.origin === self.location.origin && request.method === 'GET' && parseStoredFilePath(url.pathname) !== null;

export const serveModelFile: RouteHandlerCallback = async ({ url, request }) => {
  const id = parseStoredFilePath(url.pathname);
  if (id) {
    const cache = await caches.open(MODEL_CACHE_NAME);
    const stored = await respondWithStoredFile(cache, id, request.headers.get('Range'), self.location.origin);
    if (stored) return stored;
  }
  // Not (completely) downloaded: a clear 404 rather than the app shell's HTML.
  return new Response(JSON.stringify({ error: 'This model file is not stored on this device.' }), {
    status: 404,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' },
  });
};

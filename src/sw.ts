/// <reference lib="webworker" />
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { clientsClaim } from 'workbox-core';
import { matchModelFile, serveModelFile } from './sw-models.ts';

declare const self: ServiceWorkerGlobalScope;

// The shell, the ORT runtime and the bundled demo model (see vite.config.ts globPatterns).
precacheAndRoute(self.__WB_MANIFEST);
// Removes precaches of older Workbox versions only; model caches have their own names and are kept.
cleanupOutdatedCaches();
registerRoute(new NavigationRoute(createHandlerBoundToURL('/index.html')));
registerRoute(matchModelFile, serveModelFile);

self.addEventListener('message', (event) => {
  if ((event.data as { type?: string } | null)?.type === 'SKIP_WAITING') void self.skipWaiting();
});

clientsClaim();

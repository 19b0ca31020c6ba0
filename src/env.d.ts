/// <reference types="vite/client" />
/// <reference types="vite-plugin-pwa/info" />

/** Injected by vite.config.ts from VITE_HF_ENDPOINT and VITE_HF_CDN_ORIGINS. */
declare const __HUB_CONFIG__: { endpoint: string; cdnOrigins: string[] };

/**
 * The hub this build talks to, fixed at build time (VITE_HF_ENDPOINT / VITE_HF_CDN_ORIGINS).
 * Frozen so nothing at run time can redirect hub calls, and the token with them, elsewhere.
 */
export interface HubOrigins {
  readonly endpoint: string;
  readonly cdnOrigins: readonly string[];
}

export const HUB: HubOrigins = Object.freeze({
  endpoint: __HUB_CONFIG__.endpoint,
  cdnOrigins: Object.freeze([...__HUB_CONFIG__.cdnOrigins]),
});

/**
 * Build-time hub configuration and the security headers derived from it. Shared by vite.config.ts
 * (which bakes the hub origins into the bundle and writes the headers next to it) and by the tests.
 * There is deliberately no runtime switch: a link or a stored setting must never be able to point
 * the app, and with it the user's token, at another origin.
 */
export interface HubConfig {
  /** Origin of the Hub API, e.g. https://huggingface.co */
  endpoint: string;
  /** Origins (or CSP host patterns) files may be downloaded from after a redirect. */
  cdnOrigins: string[];
}

export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';
/** The Hub's download hosts (hub-spec.md, "Origins"). */
export const DEFAULT_CDN_ORIGINS = ['https://*.huggingface.co', 'https://*.hf.co'];

export class HubConfigError extends Error {
  readonly code = 'HUB_CONFIG_INVALID';
  override name = 'HubConfigError';
}

function parseOrigin(value: string, what: string): string {
  // CSP host patterns such as https://*.hf.co are allowed for download hosts only.
  const wildcard = /^https?:\/\/\*\.[a-z0-9.-]+(:\d+)?$/i;
  if (what === 'VITE_HF_CDN_ORIGINS' && wildcard.test(value)) return value.toLowerCase();
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new HubConfigError(`${what}: "${value}" is not a URL (expected e.g. https://huggingface.co)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new HubConfigError(`${what}: "${value}" must be an http(s) origin`);
  }
  if (url.pathname !== '/' || url.search || url.hash) {
    throw new HubConfigError(`${what}: "${value}" must be an origin only, without a path`);
  }
  return url.origin;
}

export function resolveHubConfig(env: Record<string, string | undefined>): HubConfig {
  const endpoint = parseOrigin(env.VITE_HF_ENDPOINT?.trim() || DEFAULT_HUB_ENDPOINT, 'VITE_HF_ENDPOINT');
  const cdnRaw = env.VITE_HF_CDN_ORIGINS?.trim();
  const cdnOrigins = cdnRaw
    ? cdnRaw.split(/[\s,]+/).filter(Boolean).map((o) => parseOrigin(o, 'VITE_HF_CDN_ORIGINS'))
    : endpoint === DEFAULT_HUB_ENDPOINT
      ? DEFAULT_CDN_ORIGINS
      : [];
  return { endpoint, cdnOrigins };
}

/** The Content-Security-Policy of the app: no inline script, connections only to the app and the hub. */
export function contentSecurityPolicy(config: HubConfig): string {
  const hubOrigins = [config.endpoint, ...config.cdnOrigins].join(' ');
  const directives: Record<string, string> = {
    'default-src': "'self'",
    'script-src': "'self' 'wasm-unsafe-eval'",
    'style-src': "'self'",
    'img-src': `'self' data: blob: ${hubOrigins}`,
    'connect-src': `'self' ${hubOrigins}`,
    'worker-src': "'self'",
    'manifest-src': "'self'",
    'font-src': "'self'",
    'object-src': "'none'",
    'base-uri': "'none'",
    'form-action': "'none'",
    'frame-ancestors': "'none'",
    // DOM sinks take no strings; the app's own `default` policy (src/security/trusted-types.ts)
    // passes same-origin script URLs only, and Lit brings its `lit-html` policy for templates.
    'require-trusted-types-for': "'script'",
    'trusted-types': 'default lit-html',
  };
  return Object.entries(directives)
    .map(([k, v]) => `${k} ${v}`)
    .join('; ');
}

/** Headers every response of the app carries. COOP+COEP make the page cross-origin isolated (WASM threads). */
export function securityHeaders(config: HubConfig): Record<string, string> {
  return {
    'Content-Security-Policy': contentSecurityPolicy(config),
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
  };
}

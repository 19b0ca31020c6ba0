/**
 * Trusted Types: the CSP says `require-trusted-types-for 'script'`, so every DOM sink that can run
 * code (innerHTML and friends, script text, event-handler attributes, eval, script and worker URLs)
 * refuses plain strings. The app writes no HTML strings (Lit uses its own `lit-html` policy), so the
 * only strings that reach a sink are script URLs: our own worker, ONNX Runtime's threads and the
 * service worker. This `default` policy lets those through when they are same-origin and refuses
 * everything else — HTML and script strings have no rule here, so they always fail.
 *
 * Import it first, in the page and in the worker, before anything that may create a worker.
 */

interface TrustedTypePolicyFactoryLike {
  readonly defaultPolicy: unknown;
  createPolicy(name: string, rules: { createScriptURL?: (input: string) => string }): unknown;
}

export class UntrustedScriptUrlError extends TypeError {
  override readonly name = 'UntrustedScriptUrlError';
  readonly code = 'untrusted_script_url';
}

/** The same-origin URL `input` resolves to, or throws {@link UntrustedScriptUrlError}. */
export function sameOriginScriptUrl(input: string, base: string): string {
  const url = new URL(input, base);
  // blob: and data: URLs carry their code with them: same "origin" or not, they are never ours.
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new UntrustedScriptUrlError(`Refused a script from a ${url.protocol} URL: only this app's own scripts may run.`);
  }
  if (url.origin !== new URL(base).origin) {
    throw new UntrustedScriptUrlError(`Refused a script from ${url.origin}: only this app's own scripts may run.`);
  }
  return url.href;
}

/** Installs the `default` policy in this scope (page or worker) once; a no-op without Trusted Types. */
export function installDefaultTrustedTypesPolicy(scope: { trustedTypes?: TrustedTypePolicyFactoryLike; location: { href: string } } = globalThis as never): void {
  const factory = scope.trustedTypes;
  if (!factory || factory.defaultPolicy) return;
  factory.createPolicy('default', { createScriptURL: (input) => sameOriginScriptUrl(input, scope.location.href) });
}

installDefaultTrustedTypesPolicy();

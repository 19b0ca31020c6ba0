import { createStore, get, set, type UseStore } from 'idb-keyval';

/**
 * User preferences, in their own IndexedDB database (never beside the token vault or models).
 * Reading tolerates anything stored there: unknown values fall back to the default.
 */

export const COMPUTE_BACKENDS = ['auto', 'webgpu', 'wasm'] as const;
export type ComputeBackend = (typeof COMPUTE_BACKENDS)[number];

/** The labels of the Settings combobox "Compute backend" (ui-contract.md). */
export const COMPUTE_BACKEND_LABELS: Readonly<Record<ComputeBackend, string>> = Object.freeze({
  auto: 'Auto',
  webgpu: 'WebGPU',
  wasm: 'WASM',
});

export const DEFAULT_COMPUTE_BACKEND: ComputeBackend = 'auto';

export function isComputeBackend(value: unknown): value is ComputeBackend {
  return typeof value === 'string' && (COMPUTE_BACKENDS as readonly string[]).includes(value);
}

export class UnknownComputeBackendError extends Error {
  readonly code = 'unknown-compute-backend';
  override name = 'UnknownComputeBackendError';
  constructor(value: unknown) {
    super(`Unknown compute backend "${String(value)}"; expected one of ${COMPUTE_BACKENDS.join(', ')}.`);
  }
}

export const PREFERENCES_DB_NAME = 'local-sd-settings';
export const PREFERENCES_STORE_NAME = 'preferences';
const COMPUTE_BACKEND_KEY = 'compute-backend';

export interface PreferencesChangeDetail {
  computeBackend: ComputeBackend;
}

/** Fires `change` (a `CustomEvent<PreferencesChangeDetail>`) after each successful write. */
export class PreferencesStore extends EventTarget {
  private readonly _store: UseStore;

  constructor(store: UseStore = createStore(PREFERENCES_DB_NAME, PREFERENCES_STORE_NAME)) {
    super();
    this._store = store;
  }

  async computeBackend(): Promise<ComputeBackend> {
    try {
      const value = await get(COMPUTE_BACKEND_KEY, this._store);
      return isComputeBackend(value) ? value : DEFAULT_COMPUTE_BACKEND;
    } catch {
      // No IndexedDB (some private modes): preferences simply don't persist.
      return DEFAULT_COMPUTE_BACKEND;
    }
  }

  async setComputeBackend(value: ComputeBackend): Promise<void> {
    if (!isComputeBackend(value)) throw new UnknownComputeBackendError(value);
    await set(COMPUTE_BACKEND_KEY, value, this._store);
    this.dispatchEvent(new CustomEvent<PreferencesChangeDetail>('change', { detail: { computeBackend: value } }));
  }
}

import { createStore, del, get, set, type UseStore } from 'idb-keyval';

/**
 * Where the vault keeps its two entries (the CryptoKey and the encrypted record). IndexedDB in the
 * app; an in-memory map in tests that want to inspect or tamper with what was written.
 */
export interface VaultStorage {
  get(name: string): Promise<unknown>;
  set(name: string, value: unknown): Promise<void>;
  delete(name: string): Promise<void>;
}

export const VAULT_DB_NAME = 'local-sd-vault';
export const VAULT_STORE_NAME = 'keys';

/**
 * The vault's own IndexedDB database, apart from models and preferences. Values are stored by
 * structured clone, which is how a non-extractable CryptoKey can be persisted at all.
 */
export function indexedDbVaultStorage(store: UseStore = createStore(VAULT_DB_NAME, VAULT_STORE_NAME)): VaultStorage {
  return {
    get: (name) => get(name, store),
    set: (name, value) => set(name, value, store),
    delete: (name) => del(name, store),
  };
}

/** Clones on write and read, as IndexedDB does, so a test sees exactly what would have been stored. */
export function memoryVaultStorage(entries = new Map<string, unknown>()): VaultStorage & { entries: Map<string, unknown> } {
  return {
    entries,
    get: async (name) => (entries.has(name) ? structuredClone(entries.get(name)) : undefined),
    set: async (name, value) => void entries.set(name, structuredClone(value)),
    delete: async (name) => void entries.delete(name),
  };
}

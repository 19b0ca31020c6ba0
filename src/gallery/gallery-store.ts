import { createStore, del, get, set, values, type UseStore } from 'idb-keyval';
import type { GenerationParams } from '../generation/params.ts';

/** One generated image as the gallery lists it; the full PNG is stored apart so listing stays cheap. */
export interface GalleryItem {
  id: string;
  createdAt: number;
  params: GenerationParams;
  modelName: string;
  /** e.g. "WebGPU" or "WASM (2 threads)". */
  backend: string;
  width: number;
  height: number;
  /** A small PNG for the list. */
  thumbnail: Blob;
}

export class GalleryStorageError extends Error {
  override name = 'GalleryStorageError';
  constructor(
    readonly code: 'QUOTA' | 'STORAGE',
    message: string,
  ) {
    super(message);
  }
}

export interface GalleryStores {
  items: UseStore;
  images: UseStore;
}

function defaultStores(): GalleryStores {
  // idb-keyval gives one object store per database, so metadata and full images get a database each.
  return { items: createStore('local-sd-gallery', 'items'), images: createStore('local-sd-gallery-images', 'png') };
}

/**
 * Every image the user made, with its settings, in IndexedDB. Survives reloads and app updates (the
 * service worker never touches IndexedDB). Dispatches `change` after every add or delete.
 */
export class GalleryStore extends EventTarget {
  constructor(private readonly stores: GalleryStores = defaultStores()) {
    super();
  }

  async add(entry: Omit<GalleryItem, 'id' | 'createdAt'> & { png: Blob }): Promise<GalleryItem> {
    const { png, ...rest } = entry;
    const item: GalleryItem = { ...rest, id: crypto.randomUUID(), createdAt: Date.now() };
    try {
      // The image first: an item without its PNG would be a broken entry, a PNG without an item is invisible.
      await set(item.id, png, this.stores.images);
      await set(item.id, item, this.stores.items);
    } catch (error) {
      await del(item.id, this.stores.images).catch(() => undefined);
      if (error instanceof DOMException && error.name === 'QuotaExceededError') {
        throw new GalleryStorageError('QUOTA', 'Storage is full, so the image was not saved to the Gallery. Delete images or models you no longer need, then try again.');
      }
      throw new GalleryStorageError('STORAGE', `The image could not be saved to the Gallery: ${(error as Error).message}`);
    }
    this.dispatchEvent(new Event('change'));
    return item;
  }

  /** Newest first. */
  async list(): Promise<GalleryItem[]> {
    const items = await values<GalleryItem>(this.stores.items);
    return items.sort((a, b) => b.createdAt - a.createdAt);
  }

  async png(id: string): Promise<Blob | undefined> {
    return get<Blob>(id, this.stores.images);
  }

  async delete(id: string): Promise<void> {
    await del(id, this.stores.items);
    await del(id, this.stores.images);
    this.dispatchEvent(new Event('change'));
  }
}

import { LitElement, html } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import type { GalleryItem, GalleryStore } from '../gallery/gallery-store.ts';
import type { GenerationParams } from '../generation/params.ts';
import { samplerName } from '../generation/params.ts';
import { galleryPanelStyles } from './gallery-panel.styles.ts';

const PAGE_SIZE = 48;

/** Reuse an image's settings in the Generate tab. */
export class ReuseSettingsEvent extends Event {
  static readonly type = 'reuse-settings';
  constructor(readonly params: GenerationParams) {
    super(ReuseSettingsEvent.type, { bubbles: true, composed: true });
  }
}

/**
 * The Gallery tab: every image made on this device, newest first, as lazily loaded thumbnails
 * (the full PNGs are only read to download one), shown a page at a time.
 */
@customElement('gallery-panel')
export class GalleryPanel extends LitElement {
  static override styles = galleryPanelStyles;

  @property({ attribute: false }) store?: GalleryStore;

  @state() private _items: GalleryItem[] = [];
  @state() private _shown = PAGE_SIZE;
  @state() private _error = '';
  @state() private _loaded = false;

  private _urls = new Map<string, string>();
  private readonly _onChange = () => void this._refresh();

  override connectedCallback(): void {
    super.connectedCallback();
    this.store?.addEventListener('change', this._onChange);
    void this._refresh();
  }

  override disconnectedCallback(): void {
    this.store?.removeEventListener('change', this._onChange);
    for (const url of this._urls.values()) URL.revokeObjectURL(url);
    this._urls.clear();
    super.disconnectedCallback();
  }

  override willUpdate(changed: Map<PropertyKey, unknown>): void {
    if (changed.has('store')) {
      (changed.get('store') as GalleryStore | undefined)?.removeEventListener('change', this._onChange);
      this.store?.addEventListener('change', this._onChange);
      if (this.isConnected) void this._refresh();
    }
  }

  private async _refresh(): Promise<void> {
    if (!this.store) return;
    try {
      this._items = await this.store.list();
      this._error = '';
    } catch (error) {
      this._error = `The gallery could not be read: ${(error as Error).message}`;
    }
    this._loaded = true;
    // Drop object URLs of deleted items.
    const ids = new Set(this._items.map((i) => i.id));
    for (const [id, url] of this._urls) {
      if (!ids.has(id)) {
        URL.revokeObjectURL(url);
        this._urls.delete(id);
      }
    }
  }

  private _thumbUrl(item: GalleryItem): string {
    let url = this._urls.get(item.id);
    if (!url) {
      url = URL.createObjectURL(item.thumbnail);
      this._urls.set(item.id, url);
    }
    return url;
  }

  private async _download(item: GalleryItem): Promise<void> {
    const png = await this.store?.png(item.id);
    if (!png) {
      this._error = 'This image file is missing from storage; only its settings remain. Use "Reuse settings" to make it again.';
      return;
    }
    const url = URL.createObjectURL(png);
    const a = document.createElement('a');
    a.href = url;
    a.download = fileName(item);
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }

  private async _delete(item: GalleryItem): Promise<void> {
    try {
      await this.store?.delete(item.id);
    } catch (error) {
      this._error = `The image could not be deleted: ${(error as Error).message}`;
    }
  }

  override render() {
    const items = this._items.slice(0, this._shown);
    return html`
      <h2>Gallery</h2>
      ${this._error ? html`<p role="alert">${this._error}</p>` : null}
      ${this._loaded && this._items.length === 0
        ? html`<p class="empty">No images yet. Images you generate are kept here, on this device.</p>`
        : null}
      <ul aria-label="Gallery">
        ${repeat(
          items,
          (item) => item.id,
          (item) => html`<li>
            <img src=${this._thumbUrl(item)} alt=${item.params.prompt || '(empty prompt)'} loading="lazy" decoding="async" width="160" height="160" />
            <span class="prompt">${item.params.prompt || '(empty prompt)'}</span>
            <span class="meta"
              >${item.width}×${item.height} · ${item.params.steps} steps · ${samplerName(item.params.scheduler)} · seed
              ${item.params.seed}</span
            >
            <span class="actions">
              <button @click=${() => this.dispatchEvent(new ReuseSettingsEvent(item.params))}>Reuse settings</button>
              <button @click=${() => void this._download(item)} aria-label="Download PNG of ${item.params.prompt}">Save PNG</button>
              <button @click=${() => void this._delete(item)}>Delete</button>
            </span>
          </li>`,
        )}
      </ul>
      ${this._items.length > this._shown
        ? html`<button class="more" @click=${() => (this._shown += PAGE_SIZE)}>
            Show more (${this._items.length - this._shown} left)
          </button>`
        : null}
    `;
  }
}

export function fileName(item: { params: GenerationParams; createdAt?: number }): string {
  const slug = item.params.prompt.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40) || 'image';
  return `local-sd-${slug}-${item.params.seed}.png`;
}

declare global {
  interface HTMLElementTagNameMap {
    'gallery-panel': GalleryPanel;
  }
  interface GlobalEventHandlersEventMap {
    'reuse-settings': ReuseSettingsEvent;
  }
}

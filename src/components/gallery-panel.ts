import { LitElement, html } from 'lit';
import { customElement } from 'lit/decorators.js';

/** The Gallery tab. */
@customElement('gallery-panel')
export class GalleryPanel extends LitElement {
  override render() {
    return html`<h2>Gallery</h2>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'gallery-panel': GalleryPanel;
  }
}

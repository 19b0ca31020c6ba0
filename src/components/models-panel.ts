import { LitElement, html } from 'lit';
import { customElement } from 'lit/decorators.js';

/** The Models tab. */
@customElement('models-panel')
export class ModelsPanel extends LitElement {
  override render() {
    return html`<h2>Models</h2>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'models-panel': ModelsPanel;
  }
}

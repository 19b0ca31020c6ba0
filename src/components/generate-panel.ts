import { LitElement, html } from 'lit';
import { customElement } from 'lit/decorators.js';

/** The Generate tab. */
@customElement('generate-panel')
export class GeneratePanel extends LitElement {
  override render() {
    return html`<h2>Generate</h2>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'generate-panel': GeneratePanel;
  }
}

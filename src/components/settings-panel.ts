import { LitElement, html } from 'lit';
import { customElement } from 'lit/decorators.js';

/** The Settings tab. */
@customElement('settings-panel')
export class SettingsPanel extends LitElement {
  override render() {
    return html`<h2>Settings</h2>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'settings-panel': SettingsPanel;
  }
}

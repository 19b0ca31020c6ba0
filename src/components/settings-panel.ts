import { LitElement, html } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { consume } from '@lit/context';
import { appServicesContext, type AppServices } from '../app-context.ts';
import {
  COMPUTE_BACKENDS,
  COMPUTE_BACKEND_LABELS,
  DEFAULT_COMPUTE_BACKEND,
  isComputeBackend,
  type ComputeBackend,
} from '../settings/preferences.ts';
import { settingsPanelStyles } from './settings-panel.styles.ts';
import './auth-section.ts';

/** The Settings tab: Hugging Face sign-in and the compute backend preference. */
@customElement('settings-panel')
export class SettingsPanel extends LitElement {
  static override styles = settingsPanelStyles;

  @consume({ context: appServicesContext })
  @state()
  private _services: AppServices | undefined;

  @state() private _backend: ComputeBackend = DEFAULT_COMPUTE_BACKEND;
  @state() private _backendLoaded = false;
  @state() private _backendError: string | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    void this._loadBackend();
  }

  private async _loadBackend(): Promise<void> {
    const preferences = this._services?.preferences;
    if (!preferences) return;
    this._backend = await preferences.computeBackend();
    this._backendLoaded = true;
  }

  private async _onBackendChange(event: Event): Promise<void> {
    const value = (event.target as HTMLSelectElement).value;
    if (!isComputeBackend(value) || !this._services) return;
    this._backend = value;
    try {
      await this._services.preferences.setComputeBackend(value);
      this._backendError = undefined;
    } catch {
      this._backendError = "This choice couldn't be saved in this browser; it applies until you reload.";
    }
  }

  override render() {
    return html`
      <div class="sections">
        <auth-section .auth=${this._services?.auth}></auth-section>
        <section aria-labelledby="compute-heading">
          <h2 id="compute-heading">Compute</h2>
          <div class="field">
            <label for="compute-backend">Compute backend</label>
            <select id="compute-backend" aria-describedby="compute-help" ?disabled=${!this._backendLoaded} @change=${this._onBackendChange}>
              ${COMPUTE_BACKENDS.map(
                (backend) => html`<option value=${backend} ?selected=${backend === this._backend}>${COMPUTE_BACKEND_LABELS[backend]}</option>`,
              )}
            </select>
            <p id="compute-help" class="help">
              Auto uses WebGPU when this device supports it and falls back to WASM (CPU) otherwise. WASM is slower but
              works everywhere.
            </p>
            ${this._backendError ? html`<p role="alert" class="help">${this._backendError}</p>` : null}
          </div>
        </section>
      </div>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'settings-panel': SettingsPanel;
  }
}

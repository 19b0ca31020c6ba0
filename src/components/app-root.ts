import { LitElement, html } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { appRootStyles } from './app-root.styles.ts';
import './generate-panel.ts';
import './models-panel.ts';
import './gallery-panel.ts';
import './settings-panel.ts';

export const TABS = ['Generate', 'Models', 'Gallery', 'Settings'] as const;
export type TabName = (typeof TABS)[number];

/** The application shell: a header with the four tabs of the UI contract and the selected panel. */
@customElement('app-root')
export class AppRoot extends LitElement {
  static override styles = appRootStyles;

  @state() private _tab: TabName = 'Generate';
  @state() private _online = navigator.onLine;

  private readonly _onOnline = () => (this._online = navigator.onLine);

  override connectedCallback(): void {
    super.connectedCallback();
    addEventListener('online', this._onOnline);
    addEventListener('offline', this._onOnline);
  }

  override disconnectedCallback(): void {
    removeEventListener('online', this._onOnline);
    removeEventListener('offline', this._onOnline);
    super.disconnectedCallback();
  }

  private _select(tab: TabName, focus = false): void {
    this._tab = tab;
    if (focus) {
      void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>(`#tab-${tab}`)?.focus());
    }
  }

  /** Arrow keys, Home and End move between tabs (WAI-ARIA tabs pattern, automatic activation). */
  private _onTabKey(e: KeyboardEvent): void {
    const i = TABS.indexOf(this._tab);
    const next: Record<string, number> = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: TABS.length - 1 };
    if (!(e.key in next)) return;
    e.preventDefault();
    this._select(TABS[(next[e.key]! + TABS.length) % TABS.length]!, true);
  }

  private _panel(tab: TabName) {
    switch (tab) {
      case 'Generate':
        return html`<generate-panel></generate-panel>`;
      case 'Models':
        return html`<models-panel></models-panel>`;
      case 'Gallery':
        return html`<gallery-panel></gallery-panel>`;
      case 'Settings':
        return html`<settings-panel></settings-panel>`;
    }
  }

  override render() {
    return html`
      <header>
        <h1>Local SD</h1>
        ${this._online ? null : html`<span class="offline">Offline — downloaded models still work</span>`}
        <div role="tablist" aria-label="Sections" @keydown=${this._onTabKey}>
          ${TABS.map(
            (tab) => html`<button
              role="tab"
              id="tab-${tab}"
              aria-selected=${tab === this._tab ? 'true' : 'false'}
              aria-controls="panel-${tab}"
              tabindex=${tab === this._tab ? 0 : -1}
              @click=${() => this._select(tab)}
            >
              ${tab}
            </button>`,
          )}
        </div>
      </header>
      <main>
        <section role="tabpanel" id="panel-${this._tab}" aria-labelledby="tab-${this._tab}" tabindex="0">
          ${this._panel(this._tab)}
        </section>
      </main>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'app-root': AppRoot;
  }
}

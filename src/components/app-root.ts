import { LitElement, html } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { provide } from '@lit/context';
import { appServicesContext, createAppServices } from '../app-context.ts';
import { appRootStyles } from './app-root.styles.ts';
import './generate-panel.ts';
import './models-panel.ts';
import './gallery-panel.ts';
import './settings-panel.ts';
import './pwa-banner.ts';
import type { PwaLifecycle } from '../pwa/pwa-lifecycle.ts';
import type { GenerationParams } from '../generation/params.ts';
import type { ReuseSettingsEvent } from './gallery-panel.ts';
import type { OpenTabEvent } from './open-tab-event.ts';

export const TABS = ['Generate', 'Models', 'Gallery', 'Settings'] as const;
export type TabName = (typeof TABS)[number];

/**
 * The application shell: a header with the four tabs of the UI contract and their panels. Every panel
 * stays mounted (hidden when not selected) so a half-written prompt or a running download survives a
 * tab switch.
 */
@customElement('app-root')
export class AppRoot extends LitElement {
  static override styles = appRootStyles;

  /** The services every panel consumes (sign-in, preferences), built once at boot. */
  @provide({ context: appServicesContext }) readonly services = createAppServices();

  /** Install and update state, handed in by main.ts. */
  @property({ attribute: false }) pwa?: PwaLifecycle;

  @state() private _tab: TabName = 'Generate';
  @state() private _online = navigator.onLine;
  /** Settings picked with "Reuse settings" in the Gallery, handed to the Generate panel. */
  @state() private _reuse: GenerationParams | null = null;

  private readonly _onOpenTab = (e: OpenTabEvent) => this._select(e.tab, true);
  private readonly _onReuse = (e: ReuseSettingsEvent) => {
    this._reuse = { ...e.params };
    this._select('Generate', true);
  };

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
        return html`<generate-panel .service=${this.services.generate} .gallery=${this.services.gallery} .reuse=${this._reuse}></generate-panel>`;
      case 'Models':
        return html`<models-panel></models-panel>`;
      case 'Gallery':
        return html`<gallery-panel .store=${this.services.gallery} @reuse-settings=${this._onReuse}></gallery-panel>`;
      case 'Settings':
        return html`<settings-panel></settings-panel>`;
    }
  }

  override render() {
    return html`
      <header>
        <h1>Local SD</h1>
        ${this._online ? null : html`<span class="offline">Offline — downloaded models still work</span>`}
        <pwa-banner .pwa=${this.pwa}></pwa-banner>
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
      <main @open-tab=${this._onOpenTab}>
        ${TABS.map(
          (tab) => html`<section
            role="tabpanel"
            id="panel-${tab}"
            aria-labelledby="tab-${tab}"
            tabindex="0"
            ?hidden=${tab !== this._tab}
          >
            ${this._panel(tab)}
          </section>`,
        )}
      </main>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'app-root': AppRoot;
  }
}

import { LitElement, css, html } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { PwaLifecycle } from '../pwa/pwa-lifecycle.ts';

/** The Install button and the "A new version is ready" prompt, in the header. */
@customElement('pwa-banner')
export class PwaBanner extends LitElement {
  static override styles = css`
    :host {
      display: contents;
    }
    .update {
      display: flex;
      align-items: center;
      gap: 0.5rem;
      padding: 0.3rem 0.6rem;
      border-radius: 0.5rem;
      background: var(--surface-2);
      border: 1px solid var(--accent);
    }
    button {
      font: inherit;
      min-height: 36px;
      padding: 0.25rem 0.75rem;
      border-radius: 0.4rem;
      border: 1px solid var(--accent);
      background: var(--accent);
      color: var(--accent-text);
      cursor: pointer;
    }
    button:focus-visible {
      outline: 3px solid var(--focus);
      outline-offset: 2px;
    }
  `;

  @property({ attribute: false }) pwa?: PwaLifecycle;
  @state() private _tick = 0;
  private readonly _onChange = () => this._tick++;

  override willUpdate(changed: Map<PropertyKey, unknown>): void {
    if (changed.has('pwa')) {
      (changed.get('pwa') as PwaLifecycle | undefined)?.removeEventListener('change', this._onChange);
      this.pwa?.addEventListener('change', this._onChange);
    }
  }

  override disconnectedCallback(): void {
    this.pwa?.removeEventListener('change', this._onChange);
    super.disconnectedCallback();
  }

  override render() {
    const pwa = this.pwa;
    if (!pwa) return null;
    return html`
      ${pwa.updateReady
        ? html`<div class="update" role="status">
            <span>A new version is ready</span>
            <button @click=${() => pwa.applyUpdate()}>Reload</button>
          </div>`
        : null}
      ${pwa.canInstall ? html`<button @click=${() => void pwa.install()}>Install app</button>` : null}
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'pwa-banner': PwaBanner;
  }
}

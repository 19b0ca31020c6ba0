import { LitElement, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { formatBytes, formatSpeed, formatTimeLeft } from '../downloads/progress.ts';
import type { ModelView } from '../models/model-store.ts';
import { modelItemStyles } from './models-panel.styles.ts';
import { OpenTabEvent } from './open-tab-event.ts';

export type ModelAction = 'download' | 'cancel' | 'delete';

export interface ModelActionDetail {
  id: string;
  action: ModelAction;
}

/** One model in the Models list: what it is, what is stored, and what can be done with it. */
@customElement('model-item')
export class ModelItem extends LitElement {
  static override styles = modelItemStyles;

  @property({ attribute: false }) view: ModelView | undefined;

  private _act(action: ModelAction): void {
    if (!this.view) return;
    this.dispatchEvent(
      new CustomEvent<ModelActionDetail>('model-action', { detail: { id: this.view.entry.id, action }, bubbles: true, composed: true }),
    );
  }

  private _status(view: ModelView) {
    switch (view.phase) {
      case 'bundled':
        return view.availableOffline
          ? html`<p class="status ready">Ready offline</p>`
          : html`<p class="status">Bundled with the app; available offline once this visit has finished installing it.</p>`;
      case 'ready':
        return html`<p class="status ready">Ready offline</p>`;
      case 'partial': {
        const percent = view.bytesTotal > 0 ? Math.floor((view.bytesStored / view.bytesTotal) * 100) : 0;
        return html`<p class="status partial">
          Paused at ${percent} % (${formatBytes(view.bytesStored)} of ${formatBytes(view.bytesTotal)} stored). Download resumes from there.
        </p>`;
      }
      case 'checking':
        return html`<p class="status">Checking access on Hugging Face…</p>`;
      case 'downloading':
        return this._progress(view);
      case 'absent':
        return html`<p class="status">Not downloaded · ${formatBytes(view.bytesTotal)}</p>`;
    }
  }

  private _progress(view: ModelView) {
    const progress = view.progress;
    const percent = progress?.percent ?? 0;
    const done = progress?.bytesDone ?? view.bytesStored;
    const total = progress?.bytesTotal ?? view.bytesTotal;
    const speed = formatSpeed(progress?.bytesPerSecond ?? null);
    const figures = `${percent} % · ${formatBytes(done)} / ${formatBytes(total)} · ${speed} · ${formatTimeLeft(progress?.secondsLeft ?? null)}`;
    return html`
      <progress
        max="100"
        .value=${percent}
        aria-label="Downloading ${view.entry.displayName}"
        aria-valuemin="0"
        aria-valuemax="100"
        aria-valuenow=${percent}
      ></progress>
      <p class="figures">${figures}</p>
    `;
  }

  private _actions(view: ModelView) {
    const busy = view.phase === 'checking' || view.phase === 'downloading';
    const canDownload = view.entry.source === 'hub' && (view.phase === 'absent' || view.phase === 'partial');
    const canDelete = !busy && (view.phase === 'partial' || view.phase === 'ready' || view.userAdded);
    if (!busy && !canDownload && !canDelete) return nothing;
    return html`<div class="actions">
      ${canDownload ? html`<button class="primary" @click=${() => this._act('download')}>Download</button>` : nothing}
      ${busy ? html`<button @click=${() => this._act('cancel')}>Cancel download</button>` : nothing}
      ${canDelete ? html`<button class="danger" @click=${() => this._act('delete')}>Delete</button>` : nothing}
    </div>`;
  }

  /** The note's first sentence stays visible; the technical rest folds away (long on a phone). */
  private _note(note: string) {
    const cut = note.search(/\.\s/);
    if (cut < 0 || cut > note.length - 3) return html`<p class="note">${note}</p>`;
    return html`<p class="note">${note.slice(0, cut + 1)}</p>
      <details>
        <summary>More about this model</summary>
        <p class="note">${note.slice(cut + 2)}</p>
      </details>`;
  }

  override render() {
    const view = this.view;
    if (!view) return nothing;
    const { entry, problem } = view;
    const requires = entry.requiredFeatures.length ? `Needs WebGPU with ${entry.requiredFeatures.join(', ')}.` : 'Runs on WebGPU or WASM.';
    return html`<div class="card">
      <h3>${entry.displayName}</h3>
      <p class="meta">
        ${entry.source === 'bundled' ? 'Bundled demo' : entry.repo} · ${formatBytes(view.bytesTotal)} · ${entry.dtype} ·
        ${entry.defaults.steps} step${entry.defaults.steps === 1 ? '' : 's'} · ${entry.defaults.width} × ${entry.defaults.height} · licence:
        ${entry.licence}
      </p>
      ${this._note(entry.note)}
      <p class="requires">${requires}</p>
      ${this._status(view)}
      ${problem
        ? html`<div role="alert">
            ${problem.message}
            ${problem.link
              ? html`<br /><a href=${problem.link.href} target="_blank" rel="noopener noreferrer">${problem.link.text}</a>`
              : nothing}
            ${problem.settings
              ? html`<br /><button type="button" @click=${() => this.dispatchEvent(new OpenTabEvent('Settings'))}>Open Settings</button>`
              : nothing}
          </div>`
        : nothing}
      ${this._actions(view)}
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'model-item': ModelItem;
  }
  interface GlobalEventHandlersEventMap {
    'model-action': CustomEvent<ModelActionDetail>;
  }
}

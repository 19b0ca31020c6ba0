import { LitElement, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { ModelsController } from '../controllers/models-controller.ts';
import { formatBytes } from '../downloads/progress.ts';
import { UNSUPPORTED_REPOS, findCatalogEntry } from '../models/catalog.ts';
import type { ModelStore } from '../models/model-store.ts';
import type { ModelActionDetail } from './model-item.ts';
import { modelsPanelStyles } from './models-panel.styles.ts';
import './model-item.ts';

/** The Models tab: the catalog and added repos, downloads, storage, and adding a repo by id. */
@customElement('models-panel')
export class ModelsPanel extends LitElement {
  static override styles = modelsPanelStyles;

  /** Defaults to the app's shared store. */
  @property({ attribute: false })
  set store(store: ModelStore) {
    this._models.setStore(store);
  }

  @state() private _repoInput = '';

  private readonly _models = new ModelsController(this);

  private async _onSubmit(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const id = await this._models.add(this._repoInput);
    if (id) {
      this._repoInput = '';
      await this.updateComplete;
      this.renderRoot.querySelector<HTMLElement>(`[data-model-id="${CSS.escape(id)}"]`)?.scrollIntoView({ block: 'nearest' });
    }
  }

  private _onAction(event: CustomEvent<ModelActionDetail>): void {
    const { id, action } = event.detail;
    if (action === 'download') this._models.download(id);
    else if (action === 'cancel') this._models.cancel(id);
    else void this._models.delete(id);
  }

  private _storage() {
    const figures = this._models.storage;
    if (!figures) return html`<p class="storage">Storage used: unknown in this browser</p>`;
    const available = Math.max(0, figures.quota - figures.usage);
    return html`<p class="storage">Storage used: ${formatBytes(figures.usage)} · ${formatBytes(available)} available</p>`;
  }

  override render() {
    const problem = this._models.addProblem;
    return html`
      <div class="intro">
        <h2>Models</h2>
        ${this._storage()}
      </div>
      <form @submit=${this._onSubmit} novalidate>
        <label for="repo">Hugging Face repo</label>
        <div class="add-row">
          <input
            id="repo"
            name="repo"
            type="text"
            placeholder="org/name"
            autocomplete="off"
            autocapitalize="off"
            spellcheck="false"
            aria-describedby="repo-hint"
            .value=${this._repoInput}
            @input=${(e: InputEvent) => (this._repoInput = (e.target as HTMLInputElement).value)}
          />
          <button type="submit" ?disabled=${this._models.adding || !this._repoInput.trim()}>Add model</button>
        </div>
        <p id="repo-hint" class="hint">
          ${this._models.adding ? 'Looking at the repo…' : 'A Stable Diffusion repo in the diffusers ONNX layout, e.g. aislamov/lcm-dreamshaper-v7-onnx.'}
        </p>
        ${problem ? html`<p role="alert">${problem.message}</p>` : nothing}
      </form>
      <ul aria-label="Models" @model-action=${this._onAction}>
        ${this._models.models.map(
          (view) => html`<li data-model-id=${view.entry.id}><model-item .view=${view}></model-item></li>`,
        )}
      </ul>
      <details>
        <summary>Why some well-known models are not listed</summary>
        <ul>
          ${UNSUPPORTED_REPOS.map((repo) => {
            const instead = repo.useInstead ? findCatalogEntry(repo.useInstead) : undefined;
            return html`<li><strong>${repo.repo}</strong>: ${repo.reason}${instead ? ` Use ${instead.displayName} instead.` : ''}</li>`;
          })}
        </ul>
      </details>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'models-panel': ModelsPanel;
  }
}

import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import type { GalleryStore } from '../gallery/gallery-store.ts';
import type { BackendReport, GenerateModelOption, GenerateService, PreviewImage, StepProgress } from '../generation/generate-service.ts';
import { formatParameters, samplerName, type GenerationParams } from '../generation/params.ts';
import { browserDeflate, encodePng } from '../image/png.ts';
import { fileName } from './gallery-panel.ts';
import { generatePanelStyles } from './generate-panel.styles.ts';
import { OpenTabEvent } from './open-tab-event.ts';

const MAX_SEED = 0xffffffff;
const THUMB_SIZE = 160;

interface Result {
  params: GenerationParams;
  url: string;
  blob: Blob;
  width: number;
  height: number;
}

export function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}

export function backendText(b: BackendReport): string {
  return `Backend: ${b.name}${b.detail ? ` (${b.detail})` : ''}${b.fallbackReason ? ` — ${b.fallbackReason}` : ''}`;
}

/**
 * The Generate tab: the settings of one generation, a progress bar with a live preview, the
 * results (PNG with its settings embedded, saved to the Gallery) and errors that say what to do.
 */
@customElement('generate-panel')
export class GeneratePanel extends LitElement {
  static override styles = generatePanelStyles;

  @property({ attribute: false }) service?: GenerateService;
  @property({ attribute: false }) gallery?: GalleryStore;
  /** Settings to restore (from the Gallery's "Reuse settings"). */
  @property({ attribute: false }) reuse: GenerationParams | null = null;

  @state() private _models: GenerateModelOption[] = [];
  @state() private _params: GenerationParams = {
    prompt: '',
    negativePrompt: '',
    seed: randomSeed(),
    steps: 8,
    guidance: 1,
    width: 512,
    height: 512,
    scheduler: 'euler',
    modelId: '',
  };
  @state() private _batch = 1;
  @state() private _running = false;
  @state() private _progress: (StepProgress & { image: number; images: number }) | null = null;
  @state() private _results: Result[] = [];
  @state() private _selected = 0;
  @state() private _error = '';
  @state() private _notice = '';
  @state() private _backend: BackendReport | null = null;
  @state() private _hasPreview = false;

  @query('canvas.preview') private _canvas?: HTMLCanvasElement;
  private _abort: AbortController | null = null;
  private readonly _onModelsChange = () => void this._loadModels();

  override disconnectedCallback(): void {
    this.service?.removeEventListener('change', this._onModelsChange);
    this._abort?.abort();
    super.disconnectedCallback();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('service')) {
      (changed.get('service') as GenerateService | undefined)?.removeEventListener('change', this._onModelsChange);
      this.service?.addEventListener('change', this._onModelsChange);
      this._backend = this.service?.backend ?? null;
      void this._loadModels();
    }
    if (changed.has('reuse') && this.reuse) this._applyReuse(this.reuse);
  }

  private get _model(): GenerateModelOption | undefined {
    return this._models.find((m) => m.id === this._params.modelId);
  }

  private async _loadModels(): Promise<void> {
    if (!this.service) return;
    try {
      this._models = await this.service.listModels();
    } catch (error) {
      this._error = `The list of models could not be read: ${(error as Error).message}`;
      return;
    }
    if (!this._model && this._models[0]) this._useModel(this._models[0]);
  }

  private _useModel(model: GenerateModelOption): void {
    this._params = { ...this._params, modelId: model.id, ...model.defaults };
  }

  private _applyReuse(params: GenerationParams): void {
    const model = this._models.find((m) => m.id === params.modelId);
    if (model || this._models.length === 0) {
      this._params = { ...params };
      this._notice = 'Settings restored from the Gallery.';
    } else {
      this._params = { ...params, modelId: this._params.modelId };
      this._notice = 'Settings restored; the model they were made with is not ready on this device, so the current model is kept.';
    }
  }

  private _set<K extends keyof GenerationParams>(key: K, value: GenerationParams[K]): void {
    this._params = { ...this._params, [key]: value };
  }

  private _number(e: Event, min: number, max: number, integer = true): number | null {
    const input = e.target as HTMLInputElement;
    const value = input.valueAsNumber;
    if (!Number.isFinite(value)) return null;
    const clamped = Math.min(max, Math.max(min, integer ? Math.round(value) : value));
    return clamped;
  }

  private _onPromptKey(e: KeyboardEvent): void {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      void this._generate();
    }
  }

  private _validate(): string | null {
    const p = this._params;
    const model = this._model;
    if (!model) return 'No model is ready. Download one in the Models tab, or use the bundled Shapes demo.';
    if (!Number.isInteger(p.seed) || p.seed < 0 || p.seed > MAX_SEED) return `Seed must be a whole number from 0 to ${MAX_SEED}.`;
    if (!Number.isInteger(p.steps) || p.steps < 1 || p.steps > 150) return 'Steps must be a whole number from 1 to 150.';
    if (!(p.guidance >= 0 && p.guidance <= 30)) return 'Guidance must be between 0 and 30.';
    if (!model.sizes.some((s) => s.width === p.width && s.height === p.height)) return `This model cannot make ${p.width} × ${p.height} images; pick a size from the list.`;
    return null;
  }

  private async _generate(): Promise<void> {
    if (this._running || !this.service) return;
    const problem = this._validate();
    this._notice = '';
    if (problem) {
      this._error = problem;
      return;
    }
    this._error = '';
    const abort = new AbortController();
    this._abort = abort;
    this._running = true;
    this._hasPreview = false;
    const model = this._model!;
    const images = this._batch;
    const made: Result[] = [];
    try {
      for (let i = 0; i < images; i++) {
        const params = { ...this._params, seed: (this._params.seed + i) % (MAX_SEED + 1) };
        this._progress = { step: 0, total: params.steps, elapsedMs: 0, image: i + 1, images };
        const image = await this.service.generate(params, {
          signal: abort.signal,
          onProgress: (p) => (this._progress = { ...p, image: i + 1, images }),
          onPreview: (p) => this._drawPreview(p),
        });
        this._backend = image.backend;
        const result = await this._keep(image, params, model);
        made.push(result);
        this._results = [...made];
        this._selected = made.length - 1;
      }
    } catch (error) {
      const err = error as Error;
      if (err.name === 'AbortError') this._notice = made.length ? `Cancelled after ${made.length} of ${images} images.` : 'Cancelled.';
      else this._error = err.message || String(err);
      this._backend = this.service.backend ?? this._backend;
    } finally {
      this._running = false;
      this._progress = null;
      this._abort = null;
    }
  }

  /** Encodes the PNG with its settings, keeps it for Download/Copy and saves it to the Gallery. */
  private async _keep(image: { rgba: Uint8ClampedArray; width: number; height: number; backend: BackendReport }, params: GenerationParams, model: GenerateModelOption): Promise<Result> {
    const text = formatParameters(params, model.displayName);
    const png = await encodePng(image.rgba, image.width, image.height, browserDeflate, { parameters: text });
    const blob = new Blob([png as BlobPart], { type: 'image/png' });
    const result: Result = { params, url: URL.createObjectURL(blob), blob, width: image.width, height: image.height };
    if (this.gallery) {
      try {
        await this.gallery.add({
          params,
          modelName: model.displayName,
          backend: `${image.backend.name}${image.backend.detail ? ` (${image.backend.detail})` : ''}`,
          width: image.width,
          height: image.height,
          png: blob,
          thumbnail: await thumbnail(image),
        });
      } catch (error) {
        this._error = (error as Error).message;
      }
    }
    return result;
  }

  private _drawPreview(p: PreviewImage): void {
    this._hasPreview = true;
    void this.updateComplete.then(() => {
      const canvas = this._canvas;
      if (!canvas) return;
      canvas.width = p.width;
      canvas.height = p.height;
      canvas.getContext('2d')?.putImageData(new ImageData(new Uint8ClampedArray(p.rgba), p.width, p.height), 0, 0);
    });
  }

  private async _copy(result: Result): Promise<void> {
    try {
      await navigator.clipboard.write([new ClipboardItem({ 'image/png': result.blob })]);
      this._notice = 'Image copied to the clipboard.';
    } catch {
      this._error = 'The browser did not allow copying the image. Use "Download PNG" instead.';
    }
  }

  private _timeLeft(): string {
    const p = this._progress;
    if (!p || p.step === 0) return '';
    const perStep = p.elapsedMs / p.step;
    const remaining = (p.total - p.step + (p.images - p.image) * p.total) * perStep;
    return ` · about ${Math.max(1, Math.round(remaining / 1000))} s left`;
  }

  private _renderForm() {
    const p = this._params;
    const model = this._model;
    const sizes = model?.sizes ?? [{ width: p.width, height: p.height }];
    const schedulers = model?.schedulers ?? [p.scheduler];
    return html`<form @submit=${(e: Event) => (e.preventDefault(), void this._generate())} aria-label="Generation settings">
      <label
        >Model
        <select .value=${p.modelId} @change=${(e: Event) => {
          const m = this._models.find((x) => x.id === (e.target as HTMLSelectElement).value);
          if (m) this._useModel(m);
        }}>
          ${this._models.map((m) => html`<option value=${m.id} ?selected=${m.id === p.modelId}>${m.displayName}</option>`)}
        </select>
      </label>
      ${model?.note ? html`<p class="note">${model.note}</p>` : nothing}
      ${this._models.length <= 1
        ? html`<p class="hint">
            More models: <a href="#" @click=${(e: Event) => (e.preventDefault(), this.dispatchEvent(new OpenTabEvent('Models')))}>download one in the Models tab</a>.
          </p>`
        : nothing}
      <label
        >Prompt
        <textarea
          .value=${p.prompt}
          placeholder="a red circle on a blue background"
          @input=${(e: Event) => this._set('prompt', (e.target as HTMLTextAreaElement).value)}
          @keydown=${this._onPromptKey}
        ></textarea>
      </label>
      <label
        >Negative prompt
        <textarea
          .value=${p.negativePrompt}
          ?disabled=${model ? !model.guidance : false}
          @input=${(e: Event) => this._set('negativePrompt', (e.target as HTMLTextAreaElement).value)}
          @keydown=${this._onPromptKey}
        ></textarea>
      </label>
      <div class="seed">
        <label
          >Seed
          <input type="number" min="0" max=${MAX_SEED} step="1" .value=${String(p.seed)} @change=${(e: Event) => {
            const v = this._number(e, 0, MAX_SEED);
            if (v !== null) this._set('seed', v);
          }} />
        </label>
        <button type="button" @click=${() => this._set('seed', randomSeed())}>Random seed</button>
      </div>
      <div class="row">
        <label
          >Steps
          <input type="number" min="1" max="150" step="1" .value=${String(p.steps)} @change=${(e: Event) => {
            const v = this._number(e, 1, 150);
            if (v !== null) this._set('steps', v);
          }} />
        </label>
        <label
          >Guidance
          <input type="number" min="0" max="30" step="0.5" .value=${String(p.guidance)} ?disabled=${model ? !model.guidance : false} @change=${(e: Event) => {
            const v = this._number(e, 0, 30, false);
            if (v !== null) this._set('guidance', v);
          }} />
        </label>
        <label
          >Batch count
          <input type="number" min="1" max="16" step="1" .value=${String(this._batch)} @change=${(e: Event) => {
            const v = this._number(e, 1, 16);
            if (v !== null) this._batch = v;
          }} />
        </label>
      </div>
      <div class="row">
        <label
          >Size
          <select @change=${(e: Event) => {
            const [w, h] = (e.target as HTMLSelectElement).value.split('x').map(Number);
            this._params = { ...this._params, width: w!, height: h! };
          }}>
            ${sizes.map(
              (s) => html`<option value="${s.width}x${s.height}" ?selected=${s.width === p.width && s.height === p.height}>${s.width} × ${s.height}</option>`,
            )}
          </select>
        </label>
        <label
          >Scheduler
          <select @change=${(e: Event) => this._set('scheduler', (e.target as HTMLSelectElement).value)}>
            ${schedulers.map((s) => html`<option value=${s} ?selected=${s === p.scheduler}>${samplerName(s)}</option>`)}
          </select>
        </label>
      </div>
      <div class="actions">
        <button class="primary" type="submit" ?disabled=${this._running || !model}>Generate</button>
        <button type="button" ?disabled=${!this._running} @click=${() => this._abort?.abort()}>Cancel</button>
      </div>
      <p class="hint">Ctrl+Enter (⌘+Enter on a Mac) in a prompt generates.</p>
    </form>`;
  }

  private _renderOutput() {
    const progress = this._progress;
    const result = this._results[this._selected];
    return html`<section class="output" aria-label="Result">
      ${this._backend ? html`<p class="backend">${backendText(this._backend)}</p>` : nothing}
      ${this._error ? html`<p role="alert">${this._error}</p>` : nothing}
      ${this._notice ? html`<p role="status">${this._notice}</p>` : nothing}
      ${progress
        ? html`<progress aria-label="Generation progress" max=${progress.total} .value=${progress.step}></progress>
            <span class="progress-text"
              >${progress.images > 1 ? `Image ${progress.image} of ${progress.images} · ` : ''}Step ${progress.step} / ${progress.total}${this._timeLeft()}</span
            >`
        : nothing}
      <div class="stage">
        ${this._running && this._hasPreview
          ? html`<canvas class="preview" aria-label="Preview of the image being generated"></canvas>`
          : result
            ? html`<img src=${result.url} alt="Generated image: ${result.params.prompt}" width=${result.width} height=${result.height} />`
            : html`<p class="placeholder">${this._running ? 'Starting…' : 'Your image will appear here.'}</p>`}
      </div>
      ${result && !this._running
        ? html`<div class="actions">
            <a class="button" href=${result.url} download=${fileName(result)}>Download PNG</a>
            <button type="button" @click=${() => void this._copy(result)}>Copy image</button>
          </div>`
        : nothing}
      ${this._results.length > 1
        ? html`<ul class="thumbs" aria-label="Images of this batch">
            ${this._results.map(
              (r, i) => html`<li>
                <button type="button" aria-pressed=${i === this._selected ? 'true' : 'false'} @click=${() => (this._selected = i)}>
                  <img src=${r.url} alt="Seed ${r.params.seed}" />
                </button>
              </li>`,
            )}
          </ul>`
        : nothing}
    </section>`;
  }

  override render() {
    return html`<h2>Generate</h2>
      <div class="layout">${this._renderForm()} ${this._renderOutput()}</div>`;
  }
}

/** A small PNG of the image for the Gallery list. */
async function thumbnail(image: { rgba: Uint8ClampedArray; width: number; height: number }): Promise<Blob> {
  const scale = Math.min(1, THUMB_SIZE / Math.max(image.width, image.height));
  const w = Math.max(1, Math.round(image.width * scale));
  const h = Math.max(1, Math.round(image.height * scale));
  const bitmap = await createImageBitmap(new ImageData(new Uint8ClampedArray(image.rgba), image.width, image.height), {
    resizeWidth: w,
    resizeHeight: h,
    resizeQuality: 'high',
  });
  const canvas = new OffscreenCanvas(w, h);
  canvas.getContext('2d')!.drawImage(bitmap, 0, 0);
  bitmap.close();
  return canvas.convertToBlob({ type: 'image/png' });
}

declare global {
  interface HTMLElementTagNameMap {
    'generate-panel': GeneratePanel;
  }
}

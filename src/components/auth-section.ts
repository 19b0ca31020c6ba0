import { LitElement, html, nothing, type TemplateResult } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { classMap } from 'lit/directives/class-map.js';
import { AuthController } from '../controllers/auth-controller.ts';
import { avatarSource, needsReadOnlyWarning, type AuthService, type AuthState } from '../hub/auth.ts';
import type { StoredIdentity } from '../vault/token-vault.ts';
import { authSectionStyles } from './auth-section.styles.ts';

/** The exact status prefixes of ui-contract.md ("Settings → Hugging Face authentication"). */
export const AUTH_STATUS_TEXT = Object.freeze({
  checking: 'Checking authentication…',
  loggedIn: (name: string) => `✓ Logged in as: ${name}`,
  invalid: '⚠ Invalid token',
  loggedOut: 'Not logged in',
  unreachable: "⚠ Can't reach Hugging Face",
});

const ROLE_LABELS: Record<string, string> = {
  read: 'Read',
  write: 'Write',
  admin: 'Admin',
  contributor: 'Contributor',
  fineGrained: 'Fine-grained',
};

/**
 * Settings → "Hugging Face authentication": the token field, the sign-in status, the identity the
 * token belongs to, and guidance. Renders `AuthService` state and sends it commands; the token typed
 * here goes to `auth.save()` and is cleared from the field once saved.
 */
@customElement('auth-section')
export class AuthSection extends LitElement {
  static override styles = authSectionStyles;

  @property({ attribute: false }) auth: AuthService | undefined;

  @state() private _tokenVisible = false;
  /** The avatar URL that failed to load (blocked, 404, no CORS): initials are shown instead. */
  @state() private _failedAvatar: string | undefined;
  /** Which passphrase form is open: adding a lock or removing it (unlocking needs no opening). */
  @state() private _lockForm: 'lock' | 'remove' | undefined;
  @query('#hf-token') private _input!: HTMLInputElement;

  private readonly _authController = new AuthController(this, () => this.auth);

  override render() {
    const state = this._authController.state;
    if (!this.auth || !state) return nothing;
    const hubUrl = this.auth.hubUrl;
    const warning = state.status === 'logged-in' && state.identity && needsReadOnlyWarning(state.identity) ? readOnlyWarning(state.identity) : undefined;
    // One alert at a time: a problem outranks the advice about a write token.
    const alert = state.problem?.message ?? warning;
    return html`
      <section aria-labelledby="auth-heading">
        <h2 id="auth-heading">Hugging Face authentication</h2>
        <div class="status-row">
          <p role="status" class=${classMap({ status: true, [`status--${state.status}`]: true })}>${statusText(state)}</p>
          ${statusDetail(state) ? html`<p class="status-detail">${statusDetail(state)}</p>` : nothing}
        </div>
        ${state.identity && state.status !== 'logged-out' ? this._identityCard(state.identity, hubUrl, state) : nothing}
        ${alert ? html`<div role="alert" class=${classMap({ alert: true, 'alert--warning': !state.problem })}>${alert}</div>` : nothing}

        <form class="token-form" @submit=${this._onSubmit} aria-busy=${state.saving ? 'true' : 'false'} novalidate>
          <label for="hf-token">Hugging Face token</label>
          <div class="token-row">
            <input
              id="hf-token"
              name="hf-token"
              type=${this._tokenVisible ? 'text' : 'password'}
              autocomplete="off"
              autocapitalize="off"
              autocorrect="off"
              spellcheck="false"
              inputmode="text"
              placeholder="hf_…"
              aria-describedby="token-help"
              aria-invalid=${state.problem?.code === 'invalid-token-format' ? 'true' : 'false'}
              @input=${this._onInput}
            />
            <button type="button" class="secondary" aria-pressed=${this._tokenVisible ? 'true' : 'false'} @click=${this._toggleVisible}>
              ${this._tokenVisible ? 'Hide token' : 'Show token'}
            </button>
          </div>
          <p id="token-help" class="help">
            Tokens start with <code>hf_</code>. A <strong>Read</strong> token is enough: Local SD only downloads models.
          </p>
          <div class="actions">
            <button type="submit" class="primary" ?disabled=${state.saving}>Save token</button>
            <button type="button" class="danger" ?disabled=${!state.identity} @click=${this._onForget}>Forget token</button>
            <a class="external" href="${hubUrl}/settings/tokens" target="_blank" rel="noopener noreferrer">Get a token<span class="external-icon" aria-hidden="true">↗</span></a>
          </div>
        </form>

        ${state.identity && state.status !== 'logged-out' ? this._lockSection(state) : nothing}

        <div class="guide">
          <h3>How to get a token</h3>
          <ol>
            <li>On Hugging Face, open <strong>Settings → Access Tokens</strong>.</li>
            <li>Choose <strong>New token</strong>, give it a name and the <strong>Read</strong> role.</li>
            <li>Copy it and paste it above, then choose <strong>Save token</strong>.</li>
          </ol>
          <p class="help">
            Public models download without a token; you need one only for gated or private models. The token is stored
            encrypted in this browser and sent only to Hugging Face.
          </p>
        </div>
      </section>
    `;
  }

  private _identityCard(identity: StoredIdentity, hubUrl: string, state: AuthState): TemplateResult {
    const src = avatarSource(identity.avatarUrl, hubUrl);
    const displayName = identity.fullName || identity.name;
    const role = identity.role ? (ROLE_LABELS[identity.role] ?? identity.role) : undefined;
    const checked = new Date(identity.validatedAt);
    return html`
      <div class=${classMap({ identity: true, 'identity--stale': state.status !== 'logged-in' })}>
        ${src && src !== this._failedAvatar
          ? html`<img class="avatar" src=${src} alt="${displayName}'s avatar" crossorigin="anonymous" referrerpolicy="no-referrer" width="48" height="48" @error=${() => (this._failedAvatar = src)} />`
          : html`<span class="avatar avatar--initials" role="img" aria-label="${displayName}'s avatar">${initialsOf(displayName)}</span>`}
        <div class="identity-text">
          <p class="identity-name">${displayName}</p>
          <p class="identity-meta">
            <span>@${identity.name}</span>
            ${role ? html`<span class="role-badge">Token role: ${role}</span>` : nothing}
          </p>
          <p class="identity-meta">Last confirmed <time datetime=${checked.toISOString()}>${checked.toLocaleString()}</time></p>
        </div>
      </div>
    `;
  }

  /** The optional passphrase lock: add it, unlock for this session, or remove it. */
  private _lockSection(state: AuthState): TemplateResult {
    const busy = state.lockBusy;
    let body: TemplateResult;
    if (state.lock === 'locked') {
      body = html`
        <p class="help">
          Your token is locked with a passphrase. Unlock it to download gated or private models; public models and
          generation work without it.
        </p>
        <form class="lock-form" aria-label="Unlock" aria-busy=${busy ? 'true' : 'false'} novalidate @submit=${this._onUnlock}>
          ${passphraseField('unlock-passphrase', 'Passphrase', 'current-password', this._onPassphraseInput)}
          <div class="actions">
            <button type="submit" class="primary" ?disabled=${busy}>Unlock token</button>
          </div>
        </form>
      `;
    } else if (state.lock === 'unlocked') {
      body = html`
        <p class="help">Your token is locked with a passphrase and unlocked until this page is closed or reloaded.</p>
        ${this._lockForm === 'remove'
          ? html`
              <form class="lock-form" aria-label="Remove passphrase lock" aria-busy=${busy ? 'true' : 'false'} novalidate @submit=${this._onRemoveLock}>
                ${passphraseField('remove-passphrase', 'Passphrase', 'current-password', this._onPassphraseInput)}
                <div class="actions">
                  <button type="submit" class="primary" ?disabled=${busy}>Remove lock</button>
                  <button type="button" class="secondary" @click=${this._closeLockForm}>Cancel</button>
                </div>
              </form>
            `
          : html`<div class="actions"><button type="button" class="secondary" @click=${() => this._openLockForm('remove')}>Remove passphrase lock</button></div>`}
      `;
    } else {
      body = html`
        <p class="help">
          Optionally lock the saved token with a passphrase (at least 8 characters): it is then usable only after you
          type the passphrase, once per session. A forgotten passphrase cannot be recovered; forget the token and save it again.
        </p>
        ${this._lockForm === 'lock'
          ? html`
              <form class="lock-form" aria-label="Lock with passphrase" aria-busy=${busy ? 'true' : 'false'} novalidate @submit=${this._onLock}>
                ${passphraseField('lock-passphrase', 'Passphrase', 'new-password', this._onPassphraseInput)}
                ${passphraseField('lock-confirm', 'Confirm passphrase', 'new-password', this._onPassphraseInput)}
                <div class="actions">
                  <button type="submit" class="primary" ?disabled=${busy}>Lock token</button>
                  <button type="button" class="secondary" @click=${this._closeLockForm}>Cancel</button>
                </div>
              </form>
            `
          : html`<div class="actions"><button type="button" class="secondary" @click=${() => this._openLockForm('lock')}>Lock with passphrase</button></div>`}
      `;
    }
    return html`
      <div class="lock" role="group" aria-labelledby="lock-heading">
        <h3 id="lock-heading">Passphrase lock</h3>
        ${body}
      </div>
    `;
  }

  private _openLockForm(form: 'lock' | 'remove'): void {
    this.auth?.dismissProblem();
    this._lockForm = form;
  }

  private _closeLockForm(): void {
    this.auth?.dismissProblem();
    this._lockForm = undefined;
  }

  private _onPassphraseInput(): void {
    this.auth?.dismissProblem();
  }

  private async _onLock(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const [passphrase, confirmation] = passphrasesOf(form);
    if (await this.auth?.lockWithPassphrase(passphrase ?? '', confirmation ?? '')) this._lockForm = undefined;
    clearPassphrases(form);
  }

  private async _onUnlock(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const [passphrase] = passphrasesOf(form);
    await this.auth?.unlock(passphrase ?? '');
    clearPassphrases(form);
  }

  private async _onRemoveLock(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const [passphrase] = passphrasesOf(form);
    if (await this.auth?.removePassphraseLock(passphrase ?? '')) this._lockForm = undefined;
    clearPassphrases(form);
  }

  private _toggleVisible(): void {
    this._tokenVisible = !this._tokenVisible;
  }

  private _onInput(): void {
    this.auth?.dismissProblem();
  }

  private async _onSubmit(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    if (!this.auth || this.auth.state.saving) return;
    const saved = await this.auth.save(this._input.value);
    if (saved) {
      // The token now lives only in the vault: nothing of it stays in the page.
      this._input.value = '';
      this._tokenVisible = false;
    }
  }

  private async _onForget(): Promise<void> {
    this._lockForm = undefined;
    await this.auth?.forget();
    this._input.value = '';
  }
}

export function statusText(state: AuthState): string {
  switch (state.status) {
    case 'checking':
      return AUTH_STATUS_TEXT.checking;
    case 'logged-in':
      return AUTH_STATUS_TEXT.loggedIn(state.identity?.name ?? '');
    case 'invalid':
      return AUTH_STATUS_TEXT.invalid;
    case 'logged-out':
      return AUTH_STATUS_TEXT.loggedOut;
    case 'unreachable':
      return AUTH_STATUS_TEXT.unreachable;
  }
}

/** A plain-language line under the status: what it means for the saved token. */
function statusDetail(state: AuthState): string | undefined {
  const saved = state.identity && state.identity.rejectedAt === undefined ? state.identity : undefined;
  switch (state.status) {
    case 'checking':
      return state.subject === 'entered' ? 'Asking Hugging Face who this token belongs to.' : undefined;
    case 'logged-in':
      return state.lock === 'locked' ? 'Your token is locked with a passphrase, so it was not re-checked. Unlock it below to download gated or private models.' : undefined;
    case 'invalid':
      if (state.subject === 'entered') {
        return saved
          ? `The token you entered was rejected and not saved. Your saved token for ${saved.name} is still in use.`
          : 'The token you entered was rejected and not saved.';
      }
      return `Your saved token${state.identity ? ` for ${state.identity.name}` : ''} was rejected. Paste a new token or forget it.`;
    case 'logged-out':
      return 'Public models work without a token.';
    case 'unreachable':
      if (state.subject === 'entered') return 'The token was not checked, so it was not saved.';
      return state.identity ? `Showing ${state.identity.name} as last confirmed; it will be checked again when you are back online.` : undefined;
  }
}

function passphraseField(id: string, label: string, autocomplete: string, onInput: () => void): TemplateResult {
  return html`
    <label for=${id}>${label}</label>
    <input id=${id} name="passphrase" type="password" autocomplete=${autocomplete} spellcheck="false" autocapitalize="off" minlength="8" @input=${onInput} />
  `;
}

/** The passphrase fields' values, in order. */
function passphrasesOf(form: HTMLFormElement): string[] {
  return [...form.querySelectorAll<HTMLInputElement>('input[name="passphrase"]')].map((input) => input.value);
}

/** Nothing of a passphrase stays in the page after an attempt. */
function clearPassphrases(form: HTMLFormElement): void {
  for (const input of form.querySelectorAll<HTMLInputElement>('input[name="passphrase"]')) input.value = '';
}

function readOnlyWarning(identity: StoredIdentity): string {
  const what = identity.role === 'fineGrained' ? 'This fine-grained token can write to repositories' : `This is a ${ROLE_LABELS[identity.role ?? ''] ?? identity.role} token`;
  return `${what}. A Read token is enough for Local SD; for safety, create a Read token and save it instead.`;
}

function initialsOf(name: string): string {
  const words = name.split(/[\s._-]+/).filter(Boolean);
  const letters = words.length > 1 ? [words[0]![0], words[1]![0]] : [...(words[0] ?? '?')].slice(0, 2);
  return letters.join('').toUpperCase();
}

declare global {
  interface HTMLElementTagNameMap {
    'auth-section': AuthSection;
  }
}

import { css } from 'lit';
import { settingsControlStyles } from './settings-panel.styles.ts';

export const authSectionStyles = [
  settingsControlStyles,
  css`
    section {
      display: grid;
      /* minmax(0, 1fr): long words and the date may wrap instead of widening the page at 360 px. */
      grid-template-columns: minmax(0, 1fr);
      gap: 1rem;
    }
    h2 {
      margin: 0;
    }
    .status-row {
      display: grid;
      gap: 0.2rem;
    }
    .status {
      font-weight: 600;
      font-size: 1.05rem;
    }
    .status--logged-in {
      color: var(--ok);
    }
    .status--invalid,
    .status--unreachable {
      color: var(--warn);
    }
    .status--checking,
    .status--logged-out {
      color: var(--text-muted);
    }
    .status-detail {
      color: var(--text-muted);
      font-size: 0.9rem;
    }
    .identity {
      display: flex;
      align-items: center;
      gap: 0.85rem;
      padding: 0.75rem;
      border-radius: 0.6rem;
      background: var(--surface-2);
      min-width: 0;
    }
    .identity--stale {
      opacity: 0.8;
    }
    .avatar {
      flex: none;
      width: 48px;
      height: 48px;
      border-radius: 50%;
      object-fit: cover;
      background: var(--bg);
      border: 1px solid var(--border);
    }
    .avatar--initials {
      display: inline-grid;
      place-items: center;
      font-weight: 700;
      color: var(--accent-text);
      background: var(--accent);
      border-color: var(--accent);
    }
    .identity-text {
      display: grid;
      gap: 0.1rem;
      min-width: 0;
    }
    .identity-name {
      font-weight: 600;
      overflow-wrap: anywhere;
    }
    .identity-meta {
      display: flex;
      flex-wrap: wrap;
      gap: 0.25rem 0.75rem;
      color: var(--text-muted);
      font-size: 0.875rem;
    }
    .role-badge {
      border: 1px solid var(--border);
      border-radius: 999px;
      padding: 0 0.5rem;
    }
    .alert {
      border: 1px solid var(--danger);
      border-left-width: 4px;
      border-radius: 0.5rem;
      padding: 0.65rem 0.8rem;
      color: var(--text);
      background: var(--surface-2);
    }
    .alert--warning {
      border-color: var(--warn);
    }
    .token-form,
    .status-row,
    .guide {
      grid-template-columns: minmax(0, 1fr);
    }
    .token-form {
      display: grid;
      gap: 0.6rem;
    }
    .token-form label {
      margin: 0;
    }
    .token-row {
      display: flex;
      gap: 0.5rem;
    }
    .token-row input {
      /* A small basis, not the input's intrinsic 20ch, so the row fits a 360 px screen. */
      flex: 1 1 8rem;
      width: 8rem;
      min-width: 0;
      font-family: ui-monospace, 'DejaVu Sans Mono', monospace;
    }
    .token-row input[aria-invalid='true'] {
      border-color: var(--danger);
    }
    .token-row button {
      flex: none;
      /* Wide enough for "Hide token" too, so the field does not jump when toggled. */
      min-width: 9.5rem;
      white-space: nowrap;
    }
    .actions {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 0.5rem 0.75rem;
    }
    .external {
      margin-left: auto;
      font-weight: 600;
      padding: 0.55rem 0.25rem;
    }
    .external-icon {
      margin-left: 0.2rem;
    }
    .guide {
      border-top: 1px solid var(--border);
      padding-top: 0.9rem;
      display: grid;
      gap: 0.4rem;
    }
    .lock {
      border-top: 1px solid var(--border);
      padding-top: 0.9rem;
      display: grid;
      grid-template-columns: minmax(0, 1fr);
      gap: 0.5rem;
    }
    .lock h3,
    .lock p {
      margin: 0;
    }
    .lock-form {
      display: grid;
      grid-template-columns: minmax(0, 1fr);
      gap: 0.4rem;
      max-width: 28rem;
    }
    .lock-form label {
      margin: 0.2rem 0 0;
    }
    .lock-form .actions {
      margin-top: 0.3rem;
    }
    .guide ol {
      margin: 0;
      padding-left: 1.4rem;
      display: grid;
      gap: 0.2rem;
    }
    @media (max-width: 420px) {
      section {
        padding: 1rem;
      }
      .token-row button {
        min-width: 0;
      }
      .actions button {
        flex: 1 1 auto;
      }
      .external {
        margin-left: 0;
      }
    }
  `,
];

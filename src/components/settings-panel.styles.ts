import { css } from 'lit';

/** Cards, labels, inputs and buttons shared by the Settings panel and its sections. */
export const settingsControlStyles = css`
  :host {
    display: block;
    color: var(--text);
  }
  *,
  *::before,
  *::after {
    box-sizing: border-box;
  }
  section {
    background: var(--surface);
    border: 1px solid var(--border);
    border-radius: 0.75rem;
    padding: 1.25rem;
  }
  h2 {
    font-size: 1.15rem;
    margin: 0 0 0.75rem;
  }
  h3 {
    font-size: 1rem;
    margin: 0 0 0.5rem;
  }
  p {
    margin: 0;
  }
  label {
    display: block;
    font-weight: 600;
    margin-bottom: 0.35rem;
  }
  input,
  select {
    font: inherit;
    color: var(--text);
    background: var(--bg);
    border: 1px solid var(--border);
    border-radius: 0.5rem;
    padding: 0.55rem 0.7rem;
    min-height: 44px;
  }
  button {
    font: inherit;
    font-weight: 600;
    border-radius: 0.5rem;
    padding: 0.55rem 1rem;
    min-height: 44px;
    cursor: pointer;
    border: 1px solid var(--border);
    background: var(--surface-2);
    color: var(--text);
  }
  button:disabled {
    cursor: not-allowed;
    opacity: 0.55;
  }
  button.primary {
    background: var(--accent);
    border-color: var(--accent);
    color: var(--accent-text);
  }
  button.danger {
    background: transparent;
    border-color: var(--danger);
    color: var(--danger);
  }
  button:not(:disabled):hover {
    filter: brightness(1.08);
  }
  input:focus-visible,
  select:focus-visible,
  button:focus-visible,
  a:focus-visible {
    outline: 3px solid var(--focus);
    outline-offset: 2px;
  }
  a {
    color: var(--accent);
  }
  code {
    font-family: ui-monospace, 'DejaVu Sans Mono', monospace;
    background: var(--surface-2);
    border-radius: 0.25rem;
    padding: 0.05rem 0.3rem;
  }
  .help {
    color: var(--text-muted);
    font-size: 0.9rem;
  }
`;

export const settingsPanelStyles = [
  settingsControlStyles,
  css`
    .sections {
      display: grid;
      grid-template-columns: minmax(0, 1fr);
      gap: 1rem;
      max-width: 46rem;
      margin: 0 auto;
    }
    section {
      background: var(--surface);
    }
    select {
      width: min(100%, 18rem);
      cursor: pointer;
    }
    .field {
      display: grid;
      gap: 0.35rem;
    }
    .field label {
      margin: 0;
    }
  `,
];

import { css } from 'lit';

/** Shared by the Models panel and its items: cards, buttons, alerts, the progress bar. */
export const modelControlStyles = css`
  :host {
    display: block;
    color: var(--text);
  }
  *,
  *::before,
  *::after {
    box-sizing: border-box;
  }
  p {
    margin: 0;
  }
  button {
    font: inherit;
    font-weight: 600;
    border-radius: 0.5rem;
    padding: 0.5rem 1rem;
    min-height: 44px;
    cursor: pointer;
    border: 1px solid var(--border);
    background: var(--surface-2);
    color: var(--text);
  }
  button.primary {
    background: var(--accent);
    border-color: var(--accent);
    color: var(--accent-text);
  }
  button.danger {
    color: var(--danger);
  }
  button:disabled {
    cursor: not-allowed;
    opacity: 0.55;
  }
  button:focus-visible,
  input:focus-visible,
  a:focus-visible {
    outline: 3px solid var(--focus);
    outline-offset: 2px;
  }
  a {
    color: var(--accent);
  }
  [role='alert'] {
    border: 1px solid var(--danger);
    border-left-width: 4px;
    border-radius: 0.5rem;
    padding: 0.6rem 0.8rem;
    color: var(--text);
    background: var(--surface-2);
    overflow-wrap: anywhere;
  }
  [role='alert'] a {
    display: inline-block;
    margin-top: 0.35rem;
  }
`;

export const modelsPanelStyles = [
  modelControlStyles,
  css`
    .intro {
      display: flex;
      flex-wrap: wrap;
      align-items: baseline;
      justify-content: space-between;
      gap: 0.25rem 1rem;
      margin-bottom: 1rem;
    }
    h2 {
      font-size: 1.25rem;
      margin: 0;
    }
    .storage {
      color: var(--text-muted);
      font-size: 0.9rem;
    }
    form {
      background: var(--surface);
      border: 1px solid var(--border);
      border-radius: 0.75rem;
      padding: 1rem;
      margin-bottom: 1rem;
      display: grid;
      gap: 0.5rem;
    }
    label {
      font-weight: 600;
    }
    .add-row {
      display: flex;
      flex-wrap: wrap;
      gap: 0.5rem;
    }
    input {
      font: inherit;
      color: var(--text);
      background: var(--bg);
      border: 1px solid var(--border);
      border-radius: 0.5rem;
      padding: 0.5rem 0.7rem;
      min-height: 44px;
      flex: 1 1 14rem;
      min-width: 0;
    }
    .hint {
      color: var(--text-muted);
      font-size: 0.875rem;
    }
    ul {
      list-style: none;
      margin: 0;
      padding: 0;
      display: grid;
      gap: 0.75rem;
    }
    @media (min-width: 900px) {
      ul {
        grid-template-columns: repeat(2, minmax(0, 1fr));
      }
    }
    li {
      min-width: 0;
    }
    details {
      margin-top: 1.25rem;
      color: var(--text-muted);
    }
    summary {
      cursor: pointer;
      font-weight: 600;
      min-height: 44px;
      display: flex;
      align-items: center;
    }
    details ul {
      display: block;
      padding-left: 1.25rem;
      list-style: disc;
    }
    details li {
      margin: 0.35rem 0;
    }
  `,
];

export const modelItemStyles = [
  modelControlStyles,
  css`
    :host {
      height: 100%;
    }
    .card {
      height: 100%;
      background: var(--surface);
      border: 1px solid var(--border);
      border-radius: 0.75rem;
      padding: 1rem;
      display: flex;
      flex-direction: column;
      gap: 0.6rem;
    }
    h3 {
      font-size: 1.05rem;
      margin: 0;
      overflow-wrap: anywhere;
    }
    .meta {
      color: var(--text-muted);
      font-size: 0.875rem;
      overflow-wrap: anywhere;
    }
    .note {
      font-size: 0.9rem;
    }
    .status {
      font-weight: 600;
    }
    .status.ready {
      color: var(--ok);
    }
    .status.partial {
      color: var(--warn);
    }
    details {
      font-size: 0.9rem;
    }
    summary {
      cursor: pointer;
      color: var(--accent);
      min-height: 32px;
      display: flex;
      align-items: center;
    }
    details .note {
      margin-top: 0.25rem;
    }
    .requires {
      font-size: 0.875rem;
      color: var(--text-muted);
    }
    progress {
      width: 100%;
      height: 0.75rem;
      accent-color: var(--accent);
    }
    .figures {
      font-size: 0.875rem;
      font-variant-numeric: tabular-nums;
      color: var(--text-muted);
    }
    .actions {
      display: flex;
      flex-wrap: wrap;
      gap: 0.5rem;
      margin-top: auto;
    }
  `,
];

import { css } from 'lit';

export const generatePanelStyles = css`
  :host {
    display: block;
  }
  h2 {
    margin: 0 0 0.75rem;
  }
  .layout {
    display: grid;
    grid-template-columns: minmax(0, 1fr);
    gap: 1rem;
  }
  @media (min-width: 860px) {
    .layout {
      grid-template-columns: minmax(320px, 420px) minmax(0, 1fr);
      align-items: start;
    }
  }
  form {
    display: grid;
    gap: 0.75rem;
    background: var(--surface);
    border: 1px solid var(--border);
    border-radius: 0.75rem;
    padding: 1rem;
  }
  label {
    display: grid;
    gap: 0.25rem;
    font-weight: 600;
    font-size: 0.9rem;
  }
  .row {
    display: grid;
    grid-template-columns: repeat(auto-fit, minmax(120px, 1fr));
    gap: 0.75rem;
  }
  .seed {
    display: flex;
    gap: 0.4rem;
    align-items: end;
  }
  .seed label {
    flex: 1;
  }
  input,
  select,
  textarea {
    font: inherit;
    font-weight: 400;
    color: var(--text);
    background: var(--bg);
    border: 1px solid var(--border);
    border-radius: 0.45rem;
    padding: 0.45rem 0.55rem;
    min-height: 40px;
    box-sizing: border-box;
    width: 100%;
  }
  textarea {
    resize: vertical;
    min-height: 4.5rem;
  }
  button,
  a.button {
    font: inherit;
    min-height: 44px;
    padding: 0.4rem 0.9rem;
    border-radius: 0.5rem;
    border: 1px solid var(--border);
    background: var(--surface-2);
    color: var(--text);
    cursor: pointer;
    text-decoration: none;
    display: inline-flex;
    align-items: center;
    justify-content: center;
  }
  button.primary {
    background: var(--accent);
    color: var(--accent-text);
    border-color: var(--accent);
    font-weight: 600;
  }
  button:disabled {
    opacity: 0.55;
    cursor: not-allowed;
  }
  :is(input, select, textarea, button, a):focus-visible {
    outline: 3px solid var(--focus);
    outline-offset: 2px;
  }
  .actions {
    display: flex;
    gap: 0.5rem;
    flex-wrap: wrap;
  }
  .actions .primary {
    flex: 1;
  }
  .hint,
  .note,
  .backend {
    font-size: 0.85rem;
    color: var(--text-muted);
    margin: 0;
  }
  .output {
    display: grid;
    gap: 0.75rem;
    background: var(--surface);
    border: 1px solid var(--border);
    border-radius: 0.75rem;
    padding: 1rem;
  }
  .stage {
    display: grid;
    place-items: center;
    background: var(--surface-2);
    border-radius: 0.5rem;
    min-height: 240px;
    overflow: hidden;
  }
  .stage img,
  .stage canvas {
    max-width: 100%;
    height: auto;
    display: block;
  }
  .stage canvas {
    image-rendering: pixelated;
    width: min(100%, 512px);
  }
  .placeholder {
    color: var(--text-muted);
    padding: 2rem;
    text-align: center;
  }
  progress {
    width: 100%;
    height: 0.8rem;
    accent-color: var(--accent);
  }
  .progress-text {
    font-size: 0.85rem;
    font-variant-numeric: tabular-nums;
  }
  [role='alert'] {
    color: var(--danger);
    border: 1px solid var(--danger);
    border-radius: 0.5rem;
    padding: 0.5rem 0.75rem;
    margin: 0;
  }
  .thumbs {
    display: flex;
    gap: 0.4rem;
    flex-wrap: wrap;
    list-style: none;
    margin: 0;
    padding: 0;
  }
  .thumbs button {
    padding: 0;
    min-height: 0;
    border-width: 2px;
    overflow: hidden;
  }
  .thumbs button[aria-pressed='true'] {
    border-color: var(--accent);
  }
  .thumbs img {
    width: 64px;
    height: 64px;
    object-fit: cover;
    display: block;
  }
`;

import { css } from 'lit';

export const appRootStyles = css`
  :host {
    display: block;
    min-height: 100vh;
    box-sizing: border-box;
  }
  header {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.5rem 1rem;
    padding: 0.75rem 1rem;
    background: var(--surface);
    border-bottom: 1px solid var(--border);
  }
  h1 {
    font-size: 1.25rem;
    margin: 0;
    flex: 1 1 auto;
  }
  [role='tablist'] {
    display: flex;
    gap: 0.25rem;
    overflow-x: auto;
    max-width: 100%;
  }
  [role='tab'] {
    font: inherit;
    color: var(--text);
    background: transparent;
    border: 1px solid transparent;
    border-radius: 0.5rem;
    padding: 0.45rem 0.8rem;
    cursor: pointer;
    min-height: 44px;
  }
  [role='tab'][aria-selected='true'] {
    background: var(--surface-2);
    border-color: var(--border);
    font-weight: 600;
  }
  [role='tab']:focus-visible,
  [role='tabpanel']:focus-visible {
    outline: 3px solid var(--focus);
    outline-offset: 2px;
  }
  [hidden] {
    display: none !important;
  }
  @media (max-width: 600px) {
    [role='tablist'] {
      flex: 1 1 100%;
    }
    [role='tab'] {
      flex: 1 1 0;
      padding: 0.45rem 0.25rem;
    }
  }
  main {
    padding: 1rem;
    max-width: 1100px;
    margin: 0 auto;
  }
  .offline {
    font-size: 0.875rem;
    color: var(--warn);
  }
`;

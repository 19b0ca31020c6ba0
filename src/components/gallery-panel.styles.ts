import { css } from 'lit';

export const galleryPanelStyles = css`
  :host {
    display: block;
  }
  h2 {
    margin: 0 0 0.75rem;
  }
  .empty {
    color: var(--text-muted);
  }
  ul {
    list-style: none;
    margin: 0;
    padding: 0;
    display: grid;
    grid-template-columns: repeat(auto-fill, minmax(160px, 1fr));
    gap: 0.75rem;
  }
  li {
    background: var(--surface);
    border: 1px solid var(--border);
    border-radius: 0.6rem;
    padding: 0.5rem;
    display: flex;
    flex-direction: column;
    gap: 0.4rem;
  }
  img {
    width: 100%;
    aspect-ratio: 1;
    object-fit: contain;
    background: var(--surface-2);
    border-radius: 0.4rem;
    image-rendering: auto;
  }
  .prompt {
    font-size: 0.875rem;
    overflow: hidden;
    display: -webkit-box;
    -webkit-line-clamp: 2;
    -webkit-box-orient: vertical;
  }
  .meta {
    font-size: 0.75rem;
    color: var(--text-muted);
  }
  .actions {
    display: flex;
    flex-wrap: wrap;
    gap: 0.3rem;
  }
  button {
    font: inherit;
    font-size: 0.8rem;
    min-height: 36px;
    padding: 0.25rem 0.6rem;
    border-radius: 0.4rem;
    border: 1px solid var(--border);
    background: var(--surface-2);
    color: var(--text);
    cursor: pointer;
  }
  button:focus-visible {
    outline: 3px solid var(--focus);
    outline-offset: 2px;
  }
  .more {
    margin-top: 0.75rem;
  }
  [role='alert'] {
    color: var(--danger);
    margin: 0.5rem 0;
  }
`;

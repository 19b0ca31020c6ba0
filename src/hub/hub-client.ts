/**
 * `@huggingface/hub`, loaded on first use rather than with the app shell: the library and what it
 * bundles (BLAKE3 for Xet uploads) are ~20 KB of JavaScript the first paint never needs. Every Hub
 * call goes through this one door so the library is fetched once.
 */
export type HubClient = typeof import('./hub-api.ts');

let client: Promise<HubClient> | null = null;

export function loadHubClient(): Promise<HubClient> {
  client ??= import('./hub-api.ts').catch((error: unknown) => {
    client = null; // a failed chunk load (offline before it was cached) may succeed later
    throw error;
  });
  return client;
}

/** The shape of `@huggingface/hub`'s `HubApiError`, checked without importing the library. */
export interface HubApiErrorLike extends Error {
  readonly statusCode: number;
  readonly url: string;
  readonly requestId?: string;
  readonly data?: Record<string, unknown>;
}

export function isHubApiError(error: unknown): error is HubApiErrorLike {
  return error instanceof Error && typeof (error as Partial<HubApiErrorLike>).statusCode === 'number' && typeof (error as Partial<HubApiErrorLike>).url === 'string';
}

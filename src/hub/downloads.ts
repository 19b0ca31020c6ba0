import { getHubCredentials, type HubCallCredentials } from './credentials.ts';

/**
 * The one place model bytes are requested from the hub. The token goes in an `Authorization`
 * header to the hub's `resolve` URL only; the browser drops it on the cross-origin redirect to the
 * CDN (whose URLs are presigned), so it never reaches another host.
 */

export interface HubFileRequest {
  repo: string;
  commit: string;
  path: string;
  /** First byte wanted; > 0 sends `Range: bytes=<start>-`. */
  start: number;
  signal?: AbortSignal;
}

export type HubFileFetcher = (request: HubFileRequest) => Promise<Response>;

export function resolveUrl(hubUrl: string, repo: string, commit: string, path: string): string {
  const encodedPath = path.split('/').map(encodeURIComponent).join('/');
  return `${hubUrl}/${repo}/resolve/${commit}/${encodedPath}`;
}

export interface HubFileFetcherOptions {
  credentials?: (signal?: AbortSignal) => Promise<HubCallCredentials>;
  fetch?: typeof fetch;
}

/** A fetcher bound to the build-time hub, asking the credentials door afresh for every request. */
export function createHubFileFetcher(options: HubFileFetcherOptions = {}): HubFileFetcher {
  const credentials = options.credentials ?? ((signal?: AbortSignal) => getHubCredentials({ signal }));
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  return async ({ repo, commit, path, start, signal }) => {
    const { hubUrl, accessToken } = await credentials(signal);
    const headers: Record<string, string> = {};
    if (accessToken) headers.Authorization = `Bearer ${accessToken}`;
    if (start > 0) headers.Range = `bytes=${start}-`;
    return doFetch(resolveUrl(hubUrl, repo, commit, path), {
      headers,
      signal,
      // Bytes go to Cache Storage ourselves; the HTTP cache would only hold a second copy.
      cache: 'no-store',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
      redirect: 'follow',
    });
  };
}

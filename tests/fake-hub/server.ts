import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { FaultBook, type Fault, type FaultKind, type FaultRule, type FaultRuleInput, type RequestTarget, type ServedOrigin } from './faults.ts';
import { createDemoFixture, DEFAULT_LFS_THRESHOLD_BYTES, type FakeHubFixture } from './fixtures.ts';
import { HubApi, parseHubRoute, type HubRoute } from './hub-api.ts';
import { HubState } from './hub-state.ts';
import { loadRepo, sha256Hex, type LoadedRepo, type RepoFile } from './repo-loader.ts';
import {
  bytesResponse,
  contentDisposition,
  errorResponse,
  htmlPage,
  jsonResponse,
  MESSAGES,
  type HubResponse,
} from './responses.ts';

export interface FakeHubOptions {
  /** Default: the demo fixture. */
  fixture?: FakeHubFixture;
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (the default) picks a free port. */
  hubPort?: number;
  cdnPort?: number;
  /** Entries per tree page before a `Link: rel="next"`; default 1000 like the hub. */
  treePageSize?: number;
  /** Lifetime of presigned CDN URLs; default one hour. */
  cdnUrlTtlSeconds?: number;
}

/** One request as the fake saw it. Control requests are not logged. */
export interface LoggedRequest {
  seq: number;
  served: ServedOrigin;
  method: string;
  /** Path and query, as sent. */
  url: string;
  /** Whether an Authorization header was sent, and its bearer token (or raw value if not a bearer). */
  authorization: boolean;
  token: string | null;
  range: string | null;
  /** The request's Origin header (`null` after a cross-origin redirect in a browser). */
  origin: string | null;
  /** The status answered; null until the headers are sent (or if the client left first). */
  status: number | null;
  requestId: string;
  faults: FaultKind[];
}

/** The HTTP control API's view of the hub, for tests in another process (see control-client.ts). */
export interface FakeHubInfo {
  hubUrl: string;
  cdnUrl: string;
  users: { name: string; fullname: string; tokens: { value: string; role: string }[] }[];
  repos: {
    id: string;
    private: boolean;
    gated: false | 'auto' | 'manual';
    revisions: Record<string, string>;
    files: { path: string; size: number; sha256: string; gitOid: string; lfs: boolean }[];
  }[];
}

export const HUB_EXPOSED_HEADERS =
  'X-Repo-Commit,X-Request-Id,X-Error-Code,X-Error-Message,X-Total-Count,ETag,Link,Accept-Ranges,Content-Range,' +
  'X-Xet-Access-Token,X-Xet-Token-Expiration,X-Xet-Refresh-Route,X-Xet-Cas-Url,X-Xet-Hash';
export const HUB_ALLOWED_HEADERS = 'Authorization, Range, Content-Type, Accept';
export const CDN_EXPOSED_HEADERS = 'ETag, Content-Range, Content-Length, Accept-Ranges';
export const CDN_ALLOWED_HEADERS = 'Range, Content-Type';
const ALLOWED_METHODS = 'GET, HEAD, OPTIONS';
const PREFLIGHT_MAX_AGE_SECONDS = '3600';
const KEY_PAIR_ID = 'KFAKEHUBLOCALSD';

interface CdnBlob {
  repo: LoadedRepo;
  file: RepoFile;
}

interface RoutedRequest {
  target: RequestTarget;
  /** Computes the real answer; not called when a fault replaces it. */
  answer: () => HubResponse;
}

export async function startFakeHub(options: FakeHubOptions = {}): Promise<FakeHub> {
  return FakeHub.start(options);
}

/**
 * A fake Hugging Face hub on two loopback origins: the hub (API, resolve) and the CDN that LFS files
 * redirect to, with CORS as recorded from production and programmable faults.
 */
export class FakeHub {
  hubUrl = '';
  cdnUrl = '';
  private readonly log: LoggedRequest[] = [];
  private nextSeq = 1;
  private readonly faultBook = new FaultBook();
  private readonly api: HubApi;
  private readonly cdnBlobs = new Map<string, CdnBlob[]>();
  private readonly signingKey = randomBytes(32);
  private readonly hubServer: Server;
  private readonly cdnServer: Server;

  static async start(options: FakeHubOptions): Promise<FakeHub> {
    const fixture = options.fixture ?? createDemoFixture();
    const threshold = fixture.lfsThresholdBytes ?? DEFAULT_LFS_THRESHOLD_BYTES;
    const repos = await Promise.all(fixture.repos.map((repo) => loadRepo(repo, threshold)));
    const hub = new FakeHub(new HubState(fixture, repos), options);
    const host = options.host ?? '127.0.0.1';
    try {
      hub.hubUrl = await listen(hub.hubServer, host, options.hubPort ?? 0);
      hub.cdnUrl = await listen(hub.cdnServer, host, options.cdnPort ?? 0);
    } catch (error) {
      await hub.close();
      throw error;
    }
    return hub;
  }

  private constructor(
    private readonly state: HubState,
    private readonly options: FakeHubOptions,
  ) {
    this.api = new HubApi(state, {
      treePageSize: options.treePageSize ?? 1000,
      cdnUrlFor: (repo, file) => this.presignedCdnUrl(repo, file),
    });
    for (const repo of state.repos.values()) {
      for (const file of repo.files.values()) {
        if (!file.lfs) continue;
        const key = cdnPath(repo, file);
        this.cdnBlobs.set(key, [...(this.cdnBlobs.get(key) ?? []), { repo, file }]);
      }
    }
    this.hubServer = createServer((req, res) => void this.onRequest('hub', req, res));
    this.cdnServer = createServer((req, res) => void this.onRequest('cdn', req, res));
  }

  /** A copy of the request log, oldest first. */
  get requests(): LoggedRequest[] {
    return this.log.map((entry) => ({ ...entry, faults: [...entry.faults] }));
  }

  clearRequests(): void {
    this.log.length = 0;
  }

  addFault(rule: FaultRuleInput): FaultRule {
    return this.faultBook.add(rule);
  }

  removeFault(id: string): boolean {
    return this.faultBook.remove(id);
  }

  clearFaults(): void {
    this.faultBook.clear();
  }

  listFaults(): FaultRule[] {
    return this.faultBook.list();
  }

  /** The next `count` requests whose path starts with `pathPrefix` answer 429. */
  setRateLimited(pathPrefix: string, count = 1, origin?: ServedOrigin): FaultRule {
    return this.faultBook.add({ pathPrefix, origin, count, fault: { kind: 'status', status: 429 } });
  }

  revokeToken(token: string): void {
    this.state.revokeToken(token);
  }

  acceptTerms(user: string, repoId: string): void {
    this.state.acceptTerms(user, repoId);
  }

  /** Back to the fixture's state: no faults, an empty log, no revoked tokens, initial acceptances. */
  reset(): void {
    this.faultBook.clear();
    this.clearRequests();
    this.state.reset();
  }

  info(): FakeHubInfo {
    return {
      hubUrl: this.hubUrl,
      cdnUrl: this.cdnUrl,
      users: this.state.fixture.users.map((user) => ({
        name: user.name,
        fullname: user.fullname,
        tokens: user.tokens.map((token) => ({ value: token.value, role: token.role })),
      })),
      repos: [...this.state.repos.values()].map((repo) => ({
        id: repo.id,
        private: repo.fixture.private ?? false,
        gated: repo.fixture.gated ?? false,
        revisions: Object.fromEntries(repo.revisions),
        files: [...repo.files.values()].map((file) => ({
          path: file.path,
          size: file.content.length,
          sha256: file.sha256,
          gitOid: file.gitOid,
          lfs: file.lfs !== null,
        })),
      })),
    };
  }

  async close(): Promise<void> {
    await Promise.all(
      [this.hubServer, this.cdnServer].map(async (server) => {
        if (!server.listening) return;
        const closed = once(server, 'close');
        server.close();
        server.closeAllConnections();
        await closed;
      }),
    );
  }

  private async onRequest(served: ServedOrigin, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake-hub.invalid');
    if (served === 'hub' && url.pathname.startsWith('/__control/')) {
      await this.control(req, res, url);
      return;
    }
    const authorization = req.headers.authorization;
    const entry: LoggedRequest = {
      seq: this.nextSeq++,
      served,
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      authorization: authorization !== undefined,
      token: authorization === undefined ? null : (/^Bearer\s+(\S+)/i.exec(authorization.trim())?.[1] ?? authorization),
      range: req.headers.range ?? null,
      origin: req.headers.origin ?? null,
      status: null,
      requestId: `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomUUID().replace(/-/g, '').slice(0, 24)}`,
      faults: [],
    };
    this.log.push(entry);

    // Stops delays and throttled bodies when the client goes away or the hub closes.
    const clientGone = new AbortController();
    res.on('close', () => clientGone.abort());
    try {
      const routed = served === 'hub' ? this.routeHub(req, url) : this.routeCdn(req, url);
      const early = this.faultBook.takeBeforeResponse(routed.target);
      entry.faults.push(...early.applied.map((fault) => fault.kind));
      if (early.delayMs > 0) await sleep(early.delayMs, undefined, { signal: clientGone.signal });
      const response = early.replacement ? faultResponse(early.replacement) : routed.answer();
      this.addCommonHeaders(served, req, response, entry.requestId);

      const isHead = req.method === 'HEAD';
      const bodyFaults = this.faultBook.takeBodyFaults(routed.target, {
        length: isHead ? 0 : response.body.length,
        fileOffset: response.fileOffset,
      });
      entry.faults.push(...bodyFaults.map((fault) => fault.kind));
      await writeResponse(res, response, isHead, bodyFaults, clientGone.signal, (status) => (entry.status = status));
    } catch (error) {
      if (clientGone.signal.aborted) return;
      console.error('fake hub: request failed', error);
      if (!res.headersSent) {
        entry.status = 500;
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end(String(error));
      } else {
        res.destroy();
      }
    }
  }

  private routeHub(req: IncomingMessage, url: URL): RoutedRequest {
    const rawSegments = url.pathname.split('/').slice(1);
    const method = req.method ?? 'GET';
    const route: HubRoute = parseHubRoute(rawSegments);
    const repoFiles =
      'repoId' in route ? [{ repoId: route.repoId, path: route.kind === 'file' ? route.path : undefined }] : [];
    const target: RequestTarget = { origin: 'hub', method, pathname: safeDecodePath(url.pathname), repoFiles };

    if (method === 'OPTIONS') return { target, answer: () => this.hubPreflight() };
    if (method !== 'GET' && method !== 'HEAD') {
      return { target, answer: () => errorResponse(405, 'Method not allowed', undefined, { Allow: ALLOWED_METHODS }) };
    }
    return {
      target,
      answer: () =>
        this.api.handle(
          {
            method,
            rawSegments,
            query: url.searchParams,
            search: url.search,
            range: req.headers.range,
            publicOrigin: req.headers.host ? `http://${req.headers.host}` : this.hubUrl,
            caller: this.state.identify(req.headers.authorization),
          },
          route,
        ),
    };
  }

  private routeCdn(req: IncomingMessage, url: URL): RoutedRequest {
    const method = req.method ?? 'GET';
    const blobs = this.cdnBlobs.get(url.pathname) ?? [];
    const target: RequestTarget = {
      origin: 'cdn',
      method,
      pathname: safeDecodePath(url.pathname),
      repoFiles: blobs.map(({ repo, file }) => ({ repoId: repo.id, path: file.path })),
    };
    if (method === 'OPTIONS') {
      return {
        target,
        answer: () => ({
          status: 204,
          headers: {
            'Access-Control-Allow-Methods': ALLOWED_METHODS,
            'Access-Control-Allow-Headers': CDN_ALLOWED_HEADERS,
            'Access-Control-Max-Age': PREFLIGHT_MAX_AGE_SECONDS,
          },
          body: Buffer.alloc(0),
          fileOffset: 0,
        }),
      };
    }
    return { target, answer: () => this.cdnAnswer(req, url, method, blobs[0]) };
  }

  private cdnAnswer(req: IncomingMessage, url: URL, method: string, blob: CdnBlob | undefined): HubResponse {
    if (method !== 'GET' && method !== 'HEAD') return cdnError(405, 'MethodNotAllowed', 'Method not allowed');
    if (!blob) return cdnError(404, 'NoSuchKey', 'The specified key does not exist.');
    const expires = Number(url.searchParams.get('Expires'));
    const signature = url.searchParams.get('Signature') ?? '';
    if (!this.validSignature(url.pathname, url.searchParams.get('Expires') ?? '', signature)) {
      return cdnError(403, 'AccessDenied', 'Access denied');
    }
    if (!(expires * 1000 > Date.now())) return cdnError(403, 'AccessDenied', 'Request has expired');
    return bytesResponse(blob.file.content, req.headers.range, {
      'Content-Type': 'application/octet-stream',
      'Content-Disposition': url.searchParams.get('response-content-disposition') ?? contentDisposition('attachment', blob.file.path),
      ETag: `"${blob.file.sha256}"`,
      'Last-Modified': 'Thu, 01 Jan 2026 00:00:00 GMT',
    });
  }

  private presignedCdnUrl(repo: LoadedRepo, file: RepoFile): string {
    const path = cdnPath(repo, file);
    const expires = String(Math.floor(Date.now() / 1000) + (this.options.cdnUrlTtlSeconds ?? 3600));
    const query = new URLSearchParams({
      'response-content-disposition': contentDisposition('attachment', file.path),
      Expires: expires,
      Signature: this.sign(path, expires),
      'Key-Pair-Id': KEY_PAIR_ID,
    });
    return `${this.cdnUrl}${path}?${query}`;
  }

  private sign(path: string, expires: string): string {
    return createHmac('sha256', this.signingKey).update(`${path}\n${expires}`).digest('base64url');
  }

  private validSignature(path: string, expires: string, signature: string): boolean {
    const expected = Buffer.from(this.sign(path, expires));
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  private hubPreflight(): HubResponse {
    return {
      status: 204,
      headers: {
        'Access-Control-Allow-Methods': ALLOWED_METHODS,
        'Access-Control-Allow-Headers': HUB_ALLOWED_HEADERS,
        'Access-Control-Max-Age': PREFLIGHT_MAX_AGE_SECONDS,
      },
      body: Buffer.alloc(0),
      fileOffset: 0,
    };
  }

  private addCommonHeaders(served: ServedOrigin, req: IncomingMessage, response: HubResponse, requestId: string): void {
    const headers = response.headers;
    headers['X-Request-Id'] = requestId;
    // The app is cross-origin isolated (COEP require-corp); CORP keeps no-cors loads (e.g. <img>) working too.
    headers['Cross-Origin-Resource-Policy'] = 'cross-origin';
    // Chrome asks before a page reaches a loopback address from a less private one.
    if (req.method === 'OPTIONS' && req.headers['access-control-request-private-network'] === 'true') {
      headers['Access-Control-Allow-Private-Network'] = 'true';
    }
    if (served === 'cdn') {
      headers['Access-Control-Allow-Origin'] = '*';
      headers['Access-Control-Expose-Headers'] = CDN_EXPOSED_HEADERS;
      return;
    }
    headers.Vary = 'Origin';
    if (req.headers.origin) headers['Access-Control-Allow-Origin'] = req.headers.origin;
    headers['Access-Control-Expose-Headers'] = HUB_EXPOSED_HEADERS;
  }

  private async control(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const send = (response: HubResponse) => {
      response.headers['Cache-Control'] = 'no-store';
      response.headers['X-Request-Id'] = `control-${randomUUID()}`;
      response.headers.Vary = 'Origin';
      if (req.headers.origin) {
        response.headers['Access-Control-Allow-Origin'] = req.headers.origin;
        response.headers['Access-Control-Allow-Methods'] = 'GET, POST, DELETE, OPTIONS';
        response.headers['Access-Control-Allow-Headers'] = 'Content-Type';
      }
      res.writeHead(response.status, { ...response.headers, 'Content-Length': String(response.body.length) });
      res.end(response.body);
    };
    try {
      const body = req.method === 'POST' ? await readJson(req) : undefined;
      send(this.controlAnswer(req.method ?? 'GET', url.pathname.slice('/__control/'.length), body));
    } catch (error) {
      send(jsonResponse(400, { error: error instanceof Error ? error.message : String(error) }));
    }
  }

  private controlAnswer(method: string, path: string, body: unknown): HubResponse {
    const ok = (value: unknown = { ok: true }) => jsonResponse(200, value);
    const field = (name: string): string => {
      const value = (body as Record<string, unknown> | undefined)?.[name];
      if (typeof value !== 'string') throw new Error(`expected a string "${name}" in the JSON body`);
      return value;
    };
    const route = `${method} ${path}`;
    if (method === 'OPTIONS') return { status: 204, headers: {}, body: Buffer.alloc(0), fileOffset: 0 };
    if (route === 'GET requests') return ok(this.requests);
    if (route === 'DELETE requests') return ok(this.clearRequests());
    if (route === 'GET faults') return ok(this.listFaults());
    if (route === 'POST faults') {
      const inputs = (Array.isArray(body) ? body : [body]) as FaultRuleInput[];
      return ok(inputs.map((input) => this.addFault(input)));
    }
    if (route === 'DELETE faults') return ok(this.clearFaults());
    if (method === 'DELETE' && path.startsWith('faults/')) return ok({ removed: this.removeFault(path.slice(7)) });
    if (route === 'POST reset') return ok(this.reset());
    if (route === 'POST revoke') return ok(this.revokeToken(field('token')));
    if (route === 'POST accept') return ok(this.acceptTerms(field('user'), field('repo')));
    if (route === 'POST rate-limit') {
      const { count, origin } = body as { count?: number; origin?: ServedOrigin };
      return ok(this.setRateLimited(field('pathPrefix'), count ?? 1, origin));
    }
    if (route === 'GET info') return ok(this.info());
    return jsonResponse(404, { error: `no control endpoint ${route}` });
  }
}

function cdnPath(repo: LoadedRepo, file: RepoFile): string {
  const repoHash = sha256Hex(`model/${repo.id}`);
  return `/repos/${repoHash.slice(0, 2)}/${repoHash.slice(2, 4)}/${repoHash}/${file.sha256}`;
}

/** CloudFront/S3-style XML error. */
function cdnError(status: number, code: string, message: string): HubResponse {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  return { status, headers: { 'Content-Type': 'application/xml' }, body: Buffer.from(xml), fileOffset: 0 };
}

function faultResponse(fault: Extract<Fault, { kind: 'status' | 'html' }>): HubResponse {
  if (fault.kind === 'html') return htmlPage('Wi-Fi sign-in');
  const message = fault.message ?? (fault.status === 429 ? MESSAGES.rateLimited : MESSAGES.serverError);
  return errorResponse(fault.status, message, undefined, fault.status === 429 ? { 'Retry-After': '1' } : {});
}

/** Writes the answer, applying body faults: corrupt a byte, throttle, drop the connection, lie about the length. */
async function writeResponse(
  res: ServerResponse,
  response: HubResponse,
  isHead: boolean,
  bodyFaults: Fault[],
  signal: AbortSignal,
  onStatus: (status: number) => void,
): Promise<void> {
  const find = <K extends FaultKind>(kind: K) =>
    bodyFaults.find((fault): fault is Extract<Fault, { kind: K }> => fault.kind === kind);
  const corrupt = find('corrupt');
  const drop = find('drop');
  const wrongLength = find('wrongLength');
  const throttle = find('throttle');

  let body = response.body;
  if (corrupt) {
    body = Buffer.from(body);
    body[corrupt.offset - response.fileOffset] ^= 0xff;
  }
  const headers: Record<string, string> = { ...response.headers, 'Content-Length': String(body.length) };
  if (wrongLength) {
    headers['Content-Length'] = String(body.length + (wrongLength.extraBytes ?? 100));
    headers.Connection = 'close';
  }
  res.writeHead(response.status, headers);
  onStatus(response.status);
  if (isHead || body.length === 0) {
    res.end();
    return;
  }
  if (!drop && !wrongLength && !throttle) {
    res.end(body);
    return;
  }

  res.flushHeaders();
  const limit = drop ? drop.afterBytes : body.length;
  const chunkSize = throttle ? Math.max(1, Math.floor(throttle.bytesPerSecond / 20)) : 64 * 1024;
  try {
    for (let offset = 0; offset < limit; offset += chunkSize) {
      const chunk = body.subarray(offset, Math.min(limit, offset + chunkSize));
      if (!res.write(chunk)) await once(res, 'drain', { signal });
      if (throttle) await sleep((chunk.length / throttle.bytesPerSecond) * 1000, undefined, { signal });
    }
  } catch (error) {
    if (signal.aborted) return;
    throw error;
  }
  if (drop || wrongLength) {
    // Close once what was written is flushed: the client sees fewer bytes than Content-Length.
    const socket = res.socket;
    socket?.end(() => socket.destroy());
  } else {
    res.end();
  }
}

async function listen(server: Server, host: string, port: number): Promise<string> {
  server.listen(port, host);
  await once(server, 'listening');
  const address = server.address() as AddressInfo;
  const hostInUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${hostInUrl}:${address.port}`;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text.trim() === '' ? {} : JSON.parse(text);
}

function safeDecodePath(pathname: string): string {
  try {
    return decodeURIComponent(pathname);
  } catch {
    return pathname;
  }
}

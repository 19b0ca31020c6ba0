/**
 * Serves a production build with its own security headers (security-headers.json, as `vite preview`
 * does), plus folders mounted under extra URL prefixes (the bench models). Files are read once and
 * kept in memory, so the server's disk never shows up in a figure.
 *
 * `workerPrelude` is prepended to the diffusion worker's script: the benchmark uses it to force the
 * thread count the worker sees (`navigator.hardwareConcurrency`) without changing the app.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import type { AddressInfo } from 'node:net';
import { CONTENT_TYPES } from '../tests/e2e/static-server.ts';

const WORKER_SCRIPT = /^\/assets\/diffusion\.worker-[^/]+\.js$/;

export class BenchAppServer {
  /** JavaScript run at the top of the diffusion worker's script; '' for none. */
  workerPrelude = '';
  private readonly files = new Map<string, Promise<Buffer | null>>();
  private readonly headers: Record<string, string>;

  private constructor(
    private readonly server: Server,
    private readonly root: string,
    private readonly mounts: ReadonlyMap<string, string>,
    readonly url: string,
  ) {
    const headersFile = join(root, 'security-headers.json');
    this.headers = existsSync(headersFile) ? (JSON.parse(readFileSync(headersFile, 'utf8')) as Record<string, string>) : {};
  }

  /** `mounts`: URL prefix ('/bench-models/') → folder. */
  static async start(root: string, mounts: Record<string, string> = {}): Promise<BenchAppServer> {
    const holder: { instance?: BenchAppServer } = {};
    const server = createServer((req, res) => void holder.instance!.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    holder.instance = new BenchAppServer(server, root, new Map(Object.entries(mounts)), `http://localhost:${port}`);
    return holder.instance;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private fileFor(pathname: string): string {
    for (const [prefix, folder] of this.mounts) {
      if (pathname.startsWith(prefix)) return join(folder, pathname.slice(prefix.length));
    }
    return join(this.root, pathname);
  }

  private read(file: string): Promise<Buffer | null> {
    let cached = this.files.get(file);
    if (!cached) {
      cached = stat(file)
        .then((s) => (s.isFile() ? readFile(file) : null))
        .catch(() => null);
      this.files.set(file, cached);
    }
    return cached;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const [k, v] of Object.entries(this.headers)) res.setHeader(k, v);
    const pathname = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    let file = this.fileFor(pathname);
    let body = await this.read(file);
    if (!body) {
      file = join(this.root, 'index.html');
      body = await this.read(file);
    }
    if (!body) {
      res.statusCode = 404;
      res.end();
      return;
    }
    if (this.workerPrelude && WORKER_SCRIPT.test(pathname)) body = Buffer.concat([Buffer.from(`${this.workerPrelude}\n`), body]);
    res.setHeader('Content-Type', CONTENT_TYPES[extname(file)] ?? 'application/octet-stream');
    res.setHeader('Content-Length', String(body.length));
    // Every load is a real load: the figures compare loads, not the browser's HTTP cache.
    res.setHeader('Cache-Control', 'no-store');
    res.end(req.method === 'HEAD' ? undefined : body);
  }
}

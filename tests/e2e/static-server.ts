import { createServer, type Server } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import type { AddressInfo } from 'node:net';

/** Content types of the files a build holds. */
export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.onnx': 'application/octet-stream',
  '.txt': 'text/plain',
};

/**
 * A static server for a build folder with the build's own security headers, whose folder can be
 * swapped while it runs: the way a test "deploys" a new version of the app to the same origin.
 */
export class SwappableStaticServer {
  private constructor(
    private readonly server: Server,
    private root: string,
    readonly url: string,
  ) {}

  static async start(root: string): Promise<SwappableStaticServer> {
    const holder: { instance?: SwappableStaticServer } = {};
    const server = createServer((req, res) => void holder.instance!.handle(req.url ?? '/', res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    holder.instance = new SwappableStaticServer(server, root, `http://localhost:${port}`);
    return holder.instance;
  }

  deploy(root: string): void {
    this.root = root;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async handle(rawUrl: string, res: import('node:http').ServerResponse): Promise<void> {
    const headersFile = join(this.root, 'security-headers.json');
    const headers = existsSync(headersFile) ? (JSON.parse(readFileSync(headersFile, 'utf8')) as Record<string, string>) : {};
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    const path = normalize(decodeURIComponent(new URL(rawUrl, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    let file = join(this.root, path);
    if (!(await stat(file).catch(() => null))?.isFile()) file = join(this.root, 'index.html');
    res.setHeader('Content-Type', CONTENT_TYPES[extname(file)] ?? 'application/octet-stream');
    res.setHeader('Cache-Control', 'no-cache');
    res.end(await readFile(file));
  }
}

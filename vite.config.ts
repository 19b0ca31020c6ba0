import { defineConfig, loadEnv, type Plugin } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { resolveHubConfig, securityHeaders, type HubConfig } from './tools/hub-config.ts';

const HEADERS_FILE = 'security-headers.json';

/**
 * Serves every response with the app's security headers (COOP/COEP for WASM threads, the CSP derived
 * from the build-time hub origins). `vite preview` reads the headers written next to the build, so
 * a preview always enforces the CSP the bundle was built for, whatever the current environment says.
 */
function securityHeadersPlugin(hub: HubConfig, outDir: string): Plugin {
  const headers = securityHeaders(hub);
  const apply = (values: Record<string, string>) => (_req: unknown, res: { setHeader(k: string, v: string): void }, next: () => void) => {
    for (const [k, v] of Object.entries(values)) res.setHeader(k, v);
    next();
  };
  return {
    name: 'local-sd-security-headers',
    configureServer(server) {
      // Vite's dev client injects inline scripts, so dev gets isolation headers but no CSP.
      const { 'Content-Security-Policy': _csp, ...devHeaders } = headers;
      server.middlewares.use(apply(devHeaders));
    },
    configurePreviewServer(server) {
      const file = join(outDir, HEADERS_FILE);
      const built = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : headers;
      server.middlewares.use(apply(built));
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: HEADERS_FILE, source: JSON.stringify(headers, null, 2) });
      // The same headers for static hosts that read a _headers file (Netlify, Cloudflare Pages).
      const lines = Object.entries(headers).map(([k, v]) => `  ${k}: ${v}`);
      this.emitFile({ type: 'asset', fileName: '_headers', source: `/*\n${lines.join('\n')}\n` });
    },
  };
}

export default defineConfig(({ mode }) => {
  const env = { ...loadEnv(mode, process.cwd(), 'VITE_'), ...process.env };
  const hub = resolveHubConfig(env);
  const outDir = resolve(process.argv.includes('--outDir') ? process.argv[process.argv.indexOf('--outDir') + 1]! : 'dist');
  return {
    define: { __HUB_CONFIG__: JSON.stringify(hub) },
    build: {
      target: 'es2022',
      sourcemap: true,
      outDir,
      // pipeline-test.html: the e2e tests' page for driving the diffusion worker directly.
      rolldownOptions: { input: { main: resolve('index.html'), 'pipeline-test': resolve('pipeline-test.html') } },
    },
    worker: { format: 'es' },
    optimizeDeps: { exclude: ['onnxruntime-web'] },
    server: { port: 5173 },
    preview: { port: Number(process.env.PORT ?? 4173), strictPort: true, host: 'localhost' },
    plugins: [
      securityHeadersPlugin(hub, outDir),
      VitePWA({
        strategies: 'injectManifest',
        srcDir: 'src',
        filename: 'sw.ts',
        injectRegister: false,
        registerType: 'prompt',
        manifest: {
          id: '/',
          name: 'Local SD — Stable Diffusion on your device',
          short_name: 'Local SD',
          description: 'Generate images with Stable Diffusion privately and offline, on your own GPU or CPU.',
          start_url: '/',
          scope: '/',
          display: 'standalone',
          background_color: '#111318',
          theme_color: '#1f2430',
          icons: [
            { src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
            { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
            { src: 'icons/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
          ],
        },
        injectManifest: {
          // The shell, ORT's WebGPU/WASM runtime and the bundled demo model: everything the app needs
          // offline after one visit. Downloaded models live in their own caches, never in the precache.
          globPatterns: ['**/*.{js,mjs,css,html,svg,png,webmanifest,wasm}', 'models/oracle-shapes/**/*'],
          globIgnores: ['**/*.map', 'models/oracle-shapes-vpred/**', '_headers', HEADERS_FILE],
          maximumFileSizeToCacheInBytes: 64 * 1024 * 1024,
        },
        devOptions: { enabled: false },
      }),
    ],
  };
});

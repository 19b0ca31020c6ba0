/**
 * `npm run hub`: the fake hub with the demo fixture on fixed ports, until Ctrl+C.
 * Env: HUB_PORT (8790), CDN_PORT (8791), HUB_HOST (127.0.0.1), HUB_MODEL_DIR (public/models/oracle-shapes/).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createDemoFixture, DEMO_MODEL_DIR } from './fixtures.ts';
import { startFakeHub } from './server.ts';

function port(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new Error(`${name} must be a port number, got "${raw}"`);
  return value;
}

const modelDir = process.env.HUB_MODEL_DIR ? resolve(process.env.HUB_MODEL_DIR) : DEMO_MODEL_DIR;
const hub = await startFakeHub({
  fixture: createDemoFixture({ modelDir }),
  host: process.env.HUB_HOST || '127.0.0.1',
  hubPort: port('HUB_PORT', 8790),
  cdnPort: port('CDN_PORT', 8791),
});

const info = hub.info();
console.log(`Fake Hugging Face hub
  hub: ${hub.hubUrl}   (control API: ${hub.hubUrl}/__control/info)
  cdn: ${hub.cdnUrl}
  model files: ${existsSync(modelDir) ? modelDir : 'generated placeholders (build the oracle model to serve it)'}

Users and tokens (fake, for local tests only):`);
for (const user of info.users) {
  for (const token of user.tokens) console.log(`  ${user.name.padEnd(8)} ${token.role.padEnd(12)} ${token.value}`);
}
console.log('\nRepos:');
for (const repo of info.repos) {
  const access = repo.private ? 'private' : repo.gated ? `gated (${repo.gated})` : 'public';
  console.log(`  ${repo.id.padEnd(32)} ${access.padEnd(16)} ${repo.files.length} files`);
}
console.log('\nBuild the app against it with VITE_HF_ENDPOINT=' + hub.hubUrl + ' VITE_HF_CDN_ORIGINS=' + hub.cdnUrl);
console.log('Ctrl+C to stop.');

const stop = () => {
  void hub.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

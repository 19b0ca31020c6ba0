/**
 * Smoke run of `npm run bench` (bench/run.ts) on its tiniest configuration, the Shapes oracle, one
 * repetition: every stage runs (its own production build, Chromium, onnxruntime-node, the fake hub,
 * a download through the Models tab, the offline cache, WebGPU on SwiftShader) and the report is
 * written. It proves the harness works; no figure's value is judged, only that it was measured.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { runBench, writeReport } from '../../bench/run.ts';
import { E2E_HUB_PORT } from './browser.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');

// Playwright reads fixture dependencies from the destructuring pattern, so it must be present.
// eslint-disable-next-line no-empty-pattern
test('the benchmark harness runs every stage on the oracle and writes its JSON and Markdown report', async ({}, testInfo) => {
  test.setTimeout(300_000);
  // Ports of its own (the e2e hub's + 10), so it never meets the suite's fake hub.
  const hubPort = E2E_HUB_PORT + 10;
  const lines: string[] = [];
  const report = await runBench({
    config: 'oracle',
    repetitions: 1,
    skipBuild: false,
    outDir: testInfo.outputPath('bench'),
    distDir: join(ROOT, 'build', `bench-smoke-dist-${hubPort}`),
    hubPort,
    cdnPort: hubPort + 1,
    chromiumArgs: [],
    gpu: false,
    log: (line) => lines.push(line),
  });
  const written = writeReport(report, testInfo.outputPath('bench'), 'smoke');

  expect(report.figures.map((f) => f.id)).toEqual([1, 2, 3, 4, 5, 5.1, 6, 7, 8]);
  const unmeasured = report.figures.filter((f) => f.value === null || !Number.isFinite(f.value));
  // Figure 2 needs more than one core to compare against; everything else must have a number.
  const allowed = report.machine.cpus > 1 ? [] : [2];
  expect(
    unmeasured.filter((f) => !allowed.includes(f.id)).map((f) => `${f.id} ${f.name}: ${f.notes.join(' ')}`),
    lines.join('\n'),
  ).toEqual([]);
  for (const f of report.figures) expect(['pass', 'miss', 'not measured']).toContain(f.verdict);
  // The stages measured what they claim: real runs, real bytes.
  const byId = new Map(report.figures.map((f) => [f.id, f]));
  expect(byId.get(1)!.measurements).toMatchObject({ medianSessionRunMs: expect.any(Number) as unknown });
  expect(byId.get(5)!.measurements['bytes']).toBeGreaterThan(1_000_000);
  expect(byId.get(6)!.measurements).toMatchObject({ backend: 'webgpu', readbacks: expect.any(Number) as unknown });
  // Six ORT option trials and a control with the app's own options, each in its own page.
  const trials = byId.get(3)!.measurements['browserTrials'] as { label: string; stepMs: number }[];
  expect(trials.map((t) => t.label)).toContain("the app's options (control)");
  expect(trials).toHaveLength(7);
  for (const trial of trials) expect(trial.stepMs).toBeGreaterThan(0);
  expect(byId.get(5)!.measurements['sha256MBps']).toBeGreaterThan(0);
  expect(byId.get(4)!.measurements).toMatchObject({ medianFirstSessionMs: expect.any(Number) as unknown });

  const markdown = readFileSync(written.markdown, 'utf8');
  expect(markdown).toContain('| # | Figure | Ratio | Goal | Result | Definition |');
  for (const f of report.figures) expect(markdown).toContain(`| ${f.id} | ${f.name} |`);
  expect(JSON.parse(readFileSync(written.json, 'utf8'))).toMatchObject({ config: 'oracle', repetitions: 1 });
});

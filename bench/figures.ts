/**
 * The benchmark's figures: each is a ratio of two things measured in the same run, with its goal,
 * whether it was met, the raw measurements behind it and what was tried. Plain data, written to
 * bench/results/latest.json and rendered as a Markdown table.
 */

export type Comparison = 'at-most' | 'at-least' | 'equal';

export interface Goal {
  readonly comparison: Comparison;
  readonly value: number;
  /** How the goal reads in the table ("≤ 1.05"). */
  readonly text: string;
}

export type Verdict = 'pass' | 'miss' | 'not measured';

export interface Figure {
  readonly id: number;
  readonly name: string;
  /** What the ratio divides, in words. */
  readonly definition: string;
  /** null when it could not be measured (then `notes` says why). */
  readonly value: number | null;
  readonly unit: string;
  readonly goal: Goal;
  readonly verdict: Verdict;
  /** Raw numbers behind the ratio (milliseconds, bytes, counts), for the JSON. */
  readonly measurements: Readonly<Record<string, unknown>>;
  /** What else was tried, caveats, and why it is not measured. */
  readonly notes: readonly string[];
}

export const atMost = (value: number, text = `≤ ${value}`): Goal => ({ comparison: 'at-most', value, text });
export const atLeast = (value: number, text = `≥ ${value}`): Goal => ({ comparison: 'at-least', value, text });
export const exactly = (value: number, text = `= ${value}`): Goal => ({ comparison: 'equal', value, text });

export function verdictOf(value: number | null, goal: Goal): Verdict {
  if (value === null || !Number.isFinite(value)) return 'not measured';
  const met = goal.comparison === 'at-most' ? value <= goal.value : goal.comparison === 'at-least' ? value >= goal.value : value === goal.value;
  return met ? 'pass' : 'miss';
}

export function figure(fields: Omit<Figure, 'verdict'>): Figure {
  return { ...fields, verdict: verdictOf(fields.value, fields.goal) };
}

/** Median of the samples (mean of the middle two for an even count); NaN for none. */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function round(value: number, digits = 3): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

export interface BenchReport {
  readonly date: string;
  readonly machine: MachineInfo;
  readonly config: string;
  readonly repetitions: number;
  readonly durationS: number;
  readonly figures: readonly Figure[];
}

export interface MachineInfo {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly gpu: string;
  readonly node: string;
  readonly chromium: string;
}

function formatValue(f: Figure): string {
  if (f.value === null) return '—';
  const digits = Math.abs(f.value) >= 100 ? 0 : Math.abs(f.value) >= 10 ? 1 : 2;
  return `${f.value.toFixed(digits)}${f.unit ? ` ${f.unit}` : ''}`;
}

const VERDICT_MARK: Readonly<Record<Verdict, string>> = { pass: '✅ pass', miss: '❌ miss', 'not measured': '⚪ not measured' };

/** The table and the notes, as Markdown. */
export function markdownReport(report: BenchReport): string {
  const m = report.machine;
  const lines = [
    `# Benchmark results`,
    '',
    `- Date: ${report.date}`,
    `- Machine: ${m.cpus} CPU cores (${m.cpuModel}), ${m.memoryGiB} GiB RAM, GPU: ${m.gpu}`,
    `- Node ${m.node}, Chromium ${m.chromium}; bench model config \`${report.config}\`, medians of ${report.repetitions} repetitions; whole run ${report.durationS.toFixed(0)} s`,
    '',
    '| # | Figure | Ratio | Goal | Result | Definition |',
    '|---|--------|------:|------|--------|------------|',
    ...report.figures.map((f) => `| ${f.id} | ${f.name} | ${formatValue(f)} | ${f.goal.text} | ${VERDICT_MARK[f.verdict]} | ${f.definition} |`),
    '',
    '## Notes (what was tried, caveats)',
    '',
  ];
  for (const f of report.figures) {
    if (f.notes.length === 0) continue;
    lines.push(`**${f.id}. ${f.name}**`, '', ...f.notes.map((n) => `- ${n}`), '');
  }
  return `${lines.join('\n')}\n`;
}

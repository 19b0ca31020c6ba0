/**
 * Resident memory of Chromium's renderer processes (the page and its dedicated workers live there,
 * WASM heaps and ArrayBuffers included), read from /proc while something runs. JS-heap figures from
 * the page miss WASM memory and buffers; the process's resident set does not.
 */
import { readFileSync, readdirSync } from 'node:fs';

interface ProcessEntry {
  readonly pid: number;
  readonly parent: number;
}

function processes(): ProcessEntry[] {
  const found: ProcessEntry[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      found.push({ pid: Number(name), parent: Number(fields[1]) });
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

function descendants(root: number): number[] {
  const all = processes();
  const result: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    for (const child of all.filter((p) => p.parent === pid)) {
      result.push(child.pid);
      queue.push(child.pid);
    }
  }
  return result;
}

function isRenderer(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=renderer');
  } catch {
    return false;
  }
}

function residentBytes(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Σ resident bytes of the browser's renderer processes now; null where /proc is not there. */
export function rendererResidentBytes(browserPid: number): number | null {
  try {
    return descendants(browserPid)
      .filter(isRenderer)
      .reduce((sum, pid) => sum + residentBytes(pid), 0);
  } catch {
    return null;
  }
}

/** Samples {@link rendererResidentBytes} every `intervalMs` until stopped; reports the peak. */
export class PeakMemorySampler {
  private peak = 0;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly browserPid: number,
    intervalMs = 100,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    // A sampler left running after a failure must not keep the process alive.
    this.timer.unref();
  }

  private sample(): void {
    this.peak = Math.max(this.peak, rendererResidentBytes(this.browserPid) ?? 0);
  }

  /** Stops sampling and returns the highest value seen (one last sample included). */
  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.peak;
  }
}

/**
 * The renderers' resident bytes once they stop shrinking (a terminated worker's heap is returned to
 * the system shortly after `terminate()`): reads every 100 ms until two readings are within 2 MB,
 * for at most `maxMs`.
 */
export async function settledRendererBytes(browserPid: number, maxMs = 3000): Promise<number | null> {
  let last = rendererResidentBytes(browserPid);
  const deadline = performance.now() + maxMs;
  while (last !== null && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = rendererResidentBytes(browserPid);
    if (now === null || Math.abs(now - last) < 2 * 1024 * 1024) return now;
    last = now;
  }
  return last;
}

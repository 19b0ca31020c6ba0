/**
 * Download progress in bytes: per file and in total, with speed and time left. Rules (checked by
 * tests): the total is fixed at the start, the percentage never decreases, and it reaches 100 only
 * when every byte has arrived.
 */

export interface FileProgress {
  key: string;
  path: string;
  size: number;
  bytesDone: number;
  state: 'pending' | 'downloading' | 'verifying' | 'done';
}

export interface DownloadProgress {
  files: FileProgress[];
  bytesDone: number;
  bytesTotal: number;
  /** 0–100, integer, never decreasing within one download. */
  percent: number;
  /** Over the last few seconds; null until there is enough to say. */
  bytesPerSecond: number | null;
  secondsLeft: number | null;
}

/** Speed is averaged over this window, so one slow chunk does not swing the estimate. */
const SPEED_WINDOW_MS = 5_000;

export class ProgressTracker {
  private readonly files = new Map<string, FileProgress>();
  private readonly samples: { at: number; transferred: number }[] = [];
  private transferred = 0;
  private highestPercent = 0;

  constructor(
    files: readonly { key: string; path: string; size: number; stored: number; complete: boolean }[],
    private readonly now: () => number = () => performance.now(),
  ) {
    for (const file of files) {
      this.files.set(file.key, {
        key: file.key,
        path: file.path,
        size: file.size,
        bytesDone: file.complete ? file.size : Math.min(file.stored, file.size),
        state: file.complete ? 'done' : 'pending',
      });
    }
    this.samples.push({ at: this.now(), transferred: 0 });
  }

  /** Bytes that arrived over the network for `key`. */
  advance(key: string, bytes: number): void {
    const file = this.file(key);
    file.state = 'downloading';
    file.bytesDone = Math.min(file.size, file.bytesDone + bytes);
    this.transferred += bytes;
    const at = this.now();
    this.samples.push({ at, transferred: this.transferred });
    while (this.samples.length > 2 && this.samples[0]!.at < at - SPEED_WINDOW_MS) this.samples.shift();
  }

  /** The file's stored bytes after a restart (a discarded file goes back to 0 here). */
  setStored(key: string, bytes: number): void {
    const file = this.file(key);
    file.bytesDone = Math.min(file.size, bytes);
  }

  setState(key: string, state: FileProgress['state']): void {
    const file = this.file(key);
    file.state = state;
    if (state === 'done') file.bytesDone = file.size;
  }

  snapshot(): DownloadProgress {
    const files = [...this.files.values()].map((file) => ({ ...file }));
    const bytesTotal = files.reduce((sum, file) => sum + file.size, 0);
    const bytesDone = files.reduce((sum, file) => sum + file.bytesDone, 0);
    const exact = bytesTotal === 0 ? 100 : Math.floor((bytesDone / bytesTotal) * 100);
    // A file refetched after a failed check counts its bytes again; the bar waits rather than jumps back.
    this.highestPercent = Math.max(this.highestPercent, exact);
    const first = this.samples[0]!;
    const last = this.samples[this.samples.length - 1]!;
    const elapsed = last.at - first.at;
    const bytesPerSecond = elapsed >= 250 ? ((last.transferred - first.transferred) / elapsed) * 1000 : null;
    const remaining = bytesTotal - bytesDone;
    const secondsLeft = remaining === 0 ? 0 : bytesPerSecond ? remaining / bytesPerSecond : null;
    return { files, bytesDone, bytesTotal, percent: this.highestPercent, bytesPerSecond, secondsLeft };
  }

  private file(key: string): FileProgress {
    const file = this.files.get(key);
    if (!file) throw new Error(`unknown file ${key}`);
    return file;
  }
}

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB'];

/** Decimal units, as hubs and disks count: 2.5 GB = 2,500,000,000 bytes. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '?';
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

export function formatSpeed(bytesPerSecond: number | null): string {
  return bytesPerSecond === null ? '– /s' : `${formatBytes(bytesPerSecond)}/s`;
}

export function formatTimeLeft(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return 'time left unknown';
  if (seconds < 1) return 'less than a second left';
  if (seconds < 60) return `${Math.ceil(seconds)} s left`;
  if (seconds < 3600) return `${Math.ceil(seconds / 60)} min left`;
  const hours = Math.floor(seconds / 3600);
  return `${hours} h ${Math.ceil((seconds - hours * 3600) / 60)} min left`;
}

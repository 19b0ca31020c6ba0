import { describe, expect, it } from 'vitest';
import { ProgressTracker, formatBytes, formatSpeed, formatTimeLeft } from '../../src/downloads/progress.ts';

describe('download progress', () => {
  it('counts stored bytes, measures speed over time and estimates the time left', () => {
    let now = 0;
    const tracker = new ProgressTracker(
      [
        { key: 'a', path: 'unet/model.onnx', size: 1_000_000, stored: 200_000, complete: false },
        { key: 'b', path: 'vocab.json', size: 1_000_000, stored: 1_000_000, complete: true },
      ],
      () => now,
    );
    expect(tracker.snapshot()).toMatchObject({ bytesDone: 1_200_000, bytesTotal: 2_000_000, percent: 60, bytesPerSecond: null });
    now = 1_000;
    tracker.advance('a', 400_000);
    const snapshot = tracker.snapshot();
    expect(snapshot.bytesPerSecond).toBe(400_000);
    expect(snapshot.secondsLeft).toBe(1);
    expect(snapshot.files[0]).toMatchObject({ state: 'downloading', bytesDone: 600_000 });
  });

  it('never lets the percentage go back, and reaches 100 only when every byte is there', () => {
    const tracker = new ProgressTracker([{ key: 'a', path: 'x', size: 100, stored: 0, complete: false }], () => 0);
    tracker.advance('a', 99);
    expect(tracker.snapshot().percent).toBe(99);
    // A failed verification discards the file: the bar holds instead of jumping back.
    tracker.setStored('a', 0);
    expect(tracker.snapshot().percent).toBe(99);
    tracker.advance('a', 100);
    expect(tracker.snapshot().percent).toBe(100);
  });

  it('formats sizes, speeds and durations for people', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(2_500_000_000)).toBe('2.50 GB');
    expect(formatBytes(95_000_000)).toBe('95.0 MB');
    expect(formatBytes(649_000_000)).toBe('649 MB');
    expect(formatSpeed(1_234_567)).toBe('1.23 MB/s');
    expect(formatSpeed(null)).toBe('– /s');
    expect(formatTimeLeft(0.2)).toBe('less than a second left');
    expect(formatTimeLeft(42.1)).toBe('43 s left');
    expect(formatTimeLeft(600)).toBe('10 min left');
    expect(formatTimeLeft(3 * 3600 + 125)).toBe('3 h 3 min left');
    expect(formatTimeLeft(null)).toBe('time left unknown');
  });
});

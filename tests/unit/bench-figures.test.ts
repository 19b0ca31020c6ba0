import { describe, expect, it } from 'vitest';
import { median, verdictOf, atMost, atLeast } from '../../bench/figures.ts';
import { parseBenchArgs } from '../../bench/run.ts';

// The benchmark's own logic (medians, goals, arguments). The harness run itself is `npm run bench`.

describe('bench figures', () => {
  it('takes medians and judges ratios against their goals', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(verdictOf(1.04, atMost(1.05))).toBe('pass');
    expect(verdictOf(1.2, atMost(1.05))).toBe('miss');
    expect(verdictOf(1.9, atLeast(1.7))).toBe('pass');
    expect(verdictOf(null, atLeast(1.7))).toBe('not measured');
  });

  it('reads its command line, refusing unknown configs', () => {
    const quick = parseBenchArgs(['--config', 'oracle', '--quick']);
    expect(quick).toMatchObject({ config: 'oracle', repetitions: 1 });
    expect(parseBenchArgs([]).repetitions).toBeGreaterThanOrEqual(5);
    expect(() => parseBenchArgs(['--config', 'huge'])).toThrow(/oracle, small or full/);
  });
});

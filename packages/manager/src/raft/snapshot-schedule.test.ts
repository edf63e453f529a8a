import { describe, expect, it } from 'vitest';
import { nextSnapshotIndex } from './replica';

describe('when each manager takes its next snapshot', () => {
  it('voter 0, a learner and a lone manager: at each multiple of the interval', () => {
    expect(nextSnapshotIndex(0, 10_000, 0, 3)).toBe(10_000);
    // Taken a little late: the next one is back on the multiple, so lateness never adds up
    // and voter 0 never drifts into another voter's phase.
    expect(nextSnapshotIndex(10_021, 10_000, 0, 3)).toBe(20_000);
    expect(nextSnapshotIndex(0, 10_000, -1, 3)).toBe(10_000);
    expect(nextSnapshotIndex(500, 10_000, 0, 1)).toBe(10_000);
  });

  it('voter k of n at k/n of the interval, so no two managers encode at once', () => {
    // Three managers from an empty log: 10,000, 13,333 and 6,666, then every 10,000 each.
    expect(nextSnapshotIndex(0, 10_000, 1, 3)).toBe(13_333);
    expect(nextSnapshotIndex(0, 10_000, 2, 3)).toBe(6_666);
    expect(nextSnapshotIndex(13_333, 10_000, 1, 3)).toBe(23_333);
    expect(nextSnapshotIndex(6_690, 10_000, 2, 3)).toBe(16_666); // taken a little late: back on its phase
    expect(nextSnapshotIndex(16_666, 10_000, 2, 3)).toBe(26_666);
    // Five managers: phases 0, 2,000, 4,000, 6,000, 8,000.
    expect([1, 2, 3, 4].map((rank) => nextSnapshotIndex(20_000, 10_000, rank, 5))).toEqual([32_000, 34_000, 26_000, 28_000]);
  });

  it('never sooner than half an interval after the last snapshot, never later than one and a half', () => {
    for (const last of [0, 1, 4_999, 5_000, 12_345, 99_999]) {
      for (const [rank, n] of [[0, 3], [1, 3], [2, 3], [1, 2], [3, 7]] as const) {
        const next = nextSnapshotIndex(last, 10_000, rank, n);
        expect(next - last).toBeGreaterThanOrEqual(5_000);
        expect(next - last).toBeLessThanOrEqual(15_000);
        expect(next % 10_000).toBe(Math.floor((rank * 10_000) / n));
      }
    }
    // A tiny interval (tests use 20): the same rules.
    expect(nextSnapshotIndex(40, 20, 1, 3)).toBe(66);
  });
});

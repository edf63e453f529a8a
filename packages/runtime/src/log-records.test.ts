import { describe, expect, it } from 'vitest';
import { dateToLogTime, formatLogTime, LogClock, logFilter, selectExisting } from './log-records';
import type { LogRecord } from './types';

describe('log times', () => {
  it('formats RFC 3339 with nine fractional digits', () => {
    expect(formatLogTime(1_700_000_000_123_456_789n)).toBe('2023-11-14T22:13:20.123456789Z');
    expect(dateToLogTime(new Date('2024-01-01T00:00:00.5Z'))).toBe('2024-01-01T00:00:00.500000000Z');
  });

  it('never goes backwards', () => {
    const clock = new LogClock();
    const times = Array.from({ length: 50 }, () => clock.now());
    expect([...times].sort()).toEqual(times);
    expect(new Set(times).size).toBe(50);
  });
});

describe('selectExisting', () => {
  const rs: LogRecord[] = ['a', 'b', 'c', 'd'].map((line, i) => ({
    line,
    stream: i % 2 ? 'stderr' : 'stdout',
    time: dateToLogTime(new Date(Date.UTC(2024, 0, 1, 0, 0, i))),
  }));
  const pick = (opts: Parameters<typeof logFilter>[0]): string[] =>
    selectExisting(rs, opts, logFilter(opts)).map((r) => r.line);

  it('filters by stream, then since, then takes the tail', () => {
    expect(pick({})).toEqual(['a', 'b', 'c', 'd']);
    expect(pick({ stderr: false })).toEqual(['a', 'c']);
    expect(pick({ since: new Date(Date.UTC(2024, 0, 1, 0, 0, 1)) })).toEqual(['b', 'c', 'd']);
    expect(pick({ tail: 1, stdout: false })).toEqual(['d']);
    expect(pick({ tail: 0 })).toEqual([]);
  });

  it('rejects asking for no stream, or a bad tail', () => {
    expect(() => logFilter({ stdout: false, stderr: false })).toThrow('you must choose at least one stream');
    expect(() => logFilter({ tail: -1 })).toThrow(/tail/);
  });
});

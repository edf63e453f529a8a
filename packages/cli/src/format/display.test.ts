import { describe, expect, it } from 'vitest';
import { bytesSize, capitalizeFirst, goTimeString, humanDuration, prettyPrint } from './display';
import { formatGoDuration, parseGoDuration } from './go-duration';

describe('display helpers', () => {
  it('capitalises like docker', () => {
    expect(prettyPrint('ready')).toBe('Ready');
    expect(prettyPrint('')).toBe('');
    expect(prettyPrint(undefined)).toBe('None');
    expect(capitalizeFirst('UNKNOWN')).toBe('Unknown');
  });

  it('formats sizes with go-units', () => {
    expect(bytesSize(20 * 1024 * 1024)).toBe('20MiB');
    expect(bytesSize(2096058368)).toBe('1.952GiB');
    expect(bytesSize(512)).toBe('512B');
  });

  it('humanises durations', () => {
    expect(humanDuration(5e9)).toBe('5 seconds');
    expect(humanDuration(7776000e9)).toBe('3 months');
    expect(humanDuration(3600e9)).toBe('About an hour');
  });

  it('prints times as Go does', () => {
    expect(goTimeString('2009-11-10T23:00:00Z')).toBe('2009-11-10 23:00:00 +0000 UTC');
    expect(goTimeString('2016-08-18T10:44:24.496525530Z')).toBe('2016-08-18 10:44:24.49652553 +0000 UTC');
    expect(goTimeString('2016-08-18T10:44:24+02:00')).toBe('2016-08-18 10:44:24 +0200 +0200');
  });
});

describe('Go durations', () => {
  it('parses', () => {
    expect(parseGoDuration('5s')).toBe(5e9);
    expect(parseGoDuration('1h30m')).toBe(5400e9);
    expect(parseGoDuration('1.5ms')).toBe(1.5e6);
    expect(parseGoDuration('0')).toBe(0);
    expect(() => parseGoDuration('5')).toThrow('time: missing unit in duration "5"');
    expect(() => parseGoDuration('5d')).toThrow('time: unknown unit "d" in duration "5d"');
    expect(() => parseGoDuration('x')).toThrow('time: invalid duration "x"');
  });

  it('formats', () => {
    expect(formatGoDuration(7776000e9)).toBe('2160h0m0s');
    expect(formatGoDuration(5e9)).toBe('5s');
    expect(formatGoDuration(1.5e6)).toBe('1.5ms');
    expect(formatGoDuration(90e9)).toBe('1m30s');
  });
});

import { describe, expect, it } from 'vitest';
import { parseUntil } from './filters';

describe('parseUntil', () => {
  const now = Date.parse('2030-01-02T00:00:00.000Z');

  it('reads Unix timestamps, RFC 3339 dates and Go durations back from now', () => {
    expect(parseUntil('1893456000', now)).toBe('2030-01-01T00:00:00.000Z');
    expect(parseUntil('1893456000.5', now)).toBe('2030-01-01T00:00:00.500Z');
    expect(parseUntil('2029-12-31T12:00:00Z', now)).toBe('2029-12-31T12:00:00.000Z');
    expect(parseUntil('24h', now)).toBe('2030-01-01T00:00:00.000Z');
    expect(parseUntil('1h30m', now)).toBe('2030-01-01T22:30:00.000Z');
  });

  it("refuses anything else with Docker's words", () => {
    expect(() => parseUntil('bogus', now)).toThrow('failed to parse value as time or duration: "bogus"');
    expect(() => parseUntil('10x', now)).toThrow('failed to parse value as time or duration: "10x"');
  });
});

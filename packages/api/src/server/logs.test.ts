import { describe, expect, it } from 'vitest';
import { parseLogRequest, sinceTime } from './logs';

describe('service logs: since', () => {
  it("reads the docker CLI's <seconds>.<nanoseconds>, whole seconds and RFC 3339", () => {
    expect(sinceTime('1795760064.674000000')).toBe('2026-11-27T06:14:24.674Z');
    expect(sinceTime('1795760064.5')).toBe('2026-11-27T06:14:24.500Z');
    expect(sinceTime('1795760064')).toBe('2026-11-27T06:14:24.000Z');
    expect(sinceTime('2026-11-27T06:14:24.674Z')).toBe('2026-11-27T06:14:24.674Z');
  });

  it('means no bound when absent, empty or 0, and refuses anything else', () => {
    expect(sinceTime(null)).toBeUndefined();
    expect(sinceTime('')).toBeUndefined();
    expect(sinceTime('0')).toBeUndefined();
    expect(() => sinceTime('yesterday')).toThrow('invalid value for "since"');
    expect(parseLogRequest('service', 'web', new URLSearchParams('since=1795760064.000000000&stdout=1')).since).toBe('2026-11-27T06:14:24.000Z');
  });
});

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

describe('service logs: tail', () => {
  const tail = (v: string) => parseLogRequest('service', 'web', new URLSearchParams(`tail=${encodeURIComponent(v)}&stdout=1`)).tail;

  it('takes "all", nothing, or a count', () => {
    expect(parseLogRequest('service', 'web', new URLSearchParams('stdout=1')).tail).toBe('all');
    expect(tail('all')).toBe('all');
    expect(tail('')).toBe('all');
    expect(tail('0')).toBe(0);
    expect(tail('25')).toBe(25);
    expect(tail('+3')).toBe(3);
  });

  it("refuses anything else with moby's texts", () => {
    for (const bad of ['abc', '1.5', '1e3', ' 5', '5x']) expect(() => tail(bad)).toThrow('tail value must be a positive integer or "all"');
    expect(() => tail('-1')).toThrow('negative tail values not supported');
  });
});

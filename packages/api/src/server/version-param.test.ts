import { describe, expect, it } from 'vitest';
import { versionParam } from './version-param';

const v = (query: string, object: 'swarm' | 'node' | 'service' = 'service') => versionParam(new URLSearchParams(query), object);

describe('the version parameter of update calls', () => {
  it('reads an unsigned integer', () => {
    expect(v('version=0')).toBe(0);
    expect(v('version=1234', 'node')).toBe(1234);
  });

  it("refuses anything else with moby's text", () => {
    expect(() => v('')).toThrow(`invalid service version '': strconv.ParseUint: parsing "": invalid syntax`);
    expect(() => v('version=abc', 'node')).toThrow(`invalid node version 'abc': strconv.ParseUint: parsing "abc": invalid syntax`);
    expect(() => v('version=-1', 'swarm')).toThrow(`invalid swarm version '-1': strconv.ParseUint: parsing "-1": invalid syntax`);
    expect(() => v('version=1.5')).toThrow('invalid syntax');
    expect(() => v('version=99999999999999999999')).toThrow(`parsing "99999999999999999999": value out of range`);
  });
});

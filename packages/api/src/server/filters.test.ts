import { describe, expect, it } from 'vitest';
import { labelsMatchAll, type NodeObject } from '@shoal/store';
import { filterNodes, parseUntil } from './filters';

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

describe('label filters', () => {
  const labels = { zone: 'east', disk: 'ssd', empty: '' };

  it("swarmkit's (services, tasks, nodes): every key as one map, the last value of a key winning, `k=` asking only for k", () => {
    expect(labelsMatchAll(labels, [])).toBe(true);
    expect(labelsMatchAll(labels, ['zone', 'disk=ssd'])).toBe(true);
    expect(labelsMatchAll(labels, ['zone', 'nosuch'])).toBe(false); // all of them, not any
    expect(labelsMatchAll(labels, ['zone=west', 'zone=east'])).toBe(true); // the last value of zone
    expect(labelsMatchAll(labels, ['zone=east', 'zone=west'])).toBe(false);
    expect(labelsMatchAll(labels, ['disk='])).toBe(true);
    expect(labelsMatchAll({}, ['zone'])).toBe(false);
  });

  it('node ls: node.label filters must all match; engine labels match no Shoal node', () => {
    const node = (id: string, l: Record<string, string>) => ({ id, spec: { name: id, role: 'worker', labels: l }, description: { hostname: id } }) as unknown as NodeObject;
    const nodes = [node('a', { zone: 'east' }), node('b', { zone: 'east', disk: 'ssd' })];
    const ids = (f: Record<string, string[]>) => filterNodes(nodes, new Map(Object.entries(f))).map((n) => n.id);
    expect(ids({ 'node.label': ['zone=east', 'disk'] })).toEqual(['b']);
    expect(ids({ 'node.label': ['zone'] })).toEqual(['a', 'b']);
    expect(ids({ label: ['x'] })).toEqual([]);
  });
});

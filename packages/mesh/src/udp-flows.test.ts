import { describe, expect, it } from 'vitest';
import { UdpFlowTable } from './udp-flows';

function setup(idleTimeoutMs = 30_000, maxFlows = 100): { table: UdpFlowTable<string>; clock: { t: number; now(): number } } {
  const clock = { t: 0, now: () => clock.t };
  return { table: new UdpFlowTable<string>({ clock, idleTimeoutMs, maxFlows }), clock };
}

describe('UdpFlowTable', () => {
  it('expires a flow after the idle timeout, counted from its last datagram either way', () => {
    const { table, clock } = setup(30_000);
    table.add('a', 'flow-a');
    clock.t = 10_000;
    table.add('b', 'flow-b');
    expect(table.nextExpiry()).toBe(30_000);
    clock.t = 25_000;
    expect(table.touch('a')).toBe('flow-a'); // a datagram: a lives on
    expect(table.nextExpiry()).toBe(40_000); // b is now the least recently active
    clock.t = 39_999;
    expect(table.expire()).toEqual([]);
    clock.t = 40_000;
    expect(table.expire()).toEqual(['flow-b']);
    expect(table.get('b')).toBeUndefined();
    clock.t = 55_000;
    expect(table.expire()).toEqual(['flow-a']);
    expect(table.size).toBe(0);
    expect(table.nextExpiry()).toBeUndefined();
  });

  it('expires many flows at once, oldest first, and keeps the active ones', () => {
    const { table, clock } = setup(100);
    for (let i = 0; i < 5; i++) {
      clock.t = i * 10;
      table.add(`k${i}`, `f${i}`);
    }
    clock.t = 45;
    table.touch('k1');
    clock.t = 129; // f3 (added at 30) has 1 ms left
    expect(table.expire()).toEqual(['f0', 'f2']);
    expect(table.size).toBe(3);
  });

  it('evicts the least recently active flow when full', () => {
    const { table, clock } = setup(30_000, 2);
    expect(table.add('a', 'fa')).toEqual([]);
    clock.t = 1;
    expect(table.add('b', 'fb')).toEqual([]);
    clock.t = 2;
    table.touch('a');
    expect(table.add('c', 'fc')).toEqual(['fb']);
    expect(table.size).toBe(2);
    // Replacing the flow of a key hands back the old one.
    expect(table.add('a', 'fa2')).toEqual(['fa']);
    expect(table.get('a')).toBe('fa2');
  });

  it('removes a flow only if it is still the one of its key', () => {
    const { table } = setup();
    table.add('a', 'old');
    table.add('a', 'new');
    expect(table.remove('a', 'old')).toBe(false);
    expect(table.remove('a', 'new')).toBe(true);
    expect(table.remove('a')).toBe(false);
  });

  it('removes the flows a predicate selects, and clears', () => {
    const { table } = setup();
    for (const k of ['x1', 'y1', 'x2']) table.add(k, k);
    expect(table.removeWhere((f) => f.startsWith('x'))).toEqual(['x1', 'x2']);
    expect(table.clear()).toEqual(['y1']);
    expect(table.size).toBe(0);
  });

  it('refuses a nonsensical configuration', () => {
    const clock = { now: () => 0 };
    expect(() => new UdpFlowTable({ clock, idleTimeoutMs: 0, maxFlows: 1 })).toThrow(RangeError);
    expect(() => new UdpFlowTable({ clock, idleTimeoutMs: 1, maxFlows: 0 })).toThrow(RangeError);
  });
});

import { describe, expect, it } from 'vitest';
import { craftedStorage } from '../test-support/crafted';
import { SimCluster } from '../test-support/sim-cluster';
import type { MemoryStorage } from '../storage/memory';

const ids = ['n1', 'n2', 'n3'];
const LEADER = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];

/** n1 and n2 share LEADER's log; n3 holds `follower`. n1 is elected and repairs n3. */
function repair(follower: number[]): { c: SimCluster; disks: Record<string, MemoryStorage> } {
  const disks: Record<string, MemoryStorage> = {
    n1: craftedStorage({ voters: ids, terms: LEADER, term: 8 }),
    n2: craftedStorage({ voters: ids, terms: LEADER, term: 8 }),
    n3: craftedStorage({ voters: ids, terms: follower, term: 7 }),
  };
  const c = new SimCluster({ ids, seed: 5, bootstrap: false, openStorage: (id) => disks[id] as MemoryStorage });
  c.campaign('n1');
  expect(c.leader()?.id).toBe('n1');
  return { c, disks };
}

function log(s: MemoryStorage): string[] {
  return s.entries(s.firstIndex(), s.lastIndex() + 1, Infinity).map((e) => `${e.index}/${e.term}`);
}

describe('follower log conflicts', () => {
  const cases: Record<string, number[]> = {
    'missing the last entry': [1, 1, 1, 4, 4, 5, 5, 6, 6],
    'far behind': [1, 1, 1, 4],
    'an extra uncommitted entry': [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],
    'a divergent tail from a later term': [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7],
    'a long divergent tail from an older term': [1, 1, 1, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4],
    'divergence right after the snapshot': [1, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3],
  };
  for (const [name, follower] of Object.entries(cases)) {
    it(`repairs a follower with ${name}`, () => {
      const { c, disks } = repair(follower);
      c.propose('after');
      expect(log(disks['n3'] as MemoryStorage)).toEqual(log(disks['n1'] as MemoryStorage));
      expect(c.node('n3').values).toEqual(c.node('n1').values);
      expect(c.node('n3').values.at(-1)).toBe('after');
    });
  }

  it('skips a whole divergent term per round trip (fast backtracking)', () => {
    // 200 entries of term 2 against the leader's 10 of term 3: naive probing needs 10 round trips.
    const disks: Record<string, MemoryStorage> = {
      n1: craftedStorage({ voters: ids, terms: Array(10).fill(3) as number[] }),
      n2: craftedStorage({ voters: ids, terms: Array(10).fill(3) as number[] }),
      n3: craftedStorage({ voters: ids, terms: Array(200).fill(2) as number[] }),
    };
    const c = new SimCluster({ ids, seed: 5, bootstrap: false, openStorage: (id) => disks[id] as MemoryStorage });
    let rejects = 0;
    c.net.filter = (m) => {
      if (m.type === 'append-response' && m.reject && m.from === 'n3') rejects++;
      return true;
    };
    c.campaign('n1');
    expect(c.leader()?.id).toBe('n1');
    expect(log(disks['n3'] as MemoryStorage)).toEqual(log(disks['n1'] as MemoryStorage));
    expect(rejects).toBe(1);
  });
});

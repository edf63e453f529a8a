import { describe, expect, it } from 'vitest';
import { SimCluster } from '../test-support/sim-cluster';
import type { SimRaftOptions } from '../test-support/sim-node';

const ids = ['n1', 'n2', 'n3'];

function started(raft?: SimRaftOptions, seed = 7): SimCluster {
  const c = new SimCluster({ ids, seed, ...(raft === undefined ? {} : { raft }) });
  c.stabilize(); // apply the bootstrap conf changes
  return c;
}

function roles(c: SimCluster): string[] {
  return ids.map((id) => c.node(id).node.status().role);
}

describe('leader election', () => {
  it('elects exactly one leader that every node follows', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const c = started(undefined, seed);
      const leader = c.electLeader();
      const term = leader.node.status().term;
      expect(roles(c).filter((r) => r === 'leader')).toHaveLength(1);
      for (const id of ids) {
        expect(c.node(id).node.status()).toMatchObject({ term, lead: leader.id });
      }
    }
  });

  it('times out in [electionTick, 2 * electionTick) ticks', () => {
    const c = started({ electionTick: 10 });
    let ticks = 0;
    while (c.leader() === undefined) {
      c.tickAll();
      ticks++;
    }
    expect(ticks).toBeGreaterThanOrEqual(10);
    expect(ticks).toBeLessThan(20);
  });

  it('a single-node cluster elects itself and commits', () => {
    const c = new SimCluster({ ids: ['solo'] });
    c.stabilize();
    c.node('solo').node.campaign();
    c.stabilize();
    expect(c.node('solo').node.status().role).toBe('leader');
    expect(c.propose('x').ok).toBe(true);
    expect(c.node('solo').values).toEqual(['x']);
  });

  it('a candidate with a stale log cannot win', () => {
    const c = started();
    c.campaign('n1');
    c.net.isolate('n3');
    c.propose('a');
    c.net.recover();
    // n3 missed "a" (no heartbeat has reached it yet): its campaign must fail.
    c.node('n3').node.campaign();
    c.stabilize();
    expect(c.node('n3').node.status().role).not.toBe('leader');
    expect(c.leader()?.id).toBe('n1');
  });
});

describe('pre-vote', () => {
  it('keeps a partitioned node from raising its term and deposing the leader on return', () => {
    const c = started();
    const leader = c.campaign('n1');
    const term = leader?.node.status().term;
    c.net.isolate('n3');
    c.tickAll(100);
    expect(c.node('n3').node.status().term).toBe(term); // pre-votes failed; term untouched
    c.net.recover();
    c.tickAll(3);
    expect(c.leader()?.id).toBe('n1');
    expect(c.node('n1').node.status().term).toBe(term);
    expect(c.node('n3').node.status()).toMatchObject({ role: 'follower', lead: 'n1', term });
  });

  it('without pre-vote and check-quorum the returning node does disrupt the cluster', () => {
    const c = started({ preVote: false, checkQuorum: false });
    const term = c.campaign('n1')?.node.status().term ?? 0;
    c.net.isolate('n3');
    c.tickAll(100);
    expect(c.node('n3').node.status().term).toBeGreaterThan(term + 2);
    c.net.recover();
    c.tickAll(30);
    expect(c.leader()?.node.status().term).toBeGreaterThan(term);
  });
});

describe('check-quorum and leader lease', () => {
  it('an isolated leader steps down within an election timeout and the rest elect a new one', () => {
    const c = started({ electionTick: 10 });
    const old = c.campaign('n1');
    const term = old?.node.status().term ?? 0;
    c.net.isolate('n1');
    c.tickAll(20);
    expect(c.node('n1').node.status().role).toBe('follower');
    const fresh = c.electLeader();
    expect(fresh.id).not.toBe('n1');
    expect(fresh.node.status().term).toBeGreaterThan(term);
  });

  it('a follower that recently heard from its leader ignores vote requests (unless a transfer)', () => {
    const c = started();
    c.campaign('n1');
    const n2 = c.node('n2');
    const term = n2.node.status().term;
    const request = { type: 'vote', from: 'n3', to: 'n2', term: term + 1, lastIndex: 100, lastTerm: term + 1 } as const;
    n2.step({ ...request, transfer: false });
    expect(n2.node.status().term).toBe(term);
    expect(n2.node.hasReady()).toBe(false);
    n2.step({ ...request, transfer: true });
    expect(n2.node.status()).toMatchObject({ term: term + 1, vote: 'n3' });
  });

  it('a leader cut off from a minority keeps leading', () => {
    const c = started();
    c.campaign('n1');
    c.net.isolate('n3');
    c.tickAll(40);
    expect(c.leader()?.id).toBe('n1');
  });

  it('after forgetLeader the followers elect a new leader within a few ticks, not an election timeout', () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const c = started({ electionTick: 10 }, seed);
      c.campaign('n1');
      const term = c.node('n1').node.status().term;
      c.net.isolate('n1'); // the leader's process died
      for (const id of ['n2', 'n3']) c.node(id).node.forgetLeader();
      let ticks = 0;
      while (!(c.leader() && c.leader()?.id !== 'n1') && ticks < 20) {
        for (const id of ['n2', 'n3']) c.node(id).tick();
        c.stabilize();
        ticks++;
      }
      expect(c.leader()?.id).not.toBe('n1');
      expect(c.leader()?.node.status().term).toBeGreaterThan(term);
      expect(ticks).toBeLessThanOrEqual(8); // a full election timeout is 10-19 ticks
    }
  });

  it('forgetLeader on a leader or a leaderless node changes nothing', () => {
    const c = started();
    c.campaign('n1');
    c.node('n1').node.forgetLeader();
    expect(c.node('n1').node.status().role).toBe('leader');
  });
});

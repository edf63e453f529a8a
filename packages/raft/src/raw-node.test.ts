import { describe, expect, it } from 'vitest';
import { decodeConfChange, encodeConfChange } from './conf-change';
import { RaftUsageError } from './errors';
import { createRandom } from './rand';
import { RaftNode } from './raw-node';
import { MemoryStorage } from './storage/memory';
import { BareNode, craftedStorage } from './test-support/crafted';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

function fresh(id = 'a'): RaftNode {
  return new RaftNode({ id, storage: new MemoryStorage(), random: createRandom(1) });
}

describe('RaftNode API contract', () => {
  it('has nothing to do when idle', () => {
    const n = fresh();
    expect(n.hasReady()).toBe(false);
    expect(n.ready()).toBeNull();
  });

  it('bootstrap yields committed conf-change entries to persist and apply', () => {
    const n = fresh();
    n.bootstrap([{ id: 'a', context: bytes('10.0.0.1:2377') }, { id: 'b' }]);
    const rd = n.ready();
    expect(rd).toMatchObject({ hardState: { term: 1, vote: null, commit: 2 }, mustSync: true, messages: [] });
    expect(rd?.entries.map((e) => [e.index, e.term, e.type])).toEqual([
      [1, 1, 'conf-change'],
      [2, 1, 'conf-change'],
    ]);
    expect(rd?.committedEntries).toEqual(rd?.entries);
    expect(decodeConfChange((rd?.entries[0] as { data: Uint8Array }).data)).toEqual({
      type: 'add-voter',
      nodeId: 'a',
      context: bytes('10.0.0.1:2377'),
    });
    expect(() => n.bootstrap([{ id: 'a' }])).toThrow(RaftUsageError);
  });

  it('requires each Ready to be advanced before the next', () => {
    const n = fresh();
    n.bootstrap([{ id: 'a' }]);
    const rd = n.ready();
    expect(rd).not.toBeNull();
    expect(n.hasReady()).toBe(false);
    expect(() => n.ready()).toThrow(RaftUsageError);
    expect(() => n.advance({ ...(rd as object), entries: [] } as never)).toThrow(RaftUsageError);
    n.advance(rd as never);
    expect(n.ready()).toBeNull();
  });

  it('reports soft state changes and asks for no fsync when only the commit index moved', () => {
    const f = new BareNode('f', craftedStorage({ voters: ['l', 'f'], terms: [2, 2], term: 2, commit: 1 }));
    f.drain();
    f.node.step({ type: 'heartbeat', from: 'l', to: 'f', term: 2, commit: 3 });
    const rd = f.node.ready();
    expect(rd).toMatchObject({ softState: { lead: 'l', role: 'follower' }, hardState: { commit: 3 }, mustSync: false });
  });

  it('a single voter becomes leader and commits after persisting', () => {
    const n = new BareNode('a', new MemoryStorage());
    n.node.bootstrap([{ id: 'a' }]);
    n.drain();
    n.node.campaign();
    expect(n.node.ready()?.softState).toEqual({ lead: 'a', role: 'leader' });
  });

  it('drops messages addressed to another node', () => {
    const f = new BareNode('f', craftedStorage({ voters: ['l', 'f'], terms: [2], term: 2 }));
    f.drain();
    f.node.step({ type: 'heartbeat', from: 'l', to: 'someone-else', term: 5, commit: 0 });
    expect(f.node.status().term).toBe(2);
  });

  it('validates options', () => {
    const base = { id: 'a', storage: new MemoryStorage(), random: createRandom(1) };
    expect(() => new RaftNode({ ...base, electionTick: 1, heartbeatTick: 1 })).toThrow(RaftUsageError);
    expect(() => new RaftNode({ ...base, id: '' })).toThrow(RaftUsageError);
    expect(() => new RaftNode({ ...base, maxInflightMsgs: 0 })).toThrow(RaftUsageError);
  });

  it('exposes progress per peer on the leader only', () => {
    const n = new BareNode('a', craftedStorage({ voters: ['a', 'b'], learners: ['c'], terms: [1], term: 1 }));
    n.drain();
    expect(n.node.status().progress).toEqual({});
    n.node.campaign();
    n.drain();
    n.node.step({ type: 'pre-vote-response', from: 'b', to: 'a', term: 2, reject: false });
    n.drain();
    n.node.step({ type: 'vote-response', from: 'b', to: 'a', term: 2, reject: false });
    n.drain();
    const s = n.node.status();
    expect(s).toMatchObject({ role: 'leader', voters: ['a', 'b'], learners: ['c'] });
    expect(Object.keys(s.progress).sort()).toEqual(['a', 'b', 'c']);
    expect(s.progress['c']).toMatchObject({ isLearner: true, match: 0, state: 'probe' });
  });
});

describe('conf change encoding', () => {
  it('round-trips every kind', () => {
    for (const cc of [
      { type: 'add-voter', nodeId: 'x' },
      { type: 'add-learner', nodeId: 'y', context: bytes('addr') },
      { type: 'remove-node', nodeId: 'z' },
    ] as const) {
      expect(decodeConfChange(encodeConfChange(cc))).toEqual(cc);
    }
    expect(() => decodeConfChange(new Uint8Array([9, 1]))).toThrow(RangeError);
  });
});

describe('createRandom', () => {
  it('is deterministic per seed', () => {
    const a = createRandom(42);
    const b = createRandom(42);
    const xs = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(createRandom(43)()).not.toBe(xs[0]);
  });
});

import { describe, expect, it } from 'vitest';
import { BareNode, craftedStorage } from '../test-support/crafted';
import { SimCluster } from '../test-support/sim-cluster';

const ids = ['n1', 'n2', 'n3'];

function lagging(): SimCluster {
  const c = new SimCluster({ ids, seed: 9 });
  c.stabilize();
  c.campaign('n1');
  c.net.isolate('n3');
  for (let i = 0; i < 30; i++) c.propose(`v${i}`);
  // Everyone who can compacts everything: n3's next entry no longer exists anywhere.
  for (const id of ['n1', 'n2']) expect(c.node(id).snapshotAndCompact(0)).toBe(true);
  expect(c.node('n1').storage.firstIndex()).toBeGreaterThan(c.node('n3').storage.lastIndex() + 1);
  return c;
}

describe('snapshots', () => {
  it('catches a lagging follower up with a snapshot, then with entries', () => {
    const c = lagging();
    const n3 = c.node('n3');
    n3.keepReadyLog = true;
    c.net.recover();
    c.tickAll(3);
    const installed = n3.readyLog.find((rd) => rd.snapshot !== undefined);
    expect(installed?.snapshot?.metadata.index).toBe(c.node('n1').storage.snapshot().metadata.index);
    expect(n3.storage.snapshot().metadata.index).toBeGreaterThan(0);
    expect(n3.values).toEqual(c.node('n1').values);
    c.propose('after');
    expect(n3.values.at(-1)).toBe('after');
    expect(c.net.delivered.get('snapshot')).toBe(1);
  });

  it('retries a snapshot whose delivery failed', () => {
    const c = lagging();
    let dropped = 0;
    c.net.filter = (m) => !(m.type === 'snapshot' && dropped++ === 0); // lose the first one
    c.net.recover();
    c.tickAll(3);
    expect(dropped).toBeGreaterThan(1);
    expect(c.node('n3').values).toEqual(c.node('n1').values);
  });

  it('pauses appends to a follower until the transport reports on its snapshot', () => {
    const disk = craftedStorage({ voters: ids, terms: [2, 2, 2, 2], term: 2, commit: 5 });
    disk.createSnapshot(5, { voters: ids, learners: [] }, new Uint8Array(0));
    disk.compact(5);
    const n1 = new BareNode('n1', disk);
    n1.drain();
    n1.node.campaign();
    n1.drain();
    n1.node.step({ type: 'pre-vote-response', from: 'n2', to: 'n1', term: 3, reject: false });
    n1.drain();
    n1.node.step({ type: 'vote-response', from: 'n2', to: 'n1', term: 3, reject: false });
    n1.drain();
    // n3 has nothing beyond index 1, which the leader has compacted.
    n1.node.step({ type: 'append-response', from: 'n3', to: 'n1', term: 3, index: 5, reject: true, rejectHint: 1, hintTerm: 1 });
    expect(n1.drain().filter((m) => m.to === 'n3').map((m) => m.type)).toEqual(['snapshot']);
    expect(n1.node.status().progress['n3']).toMatchObject({ state: 'snapshot', pendingSnapshot: 5, paused: true });

    n1.node.propose(new TextEncoder().encode('x'));
    n1.node.step({ type: 'heartbeat-response', from: 'n3', to: 'n1', term: 3 });
    expect(n1.drain().filter((m) => m.to === 'n3' && m.type !== 'heartbeat')).toEqual([]);

    n1.node.reportSnapshot('n3', 'failed');
    expect(n1.node.status().progress['n3']).toMatchObject({ state: 'probe', pendingSnapshot: 0, paused: true });
    n1.node.step({ type: 'heartbeat-response', from: 'n3', to: 'n1', term: 3 });
    expect(n1.drain().filter((m) => m.to === 'n3').map((m) => m.type)).toEqual(['snapshot']); // retried

    n1.node.reportSnapshot('n3', 'finished');
    expect(n1.node.status().progress['n3']).toMatchObject({ state: 'probe', next: 6 });
  });

  it('a follower ignores a snapshot that is not ahead of its commit index', () => {
    const f = new BareNode('n2', craftedStorage({ voters: ids, terms: [1, 1, 1], term: 2, commit: 4 }));
    f.drain();
    f.node.step({
      type: 'snapshot',
      from: 'n1',
      to: 'n2',
      term: 2,
      snapshot: { metadata: { index: 3, term: 1, confState: { voters: ids, learners: [] } }, data: new Uint8Array(0) },
    });
    const rd = f.node.ready();
    expect(rd?.snapshot).toBeUndefined();
    expect(rd?.messages).toEqual([
      { type: 'append-response', from: 'n2', to: 'n1', term: 2, index: 4, reject: false, rejectHint: 0, hintTerm: 0 },
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import type { AppendRequest, Message } from '../messages';
import { BareNode, craftedStorage } from '../test-support/crafted';
import { SimCluster } from '../test-support/sim-cluster';

const ids = ['n1', 'n2', 'n3'];
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

function ack(from: string, term: number, index: number): Message {
  return { type: 'append-response', from, to: 'n1', term, index, reject: false, rejectHint: 0, hintTerm: 0 };
}

/** n1 over a log whose entry 2 is from term 2, elected leader of term 4 by n2's votes. */
function leaderOverOldEntry(options: { maxSizePerMsg?: number; maxInflightMsgs?: number } = {}): BareNode {
  const n1 = new BareNode('n1', craftedStorage({ voters: ids, terms: [2], term: 3, commit: 1 }), options);
  n1.node.campaign();
  n1.drain();
  n1.node.step({ type: 'pre-vote-response', from: 'n2', to: 'n1', term: 4, reject: false });
  n1.drain();
  n1.node.step({ type: 'vote-response', from: 'n2', to: 'n1', term: 4, reject: false });
  n1.drain();
  expect(n1.node.status()).toMatchObject({ role: 'leader', term: 4, lastIndex: 3 });
  return n1;
}

function appendsTo(msgs: readonly Message[], to: string): AppendRequest[] {
  return msgs.filter((m): m is AppendRequest => m.type === 'append' && m.to === to);
}

describe('commit rule', () => {
  it('commits an earlier-term entry only once an entry of the current term is on a quorum', () => {
    const n1 = leaderOverOldEntry();
    n1.node.step(ack('n2', 4, 2)); // the old-term entry alone is on a quorum...
    n1.drain();
    expect(n1.node.status().commit).toBe(1); // ...which is not enough (Raft §5.4.2, Figure 8)
    n1.node.step(ack('n2', 4, 3)); // the new leader's no-op
    n1.drain();
    expect(n1.node.status().commit).toBe(3);
  });

  it('counts the leader itself only for entries it has persisted', () => {
    const n1 = leaderOverOldEntry();
    n1.node.step(ack('n2', 4, 3));
    n1.drain();
    expect(n1.node.propose(bytes('x'))).toEqual({ ok: true, index: 4, term: 4 });
    n1.node.step(ack('n2', 4, 4)); // n2 acks before the leader persisted index 4
    expect(n1.node.status().commit).toBe(3);
    n1.drain(); // persist + advance: the leader's own ack arrives
    expect(n1.node.status().commit).toBe(4);
  });
});

describe('flow control', () => {
  it('pipelines up to maxInflightMsgs appends, then batches up to maxSizePerMsg', () => {
    const n1 = leaderOverOldEntry({ maxInflightMsgs: 2, maxSizePerMsg: 100 });
    n1.node.step(ack('n2', 4, 3)); // n2 now replicating
    n1.drain();
    for (let i = 0; i < 10; i++) n1.node.propose(bytes(`v${i}`.padEnd(10, '.')));
    const first = appendsTo(n1.drain(), 'n2').filter((m) => m.entries.length > 0);
    expect(first.map((m) => m.entries.map((e) => e.index))).toEqual([[4], [5]]); // window of 2
    expect(n1.node.status().progress['n2']).toMatchObject({ state: 'replicate', paused: true, inflight: 2 });
    n1.node.step(ack('n2', 4, 5));
    const next = appendsTo(n1.drain(), 'n2');
    // Two entries of 10 + 24 bytes fit in 100 bytes, three do not.
    expect(next.map((m) => m.entries.map((e) => e.index))).toEqual([
      [6, 7],
      [8, 9],
    ]);
  });

  it('probes a follower in probe state one message at a time', () => {
    const n1 = leaderOverOldEntry();
    for (let i = 0; i < 5; i++) n1.node.propose(bytes(`p${i}`));
    // n3 never answered the first probe: no further appends until a heartbeat response.
    expect(appendsTo(n1.drain(), 'n3')).toHaveLength(0);
    n1.node.step({ type: 'heartbeat-response', from: 'n3', to: 'n1', term: 4 });
    expect(appendsTo(n1.drain(), 'n3')).toHaveLength(1);
  });
});

describe('log replication', () => {
  function cluster(): SimCluster {
    const c = new SimCluster({ ids, seed: 3 });
    c.stabilize();
    c.campaign('n1');
    return c;
  }

  it('replicates proposals to every node in order', () => {
    const c = cluster();
    for (let i = 0; i < 20; i++) expect(c.propose(`v${i}`).ok).toBe(true);
    const expected = Array.from({ length: 20 }, (_, i) => `v${i}`);
    for (const id of ids) expect(c.node(id).values).toEqual(expected);
    const commits = ids.map((id) => c.node(id).node.status().commit);
    expect(new Set(commits).size).toBe(1);
  });

  it('rejects proposals on followers, naming the leader', () => {
    const c = cluster();
    expect(c.node('n2').propose('x')).toEqual({ ok: false, reason: 'not-leader', leader: 'n1' });
  });

  it('does not commit without a quorum, and does once the quorum is back', () => {
    const c = cluster();
    c.net.isolate('n2');
    c.net.isolate('n3');
    const res = c.propose('lonely');
    expect(res.ok).toBe(true);
    expect(c.node('n1').node.status().commit).toBeLessThan(res.ok ? res.index : 0);
    expect(c.node('n1').values).toEqual([]);
    c.net.recover();
    c.tickAll(2);
    for (const id of ids) expect(c.node(id).values).toEqual(['lonely']);
  });

  it('converges despite loss, duplication, delay and reordering', () => {
    const c = new SimCluster({ ids, seed: 11, network: { dropRate: 0.2, duplicateRate: 0.2, minDelay: 0, maxDelay: 5 } });
    let sent = 0;
    for (let step = 0; step < 3000; step++) {
      if (step % 3 === 0) for (const n of c.alive()) n.tick();
      if (step % 7 === 0 && sent < 40 && c.leader()?.propose(`m${sent}`).ok === true) sent++;
      c.deliver(c.net.tick());
      c.flushReadies();
    }
    c.net.dropRate = 0;
    c.tickAll(5);
    const values = c.node('n1').values;
    expect(values.length).toBeGreaterThan(20);
    expect(new Set(values).size).toBe(values.length); // duplicated messages never duplicate entries
    for (const id of ids) expect(c.node(id).values).toEqual(values);
  });
});

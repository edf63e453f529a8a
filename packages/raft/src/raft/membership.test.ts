import { describe, expect, it } from 'vitest';
import { learnersReadyForPromotion } from '../status';
import { SimCluster } from '../test-support/sim-cluster';

const ids = ['n1', 'n2', 'n3'];

function cluster(): SimCluster {
  const c = new SimCluster({ ids, seed: 21 });
  c.stabilize();
  c.campaign('n1');
  for (let i = 0; i < 10; i++) c.propose(`v${i}`);
  return c;
}

describe('membership changes', () => {
  it('a new node joins as a learner, catches up, and is promoted to voter', () => {
    const c = cluster();
    const n4 = c.addNode('n4');
    const leader = c.node('n1');
    expect(leader.node.proposeConfChange({ type: 'add-learner', nodeId: 'n4', context: new Uint8Array([4]) }).ok).toBe(true);
    c.stabilize();
    expect(leader.node.status()).toMatchObject({ voters: ['n1', 'n2', 'n3'], learners: ['n4'] });
    expect(n4.values).toEqual(leader.values);
    expect(n4.node.status().role).toBe('follower');
    expect(learnersReadyForPromotion(leader.node.status())).toEqual(['n4']);

    // A learner never campaigns.
    n4.node.campaign();
    c.tickAll(25);
    expect(c.leader()?.id).toBe('n1');

    expect(leader.node.proposeConfChange({ type: 'add-voter', nodeId: 'n4' }).ok).toBe(true);
    c.stabilize();
    for (const id of ['n1', 'n2', 'n3', 'n4']) {
      expect(c.node(id).node.status()).toMatchObject({ voters: ['n1', 'n2', 'n3', 'n4'], learners: [] });
    }
    expect(learnersReadyForPromotion(leader.node.status())).toEqual([]);
  });

  it('learners do not count towards the commit quorum', () => {
    const c = cluster();
    c.addNode('n4');
    c.node('n1').node.proposeConfChange({ type: 'add-learner', nodeId: 'n4' });
    c.stabilize();
    c.net.isolate('n2');
    c.net.isolate('n3');
    const res = c.propose('needs-a-voter');
    expect(res.ok).toBe(true);
    expect(c.node('n4').values).not.toContain('needs-a-voter');
    expect(c.node('n1').values).not.toContain('needs-a-voter');
  });

  it('allows one pending conf change at a time and validates changes', () => {
    const c = cluster();
    const n1 = c.node('n1').node;
    expect(n1.proposeConfChange({ type: 'add-learner', nodeId: 'n4' }).ok).toBe(true);
    expect(n1.proposeConfChange({ type: 'add-learner', nodeId: 'n5' })).toMatchObject({ ok: false, reason: 'conf-change-pending' });
    c.stabilize();
    expect(n1.proposeConfChange({ type: 'add-learner', nodeId: 'n5' }).ok).toBe(true);

    const solo = new SimCluster({ ids: ['only'] });
    solo.stabilize();
    solo.node('only').node.campaign();
    solo.stabilize();
    expect(solo.node('only').node.proposeConfChange({ type: 'remove-node', nodeId: 'only' })).toMatchObject({
      ok: false,
      reason: 'invalid-conf-change',
    });
  });

  it('removes a follower; the rest keep committing without it', () => {
    const c = cluster();
    expect(c.node('n1').node.proposeConfChange({ type: 'remove-node', nodeId: 'n3' }).ok).toBe(true);
    c.stabilize();
    for (const id of ['n1', 'n2']) expect(c.node(id).node.status().voters).toEqual(['n1', 'n2']);
    const before = c.node('n3').storage.lastIndex();
    c.node('n3').crash();
    c.propose('without-n3');
    c.tickAll(3);
    expect(c.node('n2').values.at(-1)).toBe('without-n3');
    expect(c.node('n3').storage.lastIndex()).toBe(before);
  });

  it('a removed node never campaigns', () => {
    const c = cluster();
    c.node('n1').node.proposeConfChange({ type: 'remove-node', nodeId: 'n3' });
    c.stabilize();
    c.net.isolate('n3');
    c.tickAll(50);
    expect(c.node('n3').node.status().role).toBe('follower');
  });

  it('removing the leader hands leadership over at once (timeout-now) and it steps down', () => {
    const c = cluster();
    const term = c.node('n1').node.status().term;
    expect(c.node('n1').node.proposeConfChange({ type: 'remove-node', nodeId: 'n1' }).ok).toBe(true);
    c.stabilize(); // no ticks: the hand-off does not wait for an election timeout
    const next = c.leader();
    expect(next?.id).not.toBe('n1');
    expect(next?.node.status()).toMatchObject({ term: term + 1, voters: ['n2', 'n3'] });
    expect(c.node('n1').node.status().role).toBe('follower');
    expect(c.node('n1').node.propose(new Uint8Array([1]))).toMatchObject({ ok: false, reason: 'not-leader' });
    c.propose('after-removal');
    expect(c.node('n2').values.at(-1)).toBe('after-removal');
  });

  it('demoting the leader to learner also hands leadership over', () => {
    const c = cluster();
    c.node('n1').node.proposeConfChange({ type: 'add-learner', nodeId: 'n1' });
    c.stabilize();
    expect(c.leader()?.id).not.toBe('n1');
    expect(c.node('n1').node.status()).toMatchObject({ role: 'follower', learners: ['n1'] });
    c.propose('x');
    expect(c.node('n1').values.at(-1)).toBe('x'); // still replicated to as a learner
  });
});

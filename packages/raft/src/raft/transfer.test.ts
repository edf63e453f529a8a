import { describe, expect, it } from 'vitest';
import { SimCluster } from '../test-support/sim-cluster';

const ids = ['n1', 'n2', 'n3'];

function cluster(): SimCluster {
  const c = new SimCluster({ ids, seed: 13 });
  c.stabilize();
  c.campaign('n1');
  c.propose('a');
  return c;
}

describe('leadership transfer', () => {
  it('hands leadership to an up-to-date follower without waiting for a timeout', () => {
    const c = cluster();
    const term = c.node('n1').node.status().term;
    c.node('n1').node.transferLeadership('n2');
    c.stabilize();
    expect(c.leader()?.id).toBe('n2');
    expect(c.node('n2').node.status().term).toBe(term + 1);
    expect(c.node('n1').node.status()).toMatchObject({ role: 'follower', lead: 'n2' });
  });

  it('first catches a lagging transferee up', () => {
    const c = cluster();
    c.net.isolate('n3');
    c.propose('b');
    c.propose('c');
    c.net.recover();
    c.node('n1').node.transferLeadership('n3');
    c.stabilize();
    expect(c.leader()?.id).toBe('n3');
    expect(c.node('n3').values).toEqual(['a', 'b', 'c']);
  });

  it('refuses proposals while a transfer is under way and abandons it after an election timeout', () => {
    const c = cluster();
    c.net.isolate('n3');
    c.propose('b');
    const n1 = c.node('n1').node;
    n1.transferLeadership('n3');
    c.stabilize();
    expect(n1.status().leadTransferee).toBe('n3');
    expect(n1.propose(new Uint8Array([1]))).toMatchObject({ ok: false, reason: 'leadership-transfer' });
    c.tickAll(10);
    expect(n1.status()).toMatchObject({ role: 'leader', leadTransferee: null });
    expect(n1.propose(new Uint8Array([1])).ok).toBe(true);
  });

  it('a follower forwards a transfer request to its leader', () => {
    const c = cluster();
    c.node('n3').node.transferLeadership('n2');
    c.stabilize();
    expect(c.leader()?.id).toBe('n2');
  });

  it('ignores a transfer to a learner', () => {
    const c = cluster();
    c.addNode('n4');
    c.node('n1').node.proposeConfChange({ type: 'add-learner', nodeId: 'n4' });
    c.stabilize();
    c.node('n1').node.transferLeadership('n4');
    c.stabilize();
    expect(c.leader()?.id).toBe('n1');
    expect(c.node('n1').node.status().leadTransferee).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { updateOp, type ServiceSpec, type TaskObject } from '@shoal/store';
import { REBALANCE_LABEL } from './rebalance';
import { makeSpec, SimCluster } from './testing';

const DELAY = 10_000;

/** 6 replicas on n1..n3; then n3 goes down and its tasks move to n1 and n2 (3 + 3). */
function afterNodeLoss(patch: Partial<ServiceSpec> = {}): SimCluster {
  const sim = new SimCluster({ rebalanceDelayMs: DELAY });
  for (const n of ['n1', 'n2', 'n3']) sim.addNode(n);
  sim.addService('web', { ...makeSpec('web', { mode: { type: 'replicated', replicas: 6 } }), ...patch });
  settle(sim, 3);
  sim.deadAgents.add('n3');
  sim.setNodeState('n3', 'down');
  settle(sim, 3);
  expect(perNode(sim)).toEqual({ n1: 3, n2: 3 });
  return sim;
}

function settle(sim: SimCluster, seconds: number, each?: () => void): void {
  for (let i = 0; i < seconds; i++) {
    sim.advance(1000);
    sim.agents();
    sim.reconcile();
    each?.();
  }
}

function perNode(sim: SimCluster): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const t of sim.running('web')) counts[t.nodeId] = (counts[t.nodeId] ?? 0) + 1;
  return counts;
}

const serving = (sim: SimCluster): number => sim.tasks('web').filter((t: TaskObject) => t.status.state === 'running').length;

function nodeBack(sim: SimCluster, node = 'n3'): void {
  sim.deadAgents.delete(node);
  sim.setNodeState(node, 'ready');
}

/** n3 dies (its tasks move to n1 and n2), comes back, and rebalancing evens the spread again. */
function loseAndRegainN3(sim: SimCluster): void {
  sim.deadAgents.add('n3');
  sim.setNodeState('n3', 'down');
  settle(sim, 5);
  expect(perNode(sim)).toEqual({ n1: 3, n2: 3 });
  nodeBack(sim);
  settle(sim, 60);
  expect(perNode(sim)).toEqual({ n1: 2, n2: 2, n3: 2 });
}

describe('rebalancing', () => {
  it('moves tasks to a node that came back, one at a time, never running fewer than the replicas', () => {
    const sim = afterNodeLoss();
    nodeBack(sim);
    let moves = 0;
    settle(sim, 60, () => {
      expect(serving(sim)).toBeGreaterThanOrEqual(6);
      const handOvers = sim.tasks('web').filter((t) => t.replaces?.reason === 'rebalance' && t.desiredState === 'running' && t.status.state !== 'running');
      expect(handOvers.length).toBeLessThanOrEqual(1);
      moves = sim.tasks('web').filter((t) => t.replaces?.reason === 'rebalance').length;
    });
    expect(perNode(sim)).toEqual({ n1: 2, n2: 2, n3: 2 });
    expect(moves).toBe(2);
    expect(sim.running('web')).toHaveLength(6);
    expect(new Set(sim.running('web').map((t) => t.slot)).size).toBe(6);
    // Then it stays put.
    const quiet = sim.reconcile();
    expect(quiet.rounds).toBe(1);
    expect(quiet.wakeAt).toBeNull();
  });

  it('waits until the node has been up, and the tasks unchanged, for the delay', () => {
    const sim = afterNodeLoss();
    nodeBack(sim);
    settle(sim, DELAY / 1000 - 1);
    expect(sim.tasks('web').some((t) => t.replaces?.reason === 'rebalance')).toBe(false);
    settle(sim, 2);
    expect(sim.tasks('web').filter((t) => t.replaces?.reason === 'rebalance')).toHaveLength(1);
  });

  it('spreads onto a node that joins', () => {
    const sim = new SimCluster({ rebalanceDelayMs: DELAY });
    for (const n of ['n1', 'n2']) sim.addNode(n);
    sim.addService('web', makeSpec('web', { mode: { type: 'replicated', replicas: 3 } }));
    settle(sim, 3);
    expect(perNode(sim)).toEqual({ n1: 2, n2: 1 });
    sim.addNode('n3');
    settle(sim, 60);
    expect(perNode(sim)).toEqual({ n1: 1, n2: 1, n3: 1 });
  });

  it('leaves a spread that differs by one alone', () => {
    const sim = new SimCluster({ rebalanceDelayMs: DELAY });
    for (const n of ['n1', 'n2', 'n3']) sim.addNode(n);
    sim.addService('web', makeSpec('web', { mode: { type: 'replicated', replicas: 4 } }));
    settle(sim, 60);
    expect(Object.values(perNode(sim)).sort()).toEqual([1, 1, 2]);
    expect(sim.tasks('web')).toHaveLength(4);
  });

  it(`leaves a service labelled ${REBALANCE_LABEL}=false where it is`, () => {
    const sim = afterNodeLoss({ labels: { [REBALANCE_LABEL]: 'false' } });
    nodeBack(sim);
    settle(sim, 60);
    expect(perNode(sim)).toEqual({ n1: 3, n2: 3 });
  });

  it('moves only to nodes the service may run on', () => {
    const spec = makeSpec('web', { mode: { type: 'replicated', replicas: 6 } });
    const sim = afterNodeLoss({ task: { ...spec.task, placement: { ...spec.task.placement, constraints: ['node.labels.zone!=b'] } } });
    sim.updateNode('n3', (n) => ({ ...n, spec: { ...n.spec, labels: { zone: 'b' } } }));
    nodeBack(sim);
    settle(sim, 60);
    expect(perNode(sim)).toEqual({ n1: 3, n2: 3 });
  });

  it('calls a move off when the replacement does not run, and keeps the old task', () => {
    const sim = afterNodeLoss();
    nodeBack(sim);
    sim.deadAgents.add('n3'); // n3 looks ready, but its agent never starts anything
    settle(sim, DELAY / 1000 + 1);
    const [move] = sim.tasks('web').filter((t) => t.replaces?.reason === 'rebalance');
    expect(move).toBeDefined();
    settle(sim, 60);
    expect(sim.store.get('task', (move as TaskObject).id)?.desiredState).toBe('shutdown');
    expect(sim.store.get('task', (move as TaskObject).replaces?.taskId ?? '')?.desiredState).toBe('running');
    expect(perNode(sim)).toEqual({ n1: 3, n2: 3 });
  });

  it('leaves the tasks of a paused node alone', () => {
    const sim = afterNodeLoss();
    sim.setAvailability('n1', 'pause');
    nodeBack(sim);
    settle(sim, 60);
    // n1 is not counted: n2 (3) and n3 (0) differ by 3, so n2's tasks spread; n1 keeps its 3.
    expect(perNode(sim)).toEqual({ n1: 3, n2: 2, n3: 1 });
  });

  // A preference spreads over label values, not nodes, so it is left alone; one the scheduler
  // skips (spread=node.id) spreads over nothing, so the service is rebalanced as without it.
  it.each([
    ['leaves a service with placement preferences alone', 'node.labels.zone', false],
    ['rebalances a service whose only placement preference is one the scheduler skips', 'node.id', true],
  ])('%s (%s)', (_what, preference, moved) => {
    const spec = makeSpec('web', { mode: { type: 'replicated', replicas: 6 } });
    const sim = afterNodeLoss({ task: { ...spec.task, placement: { ...spec.task.placement, preferences: [preference] } } });
    nodeBack(sim);
    settle(sim, 60);
    expect(sim.tasks('web').some((t) => t.replaces?.reason === 'rebalance')).toBe(moved);
  });

  it('ends a move whose new task fails: the original keeps running, and that node is not tried again soon', () => {
    const sim = afterNodeLoss();
    nodeBack(sim);
    let failed = 0;
    settle(sim, 40, () => {
      for (const t of sim.tasks('web')) {
        if (t.replaces?.reason === 'rebalance' && t.nodeId === 'n3' && t.status.state === 'assigned') {
          sim.setTaskState(t.id, 'rejected'); // n3 cannot start it
          failed++;
        }
      }
    });
    expect(failed).toBe(1);
    expect(perNode(sim)).toEqual({ n1: 3, n2: 3 });
    expect(sim.tasks('web').filter((t) => t.replaces?.reason === 'restart')).toEqual([]);
  });

  it('counts a failure of the service on a node only from after the node came back', () => {
    const sim = new SimCluster({ rebalanceDelayMs: DELAY });
    for (const n of ['n1', 'n2', 'n3']) sim.addNode(n);
    sim.addService('web', makeSpec('web', { mode: { type: 'replicated', replicas: 6 } }));
    settle(sim, 3);
    // One task on n3 is killed and restarted there; then n3 goes down and comes back.
    const victim = sim.running('web').find((t) => t.nodeId === 'n3')!;
    sim.setTaskState(victim.id, 'failed', { exitCode: 137 });
    settle(sim, 10);
    expect(sim.running('web')).toHaveLength(6);
    loseAndRegainN3(sim);
  });

  it('does not move onto a node where the service failed since it came up', () => {
    const sim = afterNodeLoss();
    nodeBack(sim);
    settle(sim, 2);
    // Another replica of the service fails on n3 while it is up (placed there by hand).
    const stray = sim.running('web').find((t) => t.nodeId === 'n1')!;
    sim.commit([updateOp('task', { ...stray, nodeId: 'n3' })]);
    sim.setTaskState(stray.id, 'failed', { exitCode: 1 });
    settle(sim, 60);
    expect(sim.tasks('web').some((t) => t.replaces?.reason === 'rebalance')).toBe(false);
  });

  it('moves onto a node again after it died with tasks an earlier rebalance had moved there', () => {
    const sim = afterNodeLoss();
    nodeBack(sim);
    settle(sim, 60);
    expect(perNode(sim)).toEqual({ n1: 2, n2: 2, n3: 2 });
    loseAndRegainN3(sim);
  });

  it('can be turned off', () => {
    const sim = afterNodeLoss();
    const off = new SimCluster({ rebalanceDelayMs: -1 });
    off.seed({ nodes: sim.store.list('node'), services: sim.store.list('service'), tasks: sim.store.list('task') });
    off.now = sim.now;
    nodeBack(off);
    settle(off, 60);
    expect(perNode(off)).toEqual({ n1: 3, n2: 3 });
  });
});

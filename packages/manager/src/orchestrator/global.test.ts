import { describe, expect, it } from 'vitest';
import { makeSpec, SimCluster } from './testing';

function globalService(sim: SimCluster, constraints: string[] = []): void {
  const spec = makeSpec('agent', { mode: { type: 'global' } });
  sim.addService('agent', { ...spec, task: { ...spec.task, placement: { constraints, maxReplicas: 0 } } });
  sim.reconcile();
  sim.agents();
  sim.reconcile();
}

const liveNodes = (sim: SimCluster): string[] =>
  sim
    .tasks('agent')
    .filter((t) => t.desiredState === 'running' || t.desiredState === 'ready')
    .map((t) => t.nodeId)
    .sort();

describe('global orchestrator', () => {
  it('runs one task per eligible node, preassigned and confirmed by the scheduler', () => {
    const sim = new SimCluster();
    sim.addNode('n1');
    sim.addNode('n2');
    globalService(sim);
    expect(liveNodes(sim)).toEqual(['n1', 'n2']);
    expect(sim.running('agent')).toHaveLength(2);
    expect(sim.tasks('agent').every((t) => t.slot === 0)).toBe(true);
    expect(sim.reconcile().rounds).toBe(1);
  });

  it('gives a joining node its task', () => {
    const sim = new SimCluster();
    sim.addNode('n1');
    globalService(sim);
    sim.addNode('n2');
    sim.reconcile();
    expect(liveNodes(sim)).toEqual(['n1', 'n2']);
  });

  it('shuts down tasks on drained or down nodes without moving them', () => {
    const sim = new SimCluster();
    for (const n of ['n1', 'n2', 'n3']) sim.addNode(n);
    globalService(sim);
    sim.setAvailability('n1', 'drain');
    sim.setNodeState('n2', 'down');
    sim.reconcile();
    expect(liveNodes(sim)).toEqual(['n3']);
    expect(sim.tasks('agent')).toHaveLength(3);
  });

  it('a node back from drain gets a task again, even with restart condition none', () => {
    const sim = new SimCluster();
    sim.addNode('n1');
    const spec = makeSpec('agent', { mode: { type: 'global' } });
    sim.addService('agent', { ...spec, task: { ...spec.task, restart: { ...spec.task.restart, condition: 'none' } } });
    sim.reconcile();
    sim.agents();
    sim.setAvailability('n1', 'drain');
    sim.reconcile();
    sim.agents();
    expect(liveNodes(sim)).toEqual([]);
    sim.setAvailability('n1', 'active');
    sim.reconcile();
    expect(liveNodes(sim)).toEqual(['n1']);
  });

  it('follows constraints as nodes change', () => {
    const sim = new SimCluster();
    sim.addNode('m1', { role: 'manager' });
    sim.addNode('w1');
    globalService(sim, ['node.role==manager']);
    expect(liveNodes(sim)).toEqual(['m1']);
    sim.updateNode('m1', (n) => ({ ...n, role: 'worker', spec: { ...n.spec, role: 'worker' } }));
    sim.reconcile();
    expect(liveNodes(sim)).toEqual([]);
  });

  it('a paused node keeps its task but a newly paused node gets none', () => {
    const sim = new SimCluster();
    sim.addNode('n1');
    sim.addNode('n2', { availability: 'pause' });
    globalService(sim);
    sim.setAvailability('n1', 'pause');
    sim.reconcile();
    expect(liveNodes(sim)).toEqual(['n1']);
  });

  it('restarts a failed task on the same node after the delay', () => {
    const sim = new SimCluster();
    sim.addNode('n1');
    globalService(sim);
    const [old] = sim.tasks('agent');
    sim.setTaskState(old?.id as string, 'failed');
    const { wakeAt } = sim.reconcile();
    const replacement = sim.tasks('agent').find((t) => t.replaces?.taskId === old?.id);
    expect(replacement).toMatchObject({ nodeId: 'n1', slot: 0, desiredState: 'ready', status: { state: 'assigned' } });
    sim.now = wakeAt as number;
    sim.reconcile();
    sim.agents();
    expect(sim.running('agent').map((t) => t.id)).toEqual([replacement?.id]);
  });

  it('gives a node in unknown state a task that waits for it to be ready', () => {
    const sim = new SimCluster();
    sim.addNode('n1', { state: 'unknown' });
    globalService(sim);
    const [t] = sim.tasks('agent');
    expect(t?.status).toMatchObject({ state: 'pending', err: '1 node not available for new tasks' });
    sim.setNodeState('n1', 'ready');
    sim.reconcile();
    expect(sim.store.get('task', t?.id as string)?.status.state).toBe('assigned');
  });
});

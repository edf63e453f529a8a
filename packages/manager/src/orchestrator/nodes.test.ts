import { describe, expect, it } from 'vitest';
import type { RestartPolicy, TaskObject } from '@shoal/store';
import { makeSpec, SimCluster } from './testing';

function cluster(replicas: number, nodes: string[], restart: Partial<RestartPolicy> = {}): SimCluster {
  const sim = new SimCluster();
  for (const n of nodes) sim.addNode(n);
  const spec = makeSpec('web', { mode: { type: 'replicated', replicas } });
  sim.addService('web', { ...spec, task: { ...spec.task, restart: { ...spec.task.restart, ...restart } } });
  sim.reconcile();
  sim.agents();
  sim.reconcile();
  return sim;
}

const on = (sim: SimCluster, node: string): TaskObject[] => sim.tasks('web').filter((t) => t.nodeId === node);
const get = (sim: SimCluster, id: string): TaskObject => sim.store.get('task', id) as TaskObject;
/** Running copies serving traffic: observed running, whatever their desired state. */
const serving = (sim: SimCluster): number => sim.tasks('web').filter((t) => t.status.state === 'running').length;

describe('node down', () => {
  it('replaces its tasks elsewhere at once: no restart delay, no waiting for the old task', () => {
    const sim = cluster(4, ['n1', 'n2']);
    const lost = on(sim, 'n1');
    expect(lost).toHaveLength(2);
    sim.deadAgents.add('n1');
    sim.setNodeState('n1', 'down');
    const result = sim.reconcile();

    for (const t of lost) expect(get(sim, t.id).desiredState).toBe('shutdown');
    const replacements = sim.tasks('web').filter((t) => t.replaces?.reason === 'node-down');
    expect(replacements).toHaveLength(2);
    for (const r of replacements) {
      expect(r).toMatchObject({ desiredState: 'running', nodeId: 'n2', status: { state: 'assigned' } });
      expect(r.startAfter).toBeUndefined();
      expect(lost.map((t) => t.slot)).toContain(r.slot);
    }
    expect(result.wakeAt).toBeNull();
    sim.agents(); // the very next agent step starts them: no clock time needed
    expect(sim.running('web')).toHaveLength(4);
  });

  it('follows the restart condition: none leaves the slot empty (as swarmkit)', () => {
    const sim = cluster(2, ['n1', 'n2'], { condition: 'none' });
    sim.deadAgents.add('n1');
    sim.setNodeState('n1', 'down');
    sim.reconcile();
    expect(sim.tasks('web').filter((t) => t.desiredState === 'running')).toHaveLength(1);
  });

  it('when the node comes back its old tasks are stopped, not duplicated', () => {
    const sim = cluster(2, ['n1', 'n2']);
    sim.deadAgents.add('n1');
    sim.setNodeState('n1', 'down');
    sim.reconcile();
    sim.agents();
    sim.deadAgents.delete('n1');
    sim.setNodeState('n1', 'ready');
    sim.reconcile();
    sim.agents();
    sim.reconcile();
    expect(on(sim, 'n1').every((t) => t.status.state === 'shutdown')).toBe(true);
    expect(sim.running('web')).toHaveLength(2);
    expect(sim.reconcile().rounds).toBe(1);
  });
});

describe('drain', () => {
  it('is start-first: the old task runs until its replacement runs', () => {
    const sim = cluster(2, ['n1', 'n2', 'n3']);
    const [old] = on(sim, 'n1');
    expect(old).toBeDefined();
    sim.setAvailability('n1', 'drain');
    sim.reconcile();

    const replacement = sim.tasks('web').find((t) => t.replaces?.taskId === old?.id) as TaskObject;
    expect(replacement).toMatchObject({ slot: old?.slot, desiredState: 'running', replaces: { reason: 'drain' }, nodeId: 'n3' });
    expect(get(sim, old?.id as string).desiredState).toBe('running');
    expect(serving(sim)).toBe(2);

    sim.agents(); // replacement runs
    expect(serving(sim)).toBe(3);
    sim.reconcile();
    expect(get(sim, old?.id as string).desiredState).toBe('shutdown');
    sim.agents();
    expect(serving(sim)).toBe(2);
    expect(on(sim, 'n1').every((t) => t.status.state === 'shutdown')).toBe(true);
    expect(sim.reconcile().rounds).toBe(1);
  });

  it('replaces a task that is not running yet straight away', () => {
    const sim = new SimCluster();
    sim.addNode('n1');
    sim.addNode('n2', { availability: 'pause' });
    sim.addService('web', makeSpec('web'));
    sim.reconcile(); // assigned to n1, not started
    const [t] = on(sim, 'n1');
    sim.setAvailability('n2', 'active');
    sim.setAvailability('n1', 'drain');
    sim.reconcile();
    expect(get(sim, t?.id as string).desiredState).toBe('shutdown');
    expect(sim.tasks('web').find((x) => x.replaces?.taskId === t?.id)?.nodeId).toBe('n2');
  });

  it('stops the old task at once when no node can take the replacement, as Docker does', () => {
    const sim = cluster(1, ['n1']);
    const [old] = on(sim, 'n1');
    sim.setAvailability('n1', 'drain');
    sim.reconcile();
    const replacement = sim.tasks('web').find((t) => t.replaces?.taskId === old?.id);
    expect(replacement?.status.err).toBe('no suitable node (1 node not available for new tasks)');
    expect(get(sim, old?.id as string).desiredState).toBe('shutdown');
    expect(replacement).toMatchObject({ desiredState: 'running', nodeId: '' });
  });

  it('stops the old task after a timeout when the node that took the replacement does not start it', () => {
    const sim = cluster(1, ['n1', 'n2']);
    const [old] = on(sim, 'n1').length ? on(sim, 'n1') : on(sim, 'n2');
    const from = old?.nodeId as string;
    sim.deadAgents.add(from === 'n1' ? 'n2' : 'n1'); // the other node's agent never starts anything
    sim.setAvailability(from, 'drain');
    const { wakeAt } = sim.reconcile();
    const replacement = sim.tasks('web').find((t) => t.replaces?.taskId === old?.id);
    expect(replacement?.nodeId).toBe(from === 'n1' ? 'n2' : 'n1');
    sim.agents();
    sim.reconcile();
    expect(get(sim, old?.id as string).desiredState).toBe('running');
    expect(wakeAt).toBe(sim.now + 60_000);
    sim.now = wakeAt as number;
    sim.reconcile();
    expect(get(sim, old?.id as string).desiredState).toBe('shutdown');
  });

  it('a replacement that fails ends the hand-over: the old task stops, and the slot keeps one chain of restarts', () => {
    const sim = cluster(1, ['n1', 'n2']);
    const [old] = on(sim, 'n1').length ? on(sim, 'n1') : on(sim, 'n2');
    const from = old?.nodeId as string;
    const to = from === 'n1' ? 'n2' : 'n1';
    sim.setAvailability(from, 'drain');
    sim.reconcile();
    const first = sim.tasks('web').find((t) => t.replaces?.taskId === old?.id) as TaskObject;
    expect(first.nodeId).toBe(to);
    sim.setTaskState(first.id, 'failed', { err: 'task: non-zero exit (1)' });
    sim.reconcile();
    // The old task stops now (each restart would otherwise start the 60 s clock afresh)...
    expect(get(sim, old?.id as string).desiredState).toBe('shutdown');
    // ...and the failed replacement has exactly one successor, a delayed restart.
    const live = sim.tasks('web').filter((t) => t.id !== old?.id && (t.desiredState === 'running' || t.desiredState === 'ready'));
    expect(live).toHaveLength(1);
    expect(live[0]).toMatchObject({ desiredState: 'ready', replaces: { reason: 'restart' } });
  });

  it('a drained node that then dies hands over at once', () => {
    const sim = new SimCluster();
    sim.addNode('n1');
    sim.addService('web', makeSpec('web'));
    sim.reconcile();
    sim.agents();
    sim.addNode('n2', { availability: 'pause' });
    const [old] = on(sim, 'n1');
    sim.setAvailability('n1', 'drain');
    sim.reconcile(); // replacement pending: n2 is paused
    sim.deadAgents.add('n1');
    sim.setNodeState('n1', 'down');
    sim.reconcile();
    expect(get(sim, old?.id as string).desiredState).toBe('shutdown');
    expect(sim.tasks('web').filter((t) => t.desiredState === 'running')).toHaveLength(1);
  });

  it('pause keeps tasks where they are', () => {
    const sim = cluster(2, ['n1', 'n2']);
    sim.setAvailability('n1', 'pause');
    expect(sim.reconcile().rounds).toBe(1);
    expect(on(sim, 'n1').every((t) => t.desiredState === 'running')).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { runOrchestrators } from './orchestrator';
import { makeSpec, SimCluster } from './testing';

function started(replicas: number, nodes = ['n1', 'n2', 'n3']): SimCluster {
  const sim = new SimCluster();
  for (const n of nodes) sim.addNode(n);
  sim.addService('web', makeSpec('web', { mode: { type: 'replicated', replicas } }));
  sim.reconcile();
  sim.agents();
  sim.reconcile();
  return sim;
}

const scale = (sim: SimCluster, replicas: number) => sim.updateService('web', (s) => ({ ...s, mode: { type: 'replicated', replicas } }));
const live = (sim: SimCluster) => sim.tasks('web').filter((t) => t.desiredState === 'running' || t.desiredState === 'ready');

describe('replicated orchestrator', () => {
  it('creates one pending task per slot, desired running, from the service spec', () => {
    const sim = new SimCluster();
    sim.addService('web', makeSpec('web', { mode: { type: 'replicated', replicas: 3 } }));
    sim.step(runOrchestrators);
    const tasks = sim.tasks('web').sort((a, b) => a.slot - b.slot);
    expect(tasks.map((t) => t.slot)).toEqual([1, 2, 3]);
    const service = sim.store.get('service', 'web');
    for (const t of tasks) {
      expect(t).toMatchObject({ desiredState: 'running', nodeId: '', status: { state: 'pending', message: 'pending task scheduling' } });
      expect(t.spec).toEqual(service?.spec.task);
      expect(t.serviceVersion).toBe(service?.version);
    }
    // Nothing more to do until something changes.
    expect(sim.step(runOrchestrators).ops).toEqual([]);
  });

  it('converges: scheduled, run by agents, then quiet', () => {
    const sim = started(3);
    expect(sim.running('web')).toHaveLength(3);
    expect(new Set(sim.running('web').map((t) => t.nodeId))).toEqual(new Set(['n1', 'n2', 'n3']));
    expect(sim.reconcile().rounds).toBe(1);
  });

  it('scales up into the missing slots', () => {
    const sim = started(2);
    scale(sim, 4);
    sim.reconcile();
    expect(live(sim).map((t) => t.slot).sort()).toEqual([1, 2, 3, 4]);
  });

  it('scales down the highest slots on the most crowded nodes, desired remove, then reaps them', () => {
    const sim = started(6);
    // 6 tasks on 3 nodes, two each; slots 4,5,6 are the second copies.
    scale(sim, 3);
    sim.reconcile();
    const removed = sim.tasks('web').filter((t) => t.desiredState === 'remove');
    expect(removed.map((t) => t.slot).sort()).toEqual([4, 5, 6]);
    expect(new Set(live(sim).map((t) => t.nodeId))).toEqual(new Set(['n1', 'n2', 'n3']));
    sim.agents(); // agents stop them
    sim.reconcile(); // the reaper deletes them
    expect(sim.tasks('web').map((t) => t.slot).sort()).toEqual([1, 2, 3]);
  });

  it('prefers removing tasks that are not running', () => {
    const sim = started(3);
    scale(sim, 4);
    sim.reconcile(); // slot 4 assigned, not running yet
    scale(sim, 3);
    sim.reconcile();
    expect(sim.tasks('web').find((t) => t.desiredState === 'remove')?.slot).toBe(4);
  });

  it('marks every task of a removed service desired remove and reaps them once stopped', () => {
    const sim = started(2);
    sim.removeService('web');
    sim.reconcile();
    expect(sim.tasks('web').every((t) => t.desiredState === 'remove')).toBe(true);
    sim.agents();
    sim.reconcile();
    expect(sim.tasks('web')).toEqual([]);
  });

  it('reaps unscheduled tasks of a removed service at once', () => {
    const sim = new SimCluster();
    sim.addService('web', makeSpec('web', { mode: { type: 'replicated', replicas: 2 } }));
    sim.reconcile(); // no nodes: stays pending
    sim.removeService('web');
    sim.reconcile();
    expect(sim.tasks('web')).toEqual([]);
  });
});

describe('constraint enforcer (replicated)', () => {
  it('rejects a task whose node stops meeting its constraints and replaces it where they hold, after the restart delay', () => {
    const sim = new SimCluster();
    sim.addNode('n1');
    sim.addNode('n2');
    sim.updateNode('n1', (n) => ({ ...n, spec: { ...n.spec, labels: { tier: 'a' } } }));
    const spec = makeSpec('web', { mode: { type: 'replicated', replicas: 1 } });
    sim.addService('web', { ...spec, task: { ...spec.task, placement: { ...spec.task.placement, constraints: ['node.labels.tier==a'] } } });
    sim.reconcile();
    sim.agents();
    sim.reconcile();
    const [first] = sim.running('web');
    expect(first?.nodeId).toBe('n1');
    // The label moves from n1 to n2.
    sim.updateNode('n1', (n) => ({ ...n, spec: { ...n.spec, labels: {} } }));
    sim.updateNode('n2', (n) => ({ ...n, spec: { ...n.spec, labels: { tier: 'a' } } }));
    const { wakeAt } = sim.reconcile();
    expect(sim.store.get('task', first!.id)).toMatchObject({
      desiredState: 'shutdown',
      status: { state: 'rejected', message: 'task rejected by constraint enforcer', err: 'assigned node no longer meets constraints' },
    });
    sim.now = wakeAt as number;
    sim.reconcile();
    sim.agents();
    sim.reconcile();
    expect(sim.running('web').map((t) => t.nodeId)).toEqual(['n2']);
  });

  /** One task on n1, labelled tier=a, with `constraints`; n2 unlabelled. */
  function placed(constraints: string[]): { sim: SimCluster; id: string } {
    const sim = new SimCluster();
    sim.addNode('n1', { labels: { tier: 'a' } });
    sim.addNode('n2');
    const spec = makeSpec('web', { mode: { type: 'replicated', replicas: 1 } });
    sim.addService('web', { ...spec, task: { ...spec.task, placement: { ...spec.task.placement, constraints } } });
    sim.reconcile();
    sim.agents();
    sim.reconcile();
    const [t] = sim.running('web');
    expect(t?.nodeId).toBe('n1');
    return { sim, id: t!.id };
  }
  const setConstraints = (sim: SimCluster, constraints: string[]) =>
    sim.updateService('web', (s) => ({ ...s, task: { ...s.task, placement: { ...s.task.placement, constraints } } }));
  const dropLabel = (sim: SimCluster) => sim.updateNode('n1', (n) => ({ ...n, spec: { ...n.spec, labels: {} } }));

  it("holds a task kept by a constraint-only update to the service's current constraints", () => {
    // Dropped from the service: the task, kept, is no longer held to its old constraint.
    const dropped = placed(['node.labels.tier==a']);
    setConstraints(dropped.sim, []);
    dropped.sim.reconcile();
    dropLabel(dropped.sim);
    dropped.sim.reconcile();
    expect(dropped.sim.running('web').map((t) => t.id)).toEqual([dropped.id]);
    // Added to the service while the node met it: the kept task is held to it, and no update rolls.
    const added = placed([]);
    setConstraints(added.sim, ['node.labels.tier==a']);
    added.sim.reconcile();
    expect(added.sim.running('web').map((t) => t.id)).toEqual([added.id]);
    dropLabel(added.sim);
    added.sim.reconcile();
    expect(added.sim.store.get('task', added.id)?.status).toMatchObject({ state: 'rejected', err: 'assigned node no longer meets constraints' });
    expect(added.sim.store.get('service', 'web')?.updateStatus?.state).toBe('completed'); // not a new rolling update
  });

  it('leaves tasks a constraint update moves to the rolling updater (its order and pace), not the enforcer', () => {
    const sim = new SimCluster();
    for (const [id, zone] of [['n1', 'a'], ['n2', 'a'], ['n3', 'b'], ['n4', 'b']] as const) sim.addNode(id, { labels: { zone } });
    const spec = makeSpec('web', { mode: { type: 'replicated', replicas: 2 } });
    sim.addService('web', {
      ...spec,
      task: { ...spec.task, placement: { ...spec.task.placement, constraints: ['node.labels.zone==a'] } },
      update: { ...spec.update, order: 'start-first', parallelism: 1 },
    });
    sim.reconcile();
    sim.agents();
    sim.reconcile();
    const before = sim.running('web').map((t) => t.id).sort();
    expect(before).toHaveLength(2);
    setConstraints(sim, ['node.labels.zone==b']);
    sim.reconcile();
    // Both old tasks keep running; one start-first replacement goes to a zone b node.
    expect(sim.running('web').map((t) => t.id).sort()).toEqual(before);
    expect(sim.tasks('web').filter((t) => t.status.state === 'rejected')).toEqual([]);
    const replacements = sim.tasks('web').filter((t) => !before.includes(t.id) && t.desiredState === 'running');
    expect(replacements.map((t) => t.nodeId).filter((n) => n === 'n3' || n === 'n4')).toHaveLength(1);
  });

  it('leaves the tasks of a paused node where they are, as swarmkit does', () => {
    const { sim, id } = placed(['node.labels.tier==a']);
    sim.setAvailability('n1', 'pause');
    dropLabel(sim);
    sim.reconcile();
    expect(sim.running('web').map((t) => t.id)).toEqual([id]);
  });

  it('leaves tasks alone while their node still meets the constraints, and tasks without constraints', () => {
    const sim = started(3);
    const before = sim.running('web').map((t) => t.id).sort();
    sim.updateNode('n1', (n) => ({ ...n, spec: { ...n.spec, labels: { any: 'thing' } } }));
    sim.reconcile();
    expect(sim.running('web').map((t) => t.id).sort()).toEqual(before);
  });
});

import { describe, expect, it } from 'vitest';
import type { ServiceSpec, TaskObject, UpdateConfig } from '@shoal/store';
import { makeSpec, SimCluster } from './testing';

function cluster(replicas: number, update: Partial<UpdateConfig> = {}): SimCluster {
  const sim = new SimCluster();
  for (const n of ['n1', 'n2', 'n3']) sim.addNode(n);
  const spec = makeSpec('web', { mode: { type: 'replicated', replicas } });
  sim.addService('web', { ...spec, update: { ...spec.update, ...update } });
  sim.reconcile();
  sim.agents();
  sim.reconcile();
  return sim;
}

const image = (tag: string) => (s: ServiceSpec): ServiceSpec => ({ ...s, task: { ...s.task, container: { image: `nginx:${tag}` } } });
const live = (sim: SimCluster): TaskObject[] => sim.tasks('web').filter((t) => t.desiredState === 'running' || t.desiredState === 'ready');
const withImage = (sim: SimCluster, img: string): TaskObject[] => live(sim).filter((t) => t.spec.container.image === img);
const status = (sim: SimCluster) => sim.store.get('service', 'web')?.updateStatus;

/** agents + reconcile until nothing moves; returns the last wake-up time. */
function settle(sim: SimCluster): number | null {
  let wakeAt: number | null = null;
  for (let i = 0; i < 20; i++) {
    const before = sim.store.appliedIndex;
    sim.agents();
    wakeAt = sim.reconcile().wakeAt;
    if (sim.store.appliedIndex === before) break;
  }
  return wakeAt;
}

describe('rolling update', () => {
  it('stop-first, one slot at a time: the new task starts once the old one stopped', () => {
    const sim = cluster(3);
    sim.updateService('web', image('2'));
    sim.reconcile();
    expect(status(sim)?.state).toBe('updating');
    const fresh = withImage(sim, 'nginx:2');
    expect(fresh).toHaveLength(1);
    expect(fresh[0]).toMatchObject({ desiredState: 'ready', replaces: { reason: 'update' } });
    const old = sim.store.get('task', fresh[0]?.replaces?.taskId as string);
    expect(old?.desiredState).toBe('shutdown');
    expect(withImage(sim, 'nginx')).toHaveLength(2);

    sim.agents(); // old stops, new is prepared
    sim.reconcile(); // new released to run
    expect(sim.store.get('task', fresh[0]?.id as string)?.desiredState).toBe('running');
    sim.agents();
    sim.reconcile(); // slot done: the next one starts
    expect(withImage(sim, 'nginx:2')).toHaveLength(2);

    const wakeAt = settle(sim);
    expect(withImage(sim, 'nginx:2')).toHaveLength(3);
    expect(status(sim)?.state).toBe('updating'); // monitoring
    expect(wakeAt).toBe(sim.now + 5000);
    sim.now = wakeAt as number;
    sim.reconcile();
    expect(status(sim)).toMatchObject({ state: 'completed', message: 'update completed' });
  });

  it('parallelism 0 updates every slot at once', () => {
    const sim = cluster(3, { parallelism: 0 });
    sim.updateService('web', image('2'));
    sim.reconcile();
    expect(withImage(sim, 'nginx:2')).toHaveLength(3);
  });

  it('waits delayMs after a slot runs before the next', () => {
    const sim = cluster(2, { delayMs: 10_000 });
    sim.updateService('web', image('2'));
    sim.reconcile();
    const wakeAt = settle(sim);
    expect(withImage(sim, 'nginx:2')).toHaveLength(1);
    expect(wakeAt).toBe(sim.now + 10_000);
    sim.now = wakeAt as number;
    sim.reconcile();
    expect(withImage(sim, 'nginx:2')).toHaveLength(2);
  });

  it('start-first keeps the old task running until the new one runs', () => {
    const sim = cluster(1, { order: 'start-first' });
    const [old] = live(sim);
    sim.updateService('web', image('2'));
    sim.reconcile();
    const [fresh] = withImage(sim, 'nginx:2');
    expect(fresh).toMatchObject({ desiredState: 'running', replaces: { taskId: old?.id, reason: 'update' } });
    expect(sim.store.get('task', old?.id as string)?.desiredState).toBe('running');
    sim.agents();
    sim.reconcile();
    expect(sim.store.get('task', old?.id as string)?.desiredState).toBe('shutdown');
  });

  it('pauses on a failed new task (failure action pause)', () => {
    const sim = cluster(3);
    sim.updateService('web', image('broken'));
    sim.reconcile();
    sim.agents();
    sim.reconcile();
    const [fresh] = withImage(sim, 'nginx:broken');
    sim.setTaskState(fresh?.id as string, 'failed');
    sim.reconcile();
    expect(status(sim)).toMatchObject({
      state: 'paused',
      message: `update paused due to failure or early termination of task ${fresh?.id}`,
    });
    settle(sim);
    // No other slot was touched.
    expect(withImage(sim, 'nginx')).toHaveLength(2);
  });

  it('counts a failure only if the new task stopped within the monitor period after it ran', () => {
    const run = (failAfterMs: number) => {
      const sim = cluster(3, { monitorMs: 2000 });
      sim.updateService('web', image('2'));
      sim.reconcile();
      sim.agents();
      sim.reconcile();
      sim.agents(); // the new task runs
      const [fresh] = withImage(sim, 'nginx:2').filter((t) => t.status.state === 'running');
      sim.advance(failAfterMs);
      sim.setTaskState(fresh?.id as string, 'failed', { err: 'task: non-zero exit (1)' });
      sim.reconcile();
      return status(sim)?.state;
    };
    expect(run(1000)).toBe('paused');
    // 4 s after it started, past the 2 s monitor: a crash of a task that had settled, not of the update.
    expect(run(4000)).toBe('updating');
  });

  it('waits the delay after a slot whose new task failed, as after one that runs (failure action continue)', () => {
    const sim = cluster(3, { delayMs: 2000, failureAction: 'continue' });
    sim.updateService('web', image('broken'));
    sim.reconcile();
    sim.agents();
    sim.reconcile();
    const [first] = withImage(sim, 'nginx:broken');
    sim.setTaskState(first?.id as string, 'rejected', { err: 'no command specified' });
    const { wakeAt } = sim.reconcile();
    // The failed slot restarts; no other slot is replaced before the delay has passed.
    expect(sim.tasks('web').filter((t) => t.replaces?.reason === 'update')).toHaveLength(1);
    expect(wakeAt).not.toBeNull();
    sim.advance(1999);
    sim.reconcile();
    expect(sim.tasks('web').filter((t) => t.replaces?.reason === 'update')).toHaveLength(1);
    sim.advance(1);
    sim.reconcile();
    expect(sim.tasks('web').filter((t) => t.replaces?.reason === 'update')).toHaveLength(2);
  });

  it('rolls back on failure (failure action rollback)', () => {
    const sim = cluster(2, { failureAction: 'rollback' });
    sim.updateService('web', image('broken'));
    sim.reconcile();
    const startedAt = status(sim)?.startedAt;
    expect(startedAt).toBeDefined();
    sim.now += 1000;
    sim.agents();
    sim.reconcile();
    const [fresh] = withImage(sim, 'nginx:broken');
    sim.setTaskState(fresh?.id as string, 'failed');
    sim.reconcile();
    const service = sim.store.get('service', 'web');
    expect(service?.spec.task.container.image).toBe('nginx');
    expect(service?.updateStatus).toMatchObject({ state: 'updating', rollback: true });
    expect(service?.updateStatus?.startedAt).toBe(startedAt); // the update's start stands (swarmkit's rollbackUpdate)
    for (let i = 0; i < 5; i++) {
      const wakeAt = settle(sim);
      if (wakeAt) sim.now = wakeAt;
    }
    expect(withImage(sim, 'nginx')).toHaveLength(2);
    expect(status(sim)).toMatchObject({ state: 'completed', message: 'rollback completed' });
  });

  it("pauses a rollback whose task fails in swarmkit's words: 'update paused' for the pause action, 'rollback paused' for the rollback action", () => {
    const run = (rollbackAction: UpdateConfig['failureAction']) => {
      const sim = new SimCluster();
      for (const n of ['n1', 'n2', 'n3']) sim.addNode(n);
      const spec = makeSpec('web', { mode: { type: 'replicated', replicas: 2 } });
      sim.addService('web', { ...spec, update: { ...spec.update, failureAction: 'rollback' }, rollback: { ...spec.rollback, failureAction: rollbackAction } });
      settle(sim);
      sim.updateService('web', image('broken'));
      sim.reconcile();
      sim.agents();
      sim.reconcile();
      sim.setTaskState(withImage(sim, 'nginx:broken')[0]?.id as string, 'failed');
      sim.reconcile(); // rolls back to nginx
      sim.agents();
      sim.reconcile();
      const back = withImage(sim, 'nginx').find((t) => t.replaces?.reason === 'update');
      sim.setTaskState(back?.id as string, 'failed');
      sim.reconcile();
      return { status: status(sim), id: back?.id };
    };
    const paused = run('pause');
    expect(paused.status).toMatchObject({ state: 'paused', rollback: true, message: `update paused due to failure or early termination of task ${paused.id}` });
    const again = run('rollback');
    expect(again.status).toMatchObject({ state: 'paused', rollback: true, message: `rollback paused due to failure or early termination of task ${again.id}` });
  });

  it('rolls back a start-first update whose new task never ran, keeping the original and stopping the restarted new one', () => {
    const sim = cluster(1, { failureAction: 'rollback', order: 'start-first' });
    const [original] = withImage(sim, 'nginx');
    sim.updateService('web', image('broken'));
    sim.reconcile();
    const [fresh] = withImage(sim, 'nginx:broken');
    // The new task fails before it runs (e.g. its health check): its restart and the rollback race.
    sim.setTaskState(fresh?.id as string, 'failed');
    for (let i = 0; i < 10; i++) {
      const wakeAt = settle(sim);
      if (wakeAt) sim.now = wakeAt;
    }
    expect(live(sim).map((t) => t.id)).toEqual([original?.id]);
    expect(sim.store.get('task', original?.id as string)).toMatchObject({ desiredState: 'running', status: { state: 'running' } });
    expect(withImage(sim, 'nginx:broken')).toEqual([]);
    expect(status(sim)).toMatchObject({ state: 'completed', message: 'rollback completed' });
  });

  it('completes an update only a monitor period after its new tasks stopped, when they all died', () => {
    const sim = cluster(1, { failureAction: 'continue', maxFailureRatio: 1, monitorMs: 5000 });
    sim.updateService('web', image('crashy'));
    settle(sim);
    const [fresh] = withImage(sim, 'nginx:crashy');
    sim.setTaskState(fresh?.id as string, 'failed', { exitCode: 1 });
    settle(sim);
    sim.now += 4000;
    settle(sim);
    expect(status(sim)?.state).toBe('updating');
    sim.now += 1500;
    settle(sim);
    expect(status(sim)).toMatchObject({ state: 'completed', message: 'update completed' });
  });

  it('does not replace tasks when only constraints changed and still hold', () => {
    const sim = cluster(2);
    const before = live(sim).map((t) => t.id).sort();
    sim.updateService('web', (s) => ({ ...s, task: { ...s.task, placement: { constraints: ['node.role==worker'], maxReplicas: 0 } } }));
    sim.reconcile();
    expect(live(sim).map((t) => t.id).sort()).toEqual(before);
    expect(status(sim)?.state).toBe('completed');
  });

  it('a scale-only update completes at once', () => {
    const sim = cluster(2);
    sim.updateService('web', (s) => ({ ...s, mode: { type: 'replicated', replicas: 3 } }));
    sim.reconcile();
    expect(status(sim)?.state).toBe('completed');
    expect(live(sim)).toHaveLength(3);
  });
});

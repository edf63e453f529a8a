import { serviceStatus, type ServiceSpec, type TaskObject } from '@shoal/store';
import { describe, expect, it } from 'vitest';
import { makeSpec, SimCluster } from './testing';

function replicatedJob(maxConcurrent: number, totalCompletions: number, restart: Partial<ServiceSpec['task']['restart']> = {}): ServiceSpec {
  const spec = makeSpec('job', { mode: { type: 'replicated-job', maxConcurrent, totalCompletions } });
  return { ...spec, task: { ...spec.task, restart: { ...spec.task.restart, condition: 'on-failure', ...restart } } };
}

function globalJob(): ServiceSpec {
  return makeSpec('job', { mode: { type: 'global-job' } });
}

const current = (sim: SimCluster): TaskObject[] => {
  const iteration = sim.store.get('service', 'job')?.jobStatus?.iteration;
  return sim.tasks('job').filter((t) => t.jobIteration === iteration);
};
const active = (sim: SimCluster): TaskObject[] => current(sim).filter((t) => t.desiredState === 'complete' && t.status.state !== 'complete');
const completed = (sim: SimCluster): TaskObject[] => current(sim).filter((t) => t.status.state === 'complete');

/** Every task of the current iteration that runs, and is still wanted, exits 0. */
function finishRunning(sim: SimCluster): void {
  for (const t of current(sim)) if (t.status.state === 'running' && t.desiredState === 'complete') sim.setTaskState(t.id, 'complete', { exitCode: 0 });
}

function cycle(sim: SimCluster): void {
  sim.reconcile();
  sim.agents();
  sim.reconcile();
}

describe('replicated job', () => {
  it('runs TotalCompletions tasks, at most MaxConcurrent at a time, each in its own slot from 0, and then nothing more', () => {
    const sim = new SimCluster();
    sim.addNode('n1');
    sim.addNode('n2');
    sim.addService('job', replicatedJob(2, 5));
    cycle(sim);
    expect(active(sim).map((t) => [t.slot, t.status.state])).toEqual([
      [0, 'running'],
      [1, 'running'],
    ]);
    expect(current(sim).every((t) => t.desiredState === 'complete' && t.jobIteration === 0)).toBe(true);
    for (let round = 0; round < 3; round++) {
      finishRunning(sim);
      cycle(sim);
    }
    expect(completed(sim).map((t) => t.slot).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(active(sim)).toEqual([]);
    expect(sim.tasks('job')).toHaveLength(5);
    const status = serviceStatus(sim.store.get('service', 'job') as never, sim.tasks());
    expect(status).toEqual({ runningTasks: 0, desiredTasks: 2, completedTasks: 5 });
    // Done stays done: completed tasks are never restarted, whatever the restart condition says.
    sim.advance(60_000);
    cycle(sim);
    expect(sim.tasks('job')).toHaveLength(5);
  });

  it('does not restart a completed task even with restart condition any', () => {
    const sim = new SimCluster();
    sim.addNode('n1');
    sim.addService('job', replicatedJob(1, 1, { condition: 'any' }));
    cycle(sim);
    finishRunning(sim);
    sim.advance(10_000);
    cycle(sim);
    expect(sim.tasks('job')).toHaveLength(1);
    expect(completed(sim)).toHaveLength(1);
  });

  it('restarts a failed task in its slot after the restart delay, counting attempts, and a slot out of attempts ends the job unfinished', () => {
    const sim = new SimCluster();
    sim.addNode('n1');
    sim.addService('job', replicatedJob(1, 1, { delayMs: 1000, maxAttempts: 1 }));
    cycle(sim);
    const [first] = active(sim);
    sim.setTaskState((first as TaskObject).id, 'failed', { err: 'task: non-zero exit (1)', exitCode: 1 });
    sim.reconcile();
    const retry = current(sim).find((t) => t.id !== first?.id) as TaskObject;
    expect(retry).toMatchObject({ slot: 0, desiredState: 'ready', replaces: { taskId: first?.id, reason: 'restart' } });
    sim.advance(1000);
    cycle(sim);
    expect(sim.store.get('task', retry.id)).toMatchObject({ desiredState: 'complete', status: { state: 'running' } });
    sim.setTaskState(retry.id, 'failed', { err: 'task: non-zero exit (1)', exitCode: 1 });
    sim.advance(5000);
    cycle(sim);
    // One restart allowed, used: no third task, and the job does not complete.
    expect(sim.tasks('job')).toHaveLength(2);
    expect(completed(sim)).toEqual([]);
    expect(active(sim)).toEqual([]);
  });

  it('with restart condition none, a failed task ends its slot while the other slots go on', () => {
    const sim = new SimCluster();
    sim.addNode('n1');
    sim.addService('job', replicatedJob(1, 2, { condition: 'none' }));
    cycle(sim);
    sim.setTaskState((active(sim)[0] as TaskObject).id, 'failed', { exitCode: 2 });
    cycle(sim);
    expect(active(sim).map((t) => t.slot)).toEqual([1]);
    finishRunning(sim);
    cycle(sim);
    expect(sim.tasks('job')).toHaveLength(2);
    expect(completed(sim).map((t) => t.slot)).toEqual([1]);
  });

  it('runs a task whose node went down again elsewhere', () => {
    const sim = new SimCluster();
    sim.addNode('n1');
    sim.addNode('n2');
    sim.addService('job', replicatedJob(1, 1));
    cycle(sim);
    const [first] = active(sim) as [TaskObject];
    sim.setNodeState(first.nodeId, 'down');
    cycle(sim);
    // Orphaned: its dead node cannot report its end, and the slot's record is the replacement's.
    expect(sim.store.get('task', first.id)).toMatchObject({ desiredState: 'shutdown', status: { state: 'orphaned' } });
    const [again] = active(sim) as [TaskObject];
    expect(again).toMatchObject({ slot: 0, replaces: { taskId: first.id, reason: 'node-down' }, status: { state: 'running' } });
    expect(again.nodeId).not.toBe(first.nodeId);
  });

  it('an update (a scale, --force) starts the next iteration: what still runs is removed, what finished is kept as history', () => {
    const sim = new SimCluster();
    sim.addNode('n1');
    sim.addService('job', replicatedJob(2, 3));
    cycle(sim);
    const [done, still] = active(sim) as [TaskObject, TaskObject];
    sim.setTaskState(done.id, 'complete', { exitCode: 0 });
    sim.updateService('job', (spec) => ({ ...spec, mode: { type: 'replicated-job', maxConcurrent: 2, totalCompletions: 4 } }));
    sim.reconcile();
    expect(sim.store.get('task', done.id)?.desiredState).toBe('complete'); // as Docker shows an earlier run's finished task
    expect(sim.store.get('task', still.id)?.desiredState).toBe('remove');
    sim.agents();
    sim.reconcile();
    // The running one was stopped and deleted; the finished one stays in the history.
    expect(sim.store.get('task', still.id)).toBeUndefined();
    expect(sim.store.get('task', done.id)).toBeDefined();
    expect(active(sim).map((t) => [t.slot, t.jobIteration])).toEqual([
      [0, 1],
      [1, 1],
    ]);
  });

  it('keeps the current iteration whole and reaps earlier iterations past the retention limit', () => {
    const sim = new SimCluster({ taskHistoryRetentionLimit: 2 });
    sim.addNode('n1');
    sim.addService('job', replicatedJob(1, 1));
    for (let i = 0; i < 4; i++) {
      cycle(sim);
      finishRunning(sim);
      cycle(sim);
      if (i < 3) sim.updateService('job', (spec) => ({ ...spec, task: { ...spec.task, forceUpdate: i + 1 } }));
    }
    const tasks = sim.tasks('job');
    expect(tasks.map((t) => t.jobIteration).sort()).toEqual([2, 3]);
    expect(completed(sim)).toHaveLength(1);
  });
});

describe('replicated job, the edges', () => {
  it('counts a slot once: a task that completes on a node that came back stops the replacement running elsewhere', () => {
    const sim = new SimCluster();
    sim.addNode('n1');
    sim.addNode('n2');
    sim.addService('job', replicatedJob(1, 2));
    cycle(sim);
    const [first] = active(sim) as [TaskObject];
    sim.setNodeState(first.nodeId, 'down');
    cycle(sim);
    const [replacement] = active(sim) as [TaskObject];
    expect(replacement.slot).toBe(0);
    // The node returns and reports that the first task had finished after all.
    sim.setNodeState(first.nodeId, 'ready');
    sim.setTaskState(first.id, 'complete', { exitCode: 0 });
    sim.reconcile();
    expect(sim.store.get('task', replacement.id)?.desiredState).toBe('shutdown');
    expect(active(sim).map((t) => t.slot)).toEqual([1]); // MaxConcurrent 1: only the next slot runs
    sim.agents();
    finishRunning(sim);
    cycle(sim);
    const status = serviceStatus(sim.store.get('service', 'job') as never, sim.tasks());
    expect(status.completedTasks).toBe(2);
  });

  it('never reaps the current iteration: a slot that failed for good stays failed with no task history kept', () => {
    const sim = new SimCluster({ taskHistoryRetentionLimit: 0 });
    sim.addNode('n1');
    sim.addService('job', replicatedJob(1, 1, { condition: 'none' }));
    cycle(sim);
    sim.setTaskState((active(sim)[0] as TaskObject).id, 'failed', { exitCode: 1 });
    for (let i = 0; i < 3; i++) cycle(sim);
    expect(sim.tasks('job')).toHaveLength(1);
  });

  it('trims the failed attempts of a task that keeps failing to the history limit, as for a service', () => {
    const sim = new SimCluster({ taskHistoryRetentionLimit: 2 });
    sim.addNode('n1');
    sim.addService('job', replicatedJob(1, 1, { delayMs: 0 }));
    for (let i = 0; i < 10; i++) {
      cycle(sim);
      for (const t of active(sim)) if (t.status.state === 'running') sim.setTaskState(t.id, 'failed', { exitCode: 1 });
    }
    cycle(sim);
    expect(sim.tasks('job').length).toBeLessThanOrEqual(3);
    expect(active(sim)).toHaveLength(1); // still trying
  });

  it('rejects a task whose node stops meeting its constraints, and runs it where they hold', () => {
    const sim = new SimCluster();
    sim.addNode('n1', { labels: { batch: 'yes' } });
    sim.addNode('n2', { labels: { batch: 'yes' } });
    const spec = replicatedJob(1, 1);
    sim.addService('job', { ...spec, task: { ...spec.task, placement: { constraints: ['node.labels.batch==yes'], maxReplicas: 0 } } });
    cycle(sim);
    const [first] = active(sim) as [TaskObject];
    sim.updateNode(first.nodeId, (n) => ({ ...n, spec: { ...n.spec, labels: {} } }));
    cycle(sim);
    expect(sim.store.get('task', first.id)?.status).toMatchObject({ state: 'rejected', err: 'assigned node no longer meets constraints' });
    sim.advance(5000); // the restart delay
    cycle(sim);
    const [again] = active(sim) as [TaskObject];
    expect(again.nodeId).not.toBe(first.nodeId);
    expect(again.status.state).toBe('running');
  });
});

describe('global job', () => {
  it('runs once on every eligible node, a node that joins during the iteration included, and again on every node at the next iteration', () => {
    const sim = new SimCluster();
    sim.addNode('n1');
    sim.addNode('n2');
    sim.addNode('n3', { availability: 'drain' });
    sim.addService('job', globalJob());
    cycle(sim);
    expect(active(sim).map((t) => t.nodeId).sort()).toEqual(['n1', 'n2']);
    finishRunning(sim);
    sim.addNode('n4');
    cycle(sim);
    expect(completed(sim).map((t) => t.nodeId).sort()).toEqual(['n1', 'n2']);
    expect(active(sim).map((t) => t.nodeId)).toEqual(['n4']);
    finishRunning(sim);
    cycle(sim);
    expect(sim.tasks('job')).toHaveLength(3);
    const status = serviceStatus(sim.store.get('service', 'job') as never, sim.tasks());
    expect(status).toEqual({ runningTasks: 0, desiredTasks: 0, completedTasks: 3 });
    sim.updateService('job', (spec) => ({ ...spec, task: { ...spec.task, forceUpdate: 1 } }));
    cycle(sim);
    expect(active(sim).map((t) => t.nodeId).sort()).toEqual(['n1', 'n2', 'n4']);
  });

  it('restarts a failed task on its node, and shuts down, without moving, one whose node went down', () => {
    const sim = new SimCluster();
    sim.addNode('n1');
    sim.addNode('n2');
    sim.advance(1000);
    sim.addService('job', { ...globalJob(), task: { ...globalJob().task, restart: { condition: 'on-failure', delayMs: 0, maxAttempts: 0, windowMs: 0 } } });
    cycle(sim);
    const onN1 = active(sim).find((t) => t.nodeId === 'n1') as TaskObject;
    const onN2 = active(sim).find((t) => t.nodeId === 'n2') as TaskObject;
    sim.setTaskState(onN1.id, 'failed', { exitCode: 1 });
    sim.setNodeState('n2', 'down');
    cycle(sim);
    expect(sim.store.get('task', onN2.id)?.desiredState).toBe('shutdown');
    expect(active(sim).map((t) => [t.nodeId, t.status.state])).toEqual([['n1', 'running']]);
    finishRunning(sim);
    cycle(sim);
    expect(completed(sim).map((t) => t.nodeId)).toEqual(['n1']);
  });
});

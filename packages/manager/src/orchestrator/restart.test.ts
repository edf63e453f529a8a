import { describe, expect, it } from 'vitest';
import type { RestartPolicy, TaskObject } from '@shoal/store';
import { makeSpec, SimCluster, T0 } from './testing';

function running(restart: Partial<RestartPolicy> = {}, nodes = ['n1', 'n2']): SimCluster {
  const sim = new SimCluster();
  for (const n of nodes) sim.addNode(n);
  const spec = makeSpec('web');
  sim.addService('web', { ...spec, task: { ...spec.task, restart: { ...spec.task.restart, ...restart } } });
  sim.reconcile();
  sim.agents();
  sim.reconcile();
  return sim;
}

const slot1 = (sim: SimCluster): TaskObject[] =>
  sim.tasks('web').filter((t) => t.slot === 1).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
const liveInSlot1 = (sim: SimCluster): TaskObject[] => slot1(sim).filter((t) => t.desiredState === 'running' || t.desiredState === 'ready');
const current = (sim: SimCluster): TaskObject => {
  const live = liveInSlot1(sim);
  expect(live).toHaveLength(1);
  return live[0] as TaskObject;
};

/** The current task of slot 1 exits with `state`; returns the reconcile result. */
function exit(sim: SimCluster, state: 'failed' | 'complete' = 'failed') {
  sim.setTaskState(current(sim).id, state);
  return sim.reconcile();
}

/** Lets the restart delay pass and the agents start the replacement. */
function restartAfterDelay(sim: SimCluster, wakeAt: number | null) {
  expect(wakeAt).not.toBeNull();
  sim.now = wakeAt as number;
  sim.reconcile();
  sim.agents();
  sim.reconcile();
}

describe('restart supervisor', () => {
  it('replaces a failed task in the same slot after the restart delay', () => {
    const sim = running();
    const old = current(sim);
    sim.advance(1000);
    const { wakeAt } = exit(sim);

    const replacement = current(sim);
    expect(replacement.id).not.toBe(old.id);
    expect(replacement).toMatchObject({ slot: 1, desiredState: 'ready', replaces: { taskId: old.id, reason: 'restart' } });
    expect(replacement.startAfter).toBe(new Date(T0 + 1000 + 5000).toISOString());
    expect(sim.store.get('task', old.id)?.desiredState).toBe('shutdown');
    expect(wakeAt).toBe(T0 + 1000 + 5000);
    // Scheduled and prepared during the delay, but not started.
    sim.agents();
    expect(sim.store.get('task', replacement.id)?.status.state).toBe('ready');

    sim.advance(4999);
    sim.reconcile();
    expect(sim.store.get('task', replacement.id)?.desiredState).toBe('ready');
    restartAfterDelay(sim, T0 + 6000);
    expect(sim.store.get('task', replacement.id)).toMatchObject({ desiredState: 'running', status: { state: 'running' } });
  });

  it('a replacement rejected while it waits out its delay is replaced only once that delay has passed', () => {
    // A task whose node cannot even prepare it (an unknown image) is rejected as soon as it is
    // assigned, long before its delayed start: each rejection must not bring the next at once.
    const sim = running();
    const { wakeAt } = exit(sim);
    const first = current(sim);
    expect(first.desiredState).toBe('ready');
    sim.setTaskState(first.id, 'rejected', { err: 'no command specified' });
    const again = sim.reconcile();
    // Still the slot's task, desired ready and rejected, as Docker shows it; nothing new yet.
    expect(liveInSlot1(sim).map((t) => t.id)).toEqual([first.id]);
    expect(again.wakeAt).toBe(wakeAt);

    sim.now = wakeAt as number;
    sim.reconcile();
    const second = current(sim);
    expect(second.id).not.toBe(first.id);
    expect(second).toMatchObject({ desiredState: 'ready', replaces: { taskId: first.id, reason: 'restart' } });
    expect(sim.store.get('task', first.id)?.desiredState).toBe('shutdown');
    expect(second.startAfter).toBe(new Date((wakeAt as number) + 5000).toISOString());
    // Five rejections take five delays, not a few milliseconds.
    for (let i = 0; i < 5; i++) {
      const t = current(sim);
      sim.setTaskState(t.id, 'rejected', { err: 'no command specified' });
      sim.reconcile();
      sim.advance(4999);
      sim.reconcile();
      expect(current(sim).id).toBe(t.id);
      sim.advance(1);
      sim.reconcile();
      expect(current(sim).id).not.toBe(t.id);
    }
  });

  it('the reaper never deletes a rejected replacement still waiting out its delay, even with no task history', () => {
    const sim = new SimCluster({ taskHistoryRetentionLimit: 0 });
    sim.addNode('n1');
    sim.addService('web', makeSpec('web'));
    sim.reconcile();
    sim.agents();
    sim.reconcile();
    const { wakeAt } = exit(sim);
    const waiting = current(sim);
    sim.setTaskState(waiting.id, 'rejected', { err: 'no command specified' });
    sim.reconcile();
    expect(sim.store.get('task', waiting.id)).toBeDefined();
    expect(current(sim).id).toBe(waiting.id); // no new task before the delay
    sim.now = wakeAt as number;
    sim.reconcile();
    expect(current(sim).id).not.toBe(waiting.id);
  });

  it('a task rejected 5 times on a node is placed elsewhere, though the reaper deleted those tasks', () => {
    // swarmkit's recentFailures: the scheduler tries a node last once the service failed there
    // 5 times in 5 minutes. A slot keeps only 5 tasks, one of them the live one, so the leader
    // must remember failures past the reaper.
    const sim = running({ delayMs: 0 });
    const nodes: string[] = [];
    for (let i = 0; i < 7; i++) {
      const t = current(sim);
      nodes.push(t.nodeId);
      sim.setTaskState(t.id, 'rejected', { err: 'no command specified' });
      sim.advance(1000);
      sim.reconcile();
      sim.agents();
      sim.reconcile();
      expect(slot1(sim).length).toBeLessThanOrEqual(5);
    }
    const first = nodes[0] as string;
    expect(nodes.slice(0, 5)).toEqual(Array(5).fill(first));
    // Not back to it once the reaper deleted a failure there (it did, without the leader's log).
    expect(nodes.slice(5)).not.toContain(first);
    // Failures leave the log with the window.
    sim.advance(5 * 60_000 + 1000);
    sim.setTaskState(current(sim).id, 'rejected', { err: 'no command specified' });
    sim.reconcile();
    expect(sim.failures.size).toBe(1);
  });

  it('condition none: never replaced, and the slot is not refilled', () => {
    const sim = running({ condition: 'none' });
    exit(sim, 'failed');
    sim.advance(60_000);
    sim.reconcile();
    expect(slot1(sim)).toHaveLength(1);
    expect(slot1(sim)[0]?.desiredState).toBe('shutdown');
  });

  it('condition on-failure: a clean exit stays stopped, a failure restarts', () => {
    const clean = running({ condition: 'on-failure' });
    exit(clean, 'complete');
    expect(slot1(clean)).toHaveLength(1);

    const failing = running({ condition: 'on-failure' });
    exit(failing, 'failed');
    expect(slot1(failing)).toHaveLength(2);
  });

  it('condition any: a clean exit restarts too', () => {
    const sim = running({ condition: 'any' });
    exit(sim, 'complete');
    expect(slot1(sim)).toHaveLength(2);
  });

  it('max attempts: restarts counted per slot', () => {
    const sim = running({ maxAttempts: 2 });
    for (let i = 0; i < 2; i++) {
      const { wakeAt } = exit(sim);
      restartAfterDelay(sim, wakeAt);
    }
    expect(slot1(sim)).toHaveLength(3);
    exit(sim);
    sim.advance(60_000);
    sim.reconcile();
    expect(slot1(sim)).toHaveLength(3);
    expect(slot1(sim).every((t) => t.desiredState === 'shutdown')).toBe(true);
  });

  it('max attempts within a window: only restarts inside the window count', () => {
    const sim = running({ maxAttempts: 1, windowMs: 60_000 });
    restartAfterDelay(sim, exit(sim).wakeAt); // restart #1 at T0
    sim.advance(100_000); // long after the window: restart #1 no longer counts
    const before = current(sim).id;
    const second = exit(sim);
    expect(current(sim).id).not.toBe(before);
    restartAfterDelay(sim, second.wakeAt);
    sim.advance(10_000); // within 60 s of restart #2: no more
    exit(sim);
    expect(liveInSlot1(sim)).toEqual([]);
    // MaxAttempts + 1 tasks are kept per slot so the history survives the reaper.
    expect(slot1(sim)).toHaveLength(2);
  });

  it('a new spec starts a new restart history', () => {
    const sim = running({ maxAttempts: 1 });
    restartAfterDelay(sim, exit(sim).wakeAt);
    sim.updateService('web', (s) => ({ ...s, task: { ...s.task, container: { image: 'nginx:2' } } }));
    sim.reconcile();
    sim.agents();
    sim.reconcile();
    expect(current(sim).spec.container.image).toBe('nginx:2');
    exit(sim);
    expect(current(sim).replaces?.reason).toBe('restart');
  });

  it('does not restart a task whose start-first replacement already took over', () => {
    const sim = running();
    sim.updateService('web', (s) => ({ ...s, task: { ...s.task, container: { image: 'nginx:2' } }, update: { ...s.update, order: 'start-first' } }));
    sim.reconcile();
    const [old, fresh] = slot1(sim);
    expect(fresh?.replaces).toEqual({ taskId: old?.id, reason: 'update' });
    sim.setTaskState(old?.id as string, 'failed');
    sim.reconcile();
    expect(slot1(sim)).toHaveLength(2);
  });
});

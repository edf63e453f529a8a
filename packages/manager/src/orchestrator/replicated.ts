// Replicated services: one runnable task per slot 1..replicas (swarmkit
// orchestrator/replicated), with node failures and drains handled per slot.
import type { ServiceObject, TaskObject } from '@shoal/store';
import type { OrchestratorOptions } from './options';
import { rebalanceReplicated } from './rebalance';
import { completeHandovers, fresh, liveSuccessor, releaseDelayedStarts, restartStopped, shouldRestart } from './restart';
import { nodeMatches } from './constraint';
import { advanceDesired, byAge, constraintsOf, hasStopped, isLive, isTaskDirty, newTask, nodeFitness, sameValue } from './tasks';
import { runUpdate, type UpdateGroup } from './updater';
import type { WorkingSet } from './working-set';

export function reconcileReplicated(ws: WorkingSet, service: ServiceObject, options: OrchestratorOptions): void {
  if (service.spec.mode.type !== 'replicated') return;
  const replicas = Math.max(0, service.spec.mode.replicas);
  for (const [slot, tasks] of slotsOf(ws, service)) superviseSlot(ws, service, slot, tasks, options);

  const occupied: UpdateGroup[] = [];
  for (const [slot, tasks] of slotsOf(ws, service)) {
    const group = occupiedSlot(slot, tasks);
    if (group) occupied.push(group);
  }

  if (occupied.length < replicas) {
    const taken = new Set(occupied.map((g) => g.slot));
    let slot = 0;
    for (let missing = replicas - occupied.length; missing > 0; missing--) {
      do slot++;
      while (taken.has(slot));
      newTask(ws, service, { slot, nodeId: '', desiredState: 'running' });
    }
  }
  let kept = occupied;
  if (occupied.length > replicas) {
    const ordered = scaleDownOrder(occupied);
    kept = ordered.slice(0, replicas);
    for (const group of ordered.slice(replicas)) {
      for (const t of fresh(ws, group.all)) advanceDesired(ws, t, 'remove');
    }
  }
  runUpdate(ws, service, kept, options);
  rebalanceReplicated(ws, service, options);
}

/** Tasks by slot (ascending), leaving out tasks of removed slots (desired `remove`). */
function slotsOf(ws: WorkingSet, service: ServiceObject): Array<[number, TaskObject[]]> {
  const slots = new Map<number, TaskObject[]>();
  for (const t of ws.tasksOfService(service.id)) {
    if (t.desiredState === 'remove' || t.slot <= 0) continue;
    const list = slots.get(t.slot);
    if (list) list.push(t);
    else slots.set(t.slot, [t]);
  }
  const out: Array<[number, TaskObject[]]> = [];
  for (const entry of slots) {
    if (entry[1].length > 1) entry[1].sort(byAge);
    out.push(entry);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

/**
 * A slot counts toward the replicas while it has a live task, or when its newest
 * task stopped and the restart policy says it stays stopped (swarmkit's
 * UpdatableTasksInSlot): `restart-condition none` tasks are not replaced.
 */
function occupiedSlot(slot: number, tasks: TaskObject[]): UpdateGroup | null {
  const live = tasks.filter(isLive);
  const newest = tasks[tasks.length - 1];
  if (live.length > 0) return { slot, nodeId: '', live, newest, all: tasks };
  if (newest && !shouldRestart(newest, tasks)) return { slot, nodeId: '', live, newest, all: tasks };
  return null;
}

function superviseSlot(ws: WorkingSet, service: ServiceObject, slot: number, slotTasks: TaskObject[], options: OrchestratorOptions): void {
  const where = { slot, nodeId: '' };
  dropDuplicates(ws, slotTasks);
  enforceConstraints(ws, service, slotTasks);
  for (const t of fresh(ws, slotTasks)) {
    if (isLive(t) && hasStopped(t)) restartStopped(ws, service, t, slotTasks, where);
  }
  // With the restarts just created: a drained task whose failed replacement was restarted has
  // a successor, and must not get a second one.
  const known = new Set(slotTasks.map((t) => t.id));
  const tasks = [...slotTasks, ...ws.tasksOfService(service.id).filter((t) => t.slot === slot && !known.has(t.id))];
  for (const t of fresh(ws, tasks)) {
    if (!isLive(t) || t.nodeId === '') continue;
    const fitness = nodeFitness(ws.node(t.nodeId));
    if (fitness === 'ok') continue;
    if (liveSuccessor(ws, t, tasks)) {
      // A hand-over is under way; a dead node has nothing left to hand over.
      if (fitness !== 'drained') advanceDesired(ws, t, 'shutdown');
      continue;
    }
    const restart = shouldRestart(t, tasks);
    const reason = fitness === 'drained' ? 'drain' : 'node-down';
    // Drain without downtime: a running task keeps running until its replacement runs.
    const handOver = fitness === 'drained' && t.status.state === 'running' && restart;
    if (!handOver) advanceDesired(ws, t, 'shutdown');
    if (restart) newTask(ws, service, { ...where, desiredState: 'running', replaces: { taskId: t.id, reason } });
  }
  completeHandovers(ws, tasks, options);
  releaseDelayedStarts(ws, tasks, options);
}

/**
 * swarmkit's constraint enforcer: a task whose node no longer meets its placement constraints (a
 * label removed, a role changed) is rejected, and the restart supervision below replaces it where
 * they hold (or leaves the replacement pending). A task that a constraint-only service update keeps
 * (its node meets the new constraints) takes the new placement first, so it is held to it from then
 * on; one whose node does not meet them is the rolling updater's to replace, at its pace.
 */
export function enforceConstraints(ws: WorkingSet, service: ServiceObject, slotTasks: readonly TaskObject[]): void {
  for (let t of fresh(ws, slotTasks)) {
    if (!isLive(t) || hasStopped(t) || t.nodeId === '') continue;
    const node = ws.node(t.nodeId);
    // As swarmkit: only on an active node that is up (a paused node keeps its tasks; drain and
    // node failures have their own handling below).
    if (!node || node.status.state === 'down' || node.spec.availability !== 'active') continue;
    if (t.serviceVersion !== service.version && !sameValue(t.spec.placement, service.spec.task.placement) && !isTaskDirty(service, t, node)) {
      t = { ...t, spec: { ...t.spec, placement: service.spec.task.placement } };
      ws.updateTask(t);
    }
    const constraints = constraintsOf(t.spec);
    if (constraints.length === 0 || nodeMatches(constraints, node)) continue;
    ws.updateTask({
      ...t,
      status: { ...t.status, state: 'rejected', timestamp: new Date(ws.now).toISOString(), message: 'task rejected by constraint enforcer', err: 'assigned node no longer meets constraints' },
    });
  }
}

/**
 * More than one live task in a slot outside a hand-over (e.g. written by an older
 * leader): keep the running, newest one.
 */
function dropDuplicates(ws: WorkingSet, tasks: TaskObject[]): void {
  const live = tasks.filter(isLive);
  if (live.length < 2) return;
  const linked = new Set<string>();
  for (const t of live) {
    if (t.replaces && live.some((o) => o.id === t.replaces?.taskId)) {
      linked.add(t.id);
      linked.add(t.replaces.taskId);
    }
  }
  const loose = live.filter((t) => !linked.has(t.id));
  if (loose.length + (linked.size > 0 ? 1 : 0) < 2) return;
  const rank = (t: TaskObject): number => (t.status.state === 'running' ? 1 : 0);
  loose.sort((a, b) => rank(b) - rank(a) || byAge(b, a));
  const keepOne = linked.size === 0;
  for (const [i, t] of loose.entries()) {
    if (keepOne && i === 0) continue;
    advanceDesired(ws, t, 'shutdown');
  }
}

/**
 * swarmkit's scale-down order: keep running slots and low slot numbers first,
 * then remove the nth copies on the most crowded nodes first.
 */
export function scaleDownOrder(groups: readonly UpdateGroup[]): UpdateGroup[] {
  const running = (g: UpdateGroup): number => (g.live.some((t) => t.status.state === 'running') ? 0 : 1);
  const byState = [...groups].sort((a, b) => running(a) - running(b) || a.slot - b.slot);
  const perNode = new Map<string, number>();
  const indexed = byState.map((g) => {
    const considered = g.live.length > 0 ? g.live : g.newest ? [g.newest] : [];
    const only = considered.length === 1 ? considered[0] : undefined;
    if (!only || only.nodeId === '') return { g, index: Number.POSITIVE_INFINITY };
    const index = (perNode.get(only.nodeId) ?? 0) + 1;
    perNode.set(only.nodeId, index);
    return { g, index };
  });
  indexed.sort((a, b) => (a.index === b.index ? 0 : a.index < b.index ? -1 : 1));
  return indexed.map((x) => x.g);
}

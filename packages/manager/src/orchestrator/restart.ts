// The restart supervisor (swarmkit orchestrator/restart/restart.go), level-triggered:
// restart history is read back from the tasks in the slot instead of kept in memory,
// and delayed starts are a `startAfter` time on the replacement instead of a timer.
import type { ServiceObject, TaskObject } from '@shoal/store';
import type { OrchestratorOptions } from './options';
import { advanceDesired, hasStopped, isLive, newTask, nodeFitness, runState, sameSpec, toMs, type NewTaskOptions } from './tasks';
import type { WorkingSet } from './working-set';

/**
 * swarmkit's shouldRestart: the restart condition, then MaxAttempts counted over
 * the slot's earlier restarts of the same spec, within Window before the task stopped.
 */
export function shouldRestart(t: TaskObject, slotTasks: readonly TaskObject[]): boolean {
  const policy = t.spec.restart;
  switch (policy.condition) {
    case 'none':
      return false;
    case 'on-failure':
      if (t.status.state === 'complete') return false;
      break;
    case 'any':
      // A job's task that completed is done, whatever the condition (swarmkit: "nonsensical to
      // restart completed jobs").
      if (t.jobIteration !== undefined && t.status.state === 'complete') return false;
      break;
  }
  if (policy.maxAttempts <= 0) return true;
  let restarts = 0;
  const stoppedAt = toMs(t.status.timestamp);
  const lookback = stoppedAt - policy.windowMs;
  for (const other of slotTasks) {
    if (!other.replaces || other.replaces.reason === 'update' || other.replaces.reason === 'rebalance' || !sameSpec(other.spec, t.spec)) continue;
    if (policy.windowMs > 0) {
      const at = toMs(other.createdAt);
      if (at <= lookback || at >= stoppedAt) continue;
    }
    restarts++;
  }
  return restarts < policy.maxAttempts;
}

/** A live task that takes over from `t` (a start-first hand-over or a pending restart). */
export function liveSuccessor(ws: WorkingSet, t: TaskObject, slotTasks: readonly TaskObject[]): TaskObject | undefined {
  for (const other of slotTasks) {
    if (other.replaces?.taskId !== t.id) continue;
    const current = ws.task(other.id);
    if (current && isLive(current)) return current;
  }
  return undefined;
}

/** Latest version of each task still in the working set. */
export function fresh(ws: WorkingSet, tasks: readonly TaskObject[]): TaskObject[] {
  const out: TaskObject[] = [];
  for (const t of tasks) {
    const current = ws.task(t.id);
    if (current) out.push(current);
  }
  return out;
}

export interface SlotPlacement {
  slot: number;
  /** Global services pin replacements to the node; '' for replicated. */
  nodeId: string;
}

/**
 * Replaces a task that stopped while desired running: old → desired shutdown, and,
 * if the policy allows, a new task in the same slot after the restart delay. The delay
 * is skipped when the task's node is down, drained or gone: the node failed, not the task.
 */
export function restartStopped(ws: WorkingSet, service: ServiceObject, t: TaskObject, slotTasks: readonly TaskObject[], where: SlotPlacement): void {
  // A delayed replacement that stopped before its start (its node rejected it while preparing
  // it: an unknown image, no command) waits out its own delay before it is replaced in turn, as
  // in Docker ("Ready / Rejected 3 seconds ago"). Replaced at once, every rejection would bring
  // the next task straight away, dozens a second.
  const startAfter = toMs(t.startAfter);
  if (t.desiredState === 'ready' && ws.now < startAfter) {
    ws.wakeAt(startAfter);
    return;
  }
  const stopped = advanceDesired(ws, t, 'shutdown');
  if (liveSuccessor(ws, stopped, slotTasks)) return;
  // A rebalancing move whose new task failed is over: the task it was to replace keeps running.
  if (stopped.replaces?.reason === 'rebalance') {
    const original = ws.task(stopped.replaces.taskId);
    if (original && isLive(original)) return;
  }
  if (!shouldRestart(stopped, slotTasks)) return;
  const fitness = stopped.nodeId === '' ? 'ok' : nodeFitness(ws.node(stopped.nodeId));
  const delay = fitness === 'ok' ? Math.max(0, stopped.spec.restart.delayMs) : 0;
  // A failed hand-over replacement keeps the hand-over going: its successor takes over the old task.
  const predecessor = stopped.replaces ? ws.task(stopped.replaces.taskId) : undefined;
  const takesOver = predecessor && isLive(predecessor) ? predecessor.id : stopped.id;
  const options: NewTaskOptions = {
    ...where,
    desiredState: delay > 0 ? 'ready' : 'running',
    replaces: { taskId: takesOver, reason: 'restart' },
  };
  if (delay > 0) options.startAfter = ws.now + delay;
  newTask(ws, service, options);
}

/**
 * Start-first hand-overs (drain, start-first updates): once the replacement runs,
 * the old task is shut down. On a drained node the old task is stopped at once when no
 * node can take the replacement or a replacement failed, and after `drainHandoverTimeoutMs`
 * when the node that took it does not start it, so a drain always finishes.
 */
export function completeHandovers(ws: WorkingSet, slotTasks: readonly TaskObject[], options: OrchestratorOptions): void {
  for (const r of fresh(ws, slotTasks)) {
    if (!r.replaces || !isLive(r)) continue;
    const old = ws.task(r.replaces.taskId);
    if (!old || !isLive(old)) continue;
    if (r.status.state === 'running') {
      advanceDesired(ws, old, 'shutdown');
      continue;
    }
    if (nodeFitness(ws.node(old.nodeId)) === 'drained') {
      // No node can take the replacement (the scheduler said why): nothing to hand over to, so
      // the drain goes ahead as Docker's does, and the service shows what is really serving.
      // So does a hand-over whose replacement already failed once: each restart would start the
      // clock below afresh, and the drain would never finish.
      const failedBefore = slotTasks.some((o) => o.id !== r.id && o.replaces?.taskId === old.id && hasStopped(ws.task(o.id) ?? o));
      if ((r.nodeId === '' && r.status.err !== undefined) || failedBefore) {
        advanceDesired(ws, old, 'shutdown');
        continue;
      }
      const deadline = toMs(r.createdAt) + options.drainHandoverTimeoutMs;
      if (ws.now >= deadline) advanceDesired(ws, old, 'shutdown');
      else ws.wakeAt(deadline);
    }
  }
}

/**
 * swarmkit's DelayStart: a replacement waits in desired `ready` until its restart
 * delay has passed and the task it replaces has stopped (or its node is down, or
 * `oldTaskTimeoutMs` passed); then desired becomes `running`.
 */
export function releaseDelayedStarts(ws: WorkingSet, slotTasks: readonly TaskObject[], options: OrchestratorOptions): void {
  for (const t of fresh(ws, slotTasks)) {
    if (t.desiredState !== 'ready') continue;
    const startAfter = toMs(t.startAfter);
    if (ws.now < startAfter) {
      ws.wakeAt(startAfter);
      continue;
    }
    const timeout = toMs(t.createdAt) + options.oldTaskTimeoutMs;
    if (!oldTaskReleased(ws, t) && ws.now < timeout) {
      ws.wakeAt(timeout);
      continue;
    }
    advanceDesired(ws, t, runState(t));
  }
}

function oldTaskReleased(ws: WorkingSet, t: TaskObject): boolean {
  if (!t.replaces) return true;
  const old = ws.task(t.replaces.taskId);
  if (!old || hasStopped(old)) return true;
  // Still desired running: a hand-over, nothing to wait for.
  if (isLive(old)) return true;
  // Never reached a node, or its node is gone: it will not report stopping.
  if (old.nodeId === '' || old.status.state === 'pending') return true;
  const fitness = nodeFitness(ws.node(old.nodeId));
  return fitness === 'down' || fitness === 'missing';
}

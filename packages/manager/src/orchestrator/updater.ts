// Rolling updates (swarmkit orchestrator/update/updater.go), level-triggered: each
// pass replaces at most `parallelism` out-of-date slots, counting a slot as busy until
// its new task runs and for `delayMs` after; failures of new tasks trigger the
// failure action; the update completes once every new task has run for `monitorMs`.
import type { ServiceObject, TaskObject, UpdateConfig } from '@shoal/store';
import type { OrchestratorOptions } from './options';
import { allocatePorts } from './ports';
import { advanceDesired, byAge, exitedOnItsOwn, hasStopped, isLive, isTaskDirty, newTask, occupiesNode, toMs } from './tasks';
import type { WorkingSet } from './working-set';

/** One slot (replicated) or one node's instance (global) as the updater sees it. */
export interface UpdateGroup {
  slot: number;
  /** Global: the node the instance is pinned to; '' for replicated. */
  nodeId: string;
  /** Tasks desired ready/running. */
  live: TaskObject[];
  /** The most recent task (used when the slot stopped for good). */
  newest: TaskObject | undefined;
  all: TaskObject[];
}

type ServiceUpdateStatus = NonNullable<ServiceObject['updateStatus']>;

export function isRollback(status: ServiceObject['updateStatus']): boolean {
  return status?.rollback === true || status?.message === 'rollback started';
}

export function runUpdate(ws: WorkingSet, service: ServiceObject, groups: readonly UpdateGroup[], _options: OrchestratorOptions): void {
  const status = service.updateStatus;
  if (status?.state === 'paused') return;
  const rollback = isRollback(status);
  const config = rollback ? service.spec.rollback : service.spec.update;
  const startedAt = toMs(status?.startedAt);
  // Tasks this update created: made for the current spec since it started.
  const updated = ws
    .tasksOfService(service.id)
    .filter((t) => t.replaces?.reason === 'update' && toMs(t.createdAt) >= startedAt && !isTaskDirty(service, t, undefined));

  if (status?.state === 'updating' && config.failureAction !== 'continue') {
    const failed = updated.filter((t) => failedWithinMonitor(t, config));
    if (failed.length > 0 && failed.length / Math.max(1, groups.length) > config.maxFailureRatio) {
      const culprit = failed.sort((a, b) => toMs(a.status.timestamp) - toMs(b.status.timestamp) || byAge(a, b))[failed.length - 1] as TaskObject;
      onFailure(ws, service, config, rollback, culprit);
      return;
    }
  }

  for (const g of groups) supersedeDirtyPeers(ws, service, g);
  const dirty = groups.filter((g) => groupIsDirty(ws, service, g));
  if (dirty.length === 0) {
    if (status?.state === 'updating') maybeComplete(ws, service, status, config, updated, rollback);
    return;
  }
  if (!status || status.state === 'completed') {
    setStatus(ws, service, { state: 'updating', startedAt: ws.nowIso, message: 'update in progress' });
  }

  // A slot is busy until its new task runs, then for the delay; a new task that stopped (it
  // failed, with failure action continue or within the allowed ratio) holds its slot for the
  // delay too, as swarmkit's updater waits the delay after each slot whatever became of it.
  let busy = 0;
  for (const t of updated) {
    const stopped = hasStopped(t);
    if (!stopped && !isLive(t)) continue;
    if (!stopped && t.status.state !== 'running') {
      busy++;
      continue;
    }
    // From when it ran, as swarmkit's updater counts it (a task that never ran: from its stop).
    const cooledAt = toMs(t.status.startedAt ?? t.status.timestamp) + config.delayMs;
    if (cooledAt > ws.now) {
      busy++;
      ws.wakeAt(cooledAt);
    }
  }
  let capacity = (config.parallelism > 0 ? config.parallelism : Number.POSITIVE_INFINITY) - busy;
  for (const group of dirty) {
    if (capacity <= 0) break;
    replaceForUpdate(ws, service, group, config.order);
    capacity--;
  }
}

/**
 * swarmkit's useExistingTask: a slot whose running task matches the spec keeps it, and any other
 * live task there that does not (a restart, delayed, of a spec just rolled back) is superseded.
 * Without this, a start-first update whose new task failed before it ran left that task's
 * restart in the slot: the rollback counted the slot as a hand-over in progress and completed,
 * the restart ran the bad spec again, and the healthy original was then replaced.
 */
function supersedeDirtyPeers(ws: WorkingSet, service: ServiceObject, g: UpdateGroup): void {
  const live = g.live.map((t) => ws.task(t.id)).filter((t): t is TaskObject => t !== undefined && isLive(t));
  if (live.length < 2) return;
  const keep = live.find((t) => t.desiredState === 'running' && t.status.state === 'running' && !isTaskDirty(service, t, ws.node(t.nodeId)));
  if (!keep) return;
  for (const t of live) {
    if (t !== keep && isTaskDirty(service, t, ws.node(t.nodeId))) advanceDesired(ws, t, 'shutdown');
  }
}

function groupIsDirty(ws: WorkingSet, service: ServiceObject, g: UpdateGroup): boolean {
  const live = g.live.map((t) => ws.task(t.id)).filter((t): t is TaskObject => t !== undefined && isLive(t));
  // Two live tasks: a hand-over is in progress; let it finish first.
  if (live.length > 1) return false;
  const t = live[0] ?? g.newest;
  return t !== undefined && isTaskDirty(service, t, ws.node(t.nodeId));
}

function replaceForUpdate(ws: WorkingSet, service: ServiceObject, g: UpdateGroup, order: UpdateConfig['order']): void {
  const current = g.live.map((t) => ws.task(t.id)).find((t): t is TaskObject => t !== undefined && isLive(t));
  const old = current ?? g.newest;
  if (!old) return;
  // Only a task that holds a node is worth waiting for (or keeping during start-first).
  const active = current !== undefined && occupiesNode(current) && !hasStopped(current);
  const replaces = { taskId: old.id, reason: 'update' as const };
  if (order === 'start-first' && active) {
    newTask(ws, service, { slot: g.slot, nodeId: g.nodeId, desiredState: 'running', replaces });
    return;
  }
  if (current) advanceDesired(ws, current, 'shutdown');
  newTask(ws, service, { slot: g.slot, nodeId: g.nodeId, desiredState: active ? 'ready' : 'running', replaces });
}

function maybeComplete(
  ws: WorkingSet,
  service: ServiceObject,
  status: ServiceUpdateStatus,
  config: UpdateConfig,
  updated: readonly TaskObject[],
  rollback: boolean,
): void {
  // swarmkit monitors for longer than the delay, so a delayed task is not missed.
  const monitorMs = config.delayMs >= config.monitorMs && config.delayMs > 0 ? config.delayMs + 1000 : config.monitorMs;
  // Each new task is watched for the monitor period from when it ran, or from when it stopped if
  // it stopped already (swarmkit waits the period after the last slot either way: an update whose
  // new tasks all died at once does not complete before it).
  for (const t of updated) {
    if (isLive(t) && t.status.state !== 'running') return;
    const settledAt = toMs(t.status.timestamp) + monitorMs;
    if (settledAt > ws.now) {
      ws.wakeAt(settledAt);
      return;
    }
  }
  const done: ServiceUpdateStatus = {
    state: 'completed',
    message: rollback ? 'rollback completed' : 'update completed',
    completedAt: ws.nowIso,
  };
  if (status.startedAt) done.startedAt = status.startedAt;
  if (rollback) done.rollback = true;
  setStatus(ws, service, done);
}

/**
 * swarmkit's failureTriggersAction: a new task that stopped on its own counts as a failure of
 * the update if it never ran, or stopped within the monitor period after it started running.
 */
function failedWithinMonitor(t: TaskObject, config: UpdateConfig): boolean {
  if (!exitedOnItsOwn(t)) return false;
  if (!t.status.startedAt) return true;
  return toMs(t.status.timestamp) - toMs(t.status.startedAt) <= config.monitorMs;
}

function onFailure(ws: WorkingSet, service: ServiceObject, config: UpdateConfig, rollback: boolean, culprit: TaskObject): void {
  const status = service.updateStatus;
  const pause = (message: string): void => {
    const paused: ServiceUpdateStatus = { state: 'paused', message };
    if (status?.startedAt) paused.startedAt = status.startedAt;
    if (rollback) paused.rollback = true;
    setStatus(ws, service, paused);
  };
  // swarmkit's words: "update paused" for the pause action, also while rolling back (the
  // rollback config's default); "rollback paused" when a rollback's action is itself to roll back
  // (it never rolls a rollback back).
  if (config.failureAction === 'pause') {
    pause(`update paused due to failure or early termination of task ${culprit.id}`);
    return;
  }
  if (rollback) {
    pause(`rollback paused due to failure or early termination of task ${culprit.id}`);
    return;
  }
  // failureAction rollback: go back to the previous spec with the rollback config.
  const previous = service.previousSpec;
  if (!previous) {
    pause(`update paused due to failure or early termination of task ${culprit.id}; no previous spec to roll back to`);
    return;
  }
  const others = ws.services().filter((s) => s.id !== service.id);
  const ports = allocatePorts(previous.endpoint.ports, others, service.endpoint.ports);
  if (typeof ports === 'string') {
    pause(`update paused due to failure or early termination of task ${culprit.id}; rollback failed: ${ports}`);
    return;
  }
  const { previousSpec: _dropped, ...rest } = service;
  ws.updateService({
    ...rest,
    spec: previous,
    endpoint: { ports },
    updateStatus: {
      state: 'updating',
      rollback: true,
      // swarmkit's rollbackUpdate changes the state and message only: the update's start stands.
      startedAt: status?.startedAt ?? ws.nowIso,
      message: `update rolled back due to failure or early termination of task ${culprit.id}`,
    },
  });
}

function setStatus(ws: WorkingSet, service: ServiceObject, status: ServiceUpdateStatus): void {
  const current = ws.service(service.id) ?? service;
  ws.updateService({ ...current, updateStatus: status });
}

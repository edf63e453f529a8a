// The task reaper (swarmkit orchestrator/taskreaper): deletes tasks of removed
// slots and services once they stopped (or never reached a node), and keeps at most
// the retention limit of tasks per slot (per node for global services), oldest
// stopped ones first. With restart MaxAttempts > 0 it keeps MaxAttempts + 1, so the
// restart history the supervisor counts survives.
import { taskStateRank, type TaskObject } from '@shoal/store';
import type { OrchestratorOptions } from './options';
import { byAge, hasStopped, isLive, toMs } from './tasks';
import type { WorkingSet } from './working-set';

const ASSIGNED = taskStateRank('assigned');

export function reapIn(ws: WorkingSet, options: OrchestratorOptions): void {
  const history = new Map<string, TaskObject[]>();
  for (const t of [...ws.tasks()]) {
    if (t.desiredState === 'remove') {
      if (neverAssigned(t) || hasStopped(t)) ws.deleteTask(t.id);
      continue;
    }
    const service = ws.service(t.serviceId);
    if (!service) continue;
    const perNode = service.spec.mode.type === 'global' || service.spec.mode.type === 'global-job';
    const key = perNode ? `${t.serviceId}/node/${t.nodeId}` : `${t.serviceId}/slot/${t.slot}`;
    let list = history.get(key);
    if (!list) history.set(key, (list = []));
    list.push(t);
  }

  for (const tasks of history.values()) {
    const service = ws.service((tasks[0] as TaskObject).serviceId);
    if (!service) continue;
    const maxAttempts = service.spec.task.restart.maxAttempts;
    let keep = maxAttempts > 0 ? maxAttempts + 1 : options.taskHistoryRetentionLimit;
    if (keep < 0 || tasks.length <= keep) continue;
    tasks.sort((a, b) => toMs(a.status.timestamp) - toMs(b.status.timestamp) || (a.id < b.id ? -1 : 1));
    // A job's current iteration keeps its record of each slot (node): the newest task, and any
    // that completed. A slot whose task failed for good would otherwise look free and run
    // again; older failed attempts are history like a service's.
    const iteration = service.jobStatus?.iteration;
    let newest: TaskObject | undefined;
    for (const t of tasks) if (t.jobIteration !== undefined && t.jobIteration === iteration && (!newest || byAge(newest, t) < 0)) newest = t;
    for (const t of tasks) {
      if (!hasStopped(t) && !(neverAssigned(t) && !isLive(t))) continue;
      // Still the slot's task (a rejected replacement waiting out its restart delay): as in
      // swarmkit, never reaped; its slot would be refilled at once, without the delay. A job's
      // task is live while desired `complete` (an earlier iteration's finished one too, which is
      // history): its record is kept as above instead.
      const job = t.jobIteration !== undefined;
      if (job ? t === newest || (t.jobIteration === iteration && t.status.state === 'complete') : isLive(t)) continue;
      ws.deleteTask(t.id);
      keep++;
      if (tasks.length <= keep) break;
    }
  }
}

function neverAssigned(t: TaskObject): boolean {
  return taskStateRank(t.status.state) < ASSIGNED;
}

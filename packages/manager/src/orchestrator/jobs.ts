// Jobs (swarmkit orchestrator/jobs): services whose tasks run to completion, once per
// iteration. The iteration is the service's `jobStatus.iteration` (0 at creation, +1 at every
// update, `--force` included); tasks of earlier iterations are stopped (still running: desired
// `remove`) or kept as history (finished), which the reaper trims to the retention limit.
//
// Where Shoal differs from swarmkit, on purpose:
// - a task whose node goes down, is drained or is removed is stopped and run again elsewhere (a
//   replicated job) under the restart policy, as a replicated service's task is (so not with
//   `--restart-condition none`: the task may have done its work there); swarmkit's job
//   orchestrator does not watch nodes, so such a task stays "running" until its node returns;
// - a slot has one completion: a task that completes while its replacement runs (its node came
//   back) stops the replacement;
// - a task that failed and that the restart policy does not restart (`--restart-condition none`,
//   `--restart-max-attempts` used up) ends its slot: the job does not complete, as a Kubernetes
//   Job whose backoff limit is spent; swarmkit makes a new task for the slot regardless;
// A replicated job's slots are numbered from 0, as swarmkit's (the docker CLI's job progress
// counts them so, and names the slot-0 task after its node, as for a global task).
import type { NodeObject, ServiceObject, TaskObject } from '@shoal/store';
import { nodeMatches } from './constraint';
import { enforceConstraints } from './replicated';
import type { OrchestratorOptions } from './options';
import { fresh, liveSuccessor, releaseDelayedStarts, restartStopped, shouldRestart } from './restart';
import { advanceDesired, byAge, constraintsOf, exitedOnItsOwn, hasStopped, isLive, newTask, nodeFitness, type NodeFitness } from './tasks';
import type { WorkingSet } from './working-set';

export function reconcileReplicatedJob(ws: WorkingSet, service: ServiceObject, options: OrchestratorOptions): void {
  const mode = service.spec.mode;
  if (mode.type !== 'replicated-job') return;
  const iteration = retireEarlierIterations(ws, service);
  // Slots taken: completed, active (a task on its way to completing) or failed for good.
  let active = 0;
  const taken = new Set<number>();
  for (const [slot, slotTasks] of group(ws, service, iteration, (t) => t.slot)) {
    taken.add(slot);
    superviseReplicatedSlot(ws, service, slot, slotTasks, options);
    const now = fresh(ws, ws.tasksOfService(service.id).filter((t) => t.slot === slot && t.jobIteration === iteration));
    if (!now.some((t) => t.status.state === 'complete') && now.some(isLive)) active++;
  }
  const wanted = Math.min(mode.maxConcurrent - active, mode.totalCompletions - taken.size);
  let slot = -1;
  for (let n = 0; n < wanted; n++) {
    do slot++;
    while (taken.has(slot));
    newTask(ws, service, { slot, nodeId: '', desiredState: 'running' });
  }
}

export function reconcileGlobalJob(ws: WorkingSet, service: ServiceObject, options: OrchestratorOptions): void {
  if (service.spec.mode.type !== 'global-job') return;
  const iteration = retireEarlierIterations(ws, service);
  const constraints = constraintsOf(service.spec.task);
  const eligible = (node: NodeObject | undefined): node is NodeObject => node !== undefined && nodeFitness(node) === 'ok' && nodeMatches(constraints, node);
  const byNode = group(ws, service, iteration, (t) => t.nodeId);
  for (const [nodeId, tasks] of byNode) {
    const node = ws.node(nodeId);
    for (const t of fresh(ws, tasks)) {
      if (!isLive(t) || t.status.state === 'complete') continue;
      // As swarmkit: a task whose node stopped being eligible is shut down, never moved.
      if (!eligible(node)) advanceDesired(ws, t, 'shutdown');
      else if (hasStopped(t)) restartStopped(ws, service, t, tasks, { slot: 0, nodeId });
    }
    releaseDelayedStarts(ws, tasks, options);
  }
  // Every eligible node runs the job once per iteration, a node that joins later included (as
  // swarmkit does, and the docker CLI reference says); a paused one gets no new task.
  const nodes = [...ws.nodes()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const now = group(ws, service, iteration, (t) => t.nodeId); // with the restarts just made
  for (const node of nodes) {
    if (!eligible(node) || node.spec.availability !== 'active') continue;
    const tasks = now.get(node.id) ?? [];
    const newest = tasks[tasks.length - 1];
    if (tasks.some(isLive)) continue;
    if (newest && (newest.status.state === 'complete' || (exitedOnItsOwn(newest) && !shouldRestart(newest, tasks)))) continue;
    newTask(ws, service, { slot: 0, nodeId: node.id, desiredState: 'running' });
  }
}

/**
 * A replicated job's slot: a task that stopped without completing is restarted under the
 * restart policy; one whose node is down, drained or gone is stopped and run again elsewhere.
 */
function superviseReplicatedSlot(ws: WorkingSet, service: ServiceObject, slot: number, slotTasks: TaskObject[], options: OrchestratorOptions): void {
  const where = { slot, nodeId: '' };
  // Done once: anything else still live in the slot (a replacement for a task whose node came
  // back and reported it complete) is stopped.
  if (fresh(ws, slotTasks).some((t) => t.status.state === 'complete')) {
    for (const t of fresh(ws, slotTasks)) if (isLive(t) && t.status.state !== 'complete') advanceDesired(ws, t, 'shutdown');
    return;
  }
  enforceConstraints(ws, service, slotTasks);
  for (const t of fresh(ws, slotTasks)) {
    if (!isLive(t) || t.status.state === 'complete') continue;
    if (hasStopped(t)) {
      restartStopped(ws, service, t, slotTasks, where);
      continue;
    }
    if (t.nodeId === '') continue;
    const fitness: NodeFitness = nodeFitness(ws.node(t.nodeId));
    if (fitness === 'ok' || liveSuccessor(ws, t, slotTasks)) continue;
    let stopped = advanceDesired(ws, t, 'shutdown');
    if (fitness === 'down' || fitness === 'missing') {
      // Its node cannot tell how it ends: orphaned, so the slot's record is its replacement's
      // (the docker CLI's job progress counts each slot's lowest state, and a task left
      // "running" on a dead node kept `service create` waiting after the job had completed).
      stopped = { ...stopped, status: { ...stopped.status, state: 'orphaned', timestamp: ws.nowIso, message: 'task orphaned: its node is down' } };
      ws.updateTask(stopped);
    }
    if (shouldRestart(stopped, slotTasks)) {
      newTask(ws, service, { ...where, desiredState: 'running', replaces: { taskId: t.id, reason: fitness === 'drained' ? 'drain' : 'node-down' } });
    }
  }
  const known = new Set(slotTasks.map((t) => t.id));
  const tasks = [...slotTasks, ...ws.tasksOfService(service.id).filter((t) => t.slot === slot && !known.has(t.id))];
  releaseDelayedStarts(ws, tasks, options);
}

/**
 * Stops what earlier iterations left running (desired `remove`: stopped, then deleted, as
 * swarmkit). Their finished tasks stay as they are (desired `complete`, as Docker shows them),
 * history the reaper trims. Returns the current iteration.
 */
function retireEarlierIterations(ws: WorkingSet, service: ServiceObject): number {
  const iteration = service.jobStatus?.iteration ?? 0;
  for (const t of ws.tasksOfService(service.id)) {
    if (t.jobIteration === iteration || t.desiredState === 'remove') continue;
    if (!hasStopped(t)) advanceDesired(ws, t, 'remove');
  }
  return iteration;
}

/** The current iteration's tasks (not being removed) grouped by `key`, each group oldest first. */
function group<K>(ws: WorkingSet, service: ServiceObject, iteration: number, key: (t: TaskObject) => K): Map<K, TaskObject[]> {
  const out = new Map<K, TaskObject[]>();
  for (const t of ws.tasksOfService(service.id)) {
    if (t.jobIteration !== iteration || t.desiredState === 'remove') continue;
    const k = key(t);
    const list = out.get(k);
    if (list) list.push(t);
    else out.set(k, [t]);
  }
  for (const list of out.values()) list.sort(byAge);
  return out;
}

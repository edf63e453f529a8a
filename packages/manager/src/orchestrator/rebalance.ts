// Rebalancing, which swarmkit does not do (moby/moby#24103): when a node joins or comes back,
// Swarm leaves every running task where it is, and users run `service update --force`. Here a
// replicated service whose running tasks are spread unevenly over the nodes that could run them
// (one node holds at least two more than another) moves one task: a replacement in the same slot
// is started on the emptiest node, and the old task is shut down only once the replacement runs
// (the drain hand-over), so the service never runs fewer tasks. Gradual: one move at a time per
// service, only while all its tasks run and none changed for `rebalanceDelayMs`, and only to a
// node that has been up that long. Only active nodes count: a paused node keeps its tasks. A
// service labelled `shoal.rebalance=false`, or with placement preferences (which spread over label
// values, not nodes; a descriptor the scheduler skips does not count), is left alone.
import type { NodeObject, ServiceObject, TaskObject } from '@shoal/store';
import { demandOf, Pipeline, takesNewTasks } from './filters';
import type { OrchestratorOptions } from './options';
import { nodeInfos } from './scheduler';
import { nodeMatches, validSpreadDescriptor } from './constraint';
import { advanceDesired, constraintsOf, isLive, newTask, toMs } from './tasks';
import type { WorkingSet } from './working-set';

export const REBALANCE_LABEL = 'shoal.rebalance';

export function rebalanceReplicated(ws: WorkingSet, service: ServiceObject, options: OrchestratorOptions): void {
  if (service.spec.mode.type !== 'replicated' || options.rebalanceDelayMs < 0) return;
  const live = ws.tasksOfService(service.id).filter(isLive);
  if (cancelStuckMoves(ws, live, options)) return;
  // Placement preferences spread over label values, not nodes: moving by node counts would undo them.
  if (service.spec.labels[REBALANCE_LABEL] === 'false' || (service.spec.task.placement.preferences ?? []).some(validSpreadDescriptor)) return;
  const update = service.updateStatus?.state;
  if (update === 'updating' || update === 'paused') return;
  if (live.length !== service.spec.mode.replicas || live.length < 2) return;

  // Settled: every task runs where it was placed, none is being replaced, and nothing about the
  // service's tasks (history included: a move just called off) changed for a while.
  let newest = 0;
  for (const t of ws.tasksOfService(service.id)) newest = Math.max(newest, toMs(t.createdAt), toMs(t.status.timestamp));
  // Tasks on a paused node stay where they are, and are not counted.
  const onNode = new Map<string, TaskObject[]>();
  for (const t of live) {
    if (t.desiredState !== 'running' || t.status.state !== 'running' || t.nodeId === '') return;
    const node = ws.node(t.nodeId);
    if (!node || !takesNewTasks(node)) continue;
    const list = onNode.get(t.nodeId);
    if (list) list.push(t);
    else onNode.set(t.nodeId, [t]);
  }
  let most = 0;
  for (const list of onNode.values()) most = Math.max(most, list.length);
  if (most < 2) return;

  // Nodes that hold at least two fewer and that the service may use, up long enough; the emptiest first.
  const delay = options.rebalanceDelayMs;
  const count = (n: NodeObject) => onNode.get(n.id)?.length ?? 0;
  const constraints = constraintsOf(service.spec.task);
  const targets: NodeObject[] = [];
  for (const n of ws.nodes()) {
    if (!takesNewTasks(n) || count(n) > most - 2 || !nodeMatches(constraints, n)) continue;
    const upFor = ws.now - toMs(n.updatedAt);
    if (upFor < delay) ws.wakeAt(toMs(n.updatedAt) + delay);
    else targets.push(n);
  }
  if (targets.length === 0) return;
  if (ws.now < newest + delay) {
    ws.wakeAt(newest + delay);
    return;
  }

  const infos = nodeInfos(ws, options);
  const moving = pickTask(onNode, most);
  const pipeline = new Pipeline(demandOf(moving));
  // Not onto a node where the service failed since the node last came up (within the failure
  // window), nor where a move of it failed or was called off since then: the next move waits for
  // another node, or for the window to pass. A failure from before the node went down or
  // restarted does not count: that node is back, and a task that was killed there says little
  // about it now.
  // (A move made before the node went down, whose task died with it, does not count either.)
  const since = ws.now - options.failureWindowMs;
  const avoid = new Set<string>();
  for (const t of ws.tasksOfService(service.id)) {
    const node = ws.node(t.nodeId);
    if (!node) continue;
    const upSince = Math.max(since, toMs(node.updatedAt));
    if (t.replaces?.reason === 'rebalance' && !isLive(t) && t.status.state !== 'running' && toMs(t.createdAt) >= upSince) avoid.add(t.nodeId);
    else if ((t.status.state === 'failed' || t.status.state === 'rejected') && toMs(t.status.timestamp) >= upSince) avoid.add(t.nodeId);
  }
  targets.sort((a, b) => count(a) - count(b) || (infos.get(a.id)?.active ?? 0) - (infos.get(b.id)?.active ?? 0) || (a.id < b.id ? -1 : 1));
  const target = targets.find((n) => {
    const info = infos.get(n.id);
    return info !== undefined && !avoid.has(n.id) && pipeline.passes(info);
  });
  if (!target) return;
  newTask(ws, service, { slot: moving.slot, nodeId: target.id, desiredState: 'running', replaces: { taskId: moving.id, reason: 'rebalance' } });
}

/** From a most crowded node (the lowest id among equals), its task with the highest slot. */
function pickTask(onNode: ReadonlyMap<string, TaskObject[]>, most: number): TaskObject {
  const crowded = [...onNode].filter(([, list]) => list.length === most).sort(([a], [b]) => (a < b ? -1 : 1));
  const tasks = (crowded[0] as [string, TaskObject[]])[1];
  return tasks.reduce((a, b) => (b.slot > a.slot ? b : a));
}

/**
 * A move whose replacement has not run after `drainHandoverTimeoutMs` (it could not be placed, or
 * its node never starts it) is called off: the replacement stops, the old task keeps running. A
 * replacement that fails ends the move too (see restartStopped). True while a move is under way.
 */
function cancelStuckMoves(ws: WorkingSet, live: readonly TaskObject[], options: OrchestratorOptions): boolean {
  let moving = false;
  for (const r of live) {
    if (r.replaces?.reason !== 'rebalance' || r.status.state === 'running') continue;
    const old = ws.task(r.replaces.taskId);
    if (!old || !isLive(old)) continue;
    const deadline = toMs(r.createdAt) + options.drainHandoverTimeoutMs;
    if (ws.now >= deadline) advanceDesired(ws, r, 'shutdown');
    else ws.wakeAt(deadline);
    moving = true;
  }
  return moving;
}

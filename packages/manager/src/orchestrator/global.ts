// Global services: one task per eligible node (swarmkit orchestrator/global).
// Eligible: not down, not drained, constraints satisfied. A paused node keeps its
// task but gets no new or updated one. Tasks on nodes that stop being eligible are
// shut down, never moved.
import type { NodeObject, ServiceObject, TaskObject } from '@shoal/store';
import { nodeMatches } from './constraint';
import type { OrchestratorOptions } from './options';
import { completeHandovers, fresh, releaseDelayedStarts, restartStopped, shouldRestart } from './restart';
import { advanceDesired, byAge, constraintsOf, exitedOnItsOwn, hasStopped, isLive, newTask, nodeFitness } from './tasks';
import { runUpdate, type UpdateGroup } from './updater';
import type { WorkingSet } from './working-set';

export function reconcileGlobal(ws: WorkingSet, service: ServiceObject, options: OrchestratorOptions): void {
  if (service.spec.mode.type !== 'global') return;
  const constraints = constraintsOf(service.spec.task);
  const eligible = (node: NodeObject | undefined): node is NodeObject =>
    node !== undefined && nodeFitness(node) === 'ok' && nodeMatches(constraints, node);

  for (const [nodeId, tasks] of tasksByNode(ws, service)) {
    const node = ws.node(nodeId);
    for (const t of fresh(ws, tasks)) {
      if (!isLive(t)) continue;
      if (!eligible(node)) advanceDesired(ws, t, 'shutdown');
      else if (hasStopped(t)) {
        // swarmkit: a paused node's failed task is shut down, not restarted.
        if (node.spec.availability === 'pause') advanceDesired(ws, t, 'shutdown');
        else restartStopped(ws, service, t, tasks, { slot: 0, nodeId });
      }
    }
    completeHandovers(ws, tasks, options);
    releaseDelayedStarts(ws, tasks, options);
  }

  const byNode = tasksByNode(ws, service);
  const groups: UpdateGroup[] = [];
  const nodes = [...ws.nodes()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const node of nodes) {
    if (!eligible(node) || node.spec.availability === 'pause') continue;
    const tasks = byNode.get(node.id) ?? [];
    const live = tasks.filter(isLive);
    const newest = tasks[tasks.length - 1];
    // Only a task that exited by itself can keep its node empty (restart policy); one we shut
    // down because the node was drained, down or unsuitable is replaced when the node is back.
    if (live.length > 0 || (newest && exitedOnItsOwn(newest) && !shouldRestart(newest, tasks))) {
      groups.push({ slot: 0, nodeId: node.id, live, newest, all: tasks });
      continue;
    }
    newTask(ws, service, { slot: 0, nodeId: node.id, desiredState: 'running' });
  }
  runUpdate(ws, service, groups, options);
}

function tasksByNode(ws: WorkingSet, service: ServiceObject): Map<string, TaskObject[]> {
  const byNode = new Map<string, TaskObject[]>();
  for (const t of ws.tasksOfService(service.id)) {
    if (t.desiredState === 'remove') continue;
    let list = byNode.get(t.nodeId);
    if (!list) byNode.set(t.nodeId, (list = []));
    list.push(t);
  }
  for (const list of byNode.values()) list.sort(byAge);
  return byNode;
}

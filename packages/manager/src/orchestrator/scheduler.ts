// The scheduler: pending tasks (desired ready or running) → assigned to a node.
// Tasks of one service version share a filter pipeline; passing nodes sit in a heap
// ordered like swarmkit's nodeLess (recent failures, then fewest tasks of the
// service, then fewest tasks overall, then node id), so a batch costs O(T log N).
import { taskStateRank, type TaskObject } from '@shoal/store';
import { nodeAttribute, validSpreadDescriptor } from './constraint';
import { failureKey } from './failure-log';
import { demandOf, Pipeline, type NodeInfo } from './filters';
import type { OrchestratorOptions } from './options';
import { isLive, occupiesNode, toMs } from './tasks';
import type { WorkingSet } from './working-set';

const COMPLETE = taskStateRank('complete');

export function scheduleIn(ws: WorkingSet, options: OrchestratorOptions): void {
  const infos = nodeInfos(ws, options);
  const preassigned: TaskObject[] = [];
  const groups = new Map<string, TaskObject[]>();
  for (const t of ws.tasks()) {
    if (t.status.state !== 'pending') continue;
    if (!isLive(t)) {
      // Desired stopped before it ever reached a node: no agent will report on it.
      ws.updateTask({ ...t, status: { ...withoutErr(t.status), state: 'shutdown', timestamp: ws.nowIso } });
      continue;
    }
    if (t.nodeId !== '') {
      preassigned.push(t);
      continue;
    }
    const key = failureKey(t);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(t);
  }

  preassigned.sort(bySlotThenId);
  for (const t of preassigned) {
    const info = infos.get(t.nodeId);
    if (!info) continue;
    const pipeline = new Pipeline(demandOf(t));
    if (pipeline.passes(info)) assign(ws, t, info, 'scheduler confirmed task can run on preassigned node');
    else setError(ws, t, pipeline.explain([info]));
  }

  const keys = [...groups.keys()].sort();
  for (const key of keys) {
    const tasks = (groups.get(key) as TaskObject[]).sort(bySlotThenId);
    scheduleGroup(ws, tasks, infos, options);
  }
}

function scheduleGroup(ws: WorkingSet, tasks: TaskObject[], infos: Map<string, NodeInfo>, options: OrchestratorOptions): void {
  const first = tasks[0] as TaskObject;
  const demand = demandOf(first);
  const pipeline = new Pipeline(demand);
  const serviceId = demand.serviceId;
  const serviceKey = failureKey(first);
  // swarmkit's decision tree skips a descriptor other than node.labels.<name> or engine.labels.<name>
  // (the API and the CLI accept any): such a preference spreads over nothing.
  const preferences = (first.spec.placement.preferences ?? []).filter(validSpreadDescriptor);
  if (preferences.length > 0) return scheduleSpread(ws, tasks, infos, pipeline, preferences, options);
  const heap = new NodeHeap((a, b) => compareNodes(a, b, serviceId, serviceKey, options.maxRecentFailures));
  for (const info of infos.values()) if (pipeline.passes(info)) heap.push(info);

  for (let i = 0; i < tasks.length; i++) {
    let chosen: NodeInfo | undefined;
    while ((chosen = heap.peek()) && !pipeline.passes(chosen)) heap.pop();
    if (!chosen) {
      const why = pipeline.explain(infos.values());
      const err = why ? `no suitable node (${why})` : 'no suitable node';
      for (const t of tasks.slice(i)) setError(ws, t, err);
      return;
    }
    assign(ws, tasks[i] as TaskObject, chosen, 'scheduler assigned task to node');
    heap.siftDownTop();
  }
}

/**
 * Tasks with placement preferences (swarmkit's decision tree): the nodes that pass the filters are
 * grouped by their value for the first spread descriptor, and each task goes to the group holding
 * the fewest of the service's tasks (ties: the lower value), then likewise by the next descriptor
 * within it, and finally to the best node of the last group in the usual order. O(T × N): only for
 * services that ask for it.
 */
function scheduleSpread(
  ws: WorkingSet,
  tasks: TaskObject[],
  infos: Map<string, NodeInfo>,
  pipeline: Pipeline,
  preferences: readonly string[],
  options: OrchestratorOptions,
): void {
  const serviceId = (tasks[0] as TaskObject).serviceId;
  const serviceKey = failureKey(tasks[0] as TaskObject);
  const cmp = (a: NodeInfo, b: NodeInfo) => compareNodes(a, b, serviceId, serviceKey, options.maxRecentFailures);
  // A group's tasks are counted on all its nodes (a paused or full node's tasks still count, as
  // in swarmkit); the choice is among the groups that have a node passing the filters.
  const pick = (all: NodeInfo[], passing: NodeInfo[], level: number): NodeInfo => {
    if (level === preferences.length) return passing.reduce((best, n) => (cmp(n, best) < 0 ? n : best));
    const descriptor = preferences[level] as string;
    const groups = new Map<string, { all: NodeInfo[]; passing: NodeInfo[]; tasks: number }>();
    const group = (n: NodeInfo) => {
      const value = nodeAttribute(descriptor, n.node) ?? '';
      let g = groups.get(value);
      if (!g) groups.set(value, (g = { all: [], passing: [], tasks: 0 }));
      return g;
    };
    for (const n of all) {
      const g = group(n);
      g.all.push(n);
      g.tasks += n.activeByService.get(serviceId) ?? 0;
    }
    for (const n of passing) group(n).passing.push(n);
    const [, emptiest] = [...groups]
      .filter(([, g]) => g.passing.length > 0)
      .sort(([va, a], [vb, b]) => a.tasks - b.tasks || (va < vb ? -1 : va > vb ? 1 : 0))[0] as [string, { all: NodeInfo[]; passing: NodeInfo[] }];
    return pick(emptiest.all, emptiest.passing, level + 1);
  };
  const all = [...infos.values()];
  for (let i = 0; i < tasks.length; i++) {
    const passing = all.filter((n) => pipeline.passes(n));
    if (passing.length === 0) {
      const why = pipeline.explain(infos.values());
      const err = why ? `no suitable node (${why})` : 'no suitable node';
      for (const t of tasks.slice(i)) setError(ws, t, err);
      return;
    }
    assign(ws, tasks[i] as TaskObject, pick(all, passing, 0), 'scheduler assigned task to node');
  }
}

function compareNodes(a: NodeInfo, b: NodeInfo, serviceId: string, serviceKey: string, maxFailures: number): number {
  const fa = a.recentFailures.get(serviceKey) ?? 0;
  const fb = b.recentFailures.get(serviceKey) ?? 0;
  if ((fa >= maxFailures || fb >= maxFailures) && fa !== fb) return fa - fb;
  const sa = a.activeByService.get(serviceId) ?? 0;
  const sb = b.activeByService.get(serviceId) ?? 0;
  if (sa !== sb) return sa - sb;
  if (a.active !== b.active) return a.active - b.active;
  return a.node.id < b.node.id ? -1 : a.node.id > b.node.id ? 1 : 0;
}

/** Every node with what it holds now: the scheduler's view for one pass. */
export function nodeInfos(ws: WorkingSet, options: OrchestratorOptions): Map<string, NodeInfo> {
  const infos = new Map<string, NodeInfo>();
  for (const node of ws.nodes()) {
    infos.set(node.id, {
      node,
      activeByService: new Map(),
      active: 0,
      availableNanoCpus: node.description.resources.nanoCpus,
      availableMemoryBytes: node.description.resources.memoryBytes,
      hostPorts: new Set(),
      recentFailures: new Map(),
    });
  }
  const failuresSince = ws.now - options.failureWindowMs;
  const log = ws.failures;
  for (const t of ws.tasks()) {
    const info = t.nodeId === '' ? undefined : infos.get(t.nodeId);
    if (!info) continue;
    if (occupiesNode(t)) addTask(info, t);
    else if ((t.status.state === 'failed' || t.status.state === 'rejected') && toMs(t.status.timestamp) >= failuresSince) {
      // Preassigned (global) tasks did not choose their node; swarmkit does not count them. (A
      // replicated job's first slot is 0 too, but its tasks were placed by the scheduler.)
      if (t.slot === 0 && t.jobIteration === undefined) continue;
      if (t.jobIteration !== undefined && ws.service(t.serviceId)?.spec.mode.type === 'global-job') continue;
      if (log) log.note(t, toMs(t.status.timestamp));
      else {
        const key = failureKey(t);
        info.recentFailures.set(key, (info.recentFailures.get(key) ?? 0) + 1);
      }
    }
  }
  if (log) {
    for (const [nodeId, perKey] of log.counts(failuresSince)) {
      const info = infos.get(nodeId);
      if (info) for (const [key, n] of perKey) info.recentFailures.set(key, n);
    }
  }
  return infos;
}

function addTask(info: NodeInfo, t: TaskObject): void {
  const r = t.spec.resources.reservations;
  info.availableNanoCpus -= r?.nanoCpus ?? 0;
  info.availableMemoryBytes -= r?.memoryBytes ?? 0;
  for (const p of t.endpointPorts) {
    if (p.publishMode === 'host' && p.publishedPort !== 0) info.hostPorts.add(`${p.protocol}/${p.publishedPort}`);
  }
  if (taskStateRank(t.desiredState) <= COMPLETE) {
    info.active++;
    info.activeByService.set(t.serviceId, (info.activeByService.get(t.serviceId) ?? 0) + 1);
  }
}

function assign(ws: WorkingSet, t: TaskObject, info: NodeInfo, message: string): void {
  const assigned: TaskObject = { ...t, nodeId: info.node.id, status: { state: 'assigned', timestamp: ws.nowIso, message } };
  ws.updateTask(assigned);
  addTask(info, assigned);
}

/** Records why a task stays pending; unchanged explanations are not rewritten. */
function setError(ws: WorkingSet, t: TaskObject, err: string): void {
  if (t.status.err === err) return;
  ws.updateTask({ ...t, status: { ...t.status, err, timestamp: ws.nowIso } });
}

function withoutErr(status: TaskObject['status']): TaskObject['status'] {
  const { err: _err, ...rest } = status;
  return rest;
}

function bySlotThenId(a: TaskObject, b: TaskObject): number {
  if (a.slot !== b.slot) return a.slot - b.slot;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** A binary min-heap whose top may grow in place (its node just took a task). */
class NodeHeap {
  private readonly items: NodeInfo[] = [];

  constructor(private readonly less: (a: NodeInfo, b: NodeInfo) => number) {}

  push(info: NodeInfo): void {
    this.items.push(info);
    let i = this.items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.less(this.at(i), this.at(parent)) >= 0) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  peek(): NodeInfo | undefined {
    return this.items[0];
  }

  pop(): void {
    const last = this.items.pop();
    if (last === undefined || this.items.length === 0) return;
    this.items[0] = last;
    this.siftDownTop();
  }

  siftDownTop(): void {
    const n = this.items.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(this.at(l), this.at(m)) < 0) m = l;
      if (r < n && this.less(this.at(r), this.at(m)) < 0) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }

  private at(i: number): NodeInfo {
    return this.items[i] as NodeInfo;
  }

  private swap(i: number, j: number): void {
    const t = this.at(i);
    this.items[i] = this.at(j);
    this.items[j] = t;
  }
}

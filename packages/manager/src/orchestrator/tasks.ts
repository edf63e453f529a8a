// Task helpers shared by the orchestrators, the scheduler and the reaper: creation,
// desired-state moves, "is this task up to date with its service", node validity.
import { isJobMode, taskStateRank, type NodeObject, type ServiceObject, type TaskObject, type TaskReplacement, type TaskSpec, type TaskState } from '@shoal/store';
import { nodeMatches, parseConstraints, type Constraint } from './constraint';
import type { WorkingSet } from './working-set';

const RUNNING = taskStateRank('running');
const ASSIGNED = taskStateRank('assigned');

export function toMs(iso: string | undefined): number {
  if (!iso) return 0;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? 0 : ms;
}

export function toIso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Desired to run (or to get ready to run, or, a job's, to run to completion): the orchestrators still own it. */
export function isLive(t: TaskObject): boolean {
  return taskStateRank(t.desiredState) <= RUNNING || t.desiredState === 'complete';
}

/** The desired state that runs `t`: a job's task runs to completion. */
export function runState(t: Pick<TaskObject, 'jobIteration'>): 'running' | 'complete' {
  return t.jobIteration === undefined ? 'running' : 'complete';
}

/** Observed past running: it stopped for good. */
export function hasStopped(t: TaskObject): boolean {
  return taskStateRank(t.status.state) > RUNNING;
}

/** Holds a node's resources and ports: assigned and not yet stopped. */
export function occupiesNode(t: TaskObject): boolean {
  const rank = taskStateRank(t.status.state);
  return t.nodeId !== '' && rank >= ASSIGNED && rank <= RUNNING;
}

/** A task that failed or exited on its own (not one we stopped). */
export function exitedOnItsOwn(t: TaskObject): boolean {
  return t.status.state === 'failed' || t.status.state === 'rejected' || t.status.state === 'complete';
}

export type NodeFitness = 'ok' | 'down' | 'drained' | 'missing';

/** swarmkit's orchestrator.InvalidNode, as a reason: missing, down or drained. */
export function nodeFitness(node: NodeObject | undefined): NodeFitness {
  if (!node) return 'missing';
  if (node.status.state === 'down') return 'down';
  if (node.spec.availability === 'drain') return 'drained';
  return 'ok';
}

export interface NewTaskOptions {
  slot: number;
  /** Preassigned node (global services); '' lets the scheduler choose. */
  nodeId: string;
  desiredState: 'ready' | 'running';
  replaces?: TaskReplacement;
  startAfter?: number;
}

/**
 * A task born `pending`: the scheduler picks it up next (see README for the lifecycle). A job's
 * task belongs to the job's current iteration and is desired `complete` where others are desired
 * `running`.
 */
export function newTask(ws: WorkingSet, service: ServiceObject, options: NewTaskOptions): TaskObject {
  const job = isJobMode(service.spec.mode);
  const task: TaskObject = {
    id: ws.newId(),
    version: 0,
    createdAt: ws.nowIso,
    updatedAt: ws.nowIso,
    serviceId: service.id,
    slot: options.slot,
    nodeId: options.nodeId,
    spec: service.spec.task,
    serviceVersion: service.version,
    endpointPorts: service.endpoint.ports,
    desiredState: job && options.desiredState === 'running' ? 'complete' : options.desiredState,
    status: { state: 'pending', timestamp: ws.nowIso, message: 'pending task scheduling' },
    labels: {},
  };
  if (job) task.jobIteration = service.jobStatus?.iteration ?? 0;
  if (options.replaces) task.replaces = options.replaces;
  if (options.startAfter !== undefined && options.startAfter > ws.now) {
    task.startAfter = toIso(options.startAfter);
    ws.wakeAt(options.startAfter);
  }
  ws.createTask(task);
  return task;
}

/** Moves the desired state forward only (swarmkit forbids "time travel"). Returns the task as it now is. */
export function advanceDesired(ws: WorkingSet, t: TaskObject, state: TaskState): TaskObject {
  if (taskStateRank(state) <= taskStateRank(t.desiredState)) return t;
  const next: TaskObject = { ...t, desiredState: state };
  ws.updateTask(next);
  return next;
}

/**
 * swarmkit's IsTaskDirty: the task no longer matches its service's task spec or
 * ports, unless only the constraints changed and its node still satisfies them.
 */
export function isTaskDirty(service: ServiceObject, t: TaskObject, node: NodeObject | undefined): boolean {
  if (t.serviceVersion === service.version) return false;
  const portsSame = portsKey(service.endpoint.ports) === portsKey(t.endpointPorts);
  if (portsSame && specKey(service.spec.task) === specKey(t.spec)) return false;
  if (!portsSame || !node) return true;
  return !(onlyPlacementDiffers(service, t) && nodeMatches(constraintsOf(service.spec.task), node));
}

/** The task's spec is its service's but for the placement (a constraint update keeps such a task where it still fits). */
function onlyPlacementDiffers(service: ServiceObject, t: TaskObject): boolean {
  return canonical({ ...service.spec.task, placement: t.spec.placement }) === specKey(t.spec);
}


export function sameSpec(a: TaskSpec, b: TaskSpec): boolean {
  return a === b || specKey(a) === specKey(b);
}

/** Deep equality of plain data, blind to key order and to keys whose value is undefined. */
export function sameValue(a: unknown, b: unknown): boolean {
  return a === b || canonical(a) === canonical(b);
}

const specKeys = new WeakMap<object, string>();

/** Canonical JSON of a spec, cached per object (store objects are immutable snapshots). */
export function specKey(spec: TaskSpec): string {
  let key = specKeys.get(spec);
  if (key === undefined) {
    key = canonical(spec);
    specKeys.set(spec, key);
  }
  return key;
}

function portsKey(ports: readonly object[]): string {
  let key = specKeys.get(ports);
  if (key === undefined) {
    key = canonical(ports);
    specKeys.set(ports, key);
  }
  return key;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const parsedConstraints = new WeakMap<object, Constraint[]>();

/** Parsed placement constraints; invalid ones (rejected by the control API) constrain nothing, as in swarmkit. */
export function constraintsOf(spec: TaskSpec): Constraint[] {
  const exprs = spec.placement.constraints;
  let parsed = parsedConstraints.get(exprs);
  if (!parsed) {
    const result = parseConstraints(exprs);
    parsed = result.ok ? result.constraints : [];
    parsedConstraints.set(exprs, parsed);
  }
  return parsed;
}

/** Orders tasks oldest first (creation time, then id) for deterministic decisions. */
export function byAge(a: TaskObject, b: TaskObject): number {
  const d = toMs(a.createdAt) - toMs(b.createdAt);
  if (d !== 0) return d;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

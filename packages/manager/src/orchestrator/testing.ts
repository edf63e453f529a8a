// Deterministic fixtures and a tiny in-process cluster for the orchestration cores:
// a MemoryStore the cores' ops are applied to, a fake clock, sequential ids and fake
// agents. Used by the unit and simulation tests and by bench/scheduler.
import {
  MemoryStore,
  createOp,
  isJobMode,
  deleteOp,
  updateOp,
  type ApplyResult,
  type NodeObject,
  type ServiceObject,
  type ServiceSpec,
  type StoreOp,
  type TaskObject,
  type TaskState,
} from '@shoal/store';
import type { OrchestratorOptions } from './options';
import { FailureLog } from './failure-log';
import { reconcile } from './orchestrator';
import type { ClusterView, TickContext, TickResult } from './working-set';

export type Core = (view: ClusterView, ctx: TickContext, options?: Partial<OrchestratorOptions>) => TickResult;

export const T0 = Date.parse('2030-01-01T00:00:00.000Z');

export interface NodeFixture {
  role?: NodeObject['role'];
  availability?: NodeObject['spec']['availability'];
  state?: NodeObject['status']['state'];
  labels?: Record<string, string>;
  hostname?: string;
  addr?: string;
  nanoCpus?: number;
  memoryBytes?: number;
  /** Default x86_64. */
  arch?: string;
}

export function makeNode(id: string, f: NodeFixture = {}, version = 1): NodeObject {
  const at = new Date(T0).toISOString();
  const addr = f.addr ?? '10.0.0.1';
  return {
    id,
    version,
    createdAt: at,
    updatedAt: at,
    spec: { name: '', labels: f.labels ?? {}, role: f.role ?? 'worker', availability: f.availability ?? 'active' },
    role: f.role ?? 'worker',
    description: {
      hostname: f.hostname ?? id,
      addr,
      platform: { os: 'linux', architecture: f.arch ?? 'x86_64' },
      resources: { nanoCpus: f.nanoCpus ?? 4e9, memoryBytes: f.memoryBytes ?? 8 * 2 ** 30 },
      engineVersion: '0.1.0',
    },
    status: { state: f.state ?? 'ready', message: '', addr },
    certificate: { serial: '01', notAfter: '2031-01-01T00:00:00.000Z' },
  };
}

export function makeSpec(name: string, patch: Partial<ServiceSpec> = {}): ServiceSpec {
  const update = { parallelism: 1, delayMs: 0, failureAction: 'pause' as const, monitorMs: 5000, maxFailureRatio: 0, order: 'stop-first' as const };
  return {
    name,
    labels: {},
    task: {
      container: { image: 'nginx' },
      restart: { condition: 'any', delayMs: 5000, maxAttempts: 0, windowMs: 0 },
      placement: { constraints: [], maxReplicas: 0 },
      resources: {},
      forceUpdate: 0,
    },
    mode: { type: 'replicated', replicas: 1 },
    update,
    rollback: { ...update },
    endpoint: { mode: 'vip', ports: [] },
    ...patch,
  };
}

export function makeService(id: string, spec: ServiceSpec, version = 1): ServiceObject {
  const at = new Date(T0).toISOString();
  return { id, version, createdAt: at, updatedAt: at, spec, endpoint: { ports: spec.endpoint.ports } };
}

export interface TaskFixture {
  slot?: number;
  nodeId?: string;
  state?: TaskState;
  desired?: TaskState;
  /** ms since epoch for createdAt and the status timestamp; T0 by default. */
  at?: number;
  err?: string;
}

export function makeTask(id: string, service: ServiceObject, f: TaskFixture = {}, version = 1): TaskObject {
  const at = new Date(f.at ?? T0).toISOString();
  const task: TaskObject = {
    id,
    version,
    createdAt: at,
    updatedAt: at,
    serviceId: service.id,
    slot: f.slot ?? 1,
    nodeId: f.nodeId ?? '',
    spec: service.spec.task,
    serviceVersion: service.version,
    endpointPorts: service.endpoint.ports,
    desiredState: f.desired ?? 'running',
    status: { state: f.state ?? 'pending', timestamp: at, message: '' },
    labels: {},
  };
  if (f.err !== undefined) task.status.err = f.err;
  return task;
}

/** ids "t0001", "t0002", … */
export function sequentialIds(prefix = 't'): () => string {
  let n = 0;
  return () => `${prefix}${String(++n).padStart(4, '0')}`;
}

/**
 * A one-manager cluster in memory: commits the cores' ops to a MemoryStore, with a
 * fake clock and agents that move tasks along when `agents()` is called.
 */
export class SimCluster {
  readonly store = new MemoryStore();
  now = T0;
  /** Nodes whose agent is dead (no status reports); the dispatcher marks them down separately. */
  readonly deadAgents = new Set<string>();
  private index = 0;
  private readonly newId = sequentialIds();
  /** The leader's memory of failures, as the orchestration loop keeps it. */
  readonly failures = new FailureLog();

  constructor(readonly options: Partial<OrchestratorOptions> = {}) {}

  view(): ClusterView {
    return { nodes: this.store.list('node'), services: this.store.list('service'), tasks: this.store.list('task') };
  }

  commit(ops: StoreOp[]): ApplyResult {
    const result = this.store.apply(++this.index, { type: 'batch', at: new Date(this.now).toISOString(), ops });
    if (!result.ok) throw new Error(`commit rejected: ${result.message}`);
    return result;
  }

  /** Runs the cores and commits until they have nothing more to do (as the shell does after each commit). */
  reconcile(maxRounds = 20): TickResult & { rounds: number } {
    let wakeAt: number | null = null;
    for (let rounds = 1; rounds <= maxRounds; rounds++) {
      const result = reconcile(this.view(), { now: this.now, newId: this.newId, failures: this.failures }, this.options);
      wakeAt = result.wakeAt;
      if (result.ops.length === 0) return { ops: [], wakeAt, rounds };
      this.commit(result.ops);
    }
    throw new Error(`no fixpoint after ${maxRounds} rounds`);
  }

  /** Runs one core once and commits its ops. */
  step(core: Core): TickResult {
    const result = core(this.view(), { now: this.now, newId: this.newId, failures: this.failures }, this.options);
    if (result.ops.length > 0) this.commit(result.ops);
    return result;
  }

  /** Puts objects into the store as they are (versions are reassigned by the store). */
  seed(objects: { nodes?: NodeObject[]; services?: ServiceObject[]; tasks?: TaskObject[] }): void {
    const strip = <T extends { version: number; createdAt: string; updatedAt: string }>(o: T): Omit<T, 'version' | 'createdAt' | 'updatedAt'> => {
      const { version: _v, createdAt: _c, updatedAt: _u, ...rest } = o;
      return rest;
    };
    const ops: StoreOp[] = [
      ...(objects.nodes ?? []).map((o) => createOp('node', strip(o))),
      ...(objects.services ?? []).map((o) => createOp('service', strip(o))),
      ...(objects.tasks ?? []).map((o) => createOp('task', strip(o))),
    ];
    this.commit(ops);
  }

  addNode(id: string, f: NodeFixture = {}): void {
    const { version: _v, createdAt: _c, updatedAt: _u, ...node } = makeNode(id, f);
    this.commit([createOp('node', node)]);
  }

  updateNode(id: string, change: (n: NodeObject) => NodeObject): void {
    const n = this.store.get('node', id);
    if (!n) throw new Error(`no node ${id}`);
    this.commit([updateOp('node', change(n))]);
  }

  setNodeState(id: string, state: NodeObject['status']['state']): void {
    this.updateNode(id, (n) => ({ ...n, status: { ...n.status, state } }));
  }

  setAvailability(id: string, availability: NodeObject['spec']['availability']): void {
    this.updateNode(id, (n) => ({ ...n, spec: { ...n.spec, availability } }));
  }

  addService(id: string, spec: ServiceSpec): void {
    const { version: _v, createdAt: _c, updatedAt: _u, ...service } = makeService(id, spec);
    // A job starts at iteration 0, as the control API creates it.
    if (isJobMode(spec.mode)) service.jobStatus = { iteration: 0, lastExecution: new Date(this.now).toISOString() };
    this.commit([createOp('service', service)]);
  }

  /** What the control API does on `service update`: new spec, previous kept, update status reset. */
  updateService(id: string, change: (spec: ServiceSpec) => ServiceSpec): void {
    const s = this.store.get('service', id);
    if (!s) throw new Error(`no service ${id}`);
    const spec = change(s.spec);
    const at = new Date(this.now).toISOString();
    const next: ServiceObject = {
      ...s,
      spec,
      previousSpec: s.spec,
      endpoint: { ports: spec.endpoint.ports },
      // A job runs again as its next iteration; it is never rolled out.
      ...(s.jobStatus
        ? { jobStatus: { iteration: s.jobStatus.iteration + 1, lastExecution: at } }
        : { updateStatus: { state: 'updating' as const, startedAt: at, message: 'update in progress' } }),
    };
    this.commit([updateOp('service', next)]);
  }

  removeService(id: string): void {
    this.commit([deleteOp('service', id)]);
  }

  tasks(serviceId?: string): TaskObject[] {
    return this.store.list('task').filter((t) => serviceId === undefined || t.serviceId === serviceId);
  }

  /** Tasks desired running and observed running. */
  running(serviceId?: string): TaskObject[] {
    return this.tasks(serviceId).filter((t) => t.status.state === 'running' && t.desiredState === 'running');
  }

  setTaskState(id: string, state: TaskState, extra: Partial<TaskObject['status']> = {}): void {
    const t = this.store.get('task', id);
    if (!t) throw new Error(`no task ${id}`);
    this.commit([updateOp('task', { ...t, status: { ...t.status, ...extra, state, timestamp: new Date(this.now).toISOString() } })]);
  }

  /**
   * One step of every live agent: assigned tasks get ready (desired ready) or run
   * (desired running), ready tasks run once desired running, and tasks desired
   * stopped are shut down.
   */
  agents(): void {
    const ops: StoreOp[] = [];
    const at = new Date(this.now).toISOString();
    for (const t of this.store.list('task')) {
      const next = this.agentStep(t);
      if (next && next !== t.status.state) {
        const startedAt = next === 'running' ? at : t.status.startedAt;
        ops.push(updateOp('task', { ...t, status: { state: next, timestamp: at, message: next, ...(startedAt ? { startedAt } : {}) } }));
      }
    }
    if (ops.length > 0) this.commit(ops);
  }

  advance(ms: number): void {
    this.now += ms;
  }

  private agentStep(t: TaskObject): TaskState | null {
    if (t.nodeId === '' || this.deadAgents.has(t.nodeId)) return null;
    const node = this.store.get('node', t.nodeId);
    if (!node || node.status.state === 'down') return null;
    const s = t.status.state;
    const stoppable = s === 'assigned' || s === 'accepted' || s === 'preparing' || s === 'ready' || s === 'starting' || s === 'running';
    if (t.desiredState === 'shutdown' || t.desiredState === 'remove') return stoppable ? 'shutdown' : null;
    if (s === 'assigned' || s === 'accepted' || s === 'preparing' || s === 'starting') return t.desiredState === 'ready' ? 'ready' : 'running';
    if (s === 'ready' && (t.desiredState === 'running' || t.desiredState === 'complete')) return 'running';
    return null;
  }
}

// A read-only view of the cluster plus the writes one reconcile pass wants to make.
// Later stages (scheduler, reaper) see earlier stages' writes, and every object
// ends up in at most one StoreOp, compare-and-set on the version it was read at.
import {
  createOp,
  deleteOp,
  updateOp,
  type NodeObject,
  type ServiceObject,
  type StoreOp,
  type TaskObject,
  type TableView,
} from '@shoal/store';
import type { FailureLog } from './failure-log';

/** What the shell hands to every pure core: the store's current objects. */
export interface ClusterView {
  readonly nodes: readonly NodeObject[];
  readonly services: readonly ServiceObject[];
  readonly tasks: readonly TaskObject[];
  /**
   * Services whose state changed since the last pass: only these are orchestrated;
   * the rest are context (scheduler counts, port use). Absent = all services.
   */
  readonly focus?: ReadonlySet<string>;
  /**
   * The services by id, when the shell has them indexed already (the store's own table): a pass
   * then touches only the services it orchestrates instead of copying every one. Read during the
   * pass only; `services` is not read when this is given, except by a full listing.
   */
  readonly serviceIndex?: TableView<ServiceObject>;
}

/** Time and identity come from the shell, never from the cores. */
export interface TickContext {
  /** Milliseconds since the epoch. */
  now: number;
  newId: () => string;
  /** Failures remembered across passes (the leader's); without it only the tasks still stored count. */
  failures?: FailureLog;
}

export interface TickResult {
  ops: StoreOp[];
  /** When the cores want to run again even if nothing commits (ms since epoch), or null. */
  wakeAt: number | null;
}

type Change = { kind: 'task' | 'service'; op: 'create' | 'update' | 'delete'; id: string; baseVersion: number };

export class WorkingSet {
  readonly now: number;
  readonly nowIso: string;
  private readonly nodesById = new Map<string, NodeObject>();
  private readonly baseServices: TableView<ServiceObject> | ReadonlyMap<string, ServiceObject>;
  /** Services this pass updated (the base is never written). */
  private readonly changedServices = new Map<string, ServiceObject>();
  private readonly tasksById = new Map<string, TaskObject>();
  private readonly taskIdsByService = new Map<string, Set<string>>();
  private readonly changes = new Map<string, Change>();
  private wake: number | null = null;

  readonly focus: ReadonlySet<string> | undefined;

  constructor(
    view: ClusterView,
    private readonly ctx: TickContext,
  ) {
    this.focus = view.focus;
    this.now = ctx.now;
    this.nowIso = new Date(ctx.now).toISOString();
    for (const n of view.nodes) this.nodesById.set(n.id, n);
    this.baseServices = view.serviceIndex ?? new Map(view.services.map((s) => [s.id, s]));
    for (const t of view.tasks) this.index(t);
  }

  newId(): string {
    return this.ctx.newId();
  }

  get failures(): FailureLog | undefined {
    return this.ctx.failures;
  }

  node(id: string): NodeObject | undefined {
    return this.nodesById.get(id);
  }

  nodes(): IterableIterator<NodeObject> {
    return this.nodesById.values();
  }

  service(id: string): ServiceObject | undefined {
    return this.changedServices.get(id) ?? this.baseServices.get(id);
  }

  services(): ServiceObject[] {
    return [...this.baseServices.values()].map((s) => this.changedServices.get(s.id) ?? s);
  }

  task(id: string): TaskObject | undefined {
    return this.tasksById.get(id);
  }

  tasks(): IterableIterator<TaskObject> {
    return this.tasksById.values();
  }

  /** Service ids that have tasks (including services that no longer exist). */
  taskServiceIds(): string[] {
    return [...this.taskIdsByService.keys()];
  }

  tasksOfService(serviceId: string): TaskObject[] {
    const ids = this.taskIdsByService.get(serviceId);
    if (!ids) return [];
    const out: TaskObject[] = [];
    for (const id of ids) {
      const t = this.tasksById.get(id);
      if (t) out.push(t);
    }
    return out;
  }

  createTask(task: TaskObject): void {
    this.index(task);
    this.changes.set(`task/${task.id}`, { kind: 'task', op: 'create', id: task.id, baseVersion: 0 });
  }

  updateTask(task: TaskObject): void {
    const key = `task/${task.id}`;
    const prior = this.changes.get(key);
    const base = this.tasksById.get(task.id);
    if (!base) throw new Error(`task ${task.id} is not in the working set`);
    this.tasksById.set(task.id, task);
    if (!prior) this.changes.set(key, { kind: 'task', op: 'update', id: task.id, baseVersion: base.version });
  }

  deleteTask(id: string): void {
    const task = this.tasksById.get(id);
    if (!task) return;
    this.tasksById.delete(id);
    this.taskIdsByService.get(task.serviceId)?.delete(id);
    const key = `task/${id}`;
    const prior = this.changes.get(key);
    if (prior?.op === 'create') this.changes.delete(key);
    else this.changes.set(key, { kind: 'task', op: 'delete', id, baseVersion: prior?.baseVersion ?? task.version });
  }

  updateService(service: ServiceObject): void {
    const key = `service/${service.id}`;
    const base = this.service(service.id);
    if (!base) throw new Error(`service ${service.id} is not in the working set`);
    this.changedServices.set(service.id, service);
    if (!this.changes.has(key)) this.changes.set(key, { kind: 'service', op: 'update', id: service.id, baseVersion: base.version });
  }

  /** Asks to be called again at `at` (the earliest request wins). */
  wakeAt(at: number): void {
    if (at <= this.now) return;
    if (this.wake === null || at < this.wake) this.wake = at;
  }

  result(): TickResult {
    const ops: StoreOp[] = [];
    for (const change of this.changes.values()) {
      if (change.op === 'delete') {
        ops.push(deleteOp(change.kind, change.id, change.baseVersion));
        continue;
      }
      if (change.kind === 'service') {
        const s = this.service(change.id) as ServiceObject;
        ops.push(updateOp('service', s, change.baseVersion));
        continue;
      }
      const t = this.tasksById.get(change.id) as TaskObject;
      if (change.op === 'create') {
        const { version: _v, createdAt: _c, updatedAt: _u, ...object } = t;
        ops.push(createOp('task', object));
      } else {
        ops.push(updateOp('task', t, change.baseVersion));
      }
    }
    return { ops, wakeAt: this.wake };
  }

  private index(task: TaskObject): void {
    this.tasksById.set(task.id, task);
    let ids = this.taskIdsByService.get(task.serviceId);
    if (!ids) {
      ids = new Set();
      this.taskIdsByService.set(task.serviceId, ids);
    }
    ids.add(task.id);
  }
}

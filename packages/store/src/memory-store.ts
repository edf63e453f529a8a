// The deterministic state machine every manager applies the log to, with typed
// events published after each applied command (swarmkit's memory store, smaller).
import type { StoreCommand, StoreEvent, StoreOp } from './commands';
import { assertNever, rpcText, type ErrorCode } from './errors';
import { KINDS, type AnyObject, type Kind, type ObjectsByKind } from './objects';
import type { NetworkObject, ServiceObject } from './service-objects';

export type ApplyResult = { ok: true; events: StoreEvent[] } | { ok: false; code: ErrorCode; message: string };

export interface StoreSnapshot {
  index: number;
  tables: { [K in Kind]?: ObjectsByKind[K][] };
}

type Tables = { [K in Kind]: Map<string, ObjectsByKind[K]> };

export type StoreListener = (events: StoreEvent[], index: number) => void;

export class MemoryStore {
  private tables: Tables = emptyTables();
  private listeners = new Set<StoreListener>();
  private applied = 0;

  get appliedIndex(): number {
    return this.applied;
  }

  get<K extends Kind>(kind: K, id: string): ObjectsByKind[K] | undefined {
    return this.tables[kind].get(id);
  }

  list<K extends Kind>(kind: K): ObjectsByKind[K][] {
    return [...this.tables[kind].values()];
  }

  /** The live table of `kind`, without a copy: read it synchronously, never hold it across applies. */
  table<K extends Kind>(kind: K): ReadonlyMap<string, ObjectsByKind[K]> {
    return this.tables[kind];
  }

  /** Applies one committed command. Rejections change nothing and are returned, not thrown. */
  apply(index: number, command: StoreCommand): ApplyResult {
    if (index <= this.applied) {
      return { ok: false, code: 'INTERNAL', message: `index ${index} already applied (at ${this.applied})` };
    }
    this.applied = index;
    const rejection = this.check(command.ops);
    if (rejection) return rejection;
    const events = command.ops.map((op) => this.write(op, index, command.at));
    for (const listener of this.listeners) listener(events, index);
    return { ok: true, events };
  }

  /** Marks an index applied without a store command (e.g. a Raft no-op or config entry). */
  skip(index: number): void {
    if (index > this.applied) this.applied = index;
  }

  watch(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  snapshot(): StoreSnapshot {
    const tables: StoreSnapshot['tables'] = {};
    for (const kind of KINDS) {
      (tables as Record<Kind, AnyObject[]>)[kind] = [...this.tables[kind].values()];
    }
    return { index: this.applied, tables };
  }

  restore(snapshot: StoreSnapshot): void {
    this.tables = emptyTables();
    this.names.clear();
    for (const kind of KINDS) {
      const rows = (snapshot.tables as Record<Kind, AnyObject[] | undefined>)[kind] ?? [];
      const table = this.tables[kind] as Map<string, AnyObject>;
      for (const row of rows) {
        table.set(row.id, row);
        this.index(kind, undefined, row);
      }
    }
    this.applied = snapshot.index;
  }

  private check(ops: StoreOp[]): ApplyResult | undefined {
    // Validate the whole batch against the state as each op would see it.
    const seen = new Map<string, number | null>();
    const batchServices = new Map<string, ServiceObject | null>();
    const batchNetworks = new Map<string, NetworkObject | null>();
    const current = (kind: Kind, id: string): number | null => {
      const key = `${kind}/${id}`;
      if (seen.has(key)) return seen.get(key) ?? null;
      return this.tables[kind].get(id)?.version ?? null;
    };
    for (const op of ops) {
      const id = op.op === 'delete' ? op.id : op.object.id;
      const version = current(op.kind, id);
      const key = `${op.kind}/${id}`;
      switch (op.op) {
        case 'create':
          if (version !== null) return { ok: false, code: 'ALREADY_EXISTS', message: `${op.kind} ${id} already exists` };
          if (this.nameTaken(op)) return nameConflict(op);
          seen.set(key, 0);
          break;
        case 'update':
        case 'delete':
          if (version === null) return { ok: false, code: 'NOT_FOUND', message: `${op.kind} ${id} not found` };
          if (op.expectVersion !== undefined && op.expectVersion !== version) {
            return { ok: false, code: 'OUT_OF_SEQUENCE', message: 'update out of sequence' };
          }
          if (op.op === 'update' && this.nameTaken(op)) return nameConflict(op);
          seen.set(key, op.op === 'delete' ? null : -1);
          break;
        default:
          return assertNever(op);
      }
      // Networks a service attaches to exist, and a network in use is not removed: checked here,
      // in the log's order, so a removal and an attachment racing on the leader cannot both win.
      // (Only attachments a write adds are checked: an object written before this rule keeps working.)
      if (op.kind === 'service') {
        const before = batchServices.has(id) ? batchServices.get(id) : this.tables.service.get(id);
        const after = op.op === 'delete' ? null : (op.object as ServiceObject);
        batchServices.set(id, after);
        for (const n of after?.spec.task.networks ?? []) {
          if (before?.spec.task.networks?.some((b) => b.target === n.target)) continue;
          if (current('network', n.target) === null) return { ok: false, code: 'NOT_FOUND', message: `network ${n.target} not found` };
        }
        // The routing mesh: ports published in ingress mode need the ingress network (swarmkit's text).
        if (needsIngress(after) && !needsIngress(before) && !this.ingressPresent(batchNetworks)) {
          return { ok: false, code: 'FAILED_PRECONDITION', message: rpcText('FailedPrecondition', 'service needs ingress network, but no ingress network is present') };
        }
      } else if (op.kind === 'network') {
        const net = batchNetworks.has(id) ? batchNetworks.get(id) : this.tables.network.get(id);
        batchNetworks.set(id, op.op === 'delete' ? null : (op.object as NetworkObject));
        if (op.op === 'delete' && net?.ingress) {
          const user = this.serviceNeedingIngress(batchServices);
          if (user) return { ok: false, code: 'FAILED_PRECONDITION', message: rpcText('FailedPrecondition', `ingress network cannot be removed because service ${user} depends on it`) };
        } else if (op.op === 'delete') {
          const user = this.serviceUsing(op.id, batchServices);
          if (user) return { ok: false, code: 'FAILED_PRECONDITION', message: rpcText('FailedPrecondition', `network ${op.id} is in use by service ${user}`) };
        }
      }
    }
    return undefined;
  }

  /** A service attached to network `id`, as the batch so far leaves the services. */
  /**
   * The id of an object of `kind` that matches as of this batch: the batch's version of what it
   * writes (deleted: null), the stored one of the rest.
   */
  private findAsOf<K extends 'service' | 'network'>(
    kind: K,
    batch: ReadonlyMap<string, ObjectsByKind[K] | null>,
    matches: (object: ObjectsByKind[K]) => boolean,
  ): string | undefined {
    for (const [id, object] of batch) if (object && matches(object)) return id;
    for (const object of this.tables[kind].values()) if (!batch.has(object.id) && matches(object as ObjectsByKind[K])) return object.id;
    return undefined;
  }

  /** A service (as of this batch) publishing a port through the routing mesh. */
  private serviceNeedingIngress(batch: ReadonlyMap<string, ServiceObject | null>): string | undefined {
    return this.findAsOf('service', batch, needsIngress);
  }

  /** Whether an ingress network exists as of this batch. */
  private ingressPresent(batch: ReadonlyMap<string, NetworkObject | null>): boolean {
    return this.findAsOf('network', batch, (net) => net.ingress) !== undefined;
  }

  private serviceUsing(id: string, batch: ReadonlyMap<string, ServiceObject | null>): string | undefined {
    return this.findAsOf('service', batch, (svc) => svc.spec.task.networks?.some((n) => n.target === id) ?? false);
  }

  /** Service and network names are unique, as in swarmkit's store. */
  private nameTaken(op: StoreOp): boolean {
    if (op.op === 'delete' || (op.kind !== 'service' && op.kind !== 'network')) return false;
    const name = nameOf(op.object as AnyObject);
    if (!name) return false;
    const holder = this.names.get(`${op.kind}/${name}`);
    return holder !== undefined && holder !== op.object.id;
  }

  /** kind/name → id of services and networks, kept with the tables. */
  private names = new Map<string, string>();

  private index(kind: Kind, before: AnyObject | undefined, after: AnyObject | undefined): void {
    if (kind !== 'service' && kind !== 'network') return;
    const oldName = before && nameOf(before);
    if (oldName && this.names.get(`${kind}/${oldName}`) === before?.id) this.names.delete(`${kind}/${oldName}`);
    const newName = after && nameOf(after);
    if (newName && after) this.names.set(`${kind}/${newName}`, after.id);
  }

  private write(op: StoreOp, index: number, at: string): StoreEvent {
    const table = this.tables[op.kind] as Map<string, AnyObject>;
    switch (op.op) {
      case 'create': {
        const object = { ...op.object, version: index, createdAt: at, updatedAt: at } as AnyObject;
        table.set(object.id, object);
        this.index(op.kind, undefined, object);
        return { kind: op.kind, action: 'create', object } as StoreEvent;
      }
      case 'update': {
        const previous = table.get(op.object.id) as AnyObject;
        const object = { ...op.object, version: index, createdAt: previous.createdAt, updatedAt: at } as AnyObject;
        table.set(object.id, object);
        this.index(op.kind, previous, object);
        return { kind: op.kind, action: 'update', object, previous } as StoreEvent;
      }
      case 'delete': {
        const object = table.get(op.id) as AnyObject;
        table.delete(op.id);
        this.index(op.kind, object, undefined);
        return { kind: op.kind, action: 'delete', object } as StoreEvent;
      }
      default:
        return assertNever(op);
    }
  }
}

function nameOf(o: AnyObject): string | undefined {
  if ('spec' in o && o.spec && typeof (o.spec as { name?: unknown }).name === 'string') return (o.spec as { name: string }).name;
  if ('name' in o && typeof o.name === 'string') return o.name;
  return undefined;
}

function nameConflict(op: StoreOp): ApplyResult {
  const name = op.op === 'delete' ? '' : nameOf(op.object as AnyObject);
  return { ok: false, code: 'ALREADY_EXISTS', message: `name conflicts with an existing object: ${op.kind} ${name} already exists` };
}

function emptyTables(): Tables {
  return { cluster: new Map(), node: new Map(), service: new Map(), task: new Map(), network: new Map() };
}

/** swarmkit's IsIngressNetworkNeeded: a port published in ingress mode (host-mode ports need no mesh). */
function needsIngress(svc: ServiceObject | null | undefined): boolean {
  return svc?.spec.endpoint.ports.some((p) => p.publishMode === 'ingress') ?? false;
}

// The deterministic state machine every manager applies the log to, with typed
// events published after each applied command (swarmkit's memory store, smaller).
import type { AppliedCommand, EncodedWriteOp, StoreEvent, StoreOp } from './commands';
import { LazyRow, factsOf, type EncodedObject, type ObjectDecoder, type ObjectFacts, type StoredRow } from './encoded';
import { assertNever, rpcText, type ErrorCode } from './errors';
import { KINDS, type AnyObject, type Kind, type ObjectsByKind } from './objects';

export type ApplyResult = { ok: true; events: StoreEvent[] } | { ok: false; code: ErrorCode; message: string };

export interface StoreSnapshot {
  index: number;
  /** Objects, or (restored from a Raft snapshot) rows still encoded. */
  tables: { [K in Kind]?: Array<ObjectsByKind[K] | LazyRow> };
}

/** A table of the store as readers see it: every object decoded (on its first read). */
export interface TableView<T> {
  readonly size: number;
  get(id: string): T | undefined;
  has(id: string): boolean;
  values(): IterableIterator<T>;
}

type Tables = { [K in Kind]: Map<string, StoredRow> };

type AppliedOp = StoreOp | EncodedWriteOp;

export type StoreListener = (events: StoreEvent[], index: number) => void;

export class MemoryStore {
  private tables: Tables = emptyTables();
  private listeners = new Set<StoreListener>();
  private applied = 0;
  private readonly views: { [K in Kind]: TableView<ObjectsByKind[K]> };

  /** `decode` reads the bytes of writes applied encoded; a store without one refuses such writes. */
  constructor(private readonly decode: ObjectDecoder = refuseEncoded) {
    const views = {} as Record<Kind, TableView<AnyObject>>;
    for (const kind of KINDS) views[kind] = this.view(kind);
    this.views = views as { [K in Kind]: TableView<ObjectsByKind[K]> };
  }

  get appliedIndex(): number {
    return this.applied;
  }

  get<K extends Kind>(kind: K, id: string): ObjectsByKind[K] | undefined {
    const row = this.tables[kind].get(id);
    return row === undefined ? undefined : (this.open(row) as ObjectsByKind[K]);
  }

  list<K extends Kind>(kind: K): ObjectsByKind[K][] {
    const out: ObjectsByKind[K][] = [];
    for (const row of this.tables[kind].values()) out.push(this.open(row) as ObjectsByKind[K]);
    return out;
  }

  /** The live table of `kind`, without a copy: read it synchronously, never hold it across applies. */
  table<K extends Kind>(kind: K): TableView<ObjectsByKind[K]> {
    return this.views[kind];
  }

  /**
   * The live rows of `kind` as stored, decoded or not (snapshots copy an encoded one's bytes).
   * Read synchronously; a row is never changed but for where its bytes live.
   */
  rows(kind: Kind): ReadonlyMap<string, StoredRow> {
    return this.tables[kind];
  }

  /**
   * Decodes objects still encoded for about `budgetMs` (the clock is read every 32 decoded);
   * true once a pass reached the end of the tables (an object rewritten behind the pass is decoded
   * when read, as any other). A new leader calls it a slice at a time before it starts its
   * orchestrator, which reads every object: 30,000 encoded services took ~0.4 s to decode, and in
   * one piece they held back the first writes after a failover.
   */
  decodeSome(budgetMs: number, now: () => number = () => performance.now()): boolean {
    const until = now() + budgetMs;
    let cursor = this.decodeCursor;
    if (cursor === null || cursor.tables !== this.tables) cursor = this.decodeCursor = { tables: this.tables, kind: 0, rows: null };
    for (let decoded = 0; ; ) {
      if (cursor.rows === null) {
        const kind = KINDS[cursor.kind];
        if (kind === undefined) break;
        cursor.rows = cursor.tables[kind].values(); // live: rows written meanwhile come too
      }
      const next = cursor.rows.next();
      if (next.done) {
        cursor.rows = null;
        cursor.kind++;
        continue;
      }
      if (!(next.value instanceof LazyRow) || next.value.value !== undefined) continue;
      next.value.open(this.decode);
      if (++decoded % 32 === 0 && now() >= until) return false;
    }
    // Done; a later call looks again from the start (a cheap pass when nothing was written since).
    this.decodeCursor = null;
    return true;
  }

  private decodeCursor: { tables: Tables; kind: number; rows: Iterator<StoredRow> | null } | null = null;

  /** Applies one committed command. Rejections change nothing and are returned, not thrown. */
  apply(index: number, command: AppliedCommand): ApplyResult {
    if (index <= this.applied) {
      return { ok: false, code: 'INTERNAL', message: `index ${index} already applied (at ${this.applied})` };
    }
    if (this.decode === refuseEncoded && command.ops.some((op) => op.op !== 'delete' && isEncoded(op.object))) {
      throw new Error('this store has no decoder for encoded objects'); // a wiring mistake: nothing is applied
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
      (tables as Record<Kind, AnyObject[]>)[kind] = this.list(kind);
    }
    return { index: this.applied, tables };
  }

  restore(snapshot: StoreSnapshot): void {
    this.tables = emptyTables();
    this.names.clear();
    for (const kind of KINDS) {
      const rows = (snapshot.tables as Record<Kind, StoredRow[] | undefined>)[kind] ?? [];
      const table = this.tables[kind];
      for (const row of rows) {
        table.set(row.id, row);
        this.index(kind, undefined, row);
      }
    }
    this.applied = snapshot.index;
  }

  private open(row: StoredRow): AnyObject {
    return row instanceof LazyRow ? row.open(this.decode) : row;
  }

  private view(kind: Kind): TableView<AnyObject> {
    const rows = () => this.tables[kind]; // restore() replaces the tables
    const open = (row: StoredRow) => this.open(row);
    return {
      get size() {
        return rows().size;
      },
      get: (id) => {
        const row = rows().get(id);
        return row === undefined ? undefined : open(row);
      },
      has: (id) => rows().has(id),
      *values() {
        for (const row of rows().values()) yield open(row);
      },
    };
  }

  /** What the checks read of a stored service or network. */
  private factsOfRow(kind: Kind, row: StoredRow): ObjectFacts | undefined {
    if (row instanceof LazyRow) return row.facts ?? factsOf(kind, row.open(this.decode));
    return factsOf(kind, row);
  }

  /** What the checks read of the object an op writes. */
  private factsOfOp(op: AppliedOp): ObjectFacts | undefined {
    if (op.op === 'delete') return undefined;
    if (!isEncoded(op.object)) return factsOf(op.kind, op.object);
    if (op.object.facts !== undefined || (op.kind !== 'service' && op.kind !== 'network')) return op.object.facts;
    return factsOf(op.kind, this.decode(op.object.bytes) as AnyObject); // written without them
  }

  private check(ops: AppliedOp[]): ApplyResult | undefined {
    // Validate the whole batch against the state as each op would see it. Services and networks
    // are seen through their facts (name, attachments, ingress), as the batch leaves them (null:
    // deleted), so an encoded write is checked without being decoded.
    const seen = new Map<string, number | null>();
    const batchServices = new Map<string, ObjectFacts | null>();
    const batchNetworks = new Map<string, ObjectFacts | null>();
    // kind/name → id of the names this batch's writes take: two writes of one batch cannot both
    // take a name (the store's name index would keep only the second holder).
    const claims = new Map<string, string>();
    const current = (kind: Kind, id: string): number | null => {
      const key = `${kind}/${id}`;
      if (seen.has(key)) return seen.get(key) ?? null;
      return this.tables[kind].get(id)?.version ?? null;
    };
    for (const op of ops) {
      const id = op.op === 'delete' ? op.id : op.object.id;
      const version = current(op.kind, id);
      const key = `${op.kind}/${id}`;
      const facts = this.factsOfOp(op);
      switch (op.op) {
        case 'create':
          if (version !== null) return { ok: false, code: 'ALREADY_EXISTS', message: `${op.kind} ${id} already exists` };
          if (this.nameTaken(op, facts, claims)) return nameConflict(op, facts);
          seen.set(key, 0);
          break;
        case 'update':
        case 'delete':
          if (version === null) return { ok: false, code: 'NOT_FOUND', message: `${op.kind} ${id} not found` };
          if (op.expectVersion !== undefined && op.expectVersion !== version) {
            return { ok: false, code: 'OUT_OF_SEQUENCE', message: 'update out of sequence' };
          }
          if (op.op === 'update' && this.nameTaken(op, facts, claims)) return nameConflict(op, facts);
          seen.set(key, op.op === 'delete' ? null : -1);
          break;
        default:
          return assertNever(op);
      }
      // Networks a service attaches to exist, and a network in use is not removed: checked here,
      // in the log's order, so a removal and an attachment racing on the leader cannot both win.
      // (Only attachments a write adds are checked: an object written before this rule keeps working.)
      if (op.kind === 'service') {
        const before = this.asOf('service', id, batchServices);
        const after = op.op === 'delete' ? null : (facts ?? null);
        batchServices.set(id, after);
        for (const target of after?.networks ?? []) {
          if (before?.networks?.includes(target)) continue;
          if (current('network', target) === null) return { ok: false, code: 'NOT_FOUND', message: `network ${target} not found` };
        }
        // The routing mesh: ports published in ingress mode need the ingress network (swarmkit's text).
        if (after?.ingress === true && before?.ingress !== true && !this.ingressPresent(batchNetworks)) {
          return { ok: false, code: 'FAILED_PRECONDITION', message: rpcText('FailedPrecondition', 'service needs ingress network, but no ingress network is present') };
        }
      } else if (op.kind === 'network') {
        const net = this.asOf('network', id, batchNetworks);
        batchNetworks.set(id, op.op === 'delete' ? null : (facts ?? null));
        if (op.op === 'delete' && net?.ingress === true) {
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

  /** The facts of service or network `id` as the batch so far leaves it (null or undefined: none). */
  private asOf(kind: 'service' | 'network', id: string, batch: ReadonlyMap<string, ObjectFacts | null>): ObjectFacts | null | undefined {
    if (batch.has(id)) return batch.get(id);
    const row = this.tables[kind].get(id);
    return row === undefined ? undefined : this.factsOfRow(kind, row);
  }

  /**
   * The id of an object of `kind` that matches as of this batch: the batch's version of what it
   * writes (deleted: null), the stored one of the rest.
   */
  private findAsOf(kind: 'service' | 'network', batch: ReadonlyMap<string, ObjectFacts | null>, matches: (facts: ObjectFacts) => boolean): string | undefined {
    for (const [id, facts] of batch) if (facts && matches(facts)) return id;
    for (const [id, row] of this.tables[kind]) {
      if (batch.has(id)) continue;
      const facts = this.factsOfRow(kind, row);
      if (facts && matches(facts)) return id;
    }
    return undefined;
  }

  /** A service (as of this batch) publishing a port through the routing mesh. */
  private serviceNeedingIngress(batch: ReadonlyMap<string, ObjectFacts | null>): string | undefined {
    return this.findAsOf('service', batch, (svc) => svc.ingress === true);
  }

  /** Whether an ingress network exists as of this batch. */
  private ingressPresent(batch: ReadonlyMap<string, ObjectFacts | null>): boolean {
    return this.findAsOf('network', batch, (net) => net.ingress === true) !== undefined;
  }

  /** A service (as of this batch) attached to network `id`. */
  private serviceUsing(id: string, batch: ReadonlyMap<string, ObjectFacts | null>): string | undefined {
    return this.findAsOf('service', batch, (svc) => svc.networks?.includes(id) ?? false);
  }

  /**
   * Service and network names are unique, as in swarmkit's store: taken when another object holds
   * it, or another write of the batch took it (`claims`, to which a write that may take it adds it).
   */
  private nameTaken(op: AppliedOp, facts: ObjectFacts | undefined, claims: Map<string, string>): boolean {
    if (op.op === 'delete' || (op.kind !== 'service' && op.kind !== 'network')) return false;
    const name = facts?.name;
    if (!name) return false;
    const key = `${op.kind}/${name}`;
    const id = op.object.id;
    const holder = this.names.get(key);
    const claimant = claims.get(key);
    if ((holder !== undefined && holder !== id) || (claimant !== undefined && claimant !== id)) return true;
    claims.set(key, id);
    return false;
  }

  /** kind/name → id of services and networks, kept with the tables. */
  private names = new Map<string, string>();

  private index(kind: Kind, before: StoredRow | undefined, after: StoredRow | undefined): void {
    if (kind !== 'service' && kind !== 'network') return;
    const oldName = before && this.factsOfRow(kind, before)?.name;
    if (oldName && this.names.get(`${kind}/${oldName}`) === before?.id) this.names.delete(`${kind}/${oldName}`);
    const newName = after && this.factsOfRow(kind, after)?.name;
    if (newName && after) this.names.set(`${kind}/${newName}`, after.id);
  }

  private write(op: AppliedOp, index: number, at: string): StoreEvent {
    const table = this.tables[op.kind];
    switch (op.op) {
      case 'create': {
        const row = stamped(op.object, index, at, at);
        table.set(row.id, row);
        this.index(op.kind, undefined, row);
        return this.event(op.kind, 'create', row, undefined);
      }
      case 'update': {
        const previous = table.get(op.object.id) as StoredRow;
        const row = stamped(op.object, index, previous.createdAt, at);
        table.set(row.id, row);
        this.index(op.kind, previous, row);
        return this.event(op.kind, 'update', row, previous);
      }
      case 'delete': {
        const row = table.get(op.id) as StoredRow;
        table.delete(op.id);
        this.index(op.kind, row, undefined);
        return this.event(op.kind, 'delete', row, undefined);
      }
      default:
        return assertNever(op);
    }
  }

  /** An event of rows: an encoded one is decoded when a listener reads it (most never do). */
  private event(kind: Kind, action: StoreEvent['action'], row: StoredRow, previous: StoredRow | undefined): StoreEvent {
    if (!(row instanceof LazyRow) && !(previous instanceof LazyRow)) {
      return (previous === undefined ? { kind, action, object: row } : { kind, action, object: row, previous }) as StoreEvent;
    }
    const open = (r: StoredRow) => this.open(r);
    if (previous === undefined) {
      return {
        kind,
        action,
        get object() {
          return open(row);
        },
      } as StoreEvent;
    }
    return {
      kind,
      action,
      get object() {
        return open(row);
      },
      get previous() {
        return open(previous);
      },
    } as StoreEvent;
  }
}

/** The row a create or update stores: the object stamped, or its bytes with the stamps beside them. */
function stamped(object: EncodedObject | Record<string, unknown>, version: number, createdAt: string, updatedAt: string): StoredRow {
  if (isEncoded(object)) {
    const row = new LazyRow(object.id, version, createdAt, updatedAt, object.facts, object.bytes, 0, object.bytes.byteLength);
    if (object.value !== undefined) row.value = { ...object.value, version, createdAt, updatedAt } as unknown as AnyObject; // as open() would make it
    return row;
  }
  return { ...object, version, createdAt, updatedAt } as unknown as AnyObject;
}

function isEncoded(object: unknown): object is EncodedObject {
  return (object as Partial<EncodedObject>).encoded === true;
}

function refuseEncoded(): never {
  throw new Error('this store has no decoder for encoded objects');
}

function nameConflict(op: AppliedOp, facts: ObjectFacts | undefined): ApplyResult {
  return { ok: false, code: 'ALREADY_EXISTS', message: `name conflicts with an existing object: ${op.kind} ${facts?.name ?? ''} already exists` };
}

function emptyTables(): Tables {
  return { cluster: new Map(), node: new Map(), service: new Map(), task: new Map(), network: new Map() };
}

// Replicated key/value table on top of SWIM (the mesh's endpoint table). Each node writes only its
// own entries, versioned by a per-owner counter; changes ride piggybacked broadcasts, push-pull
// repairs what gossip missed, and entries of failed or departed members vanish everywhere.
import { isLive } from './member';
import type { MemberEvent, MemberState } from './member';
import type { SwimDelegate } from './swim-core';
import { TableError } from './errors';

export interface TableEntry<V = unknown> {
  readonly owner: string;
  readonly key: string;
  readonly value: V;
  /** The owner's counter at the time of the write: higher wins. */
  readonly version: number;
}

export type TableChange<V = unknown> =
  | { readonly type: 'set'; readonly entry: TableEntry<V>; readonly previous: TableEntry<V> | undefined }
  | { readonly type: 'delete'; readonly owner: string; readonly key: string; readonly previous: TableEntry<V> };

/** Wire form: o = owner, k = key, n = version, v = value, x = tombstone. */
interface WireEntry {
  readonly o: string;
  readonly k: string;
  readonly n: number;
  readonly v?: unknown;
  readonly x?: boolean;
}

interface Row {
  readonly owner: string;
  readonly key: string;
  readonly version: number;
  readonly value: unknown;
  readonly deleted: boolean;
  /** Local time of the last change (tombstone reaping). */
  readonly sinceMs: number;
}

export interface TableMembership {
  stateOf(id: string): MemberState | undefined;
}

export interface ReplicatedTableOptions {
  readonly selfId: string;
  readonly membership: TableMembership;
  readonly broadcast: (payload: unknown, key: string) => void;
  /** Tombstones and forgotten dead owners are dropped after this long. */
  readonly tombstoneTtlMs: number;
  readonly nowMs?: number;
}

export type TableListener<V> = (change: TableChange<V>) => void;

export class ReplicatedTable<V = unknown> implements SwimDelegate {
  private readonly rows = new Map<string, Row>();
  /** Owners we saw fail or leave: their stale entries must not come back through a lagging peer. */
  private readonly goneOwners = new Map<string, number>();
  private readonly listeners = new Set<TableListener<V>>();
  private version = 0;
  private nowMs: number;
  private nextReapMs: number;

  constructor(private readonly o: ReplicatedTableOptions) {
    this.nowMs = o.nowMs ?? 0;
    this.nextReapMs = this.nowMs;
  }

  /** Sets one of this node's own entries. */
  set(key: string, value: V): TableEntry<V> {
    if (typeof key !== 'string' || key.length === 0) throw new TableError('table keys are non-empty strings');
    const id = rowId(this.o.selfId, key);
    const prev = this.rows.get(id);
    const row: Row = { owner: this.o.selfId, key, version: ++this.version, value, deleted: false, sinceMs: this.nowMs };
    this.rows.set(id, row);
    this.send(row);
    this.notify(prev, row);
    return toEntry<V>(row);
  }

  /** Deletes one of this node's own entries; false when it did not exist. */
  delete(key: string): boolean {
    const id = rowId(this.o.selfId, key);
    const prev = this.rows.get(id);
    if (!prev || prev.deleted) return false;
    const row: Row = { ...prev, version: ++this.version, value: undefined, deleted: true, sinceMs: this.nowMs };
    this.rows.set(id, row);
    this.send(row);
    this.notify(prev, row);
    return true;
  }

  get(owner: string, key: string): TableEntry<V> | undefined {
    const row = this.rows.get(rowId(owner, key));
    return row && !row.deleted ? toEntry<V>(row) : undefined;
  }

  /** Live entries of every owner, sorted by owner then key. */
  entries(): TableEntry<V>[] {
    return [...this.rows.values()]
      .filter((r) => !r.deleted)
      .sort((a, b) => cmp(a.owner, b.owner) || cmp(a.key, b.key))
      .map((r) => toEntry<V>(r));
  }

  onChange(listener: TableListener<V>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // --- SwimDelegate -------------------------------------------------------------------------

  notifyMessage(payload: unknown): void {
    for (const e of parsePayload(payload)) this.apply(e, true);
  }

  localState(): unknown {
    return { tbl: [...this.rows.values()].map(toWire) };
  }

  mergeRemoteState(state: unknown, info: { join: boolean; reply: boolean }): void {
    // A joiner learning the whole table must not re-gossip all of it; everyone else spreads what was new.
    const rebroadcast = !(info.join && info.reply);
    for (const e of parsePayload(state)) this.apply(e, rebroadcast);
  }

  notifyMember(event: MemberEvent): void {
    const id = event.member.id;
    if (event.type === 'join') this.goneOwners.delete(id);
    if (event.type === 'dead' || event.type === 'leave') this.dropOwner(id);
  }

  /** Peers may have declared us dead and dropped our entries: announce them again. */
  notifyRefute(): void {
    for (const row of this.rows.values()) if (row.owner === this.o.selfId) this.send(row);
  }

  tick(nowMs: number): void {
    this.nowMs = nowMs;
    if (nowMs < this.nextReapMs) return;
    const ttl = this.o.tombstoneTtlMs;
    this.nextReapMs = nowMs + Math.max(1, Math.floor(ttl / 10));
    for (const [id, row] of this.rows) if (row.deleted && nowMs - row.sinceMs > ttl) this.rows.delete(id);
    for (const [owner, since] of this.goneOwners) if (nowMs - since > ttl) this.goneOwners.delete(owner);
  }

  // --- internals ----------------------------------------------------------------------------

  private apply(e: WireEntry, rebroadcast: boolean): void {
    if (e.o === this.o.selfId) return this.reassert(e);
    if (!this.ownerAccepted(e.o)) return;
    const id = rowId(e.o, e.k);
    const prev = this.rows.get(id);
    if (prev && prev.version >= e.n) return;
    const deleted = e.x === true;
    const row: Row = { owner: e.o, key: e.k, version: e.n, value: deleted ? undefined : e.v, deleted, sinceMs: this.nowMs };
    this.rows.set(id, row);
    if (rebroadcast) this.send(row);
    this.notify(prev, row);
  }

  /** Our own entry came back from a peer: we may have restarted and lost track of it. */
  private reassert(e: WireEntry): void {
    this.version = Math.max(this.version, e.n);
    const id = rowId(e.o, e.k);
    const mine = this.rows.get(id);
    if (mine && mine.version >= e.n) return;
    if (!mine && e.x === true) {
      // Adopt it rather than re-issue it, or tombstones would bounce between us forever.
      this.rows.set(id, { owner: e.o, key: e.k, version: e.n, value: undefined, deleted: true, sinceMs: this.nowMs });
      return;
    }
    const base = mine ?? { owner: e.o, key: e.k, value: undefined, deleted: true };
    const row: Row = { ...base, version: ++this.version, sinceMs: this.nowMs };
    this.rows.set(id, row);
    this.send(row);
  }

  private ownerAccepted(owner: string): boolean {
    const state = this.o.membership.stateOf(owner);
    if (isLive(state)) return true;
    if (state === 'dead' || state === 'left') return false;
    return !this.goneOwners.has(owner);
  }

  private dropOwner(owner: string): void {
    this.goneOwners.set(owner, this.nowMs);
    for (const [id, row] of this.rows) {
      if (row.owner !== owner) continue;
      this.rows.delete(id);
      if (!row.deleted) this.emit({ type: 'delete', owner, key: row.key, previous: toEntry<V>(row) });
    }
  }

  private send(row: Row): void {
    this.o.broadcast({ tbl: [toWire(row)] }, `t:${rowId(row.owner, row.key)}`);
  }

  private notify(prev: Row | undefined, next: Row): void {
    const previous = prev && !prev.deleted ? toEntry<V>(prev) : undefined;
    if (!next.deleted) this.emit({ type: 'set', entry: toEntry<V>(next), previous });
    else if (previous) this.emit({ type: 'delete', owner: next.owner, key: next.key, previous });
  }

  private emit(change: TableChange<V>): void {
    for (const l of this.listeners) l(change);
  }
}

function rowId(owner: string, key: string): string {
  return `${owner}\u0000${key}`;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function toEntry<V>(row: Row): TableEntry<V> {
  return { owner: row.owner, key: row.key, value: row.value as V, version: row.version };
}

function toWire(row: Row): WireEntry {
  return row.deleted ? { o: row.owner, k: row.key, n: row.version, x: true } : { o: row.owner, k: row.key, n: row.version, v: row.value };
}

/** Table entries in a user payload; anything else (another layer's payload, junk) yields none. */
function parsePayload(payload: unknown): WireEntry[] {
  if (typeof payload !== 'object' || payload === null) return [];
  const list = (payload as { tbl?: unknown }).tbl;
  if (!Array.isArray(list)) return [];
  return list.filter(
    (e): e is WireEntry =>
      typeof e === 'object' &&
      e !== null &&
      typeof (e as WireEntry).o === 'string' &&
      typeof (e as WireEntry).k === 'string' &&
      Number.isSafeInteger((e as WireEntry).n),
  );
}

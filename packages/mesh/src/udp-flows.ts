// The UDP flow table of one published port (pure: no sockets, no timers). A flow is what conntrack
// would call a UDP "connection": every datagram from one client address:port goes to the task its
// first datagram was given, until the flow has been idle for the timeout. Flows are kept in order
// of last activity, so expiry and eviction take them from the front in O(1) each.
import type { NowSource } from './clock';

export interface UdpFlowTableOptions {
  readonly clock: NowSource;
  /** A flow with no datagram either way for this long expires. */
  readonly idleTimeoutMs: number;
  /** Flows kept at most; a new one evicts the least recently active. */
  readonly maxFlows: number;
}

interface Entry<F> {
  readonly flow: F;
  lastActive: number;
}

export class UdpFlowTable<F> {
  /** Insertion order = order of last activity, least recent first (touch re-inserts). */
  private readonly entries = new Map<string, Entry<F>>();

  constructor(private readonly o: UdpFlowTableOptions) {
    if (!(o.idleTimeoutMs > 0) || !(o.maxFlows >= 1)) throw new RangeError('UDP flow table needs idleTimeoutMs > 0 and maxFlows >= 1');
  }

  get size(): number {
    return this.entries.size;
  }

  /** The flow of `key` without marking it active. */
  get(key: string): F | undefined {
    return this.entries.get(key)?.flow;
  }

  /** The flow of `key`, marked active now (a datagram went through it, either way). */
  touch(key: string): F | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    const now = this.o.clock.now();
    if (entry.lastActive !== now) {
      entry.lastActive = now;
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry.flow;
  }

  /** Adds a flow, active now. Returns the flows evicted to make room (the caller closes them). */
  add(key: string, flow: F): F[] {
    const evicted: F[] = [];
    const previous = this.entries.get(key);
    if (previous) {
      this.entries.delete(key);
      evicted.push(previous.flow);
    }
    while (this.entries.size >= this.o.maxFlows) {
      const [oldest, entry] = this.entries.entries().next().value as [string, Entry<F>];
      this.entries.delete(oldest);
      evicted.push(entry.flow);
    }
    this.entries.set(key, { flow, lastActive: this.o.clock.now() });
    return evicted;
  }

  /** Removes the flow of `key` if it is `flow` (or any flow, without `flow`); true if removed. */
  remove(key: string, flow?: F): boolean {
    const entry = this.entries.get(key);
    if (!entry || (flow !== undefined && entry.flow !== flow)) return false;
    return this.entries.delete(key);
  }

  /** Removes and returns every flow idle for the timeout or longer. */
  expire(): F[] {
    const cutoff = this.o.clock.now() - this.o.idleTimeoutMs;
    const expired: F[] = [];
    for (const [key, entry] of this.entries) {
      if (entry.lastActive > cutoff) break;
      this.entries.delete(key);
      expired.push(entry.flow);
    }
    return expired;
  }

  /** Clock time at which the least recently active flow expires, if there is one. */
  nextExpiry(): number | undefined {
    const first = this.entries.values().next();
    return first.done ? undefined : first.value.lastActive + this.o.idleTimeoutMs;
  }

  /** Removes and returns the flows `match` selects (e.g. those of a task that is gone). */
  removeWhere(match: (flow: F) => boolean): F[] {
    const removed: F[] = [];
    for (const [key, entry] of this.entries) {
      if (!match(entry.flow)) continue;
      this.entries.delete(key);
      removed.push(entry.flow);
    }
    return removed;
  }

  /** Removes and returns every flow. */
  clear(): F[] {
    const all = [...this.entries.values()].map((e) => e.flow);
    this.entries.clear();
    return all;
  }
}

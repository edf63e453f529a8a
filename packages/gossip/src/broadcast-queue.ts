// Transmit-limited broadcast queue: each update rides on outgoing packets until sent
// retransmitMult·ceil(log10(n+1)) times; a newer update with the same key replaces the queued one.
import { encodedSize } from './codec';
import type { SingleMessage } from './messages';

export function retransmitLimit(retransmitMult: number, numNodes: number): number {
  return retransmitMult * Math.ceil(Math.log10(numNodes + 1));
}

interface Queued {
  readonly key: string | undefined;
  readonly message: SingleMessage;
  readonly size: number;
  readonly id: number;
  transmits: number;
  onSent: (() => void) | undefined;
}

export interface BroadcastQueueOptions {
  /** Current retransmit limit (depends on the live cluster size). */
  readonly limit: () => number;
  /** Above this many queued items the most-sent ones are dropped. */
  readonly maxQueued?: number;
}

export class BroadcastQueue {
  private items: Queued[] = [];
  private readonly byKey = new Map<string, Queued>();
  private nextId = 0;

  constructor(private readonly options: BroadcastQueueOptions) {}

  get length(): number {
    return this.items.length;
  }

  /** Queues `message`; `onSent` runs once, on its first transmission. */
  queue(message: SingleMessage, key?: string, onSent?: () => void): void {
    if (key !== undefined) {
      const old = this.byKey.get(key);
      if (old) this.remove(old);
    }
    const item: Queued = { key, message, size: encodedSize(message), id: this.nextId++, transmits: 0, onSent };
    this.items.push(item);
    if (key !== undefined) this.byKey.set(key, item);
    this.prune();
  }

  /**
   * Takes the broadcasts that fit in `budget` bytes, least-transmitted first and oldest first
   * within a tier (so an `alive` queued before the table entries it vouches for goes out before them).
   */
  take(budget: number): SingleMessage[] {
    const out: SingleMessage[] = [];
    let left = budget;
    for (const item of this.ordered()) {
      if (item.size > left) continue;
      left -= item.size;
      out.push(item.message);
      this.transmitted(item);
    }
    return out;
  }

  /** Broadcasts too large for any packet: the caller sends them on the reliable path. */
  takeOversized(packetBudget: number): SingleMessage[] {
    const big = this.items.filter((i) => i.size > packetBudget);
    for (const item of big) this.transmitted(item);
    return big.map((i) => i.message);
  }

  clear(): void {
    this.items = [];
    this.byKey.clear();
  }

  private ordered(): Queued[] {
    return this.items.slice().sort((a, b) => a.transmits - b.transmits || a.id - b.id);
  }

  private transmitted(item: Queued): void {
    item.transmits++;
    const cb = item.onSent;
    item.onSent = undefined;
    if (item.transmits >= this.options.limit()) this.remove(item);
    cb?.();
  }

  private remove(item: Queued): void {
    const i = this.items.indexOf(item);
    if (i >= 0) this.items.splice(i, 1);
    if (item.key !== undefined && this.byKey.get(item.key) === item) this.byKey.delete(item.key);
  }

  private prune(): void {
    const max = this.options.maxQueued ?? 4096;
    if (this.items.length <= max) return;
    const victims = this.ordered().slice(max);
    for (const v of victims) this.remove(v);
  }
}

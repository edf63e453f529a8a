// A deterministic in-memory network (etcd's `network`, plus time): messages can be dropped
// (seeded probability), delayed, duplicated and so reordered; links can be cut and nodes isolated.
import type { Message } from '../messages';
import { randomInt } from '../rand';
import type { Random } from '../rand';
import type { NodeId } from '../types';

export interface SimNetworkOptions {
  readonly random: Random;
  /** Probability that a sent message is lost. Default 0. */
  readonly dropRate?: number;
  /** Probability that a delivered message arrives twice. Default 0. */
  readonly duplicateRate?: number;
  /** Delivery delay in network steps, uniform in [minDelay, maxDelay]. Default 0..0. */
  readonly minDelay?: number;
  readonly maxDelay?: number;
}

interface InFlight {
  readonly at: number;
  readonly seq: number;
  readonly msg: Message;
}

export class SimNetwork {
  dropRate: number;
  duplicateRate: number;
  minDelay: number;
  maxDelay: number;
  /** Test hook: return false to drop a message at send time. */
  filter: ((m: Message) => boolean) | undefined = undefined;
  /** Called for every message lost (randomly, by the filter or on a cut link). */
  onDrop: ((m: Message) => void) | undefined = undefined;
  readonly stats = { sent: 0, dropped: 0, duplicated: 0, delivered: 0 };
  /** Delivered messages per type. */
  readonly delivered = new Map<Message['type'], number>();
  private readonly random: Random;
  private now = 0;
  private seq = 0;
  private queue: InFlight[] = [];
  private readonly cuts = new Set<string>();
  private readonly isolated = new Set<NodeId>();

  constructor(options: SimNetworkOptions) {
    this.random = options.random;
    this.dropRate = options.dropRate ?? 0;
    this.duplicateRate = options.duplicateRate ?? 0;
    this.minDelay = options.minDelay ?? 0;
    this.maxDelay = options.maxDelay ?? this.minDelay;
  }

  send(msgs: readonly Message[]): void {
    for (const m of msgs) {
      this.stats.sent++;
      if ((this.filter !== undefined && !this.filter(m)) || (this.dropRate > 0 && this.random() < this.dropRate)) {
        this.drop(m);
        continue;
      }
      this.enqueue(m);
      if (this.duplicateRate > 0 && this.random() < this.duplicateRate) {
        this.stats.duplicated++;
        this.enqueue(m);
      }
    }
  }

  /** Advances time by one step and returns the messages now due, in delivery order. */
  tick(): Message[] {
    this.now++;
    return this.take(this.now);
  }

  /** Every queued message regardless of delay (synchronous delivery, as in etcd's tests). */
  takeAll(): Message[] {
    return this.take(Number.POSITIVE_INFINITY);
  }

  pending(): number {
    return this.queue.length;
  }

  /** Cuts the link between a and b in both directions (messages in flight are lost too). */
  cut(a: NodeId, b: NodeId): void {
    this.cuts.add(linkKey(a, b));
    this.cuts.add(linkKey(b, a));
  }

  /** Cuts one direction only. */
  cutOneWay(from: NodeId, to: NodeId): void {
    this.cuts.add(linkKey(from, to));
  }

  isolate(id: NodeId): void {
    this.isolated.add(id);
  }

  /** Heals every cut and isolation (drop/duplicate rates and the filter stay). */
  recover(): void {
    this.cuts.clear();
    this.isolated.clear();
  }

  linkUp(from: NodeId, to: NodeId): boolean {
    return !this.isolated.has(from) && !this.isolated.has(to) && !this.cuts.has(linkKey(from, to));
  }

  describePartitions(): string {
    return `isolated=[${[...this.isolated].join(',')}] cuts=[${[...this.cuts].join(',')}]`;
  }

  private drop(m: Message): void {
    this.stats.dropped++;
    this.onDrop?.(m);
  }

  private enqueue(msg: Message): void {
    const delay = this.minDelay + randomInt(this.random, this.maxDelay - this.minDelay + 1);
    this.queue.push({ at: this.now + delay, seq: this.seq++, msg });
  }

  private take(until: number): Message[] {
    const due: InFlight[] = [];
    const rest: InFlight[] = [];
    for (const q of this.queue) (q.at <= until ? due : rest).push(q);
    this.queue = rest;
    due.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const out: Message[] = [];
    for (const q of due) {
      if (this.linkUp(q.msg.from, q.msg.to)) {
        this.stats.delivered++;
        this.delivered.set(q.msg.type, (this.delivered.get(q.msg.type) ?? 0) + 1);
        out.push(q.msg);
      } else {
        this.drop(q.msg);
      }
    }
    return out;
  }
}

function linkKey(from: NodeId, to: NodeId): string {
  return `${from}>${to}`;
}

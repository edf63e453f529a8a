// In-memory network for deterministic tests: seeded packet loss, latency jitter (hence reordering),
// partitions and silent node failures, all scheduled on a Clock (FakeClock in tests).
import type { Clock } from './clock';
import type { Rng } from './prng';
import type { BytesHandler, Transport } from './transport';

export interface SimNetworkOptions {
  readonly clock: Clock;
  readonly rng: Rng;
  /** Probability that a packet (not a stream frame) is lost. */
  readonly dropRate?: number;
  readonly minLatencyMs?: number;
  readonly maxLatencyMs?: number;
}

export interface SimStats {
  packets: number;
  streams: number;
  dropped: number;
  blocked: number;
}

export class SimNetwork {
  private readonly endpoints = new Map<string, SimTransport>();
  private readonly down = new Set<string>();
  private readonly cuts = new Set<string>();
  private dropRate: number;
  readonly stats: SimStats = { packets: 0, streams: 0, dropped: 0, blocked: 0 };

  constructor(private readonly o: SimNetworkOptions) {
    this.dropRate = o.dropRate ?? 0;
  }

  transport(address: string): SimTransport {
    const t = new SimTransport(this, address);
    this.endpoints.set(address, t);
    return t;
  }

  setDropRate(p: number): void {
    this.dropRate = p;
  }

  /** Cuts every link between the two groups (both directions). */
  partition(a: readonly string[], b: readonly string[]): void {
    for (const x of a) for (const y of b) this.cuts.add(linkKey(x, y));
  }

  heal(): void {
    this.cuts.clear();
  }

  /** The node stops sending and receiving anything, silently (a hung or crashed host). */
  fail(address: string): void {
    this.down.add(address);
  }

  recover(address: string): void {
    this.down.delete(address);
  }

  /** @internal */
  deliver(from: string, to: string, bytes: Uint8Array, reliable: boolean): void {
    if (reliable) this.stats.streams++;
    else this.stats.packets++;
    if (this.blocked(from, to)) {
      this.stats.blocked++;
      return;
    }
    if (!reliable && this.o.rng.next() < this.dropRate) {
      this.stats.dropped++;
      return;
    }
    const copy = Uint8Array.from(bytes);
    const min = this.o.minLatencyMs ?? 1;
    const max = this.o.maxLatencyMs ?? 5;
    const latency = min + this.o.rng.next() * (max - min);
    this.o.clock.setTimeout(() => {
      // A node that failed while the frame was in flight never sees it.
      if (this.blocked(from, to)) return;
      this.endpoints.get(to)?.receive(copy, from, reliable);
    }, latency);
  }

  /** @internal */
  detach(address: string, t: SimTransport): void {
    if (this.endpoints.get(address) === t) this.endpoints.delete(address);
  }

  private blocked(from: string, to: string): boolean {
    return this.down.has(from) || this.down.has(to) || this.cuts.has(linkKey(from, to));
  }
}

function linkKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

export class SimTransport implements Transport {
  private packetHandler: BytesHandler | undefined;
  private streamHandler: BytesHandler | undefined;
  private closed = false;

  constructor(
    private readonly net: SimNetwork,
    readonly address: string,
  ) {}

  sendPacket(to: string, bytes: Uint8Array): void {
    if (!this.closed) this.net.deliver(this.address, to, bytes, false);
  }

  sendStream(to: string, bytes: Uint8Array): void {
    if (!this.closed) this.net.deliver(this.address, to, bytes, true);
  }

  onPacket(handler: BytesHandler): void {
    this.packetHandler = handler;
  }

  onStream(handler: BytesHandler): void {
    this.streamHandler = handler;
  }

  close(): Promise<void> {
    this.closed = true;
    this.net.detach(this.address, this);
    return Promise.resolve();
  }

  /** @internal */
  receive(bytes: Uint8Array, from: string, reliable: boolean): void {
    if (this.closed) return;
    (reliable ? this.streamHandler : this.packetHandler)?.(bytes, from);
  }
}

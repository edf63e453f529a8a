// Test harness: N Gossip shells on one SimNetwork, driven by one FakeClock, all seeded.
import { FakeClock } from '../clock';
import type { GossipConfig } from '../config';
import { Gossip } from '../gossip';
import type { Keyring } from '../keyring';
import type { MemberState } from '../member';
import { SeededRng } from '../prng';
import { SimNetwork } from '../sim-network';

export interface SimClusterOptions {
  readonly size: number;
  readonly config: GossipConfig;
  readonly seed?: number;
  readonly dropRate?: number;
  readonly minLatencyMs?: number;
  readonly maxLatencyMs?: number;
  readonly keyring?: (index: number) => Keyring | undefined;
}

export class SimCluster {
  readonly clock = new FakeClock(0);
  readonly net: SimNetwork;
  readonly nodes: Gossip<unknown>[] = [];
  readonly addresses: string[] = [];
  private readonly seed: number;

  constructor(private readonly o: SimClusterOptions) {
    this.seed = o.seed ?? 1;
    this.net = new SimNetwork({
      clock: this.clock,
      rng: new SeededRng(this.seed * 7919),
      dropRate: o.dropRate ?? 0,
      minLatencyMs: o.minLatencyMs ?? 1,
      maxLatencyMs: o.maxLatencyMs ?? 5,
    });
    for (let i = 0; i < o.size; i++) this.addNode(i);
  }

  id(i: number): string {
    return `node-${i}`;
  }

  addNode(i: number, keyring = this.o.keyring?.(i)): Gossip<unknown> {
    const address = `10.0.0.${i + 1}:7946`;
    const node = new Gossip<unknown>({
      id: this.id(i),
      transport: this.net.transport(address),
      config: this.o.config,
      clock: this.clock,
      seed: this.seed * 1000 + i,
      meta: { role: i === 0 ? 'manager' : 'worker' },
      ...(keyring ? { keyring } : {}),
    });
    this.nodes[i] = node;
    this.addresses[i] = address;
    return node;
  }

  node(i: number): Gossip<unknown> {
    const n = this.nodes[i];
    if (!n) throw new Error(`no node ${i}`);
    return n;
  }

  /** Starts every node and has each join through node 0; returns the join promises (settle them later). */
  startAndJoin(indices: readonly number[] = this.nodes.map((_, i) => i)): Promise<number>[] {
    for (const i of indices) this.node(i).start();
    return indices.filter((i) => i !== 0).map((i) => this.node(i).join([this.addresses[0] as string]));
  }

  /** Advances the clock 1 ms at a time until `pred` holds; returns the simulated ms it took. */
  runUntil(pred: () => boolean, maxMs: number, stepMs = 1): number {
    const start = this.clock.now();
    while (!pred()) {
      if (this.clock.now() - start >= maxMs) throw new Error(`condition not met within ${maxMs} simulated ms`);
      this.clock.advance(stepMs);
    }
    return this.clock.now() - start;
  }

  run(ms: number): void {
    this.clock.advance(ms);
  }

  stateAt(observer: number, subject: number): MemberState | undefined {
    return this.node(observer).member(this.id(subject))?.state;
  }

  /** Every listed observer sees every listed subject in `state`. */
  allSee(observers: readonly number[], subjects: readonly number[], state: MemberState): boolean {
    return observers.every((o) => subjects.every((s) => o === s || this.stateAt(o, s) === state));
  }

  range(from: number, to = this.nodes.length): number[] {
    return Array.from({ length: to - from }, (_, k) => from + k);
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
}

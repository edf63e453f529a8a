// A cluster of SimNodes on a SimNetwork, with helpers that mirror etcd's test `network`:
// stabilize() delivers until quiet; tickAll() advances logical time everywhere.
import type { Message } from '../messages';
import type { ProposeResult } from '../raft/proposals';
import { createRandom } from '../rand';
import type { Random } from '../rand';
import { MemoryStorage } from '../storage/memory';
import type { RaftStorage } from '../storage/storage';
import type { NodeId } from '../types';
import { SimNetwork } from './sim-network';
import type { SimNetworkOptions } from './sim-network';
import { SimNode } from './sim-node';
import type { ApplyObserver, SimRaftOptions } from './sim-node';

export interface SimClusterOptions {
  readonly ids: readonly NodeId[];
  readonly seed?: number;
  readonly raft?: SimRaftOptions;
  readonly network?: Omit<SimNetworkOptions, 'random'>;
  readonly observer?: ApplyObserver;
  /** Storage per node; default a MemoryStorage that survives restarts (it is the "disk"). */
  readonly openStorage?: (id: NodeId) => RaftStorage;
  /** Bootstrap every node with `ids` as the initial voters. Default true. */
  readonly bootstrap?: boolean;
}

export class SimCluster {
  readonly nodes = new Map<NodeId, SimNode>();
  readonly net: SimNetwork;
  readonly random: Random;
  private readonly memDisks = new Map<NodeId, MemoryStorage>();

  constructor(private readonly options: SimClusterOptions) {
    this.random = createRandom(options.seed ?? 1);
    this.net = new SimNetwork({ ...options.network, random: createRandom((options.seed ?? 1) ^ 0x5eed) });
    this.net.onDrop = (m) => {
      if (m.type === 'snapshot') this.reportSnapshot(m, 'failed');
    };
    for (const id of options.ids) this.addNode(id);
    if (options.bootstrap ?? true) {
      for (const n of this.nodes.values()) n.node.bootstrap(options.ids.map((id) => ({ id })));
    }
  }

  /** Adds a node with empty storage (not bootstrapped): it joins once the leader adds it. */
  addNode(id: NodeId): SimNode {
    const seed = Math.floor(this.random() * 2 ** 31);
    const open = this.options.openStorage ?? ((nid: NodeId) => this.memoryDisk(nid));
    const node = new SimNode({
      id,
      openStorage: () => open(id),
      random: createRandom(seed),
      ...(this.options.raft === undefined ? {} : { raft: this.options.raft }),
      ...(this.options.observer === undefined ? {} : { observer: this.options.observer }),
    });
    this.nodes.set(id, node);
    return node;
  }

  node(id: NodeId): SimNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  alive(): SimNode[] {
    return [...this.nodes.values()].filter((n) => n.alive);
  }

  /** The live leader with the highest term, if any. */
  leader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const n of this.alive()) {
      const s = n.node.status();
      if (s.role === 'leader' && (best === undefined || s.term > best.node.status().term)) best = n;
    }
    return best;
  }

  /** Handles readies until none is left (each Ready may enable another). Queues the messages. */
  flushReadies(limit = 100): number {
    let sent = 0;
    for (let round = 0; round < limit; round++) {
      let any = false;
      for (const n of this.nodes.values()) {
        if (!n.alive || !n.node.hasReady()) continue;
        any = true;
        const msgs = n.handleReady();
        sent += msgs.length;
        this.net.send(msgs);
      }
      if (!any) return sent;
    }
    throw new Error('readies did not settle');
  }

  /**
   * Hands messages to their recipients. Like a real transport, it tells the sender how each
   * snapshot fared; without that report the leader would wait on a lost snapshot forever.
   */
  deliver(msgs: readonly Message[]): void {
    for (const m of msgs) {
      const to = this.nodes.get(m.to);
      if (to?.alive === true) to.step(m);
      if (m.type === 'snapshot') this.reportSnapshot(m, to?.alive === true ? 'finished' : 'failed');
    }
  }

  private reportSnapshot(m: Message, outcome: 'finished' | 'failed'): void {
    const from = this.nodes.get(m.from);
    if (from?.alive === true) from.node.reportSnapshot(m.to, outcome);
  }

  /** Delivers everything in flight (ignoring delays) until the cluster is quiet. */
  stabilize(maxRounds = 10_000): void {
    for (let round = 0; round < maxRounds; round++) {
      this.flushReadies();
      const msgs = this.net.takeAll();
      if (msgs.length === 0) return;
      this.deliver(msgs);
    }
    throw new Error('cluster did not stabilize');
  }

  /** Ticks every live node `times` times, stabilizing after each tick. */
  tickAll(times = 1): void {
    for (let i = 0; i < times; i++) {
      for (const n of this.alive()) n.tick();
      this.stabilize();
    }
  }

  /** Makes `id` campaign and stabilizes; returns the resulting leader. */
  campaign(id: NodeId): SimNode | undefined {
    this.node(id).node.campaign();
    this.stabilize();
    return this.leader();
  }

  /** Ticks until some node leads (or throws). */
  electLeader(maxTicks = 100): SimNode {
    for (let i = 0; i < maxTicks; i++) {
      const l = this.leader();
      if (l !== undefined) return l;
      this.tickAll();
    }
    throw new Error('no leader elected');
  }

  /** Proposes through the current leader and stabilizes. */
  propose(value: string): ProposeResult {
    const l = this.leader();
    if (l === undefined) throw new Error('no leader');
    const res = l.propose(value);
    this.stabilize();
    return res;
  }

  private memoryDisk(id: NodeId): MemoryStorage {
    let disk = this.memDisks.get(id);
    if (disk === undefined) {
      disk = new MemoryStorage();
      this.memDisks.set(id, disk);
    }
    return disk;
  }
}

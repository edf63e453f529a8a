// Seeded randomized stress: random ticks, proposals, partitions, message loss/duplication/delay,
// crashes and restarts from storage, compaction, leadership transfers and voter demotion/promotion,
// with every safety property checked after every step and liveness checked once healed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRandom, randomInt } from '../rand';
import { FileStorage } from '../storage/file-storage';
import type { Random } from '../rand';
import type { NodeId } from '../types';
import { SafetyChecker } from './safety-checker';
import { SimCluster } from './sim-cluster';
import { makeTmpDir, removeDir } from './tmp-dir';

export interface StressOptions {
  readonly seed: number;
  readonly steps: number;
  readonly nodes: number;
  /** 'file' runs every node on FileStorage in a temp dir, and tears WAL tails on crashes. */
  readonly storage?: 'memory' | 'file';
}

export interface StressResult {
  readonly failure?: string;
  readonly proposed: number;
  readonly committed: number;
  readonly leaders: number;
  readonly restarts: number;
  readonly snapshotsDelivered: number;
  readonly trace: readonly string[];
}

const TRACE_KEEP = 80;

export function runStress(o: StressOptions): StressResult {
  const dir = o.storage === 'file' ? makeTmpDir('shoal-raft-stress-') : undefined;
  const run = new StressRun(o, dir);
  try {
    run.chaos();
    run.heal();
    return run.result();
  } catch (err) {
    const msg = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    return run.result(`step ${run.stepNo}: ${msg}`);
  } finally {
    for (const n of run.cluster.alive()) n.crash();
    if (dir !== undefined) removeDir(dir);
  }
}

class StressRun {
  readonly cluster: SimCluster;
  readonly checker = new SafetyChecker();
  readonly random: Random;
  readonly ids: NodeId[];
  stepNo = 0;
  private proposed = 0;
  private lastLeader: string | undefined;
  private leaderChanges = 0;
  private restarts = 0;
  private readonly trace: string[] = [];
  private readonly downUntil = new Map<NodeId, number>();

  constructor(
    private readonly o: StressOptions,
    dir: string | undefined,
  ) {
    this.random = createRandom(o.seed);
    this.ids = Array.from({ length: o.nodes }, (_, i) => `node-${i + 1}`);
    this.cluster = new SimCluster({
      ids: this.ids,
      seed: o.seed,
      observer: this.checker,
      // Small limits so batching, flow control and snapshots are exercised often; one entry per
      // message lets a follower ack an old-term entry apart from the new leader's own entry.
      raft: {
        electionTick: 10,
        heartbeatTick: 1,
        maxSizePerMsg: [1, 200, 4096][randomInt(this.random, 3)] as number,
        maxInflightMsgs: [1, 4, 256][randomInt(this.random, 3)] as number,
      },
      network: { dropRate: this.random() * 0.1, duplicateRate: 0.02, minDelay: 0, maxDelay: 3 },
      ...(dir === undefined ? {} : { openStorage: (id: NodeId) => FileStorage.open(path.join(dir, id), { segmentBytes: 4096 }) }),
    });
  }

  chaos(): void {
    for (; this.stepNo < this.o.steps; this.stepNo++) {
      this.randomAction();
      this.settleStep();
    }
  }

  /** Heals everything and requires a fresh proposal to be applied everywhere. */
  heal(): void {
    const net = this.cluster.net;
    net.recover();
    net.dropRate = 0;
    net.duplicateRate = 0;
    for (const id of this.downUntil.keys()) this.restart(id);
    this.note('heal: network recovered, all nodes up');
    // Re-propose under each new leader: an uncommitted marker may legitimately be lost.
    const marker = `final-${this.o.seed}`;
    let proposedAt = -1;
    for (let i = 0; i < 1000; i++, this.stepNo++) {
      for (const n of this.cluster.alive()) n.tick();
      this.settleStep();
      const leader = this.cluster.leader();
      const term = leader?.node.status().term ?? -1;
      if (leader !== undefined && term !== proposedAt && !leader.values.includes(marker)) {
        if (leader.propose(marker).ok) proposedAt = term;
      }
      if (this.cluster.alive().every((n) => n.values.includes(marker))) return;
    }
    const states = this.cluster
      .alive()
      .map((n) => {
        const s = n.node.status();
        return `${n.id}:${s.role}@${s.term} lead=${s.lead} commit=${s.commit} applied=${n.appliedIndex} last=${s.lastIndex} voters=${s.voters.join(',')} learners=${s.learners.join(',')}`;
      })
      .join('; ');
    throw new Error(`liveness: marker not applied everywhere after healing: ${states}`);
  }

  result(failure?: string): StressResult {
    const committed = Math.max(...[...this.cluster.nodes.values()].map((n) => n.appliedIndex));
    const base = {
      proposed: this.proposed,
      committed,
      leaders: this.leaderChanges,
      restarts: this.restarts,
      snapshotsDelivered: this.cluster.net.delivered.get('snapshot') ?? 0,
      trace: this.trace.slice(-TRACE_KEEP),
    };
    return failure === undefined ? base : { ...base, failure };
  }

  private settleStep(): void {
    this.cluster.deliver(this.cluster.net.tick());
    this.cluster.flushReadies();
    this.checker.check(this.cluster);
    const l = this.cluster.leader();
    const desc = l === undefined ? undefined : `${l.id}@${l.node.status().term}`;
    if (desc !== undefined && desc !== this.lastLeader) {
      this.leaderChanges++;
      this.note(`leader ${desc}`);
    }
    this.lastLeader = desc ?? this.lastLeader;
  }

  private randomAction(): void {
    const r = this.random();
    if (r < 0.45) this.tickSome();
    else if (r < 0.75) this.propose();
    else if (r < 0.8) this.partition();
    else if (r < 0.83) this.crashOrRestart();
    else if (r < 0.87) this.compact();
    else if (r < 0.88) this.transfer();
    else if (r < 0.9) this.changeMembership();
    for (const [id, until] of this.downUntil) if (this.stepNo >= until) this.restart(id);
  }

  private tickSome(): void {
    // Clocks drift: each node ticks with high probability, not in lockstep.
    for (const n of this.cluster.alive()) if (this.random() < 0.9) n.tick();
  }

  private propose(): void {
    // Mostly through the leader; sometimes through whoever, to exercise rejections.
    const alive = this.cluster.alive();
    const n = (this.random() < 0.8 ? this.cluster.leader() : undefined) ?? alive[randomInt(this.random, alive.length)];
    if (n === undefined) return;
    const res = n.propose(`v${this.o.seed}-${this.proposed}`);
    if (res.ok) {
      this.proposed++;
      if (this.random() < 0.05) this.note(`propose on ${n.id} -> ${res.index}`);
    }
  }

  private partition(): void {
    const net = this.cluster.net;
    const a = this.pick();
    const b = this.pick();
    const r = this.random();
    if (r < 0.4) {
      net.recover();
      this.note('network recovered');
    } else if (r < 0.7) {
      net.isolate(a);
      this.note(`isolate ${a}`);
    } else if (a !== b) {
      net.cut(a, b);
      this.note(`cut ${a} <-> ${b}`);
    }
  }

  private crashOrRestart(): void {
    const id = this.pick();
    const n = this.cluster.node(id);
    // Keep a quorum up most of the time so the run makes progress.
    if (!n.alive || this.downUntil.size >= Math.floor((this.ids.length - 1) / 2)) return;
    const segment = n.storage instanceof FileStorage ? n.storage.walSegments().at(-1) : undefined;
    n.crash();
    this.downUntil.set(id, this.stepNo + 1 + randomInt(this.random, 60));
    this.note(`crash ${id}`);
    if (segment !== undefined && this.random() < 0.5) {
      // A write the crash interrupted: never acknowledged, so recovery must drop it.
      const junk = Uint8Array.from({ length: 1 + randomInt(this.random, 100) }, () => randomInt(this.random, 256));
      fs.appendFileSync(segment, junk);
      this.note(`tore ${junk.length} bytes onto ${id}'s WAL tail`);
    }
  }

  private restart(id: NodeId): void {
    this.downUntil.delete(id);
    this.restarts++;
    this.cluster.node(id).restart();
    this.note(`restart ${id} from storage`);
  }

  private compact(): void {
    const n = this.cluster.node(this.pick());
    if (n.snapshotAndCompact(randomInt(this.random, 8))) this.note(`compact ${n.id} at ${n.appliedIndex}`);
  }

  private transfer(): void {
    const l = this.cluster.leader();
    const to = this.pick();
    if (l === undefined || to === l.id) return;
    l.node.transferLeadership(to);
    this.note(`transfer ${l.id} -> ${to}`);
  }

  /** Demote a voter to learner or promote a learner back (never below three voters). */
  private changeMembership(): void {
    const l = this.cluster.leader();
    if (l === undefined) return;
    const s = l.node.status();
    const learner = s.learners[0];
    const cc =
      learner !== undefined
        ? ({ type: 'add-voter', nodeId: learner } as const)
        : s.voters.length > 3
          ? ({ type: 'add-learner', nodeId: s.voters[randomInt(this.random, s.voters.length)] as NodeId } as const)
          : undefined;
    if (cc === undefined) return;
    const res = l.node.proposeConfChange(cc);
    this.note(`${cc.type} ${cc.nodeId} via ${l.id}: ${res.ok ? `index ${res.index}` : res.reason}`);
  }

  private pick(): NodeId {
    return this.ids[randomInt(this.random, this.ids.length)] as NodeId;
  }

  private note(s: string): void {
    this.trace.push(`#${this.stepNo} ${s}`);
    if (this.trace.length > TRACE_KEEP * 2) this.trace.splice(0, TRACE_KEEP);
  }
}

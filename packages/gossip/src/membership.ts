// SWIM membership state machine: alive / suspect / dead / left transitions, incarnations,
// refutation, Lifeguard suspicion timers, anti-entropy merge, probe order and reaping.
import type { CoreContext } from './core-context';
import { nodeKey } from './core-context';
import { isLive, memberAddress, metaEquals } from './member';
import type { Member, MemberEventType, MemberInfo, MemberMeta, MemberState } from './member';
import type { AliveMessage, DeadMessage, PushNodeState, SuspectMessage } from './messages';
import { assertNever } from './messages';
import { pickRandom, randomInt, shuffle } from './prng';
import { Suspicion, suspicionTimeoutMs } from './suspicion';

export interface NodeRecord {
  member: Member;
  incarnation: number;
  state: MemberState;
  stateChangeMs: number;
}

export class Membership {
  private readonly nodes = new Map<string, NodeRecord>();
  private readonly suspicions = new Map<string, Suspicion>();
  /** Failed (not left) members we keep retrying by push-pull so partitions heal. */
  private readonly failed = new Map<string, { addr: string; since: number }>();
  private probeOrder: string[] = [];
  private probeIndex = 0;
  private readonly self: NodeRecord;
  private leaving = false;

  constructor(
    private readonly ctx: CoreContext,
    self: Member,
  ) {
    this.self = { member: self, incarnation: 0, state: 'alive', stateChangeMs: ctx.now() };
    this.nodes.set(self.id, this.self);
  }

  get(id: string): NodeRecord | undefined {
    return this.nodes.get(id);
  }

  info(id: string): MemberInfo | undefined {
    const rec = this.nodes.get(id);
    return rec && toInfo(rec);
  }

  all(): MemberInfo[] {
    return [...this.nodes.values()].map(toInfo);
  }

  get incarnation(): number {
    return this.self.incarnation;
  }

  /** Alive + suspect members, ourselves included (the "n" of every scaling formula). */
  liveCount(): number {
    let n = 0;
    for (const rec of this.nodes.values()) if (isLive(rec.state)) n++;
    return n;
  }

  aliveNode(a: AliveMessage): void {
    if (a.node === this.ctx.selfId) return this.aliveSelf(a);
    const rec = this.nodes.get(a.node);
    if (!rec) return this.addNode(a);
    const moved = a.addr !== rec.member.addr || a.port !== rec.member.port;
    const wasGone = rec.state === 'dead' || rec.state === 'left';
    // A dead member may come back under a new address with its old incarnation (restart).
    if (a.incarnation <= rec.incarnation && !(wasGone && moved)) return;
    this.clearSuspicion(a.node);
    this.failed.delete(a.node);
    const prev = rec.state;
    const changed = moved || !metaEquals(a.meta, rec.member.meta);
    rec.member = { id: a.node, addr: a.addr, port: a.port, meta: a.meta };
    rec.incarnation = a.incarnation;
    if (prev !== 'alive') {
      rec.state = 'alive';
      rec.stateChangeMs = this.ctx.now();
    }
    this.ctx.broadcast(a, nodeKey(a.node));
    if (wasGone) this.emit('join', rec);
    else if (prev === 'suspect' || changed) this.emit('update', rec);
  }

  suspectNode(s: SuspectMessage): void {
    const rec = this.nodes.get(s.node);
    if (!rec || s.incarnation < rec.incarnation) return;
    const now = this.ctx.now();
    const existing = this.suspicions.get(s.node);
    if (existing) {
      // An independent confirmation shortens the timer and is passed on so others count it too.
      if (existing.confirm(s.from, now)) {
        this.armSuspicion(s.node, rec, existing);
        this.ctx.broadcast(s, nodeKey(s.node));
      }
      return;
    }
    if (rec.state !== 'alive') return;
    if (s.node === this.ctx.selfId) return this.refute(s.incarnation);
    this.ctx.broadcast(s, nodeKey(s.node));
    rec.incarnation = s.incarnation;
    rec.state = 'suspect';
    rec.stateChangeMs = now;
    const { suspicionMult, suspicionMaxTimeoutMult, probeIntervalMs } = this.ctx.config;
    const n = this.liveCount();
    // Expect confirmations from the others, minus ourselves and the suspect.
    const k = n - 2 < suspicionMult - 2 ? 0 : suspicionMult - 2;
    const minMs = suspicionTimeoutMs(suspicionMult, n, probeIntervalMs);
    const susp = new Suspicion({ from: s.from, k, minMs, maxMs: suspicionMaxTimeoutMult * minMs, startMs: now });
    this.suspicions.set(s.node, susp);
    this.armSuspicion(s.node, rec, susp);
    this.emit('suspect', rec);
  }

  deadNode(d: DeadMessage, onSent?: () => void): void {
    const rec = this.nodes.get(d.node);
    if (!rec || d.incarnation < rec.incarnation) return;
    if (rec.state === 'dead' || rec.state === 'left') return;
    this.clearSuspicion(d.node);
    const isSelf = d.node === this.ctx.selfId;
    if (isSelf && !this.leaving) return this.refute(d.incarnation);
    this.ctx.broadcast(d, nodeKey(d.node), onSent);
    rec.incarnation = d.incarnation;
    rec.state = d.from === d.node ? 'left' : 'dead';
    rec.stateChangeMs = this.ctx.now();
    if (isSelf) return;
    if (rec.state === 'dead') this.failed.set(d.node, { addr: memberAddress(rec.member), since: rec.stateChangeMs });
    this.emit(rec.state === 'left' ? 'leave' : 'dead', rec);
  }

  /** Graceful leave: broadcast our own death; `onSent` fires on its first transmission. */
  leave(onSent: () => void): void {
    this.leaving = true;
    this.deadNode({ type: 'dead', node: this.ctx.selfId, incarnation: this.self.incarnation, from: this.ctx.selfId }, onSent);
  }

  updateMeta(meta: MemberMeta): void {
    this.self.member = { ...this.self.member, meta };
    this.self.incarnation++;
    this.ctx.broadcast(this.selfAlive(), nodeKey(this.ctx.selfId));
  }

  selfAlive(): AliveMessage {
    const { id, addr, port, meta } = this.self.member;
    return { type: 'alive', node: id, incarnation: this.self.incarnation, addr, port, meta };
  }

  /** Anti-entropy merge. A remote "dead" only makes us suspect: we let our own timers decide. */
  mergeRemote(nodes: readonly PushNodeState[]): void {
    for (const r of nodes) {
      switch (r.state) {
        case 'alive':
          this.aliveNode({ type: 'alive', node: r.id, incarnation: r.incarnation, addr: r.addr, port: r.port, meta: r.meta });
          break;
        case 'left':
          this.deadNode({ type: 'dead', node: r.id, incarnation: r.incarnation, from: r.id });
          break;
        case 'dead':
        case 'suspect':
          this.suspectNode({ type: 'suspect', node: r.id, incarnation: r.incarnation, from: this.ctx.selfId });
          break;
        default:
          assertNever(r.state);
      }
    }
  }

  localState(): PushNodeState[] {
    return [...this.nodes.values()].map((r) => ({ ...r.member, incarnation: r.incarnation, state: r.state }));
  }

  /** Next member to probe, round-robin over a list reshuffled (and reaped) at each wrap. */
  nextProbeTarget(): NodeRecord | undefined {
    for (let checked = 0; checked <= 2 * this.probeOrder.length + 1; checked++) {
      if (this.probeIndex >= this.probeOrder.length) {
        this.resetProbeOrder();
        if (this.probeOrder.length === 0) return undefined;
        continue;
      }
      const id = this.probeOrder[this.probeIndex++] as string;
      const rec = this.nodes.get(id);
      if (rec && id !== this.ctx.selfId && isLive(rec.state)) return rec;
    }
    return undefined;
  }

  /** Gossip targets: live members, and the recently dead so a wrongly-dead node hears and refutes. */
  gossipTargets(k: number): NodeRecord[] {
    const now = this.ctx.now();
    const window = this.ctx.config.gossipToTheDeadMs;
    const eligible = [...this.nodes.values()].filter(
      (r) =>
        r !== this.self && (isLive(r.state) || (r.state === 'dead' && now - r.stateChangeMs <= window)),
    );
    return pickRandom(this.ctx.rng, eligible, k);
  }

  randomAlive(k: number, exclude: ReadonlySet<string> = new Set()): NodeRecord[] {
    const eligible = [...this.nodes.values()].filter(
      (r) => r !== this.self && r.state === 'alive' && !exclude.has(r.member.id),
    );
    return pickRandom(this.ctx.rng, eligible, k);
  }

  /** Address of one failed member to retry, if any are still within the reconnect window. */
  reconnectTarget(): string | undefined {
    const now = this.ctx.now();
    for (const [id, f] of this.failed) {
      if (now - f.since > this.ctx.config.reconnectTimeoutMs || isLive(this.nodes.get(id)?.state)) this.failed.delete(id);
    }
    const picks = pickRandom(this.ctx.rng, [...this.failed.values()], 1);
    return picks[0]?.addr;
  }

  private aliveSelf(a: AliveMessage): void {
    const self = this.self;
    if (this.leaving || a.incarnation < self.incarnation) return;
    const same =
      a.addr === self.member.addr && a.port === self.member.port && metaEquals(a.meta, self.member.meta);
    if (a.incarnation === self.incarnation && same) return;
    // Someone holds a stale or foreign view of us (e.g. from before a restart): outbid it.
    this.refute(a.incarnation);
  }

  private addNode(a: AliveMessage): void {
    const member = { id: a.node, addr: a.addr, port: a.port, meta: a.meta };
    const rec: NodeRecord = { member, incarnation: a.incarnation, state: 'alive', stateChangeMs: this.ctx.now() };
    this.nodes.set(a.node, rec);
    this.failed.delete(a.node);
    // Swap into a random slot so a new member is not probed by everyone at the same moment.
    this.probeOrder.push(a.node);
    const j = randomInt(this.ctx.rng, this.probeOrder.length);
    const last = this.probeOrder.length - 1;
    [this.probeOrder[j], this.probeOrder[last]] = [this.probeOrder[last] as string, this.probeOrder[j] as string];
    this.ctx.broadcast(a, nodeKey(a.node));
    this.emit('join', rec);
  }

  private refute(accused: number): void {
    this.self.incarnation = Math.max(this.self.incarnation, accused) + 1;
    this.ctx.awareness.applyDelta(1);
    this.ctx.logger.warn({ incarnation: this.self.incarnation }, 'refuting an accusation against this node');
    this.ctx.broadcast(this.selfAlive(), nodeKey(this.ctx.selfId));
    this.ctx.refuted();
  }

  private armSuspicion(id: string, rec: NodeRecord, susp: Suspicion): void {
    const since = rec.stateChangeMs;
    this.ctx.timers.set(`suspicion:${id}`, susp.deadlineMs, () => {
      const cur = this.nodes.get(id);
      if (!cur || cur.state !== 'suspect' || cur.stateChangeMs !== since) return;
      this.ctx.logger.info({ node: id, confirmations: susp.confirmations }, 'suspicion timed out, member failed');
      this.deadNode({ type: 'dead', node: id, incarnation: cur.incarnation, from: this.ctx.selfId });
    });
  }

  private clearSuspicion(id: string): void {
    this.suspicions.delete(id);
    this.ctx.timers.clear(`suspicion:${id}`);
  }

  private resetProbeOrder(): void {
    const now = this.ctx.now();
    for (const [id, rec] of this.nodes) {
      const gone = rec.state === 'dead' || rec.state === 'left';
      if (gone && rec !== this.self && now - rec.stateChangeMs > this.ctx.config.gossipToTheDeadMs) {
        this.nodes.delete(id);
      }
    }
    this.probeOrder = shuffle(this.ctx.rng, [...this.nodes.keys()]);
    this.probeIndex = 0;
  }

  private emit(type: MemberEventType, rec: NodeRecord): void {
    this.ctx.emit({ type, member: toInfo(rec) });
  }
}

function toInfo(rec: NodeRecord): MemberInfo {
  return { ...rec.member, state: rec.state, incarnation: rec.incarnation };
}

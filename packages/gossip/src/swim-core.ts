// The pure SWIM + Lifeguard core: no sockets, timers or clocks. Time arrives through tick/receive,
// randomness from an injected generator; what it wants sent and what happened are drained by the shell.
import { Awareness } from './awareness';
import { BroadcastQueue, retransmitLimit } from './broadcast-queue';
import { COMPOUND_OVERHEAD, encodedSize } from './codec';
import { pushPullScaleMs } from './config';
import type { GossipConfig } from './config';
import type { CoreContext } from './core-context';
import { SEAL_OVERHEAD } from './keyring';
import type { Logger } from './logger';
import { nullLogger } from './logger';
import { memberAddress } from './member';
import type { Member, MemberEvent, MemberInfo, MemberMeta } from './member';
import { Membership } from './membership';
import type { GossipMessage, PushPullMessage, SingleMessage } from './messages';
import { assertNever } from './messages';
import { Prober } from './prober';
import type { Rng } from './prng';
import { TimerSet } from './timers';

/** Hooks for the layer above (the replicated table), after memberlist's Delegate. */
export interface SwimDelegate {
  /** A user broadcast arrived. */
  notifyMessage?(payload: unknown): void;
  /** Our user state for a push-pull exchange. */
  localState?(): unknown;
  /** `join`: the exchange was a join; `reply`: we initiated it and this is the answer. */
  mergeRemoteState?(state: unknown, info: { join: boolean; reply: boolean }): void;
  notifyMember?(event: MemberEvent): void;
  /** We refuted an accusation: peers may have dropped what we own. */
  notifyRefute?(): void;
  tick?(nowMs: number): void;
}

export interface Outbound {
  /** "host:port" of the receiver. */
  readonly to: string;
  readonly message: GossipMessage;
  /** true: stream (TCP) path; false: best-effort packet (UDP). */
  readonly reliable: boolean;
}

export interface SwimCoreOptions {
  readonly self: Member;
  readonly config: GossipConfig;
  readonly rng: Rng;
  readonly nowMs: number;
  readonly logger?: Logger;
}

export class SwimCore {
  private nowMs: number;
  private readonly timers = new TimerSet();
  private readonly awareness: Awareness;
  private readonly queue: BroadcastQueue;
  private readonly membership: Membership;
  private readonly prober: Prober;
  /** Bytes of one packet's msgpack body: datagram limit minus sealing and the frame version byte. */
  private readonly budget: number;
  private readonly logger: Logger;
  private outbound: Outbound[] = [];
  private events: MemberEvent[] = [];
  private delegate: SwimDelegate = {};
  private leaveState: 'none' | 'leaving' | 'left' = 'none';
  private replies = 0;

  constructor(private readonly options: SwimCoreOptions) {
    const { config, rng, self } = options;
    this.nowMs = options.nowMs;
    this.logger = options.logger ?? nullLogger;
    this.awareness = new Awareness(config.awarenessMaxMultiplier);
    this.budget = config.maxPacketBytes - SEAL_OVERHEAD - 1;
    this.queue = new BroadcastQueue({ limit: () => retransmitLimit(config.retransmitMult, this.membership.liveCount()) });
    const ctx: CoreContext = {
      config,
      rng,
      timers: this.timers,
      awareness: this.awareness,
      logger: this.logger,
      selfId: self.id,
      now: () => this.nowMs,
      selfAddress: () => memberAddress(self),
      sendPacket: (to, msgs) => this.sendPacket(to, msgs),
      broadcast: (msg, key, onSent) => this.queue.queue(msg, key, onSent),
      emit: (ev) => {
        this.events.push(ev);
        this.delegate.notifyMember?.(ev);
      },
      refuted: () => this.delegate.notifyRefute?.(),
    };
    this.membership = new Membership(ctx, self);
    this.prober = new Prober(ctx, this.membership);
    // Stagger the first rounds so nodes started together do not move in lockstep.
    const at = (interval: number): number => this.nowMs + Math.floor(rng.next() * interval);
    this.timers.set('probe', at(config.probeIntervalMs), () => this.prober.probeTick());
    this.timers.set('gossip', at(config.gossipIntervalMs), () => this.gossipTick());
    this.timers.set('push-pull', at(config.pushPullIntervalMs), () => this.pushPullTick());
  }

  setDelegate(delegate: SwimDelegate): void {
    this.delegate = delegate;
  }

  get now(): number {
    return this.nowMs;
  }

  get incarnation(): number {
    return this.membership.incarnation;
  }

  /** Lifeguard local-health score (0 = healthy). */
  get awarenessScore(): number {
    return this.awareness.score;
  }

  /** Push-pull answers received so far (a join succeeded once this grows). */
  get pushPullReplies(): number {
    return this.replies;
  }

  /** True once our leave broadcast went out (or nobody was left to tell). */
  get leaveSent(): boolean {
    return this.leaveState === 'left';
  }

  /** Every known member, ourselves included, dead and left ones until they are reaped. */
  members(): MemberInfo[] {
    return this.membership.all();
  }

  member(id: string): MemberInfo | undefined {
    return this.membership.info(id);
  }

  localMember(): MemberInfo {
    return this.membership.info(this.options.self.id) as MemberInfo;
  }

  liveCount(): number {
    return this.membership.liveCount();
  }

  /** Earliest time the core wants `tick` called. */
  nextDeadline(): number | undefined {
    return this.timers.next();
  }

  takeOutbound(): Outbound[] {
    const out = this.outbound;
    this.outbound = [];
    return out;
  }

  takeEvents(): MemberEvent[] {
    const out = this.events;
    this.events = [];
    return out;
  }

  tick(nowMs: number): void {
    this.advance(nowMs);
    this.delegate.tick?.(this.nowMs);
  }

  receive(nowMs: number, from: string, msg: GossipMessage): void {
    this.advance(nowMs);
    switch (msg.type) {
      case 'compound':
        // Membership first, so user payloads in the same packet see the member they belong to.
        for (const part of msg.parts) if (isMembership(part)) this.handle(part);
        for (const part of msg.parts) if (!isMembership(part)) this.handle(part);
        break;
      case 'push-pull':
        this.handlePushPull(from, msg);
        break;
      default:
        this.handle(msg);
    }
  }

  /** Full-state exchange with each seed ("host:port"); returns how many were contacted. */
  join(nowMs: number, seeds: readonly string[]): number {
    this.advance(nowMs);
    const self = memberAddress(this.options.self);
    const targets = [...new Set(seeds)].filter((s) => s !== self);
    for (const to of targets) this.outbound.push({ to, message: this.pushPull(true, false), reliable: true });
    return targets.length;
  }

  leave(nowMs: number): void {
    this.advance(nowMs);
    if (this.leaveState !== 'none') return;
    this.leaveState = 'leaving';
    const alone = this.membership.liveCount() <= 1;
    this.membership.leave(() => {
      this.leaveState = 'left';
    });
    if (alone) {
      this.queue.clear();
      this.leaveState = 'left';
    }
  }

  /** Queues a user broadcast; a later one with the same key replaces it while queued. */
  broadcast(payload: unknown, key?: string): void {
    this.queue.queue({ type: 'user', payload }, key === undefined ? undefined : `u:${key}`);
  }

  updateMeta(meta: MemberMeta): void {
    this.membership.updateMeta(meta);
  }

  private advance(nowMs: number): void {
    const target = Math.max(this.nowMs, nowMs);
    for (let t = this.timers.popDue(target); t; t = this.timers.popDue(target)) {
      this.nowMs = Math.max(this.nowMs, t.at);
      t.fire();
    }
    this.nowMs = target;
  }

  private handle(msg: SingleMessage): void {
    switch (msg.type) {
      case 'ping':
        return this.prober.handlePing(msg);
      case 'indirect-ping':
        return this.prober.handleIndirectPing(msg);
      case 'ack':
        return this.prober.handleAck(msg);
      case 'nack':
        return this.prober.handleNack(msg);
      case 'alive':
        return this.membership.aliveNode(msg);
      case 'suspect':
        return this.membership.suspectNode(msg);
      case 'dead':
        return this.membership.deadNode(msg);
      case 'user':
        return this.delegate.notifyMessage?.(msg.payload);
      default:
        assertNever(msg);
    }
  }

  private handlePushPull(from: string, msg: PushPullMessage): void {
    this.logger.debug({ from, src: msg.src, join: msg.join, reply: msg.reply }, 'push-pull');
    // Merge before answering, so the answer carries our refutations of anything the peer got wrong.
    this.membership.mergeRemote(msg.nodes);
    if (msg.user !== undefined && msg.user !== null) {
      this.delegate.mergeRemoteState?.(msg.user, { join: msg.join, reply: msg.reply });
    }
    if (msg.reply) {
      this.replies++;
      return;
    }
    this.outbound.push({ to: msg.src, message: this.pushPull(msg.join, true), reliable: true });
  }

  private pushPull(join: boolean, reply: boolean): PushPullMessage {
    const src = memberAddress(this.options.self);
    return { type: 'push-pull', join, reply, src, nodes: this.membership.localState(), user: this.delegate.localState?.() ?? null };
  }

  private sendPacket(to: string, msgs: readonly SingleMessage[]): void {
    const used = COMPOUND_OVERHEAD + msgs.reduce((sum, m) => sum + encodedSize(m), 0);
    const parts = [...msgs, ...this.queue.take(Math.max(0, this.budget - used))];
    this.outbound.push({ to, message: wrap(parts), reliable: false });
  }

  private gossipTick(): void {
    const { gossipIntervalMs, gossipNodes } = this.options.config;
    this.timers.set('gossip', this.nowMs + gossipIntervalMs, () => this.gossipTick());
    const room = this.budget - COMPOUND_OVERHEAD;
    for (const target of this.membership.gossipTargets(gossipNodes)) {
      const to = memberAddress(target.member);
      const parts = this.queue.take(room);
      if (parts.length > 0) this.outbound.push({ to, message: wrap(parts), reliable: false });
      for (const big of this.queue.takeOversized(room)) this.outbound.push({ to, message: big, reliable: true });
    }
  }

  private pushPullTick(): void {
    const interval = pushPullScaleMs(this.options.config.pushPullIntervalMs, this.membership.liveCount());
    this.timers.set('push-pull', this.nowMs + interval, () => this.pushPullTick());
    const [peer] = this.membership.randomAlive(1);
    if (peer) this.outbound.push({ to: memberAddress(peer.member), message: this.pushPull(false, false), reliable: true });
    // Also knock on one failed member's door: the only way two sides of a healed partition meet again.
    const retry = this.membership.reconnectTarget();
    if (retry) this.outbound.push({ to: retry, message: this.pushPull(false, false), reliable: true });
  }
}

function isMembership(m: SingleMessage): boolean {
  return m.type === 'alive' || m.type === 'suspect' || m.type === 'dead';
}

function wrap(parts: SingleMessage[]): GossipMessage {
  return parts.length === 1 ? (parts[0] as SingleMessage) : { type: 'compound', parts };
}

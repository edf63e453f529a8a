// SWIM failure detection: one probe per (awareness-scaled) interval — direct ping, then indirect
// pings through k helpers that nack when they get no answer — and the helper side of that exchange.
import type { CoreContext } from './core-context';
import type { Membership, NodeRecord } from './membership';
import { memberAddress } from './member';
import type { AckMessage, IndirectPingMessage, NackMessage, PingMessage, SingleMessage } from './messages';

interface ProbeState {
  readonly seq: number;
  readonly target: string;
  readonly deadlineMs: number;
  acked: boolean;
  expectedNacks: number;
  nacks: number;
}

interface AckHandler {
  onAck(): void;
  onNack(): void;
}

/** Share of the requester's remaining window a helper may spend before nacking. */
const HELPER_WINDOW = 0.8;

export class Prober {
  private seq = 0;
  private readonly handlers = new Map<number, AckHandler>();
  private probe: ProbeState | undefined;

  constructor(
    private readonly ctx: CoreContext,
    private readonly membership: Membership,
  ) {}

  /** The probe timer: settle the previous probe, start the next, re-arm. */
  probeTick(): void {
    this.finishProbe();
    const interval = this.ctx.awareness.scaleMs(this.ctx.config.probeIntervalMs);
    const target = this.membership.nextProbeTarget();
    if (target) this.startProbe(target, interval);
    this.ctx.timers.set('probe', this.ctx.now() + interval, () => this.probeTick());
  }

  handlePing(msg: PingMessage): void {
    if (msg.target !== this.ctx.selfId) {
      this.ctx.logger.debug({ target: msg.target, src: msg.src }, 'ignoring a ping meant for another node');
      return;
    }
    this.ctx.sendPacket(msg.src, [{ type: 'ack', seq: msg.seq }]);
  }

  handleIndirectPing(msg: IndirectPingMessage): void {
    const localSeq = this.nextSeq();
    const reply = (m: SingleMessage): void => this.ctx.sendPacket(msg.src, [m]);
    const timer = `nack:${localSeq}`;
    this.handlers.set(localSeq, {
      onAck: () => {
        this.handlers.delete(localSeq);
        this.ctx.timers.clear(timer);
        reply({ type: 'ack', seq: msg.seq });
      },
      onNack: () => undefined,
    });
    this.ctx.sendPacket(msg.targetAddr, [{ type: 'ping', seq: localSeq, target: msg.target, src: this.ctx.selfAddress() }]);
    const cap = this.ctx.config.probeIntervalMs * this.ctx.config.awarenessMaxMultiplier;
    const wait = Math.min(Math.max(1, msg.timeoutMs), cap);
    this.ctx.timers.set(timer, this.ctx.now() + wait, () => {
      this.handlers.delete(localSeq);
      if (msg.nack) reply({ type: 'nack', seq: msg.seq });
    });
  }

  handleAck(msg: AckMessage): void {
    this.handlers.get(msg.seq)?.onAck();
  }

  handleNack(msg: NackMessage): void {
    this.handlers.get(msg.seq)?.onNack();
  }

  private nextSeq(): number {
    this.seq = (this.seq + 1) % Number.MAX_SAFE_INTEGER;
    return this.seq;
  }

  private startProbe(target: NodeRecord, intervalMs: number): void {
    const now = this.ctx.now();
    const seq = this.nextSeq();
    const probe: ProbeState = {
      seq,
      target: target.member.id,
      deadlineMs: now + intervalMs,
      acked: false,
      expectedNacks: 0,
      nacks: 0,
    };
    this.probe = probe;
    this.handlers.set(seq, {
      onAck: () => {
        if (probe.acked) return;
        probe.acked = true;
        this.ctx.awareness.applyDelta(-1);
      },
      onNack: () => {
        probe.nacks++;
      },
    });
    const msgs: SingleMessage[] = [{ type: 'ping', seq, target: target.member.id, src: this.ctx.selfAddress() }];
    // Tell a suspect directly, so it can refute without waiting for the gossip to reach it.
    if (target.state === 'suspect') {
      msgs.push({ type: 'suspect', node: target.member.id, incarnation: target.incarnation, from: this.ctx.selfId });
    }
    this.ctx.sendPacket(memberAddress(target.member), msgs);
    const ackTimeout = this.ctx.awareness.scaleMs(this.ctx.config.probeTimeoutMs);
    this.ctx.timers.set('probe-timeout', now + ackTimeout, () => this.probeIndirect(probe));
  }

  private probeIndirect(probe: ProbeState): void {
    if (this.probe !== probe || probe.acked) return;
    const target = this.membership.get(probe.target);
    if (!target) return;
    const helpers = this.membership.randomAlive(this.ctx.config.indirectChecks, new Set([probe.target]));
    const timeoutMs = Math.max(1, Math.floor((probe.deadlineMs - this.ctx.now()) * HELPER_WINDOW));
    const req: IndirectPingMessage = {
      type: 'indirect-ping',
      seq: probe.seq,
      target: probe.target,
      targetAddr: memberAddress(target.member),
      src: this.ctx.selfAddress(),
      nack: true,
      timeoutMs,
    };
    for (const h of helpers) this.ctx.sendPacket(memberAddress(h.member), [req]);
    probe.expectedNacks = helpers.length;
  }

  private finishProbe(): void {
    const probe = this.probe;
    if (!probe) return;
    this.probe = undefined;
    this.handlers.delete(probe.seq);
    this.ctx.timers.clear('probe-timeout');
    if (probe.acked) return;
    // Helpers that did not even nack hint that *we* are the slow one (Lifeguard LHA).
    const missing = probe.expectedNacks > 0 ? Math.max(0, probe.expectedNacks - probe.nacks) : 1;
    this.ctx.awareness.applyDelta(missing);
    const rec = this.membership.get(probe.target);
    if (!rec || (rec.state !== 'alive' && rec.state !== 'suspect')) return;
    this.ctx.logger.debug({ node: probe.target, nacks: probe.nacks }, 'probe failed, suspecting member');
    this.membership.suspectNode({ type: 'suspect', node: probe.target, incarnation: rec.incarnation, from: this.ctx.selfId });
  }
}

// The Gossip shell: wires the pure SWIM core and the replicated table to a Transport and a Clock,
// encodes/decodes frames, seals them when given a keyring, and turns core output into events.
import { randomBytes } from 'node:crypto';
import type { Clock, TimerHandle } from './clock';
import { systemClock } from './clock';
import { decodeMessage, encodeMessage } from './codec';
import type { GossipConfig } from './config';
import { lanConfig } from './config';
import { GossipConfigError, GossipStateError, JoinError } from './errors';
import type { Keyring } from './keyring';
import { SEAL_OVERHEAD } from './keyring';
import type { Logger } from './logger';
import { nullLogger } from './logger';
import { isLive, parseAddress } from './member';
import type { MemberEvent, MemberEventType, MemberInfo, MemberMeta } from './member';
import type { GossipMessage } from './messages';
import { SeededRng } from './prng';
import { SealedTransport } from './sealed-transport';
import { SwimCore } from './swim-core';
import type { Outbound } from './swim-core';
import { ReplicatedTable } from './table';
import type { TableChange } from './table';
import type { Transport } from './transport';

/** memberlist's limit on node metadata. */
export const META_MAX_BYTES = 512;

export interface GossipOptions {
  /** Node id, unique in the cluster. */
  readonly id: string;
  /** A listening transport (NetTransport in production, a SimNetwork endpoint in tests). */
  readonly transport: Transport;
  /** Default lanConfig(). */
  readonly config?: GossipConfig;
  readonly meta?: MemberMeta;
  /** Address peers use to reach us; default the transport's. */
  readonly advertise?: { readonly addr: string; readonly port: number };
  /** Seal both paths with AES-256-GCM under this keyring. */
  readonly keyring?: Keyring;
  readonly clock?: Clock;
  /** PRNG seed for peer selection and jitter (default random). */
  readonly seed?: number;
  readonly logger?: Logger;
}

export type GossipEvents<V> = { [K in MemberEventType]: MemberEvent } & { table: TableChange<V> };

type Listener<T> = (event: T) => void;

export class Gossip<V = unknown> {
  readonly table: ReplicatedTable<V>;
  readonly keyring: Keyring | undefined;
  private readonly core: SwimCore;
  private readonly transport: Transport;
  private readonly clock: Clock;
  private readonly config: GossipConfig;
  private readonly logger: Logger;
  private readonly listeners = new Map<keyof GossipEvents<V>, Set<Listener<never>>>();
  /** Conditions awaited by join()/leave(), re-checked after every step; true = settled. */
  private readonly waiters = new Set<() => boolean>();
  private state: 'new' | 'running' | 'stopped' = 'new';
  private timer: TimerHandle | undefined;
  private timerAt: number | undefined;

  constructor(options: GossipOptions) {
    this.config = options.config ?? lanConfig();
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? nullLogger;
    this.keyring = options.keyring;
    this.transport = options.keyring ? new SealedTransport(options.transport, options.keyring, this.logger) : options.transport;
    const self = { id: options.id, ...advertisedAddress(options), meta: checkMeta(options.meta ?? {}) };
    this.core = new SwimCore({
      self,
      config: this.config,
      rng: new SeededRng(options.seed ?? randomBytes(4).readUInt32LE(0)),
      nowMs: this.clock.now(),
      logger: this.logger,
    });
    this.table = new ReplicatedTable<V>({
      selfId: options.id,
      membership: { stateOf: (id) => this.core.member(id)?.state },
      broadcast: (payload, key) => this.core.broadcast(payload, key),
      tombstoneTtlMs: this.config.tombstoneTtlMs,
      nowMs: this.clock.now(),
    });
    this.core.setDelegate(this.table);
    this.table.onChange((change) => this.emit('table', change));
  }

  get localMember(): MemberInfo {
    return this.core.localMember();
  }

  /** Lifeguard local-health score (0 = healthy; each step stretches probe timeouts by one interval). */
  get healthScore(): number {
    return this.core.awarenessScore;
  }

  /** Alive and suspect members, this node included. */
  members(): MemberInfo[] {
    return this.core.members().filter((m) => isLive(m.state));
  }

  /** Every member still known, failed and departed ones included until they are reaped. */
  allMembers(): MemberInfo[] {
    return this.core.members();
  }

  member(id: string): MemberInfo | undefined {
    return this.core.member(id);
  }

  on<K extends keyof GossipEvents<V>>(event: K, listener: Listener<GossipEvents<V>[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  start(): void {
    if (this.state !== 'new') throw new GossipStateError(`gossip cannot start: it is ${this.state}`);
    this.state = 'running';
    this.transport.onPacket((bytes, from) => this.onBytes(bytes, from));
    this.transport.onStream((bytes, from) => this.onBytes(bytes, from));
    this.step(() => this.core.tick(this.clock.now()));
  }

  /**
   * Push-pull with every seed ("host:port"); resolves with the number of answers once the first
   * arrives, rejects with JoinError when none does in time. Resolves 0 for no (or only our own) seeds.
   */
  join(seeds: readonly string[], timeoutMs = this.config.joinTimeoutMs): Promise<number> {
    this.assertRunning('join');
    const before = this.core.pushPullReplies;
    let contacted = 0;
    this.step(() => {
      contacted = this.core.join(this.clock.now(), seeds);
    });
    if (contacted === 0) return Promise.resolve(0);
    return this.waitFor(timeoutMs, () => (this.core.pushPullReplies > before ? this.core.pushPullReplies - before : undefined)).then(
      (n) => n ?? Promise.reject(new JoinError(`no seed answered within ${timeoutMs} ms (${seeds.join(', ')})`)),
    );
  }

  /** Broadcasts our departure; resolves true once it went out, false on timeout. Call stop() after. */
  async leave(timeoutMs = this.config.leaveTimeoutMs): Promise<boolean> {
    this.assertRunning('leave');
    this.step(() => this.core.leave(this.clock.now()));
    const sent = await this.waitFor(timeoutMs, () => (this.core.leaveSent ? true : undefined));
    if (!sent) this.logger.warn({ timeoutMs }, 'leave broadcast not sent before the timeout');
    return sent === true;
  }

  /** Stops timers and closes the transport (all sockets). Idempotent. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.settle();
    await this.transport.close();
  }

  /** Replaces our metadata and announces it with a new incarnation. */
  updateMeta(meta: MemberMeta): void {
    checkMeta(meta);
    this.step(() => this.core.updateMeta(meta));
  }

  private onBytes(bytes: Uint8Array, from: string): void {
    if (this.state !== 'running') return;
    let msg: GossipMessage;
    try {
      msg = decodeMessage(bytes);
    } catch (err) {
      this.logger.warn({ err, from }, 'dropped an undecodable gossip frame');
      return;
    }
    this.step(() => this.core.receive(this.clock.now(), from, msg));
  }

  /** Runs one core step, then sends what it produced, publishes events and re-arms the timer. */
  private step(run: () => void): void {
    run();
    for (const out of this.core.takeOutbound()) this.send(out);
    for (const ev of this.core.takeEvents()) this.emit(ev.type, ev);
    this.settle();
    this.arm();
  }

  private send(out: Outbound): void {
    if (this.state !== 'running') return;
    let bytes: Buffer;
    try {
      bytes = encodeMessage(out.message);
    } catch (err) {
      this.logger.error({ err, to: out.to, type: out.message.type }, 'could not encode a gossip message; dropped');
      return;
    }
    // Anything too big for one datagram takes the stream path instead.
    if (out.reliable || bytes.length > this.config.maxPacketBytes - SEAL_OVERHEAD) this.transport.sendStream(out.to, bytes);
    else this.transport.sendPacket(out.to, bytes);
  }

  private arm(): void {
    if (this.state !== 'running') return;
    const next = this.core.nextDeadline();
    if (next === undefined || next === this.timerAt) return;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timerAt = next;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.timerAt = undefined;
      this.step(() => this.core.tick(this.clock.now()));
    }, Math.max(0, next - this.clock.now()));
  }

  /** Resolves with `check()`'s value once defined, or undefined after `timeoutMs` (or stop). */
  private waitFor<T>(timeoutMs: number, check: () => T | undefined): Promise<T | undefined> {
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(() => finish(undefined), timeoutMs);
      const finish = (value: T | undefined): void => {
        this.clock.clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve(value);
      };
      const waiter = (): boolean => {
        const value = this.state === 'running' ? check() : undefined;
        if (value === undefined && this.state === 'running') return false;
        finish(value);
        return true;
      };
      if (!waiter()) this.waiters.add(waiter);
    });
  }

  private settle(): void {
    for (const w of [...this.waiters]) w();
  }

  private emit<K extends keyof GossipEvents<V>>(event: K, payload: GossipEvents<V>[K]): void {
    for (const l of this.listeners.get(event) ?? []) {
      try {
        (l as Listener<GossipEvents<V>[K]>)(payload);
      } catch (err) {
        this.logger.error({ err, event }, 'a gossip event listener threw; event delivery continues');
      }
    }
  }

  private assertRunning(what: string): void {
    if (this.state !== 'running') throw new GossipStateError(`cannot ${what}: gossip is ${this.state}`);
  }
}

function advertisedAddress(o: GossipOptions): { addr: string; port: number } {
  if (o.advertise) return { addr: o.advertise.addr, port: o.advertise.port };
  const parsed = parseAddress(o.transport.address);
  if (!parsed) throw new GossipConfigError(`transport address ${o.transport.address} is not host:port`);
  return { addr: parsed.host, port: parsed.port };
}

function checkMeta(meta: MemberMeta): MemberMeta {
  const size = Buffer.byteLength(JSON.stringify(meta));
  if (size > META_MAX_BYTES) throw new GossipConfigError(`node meta is ${size} bytes; the limit is ${META_MAX_BYTES}`);
  return meta;
}

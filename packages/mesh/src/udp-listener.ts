// One published UDP port on this node: a datagram socket bound like the TCP listeners, and the
// flows through it. A datagram from a client address:port without a flow opens one (the dialer
// picks the task and opens the upstream); the task's replies leave from the published port, to
// the client; a flow idle for `idleTimeoutMs` expires, and so does one whose upstream ended.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { systemClock } from './clock';
import type { Clock, TimerHandle } from './clock';
import type { Logger } from './logger';
import { nullLogger } from './logger';
import { DEFAULT_UDP_QUEUE_BYTES } from './udp-task-socket';
import { UdpFlowTable } from './udp-flows';

/** conntrack's UDP timeout (nf_conntrack_udp_timeout); its longer timeout for busy two-way "streams" is not modelled. */
export const DEFAULT_UDP_IDLE_TIMEOUT_MS = 30_000;
export const DEFAULT_UDP_MAX_FLOWS = 4096;

export interface UdpClient {
  readonly address: string;
  readonly port: number;
}

/** Where a flow's datagrams go: a socket to a local task, or a datagram stream through the tunnel. */
export interface UdpUpstream {
  /** The task behind the flow (so flows of a vanished task can be ended). */
  readonly taskId: string;
  /** Forwards a client datagram; false when it was dropped. */
  send(datagram: Buffer): boolean;
  /** Ends the upstream (flow expired, evicted, or the listener closed). It reports nothing afterwards. */
  close(): void;
}

/** How an upstream reports back to its flow. */
export interface UdpFlowEvents {
  /** A datagram from the task, for the client. */
  reply(datagram: Buffer): void;
  /** The upstream is gone (task unreachable, stream refused or reset): the flow ends at once. */
  ended(error?: Error): void;
}

/** Opens the upstream of a new flow, or undefined when no task can take it (the datagram is dropped). */
export type UdpFlowDialer = (published: number, client: UdpClient, events: UdpFlowEvents) => UdpUpstream | undefined;

export interface UdpListenerStats {
  /** Datagrams from clients, and replies sent back to them. */
  received: number;
  replied: number;
  /** Datagrams lost here: no task to take a new flow, an upstream or socket queue full. */
  dropped: number;
  /** Flows opened, expired idle, evicted (table full), ended by their upstream. */
  flows: number;
  expired: number;
  evicted: number;
  ended: number;
}

export function emptyUdpStats(): UdpListenerStats {
  return { received: 0, replied: 0, dropped: 0, flows: 0, expired: 0, evicted: 0, ended: 0 };
}

export interface UdpListenerOptions {
  readonly bindAddr: string;
  readonly port: number;
  readonly dial: UdpFlowDialer;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Default 30 000 ms (conntrack's UDP timeout). */
  readonly idleTimeoutMs?: number;
  /** Default 4096. */
  readonly maxFlows?: number;
  /** Replies waiting in the published socket's send queue beyond this are dropped. Default 256 KiB. */
  readonly sendQueueBytes?: number;
  /** After a failed bind (port taken), try again after this long. Default 2000 ms. */
  readonly rebindDelayMs?: number;
  /** Counters; pass one object to several listeners to sum them. */
  readonly stats?: UdpListenerStats;
}

export type UdpListenerState = 'binding' | 'listening' | 'failed' | 'closed';

interface Flow {
  readonly key: string;
  readonly client: UdpClient;
  upstream: UdpUpstream | undefined;
}

export class UdpListener {
  readonly stats: UdpListenerStats;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly flows: UdpFlowTable<Flow>;
  private socket: Socket | undefined;
  private expiryTimer: TimerHandle | undefined;
  private expiryAt = Infinity;
  private retry: TimerHandle | undefined;
  private settle: () => void = () => undefined;
  private _state: UdpListenerState = 'binding';
  private bound: Promise<void> = Promise.resolve();

  constructor(private readonly o: UdpListenerOptions) {
    this.clock = o.clock ?? systemClock;
    this.logger = o.logger ?? nullLogger;
    this.stats = o.stats ?? emptyUdpStats();
    this.flows = new UdpFlowTable<Flow>({
      clock: this.clock,
      idleTimeoutMs: o.idleTimeoutMs ?? DEFAULT_UDP_IDLE_TIMEOUT_MS,
      maxFlows: o.maxFlows ?? DEFAULT_UDP_MAX_FLOWS,
    });
    this.bind();
  }

  get port(): number {
    return this.o.port;
  }

  /** The port bound once listening: the one asked for, or the one the kernel chose for 0. */
  get boundPort(): number | undefined {
    return this._state === 'listening' ? this.socket?.address().port : undefined;
  }

  get state(): UdpListenerState {
    return this._state;
  }

  /** Settles when the current bind attempt succeeded, failed (to be retried), or was called off. */
  get ready(): Promise<void> {
    return this.bound;
  }

  get flowCount(): number {
    return this.flows.size;
  }

  /** Ends the flows whose upstream `match` selects (e.g. its task left the table). */
  endFlows(match: (upstream: UdpUpstream) => boolean): void {
    for (const flow of this.flows.removeWhere((f) => f.upstream !== undefined && match(f.upstream))) this.endFlow(flow);
  }

  /** Unbinds the port and ends every flow (replies could no longer leave from it). */
  async close(): Promise<void> {
    if (this._state === 'closed') return;
    const wasListening = this._state === 'listening';
    this._state = 'closed';
    if (this.retry) this.clock.clearTimeout(this.retry);
    if (this.expiryTimer) this.clock.clearTimeout(this.expiryTimer);
    for (const flow of this.flows.clear()) this.endFlow(flow);
    this.settle();
    const socket = this.socket;
    this.socket = undefined;
    if (!socket) return;
    if (wasListening) this.logger.info({ port: this.o.port, protocol: 'udp' }, 'ingress port closed');
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  private bind(): void {
    const socket = createSocket({ type: isIPv6(this.o.bindAddr) ? 'udp6' : 'udp4' });
    this.socket = socket;
    this._state = 'binding';
    this.bound = new Promise<void>((resolve) => {
      this.settle = resolve;
      socket.once('listening', () => {
        if (this.socket !== socket) return;
        this._state = 'listening';
        this.logger.info({ port: this.o.port, protocol: 'udp', addr: this.o.bindAddr }, 'ingress port open');
        resolve();
      });
      socket.on('error', (err) => {
        if (this.socket !== socket) return;
        if (this._state === 'listening') {
          this.logger.error({ err, port: this.o.port, protocol: 'udp' }, 'ingress UDP socket error');
          return;
        }
        this.socket = undefined;
        socket.close();
        this._state = 'failed';
        const delay = this.o.rebindDelayMs ?? 2000;
        this.logger.error({ err, port: this.o.port, protocol: 'udp', addr: this.o.bindAddr, retryInMs: delay }, 'cannot open ingress port');
        this.retry = this.clock.setTimeout(() => {
          this.retry = undefined;
          if (this._state !== 'closed') this.bind();
        }, delay);
        resolve();
      });
    });
    socket.on('message', (msg, rinfo) => this.onDatagram(msg, rinfo));
    socket.bind({ port: this.o.port, address: this.o.bindAddr, exclusive: true });
  }

  private onDatagram(datagram: Buffer, rinfo: RemoteInfo): void {
    this.stats.received++;
    const key = `${rinfo.address}|${rinfo.port}`;
    const flow = this.flows.touch(key) ?? this.openFlow(key, { address: rinfo.address, port: rinfo.port });
    if (!flow?.upstream?.send(datagram)) this.stats.dropped++;
  }

  private openFlow(key: string, client: UdpClient): Flow | undefined {
    const flow: Flow = { key, client, upstream: undefined };
    let reported = false;
    const upstream = this.o.dial(this.o.port, client, {
      reply: (datagram) => this.reply(flow, datagram),
      ended: (error) => {
        // An upstream may fail while it is being opened; the flow is then never added.
        reported = true;
        if (!this.flows.remove(key, flow)) return;
        this.stats.ended++;
        this.logger.debug({ err: error, port: this.o.port, client: `${client.address}:${client.port}` }, 'UDP flow ended by its upstream');
        this.endFlow(flow);
      },
    });
    if (!upstream) return undefined;
    flow.upstream = upstream;
    if (reported) {
      upstream.close();
      return undefined;
    }
    this.stats.flows++;
    for (const old of this.flows.add(key, flow)) {
      this.stats.evicted++;
      this.endFlow(old);
    }
    this.armExpiry();
    return flow;
  }

  private reply(flow: Flow, datagram: Buffer): void {
    const socket = this.socket;
    if (!socket || this._state !== 'listening' || this.flows.touch(flow.key) !== flow) return;
    if (socket.getSendQueueSize() + datagram.length > (this.o.sendQueueBytes ?? DEFAULT_UDP_QUEUE_BYTES)) {
      this.stats.dropped++;
      return;
    }
    this.stats.replied++;
    socket.send(datagram, flow.client.port, flow.client.address, this.afterReply);
  }

  private readonly afterReply = (err: Error | null): void => {
    if (err) this.logger.debug({ err, port: this.o.port }, 'UDP reply to a client dropped');
  };

  private endFlow(flow: Flow): void {
    const upstream = flow.upstream;
    flow.upstream = undefined;
    upstream?.close();
  }

  /** One timer per listener, due when the least recently active flow would expire. */
  private armExpiry(): void {
    const at = this.flows.nextExpiry();
    if (at === undefined || this._state === 'closed') return;
    if (this.expiryTimer && this.expiryAt <= at) return;
    if (this.expiryTimer) this.clock.clearTimeout(this.expiryTimer);
    this.expiryAt = at;
    this.expiryTimer = this.clock.setTimeout(() => {
      this.expiryTimer = undefined;
      this.expiryAt = Infinity;
      for (const flow of this.flows.expire()) {
        this.stats.expired++;
        this.endFlow(flow);
      }
      this.armExpiry();
    }, Math.max(0, at - this.clock.now()));
  }
}

// One client connection accepted on a published port: pick an endpoint, connect to it (directly
// when the task is on this node, through the tunnel otherwise), fail over to the next endpoint
// while nothing has been forwarded yet, then relay. With no endpoint at all for the port, wait a
// little for one (a rolling update's replacement may not have reached this node's table yet).
import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import type { Clock, TimerHandle } from './clock';
import type { Choice, LoadBalancer } from './load-balancer';
import type { Logger } from './logger';
import { encodeProxyV2Header } from './proxy-protocol';
import { relay, withOnread } from './relay';
import type { ByteStream, ConnectWithHighWaterMark, SharedReadBuffer } from './relay';
import type { TunnelDialer } from './tunnel/client';
import type { TunnelStream } from './tunnel/stream';

export interface IngressStats {
  /** Client connections accepted. */
  accepted: number;
  /** Connections relayed to a task on this node / through the tunnel. */
  local: number;
  remote: number;
  /** Connect attempts that failed (each one moved on to the next endpoint, if any was left). */
  dialFailures: number;
  /** Clients closed without an upstream: no endpoint, or every attempt failed. */
  refused: number;
}

/** What every connection of one IngressProxy shares. */
export interface IngressContext {
  readonly nodeId: string;
  readonly lb: LoadBalancer;
  readonly tunnel: TunnelDialer;
  readonly readBuffer: SharedReadBuffer | undefined;
  readonly maxAttempts: number;
  readonly connectTimeoutMs: number;
  readonly highWaterMark: number;
  readonly logger: Logger;
  readonly stats: IngressStats;
  readonly active: Set<IngressConnection>;
  readonly clock: Clock;
  /** How long a client whose port has no endpoint waits for one; 0 closes it at once. */
  readonly waitForEndpointMs: number;
  /** Connections waiting for an endpoint: retried whenever the table changes. */
  readonly waiting: Set<IngressConnection>;
}

type Phase = 'dialing' | 'relaying' | 'closed';

export class IngressConnection {
  private phase: Phase = 'dialing';
  private attempts = 0;
  private tried: Set<string> | undefined;
  private dialing: Socket | TunnelStream | undefined;
  /** Where the client's bytes go once relaying (they are read into the shared buffer). */
  private upstream: ByteStream | undefined;
  /** Set while waiting for the port to get an endpoint. */
  private waitTimer: TimerHandle | undefined;
  private readonly client: Socket;
  private readonly clientReadsItself: boolean;

  constructor(
    private readonly ctx: IngressContext,
    accepted: Socket,
    private readonly published: number,
  ) {
    ctx.stats.accepted++;
    ctx.active.add(this);
    const rb = ctx.readBuffer;
    // The client is read only once relaying (accepted paused), into the shared buffer.
    const client = rb
      ? withOnread(
          accepted,
          { buffer: rb.buffer, callback: (n: number) => (this.upstream ? rb.forward(this.upstream, n) : false) },
          ctx.highWaterMark,
        )
      : accepted;
    this.client = client;
    this.clientReadsItself = client !== accepted;
    client.on('error', (err) => {
      if (this.phase === 'dialing') ctx.logger.debug({ err, port: published }, 'ingress client went away while connecting');
    });
    client.on('close', () => {
      const wasDialing = this.phase === 'dialing';
      this.phase = 'closed';
      ctx.active.delete(this);
      this.stopWaiting();
      if (wasDialing) this.dialing?.destroy();
    });
    this.next();
  }

  /** The table changed: dial if the port has an endpoint now. */
  retry(): void {
    if (this.phase !== 'dialing' || !this.waitTimer) return;
    const choice = this.ctx.lb.pick(this.published, this.tried);
    if (!choice) return;
    this.stopWaiting();
    this.dial(choice);
  }

  private stopWaiting(): void {
    if (!this.waitTimer) return;
    this.ctx.clock.clearTimeout(this.waitTimer);
    this.waitTimer = undefined;
    this.ctx.waiting.delete(this);
  }

  /** Closes the client and its upstream (proxy shutdown). */
  destroy(): void {
    this.stopWaiting();
    this.client.destroy();
  }

  private next(): void {
    const choice = this.ctx.lb.pick(this.published, this.tried);
    if (choice) return this.dial(choice);
    if (this.attempts > 0 || this.ctx.waitForEndpointMs <= 0) return this.refuse();
    // No endpoint at all yet: wait for the table (bounded), then give up.
    this.ctx.waiting.add(this);
    this.waitTimer = this.ctx.clock.setTimeout(() => {
      this.waitTimer = undefined;
      this.ctx.waiting.delete(this);
      if (this.phase === 'dialing') this.refuse();
    }, this.ctx.waitForEndpointMs);
  }

  private dial(choice: Choice): void {
    this.attempts++;
    if (choice.endpoint.nodeId === this.ctx.nodeId) this.dialLocal(choice);
    else this.dialRemote(choice);
  }

  private dialLocal(choice: Choice): void {
    const { ctx } = this;
    const rb = ctx.readBuffer;
    const client = this.client;
    const options: ConnectWithHighWaterMark = {
      host: choice.endpoint.nodeAddr,
      port: choice.endpoint.port,
      allowHalfOpen: true,
      noDelay: true,
      writableHighWaterMark: ctx.highWaterMark,
      ...(rb ? { onread: { buffer: rb.buffer, callback: (n: number) => rb.forward(client, n) } } : {}),
    };
    const upstream = netConnect(options);
    this.dialing = upstream;
    upstream.setTimeout(ctx.connectTimeoutMs);
    const fail = (err: Error): void => {
      if (this.dialing !== upstream || this.phase !== 'dialing') return;
      upstream.destroy();
      this.failed(choice, err);
    };
    upstream.on('error', fail);
    upstream.on('timeout', () => fail(new Error(`connect to ${choice.endpoint.nodeAddr}:${choice.endpoint.port} timed out`)));
    upstream.on('connect', () => {
      upstream.setTimeout(0);
      this.connected(choice, upstream, rb !== undefined);
    });
  }

  private dialRemote(choice: Choice): void {
    const { endpoint } = choice;
    this.ctx.tunnel.openStream({ nodeId: endpoint.nodeId, addr: endpoint.nodeAddr }, { taskId: endpoint.taskId }).then(
      (stream) => this.connected(choice, stream, false),
      (err: Error) => this.failed(choice, err),
    );
  }

  private connected(choice: Choice, upstream: ByteStream & { destroy(): unknown }, upstreamReadsItself: boolean): void {
    if (this.phase !== 'dialing') {
      upstream.destroy();
      return;
    }
    this.phase = 'relaying';
    this.dialing = undefined;
    const { ctx, client } = this;
    ctx.lb.reportSuccess(choice.endpoint.taskId);
    if (choice.endpoint.nodeId === ctx.nodeId) ctx.stats.local++;
    else ctx.stats.remote++;
    if (choice.port.proxyProtocol) {
      const header = proxyHeaderFor(client);
      if (header) upstream.write(header);
    }
    this.upstream = upstream;
    relay(client, upstream, {
      aReadsItself: this.clientReadsItself,
      bReadsItself: upstreamReadsItself,
      coalesceB: choice.endpoint.nodeId !== ctx.nodeId,
      onError: (err, side) =>
        ctx.logger.debug({ err, side: side === 'a' ? 'client' : 'task', taskId: choice.endpoint.taskId }, 'ingress connection reset'),
    });
  }

  private failed(choice: Choice, err: Error): void {
    if (this.phase !== 'dialing') return;
    const { ctx } = this;
    const { taskId, nodeId } = choice.endpoint;
    ctx.stats.dialFailures++;
    ctx.lb.reportFailure(taskId);
    ctx.logger.debug({ err, taskId, nodeId, port: this.published, attempt: this.attempts }, 'ingress connect failed; trying the next endpoint');
    (this.tried ??= new Set()).add(taskId);
    if (this.attempts < ctx.maxAttempts) this.next();
    else this.refuse();
  }

  private refuse(): void {
    this.ctx.stats.refused++;
    this.ctx.logger.debug({ port: this.published, attempts: this.attempts }, 'ingress connection closed: no endpoint reachable');
    this.phase = 'closed';
    this.client.destroy();
  }
}

function proxyHeaderFor(client: Socket): Buffer | undefined {
  const { remoteAddress, remotePort, localAddress, localPort } = client;
  if (!remoteAddress || remotePort === undefined || !localAddress || localPort === undefined) return undefined;
  return encodeProxyV2Header({ address: remoteAddress, port: remotePort }, { address: localAddress, port: localPort });
}

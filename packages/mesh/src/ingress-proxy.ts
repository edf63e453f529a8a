// The ingress proxy: one TCP listener per published ingress port of any service in the cluster,
// on every node, whether or not it runs a task of that service. Listeners follow the endpoint
// table and the managers' list of services' ports: opened when a port appears, closed when
// neither has had it for a short while (open connections are left to finish). A service that
// should run keeps its port while it has no task running (a stop-first update of its only task,
// tasks restarting): a client arriving then waits for an endpoint instead of being refused. `mode: host` ports are not the mesh's: the task's
// own node binds them, so they are ignored here.
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { systemClock } from './clock';
import type { Clock, TimerHandle } from './clock';
import type { MeshEndpoint } from './endpoints';
import { IngressConnection } from './ingress-connection';
import type { IngressContext, IngressStats } from './ingress-connection';
import { DEFAULT_FAILURE_PENALTY_MS, LoadBalancer } from './load-balancer';
import { nullLogger } from './logger';
import type { Logger } from './logger';
import { DEFAULT_HIGH_WATER_MARK, SharedReadBuffer } from './relay';
import type { TunnelDialer } from './tunnel/client';

export interface IngressProxyOptions {
  /** Address the published ports are bound on: '0.0.0.0' on a real node, the node's alias in tests. */
  readonly bindAddr: string;
  /** This node: endpoints with this nodeId are connected to directly, the others through the tunnel. */
  readonly nodeId: string;
  readonly tunnel: TunnelDialer;
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** An endpoint that failed a connect is passed over this long. Default 5000 ms. */
  readonly failurePenaltyMs?: number;
  /** Endpoints tried per client connection before giving up. Default 3. */
  readonly maxAttempts?: number;
  /** Connect timeout to a local task (remote ones: the tunnel's open timeout). Default 3000 ms. */
  readonly connectTimeoutMs?: number;
  /** Write high-water mark of client and task sockets. Default 1 MiB. */
  readonly highWaterMark?: number;
  /** Shared read buffer of task sockets; 0 lets Node allocate per read. Default 128 KiB. */
  readonly readBufferBytes?: number;
  /** After a failed bind (port taken), try again after this long. Default 2000 ms. */
  readonly rebindDelayMs?: number;
  /** Listen backlog. Default 511. */
  readonly backlog?: number;
  /** A port nothing publishes any more keeps its listener this long. Default 3000 ms. */
  readonly lingerMs?: number;
  /** A client arriving while its port has no endpoint waits this long for one. Default 2000 ms. */
  readonly waitForEndpointMs?: number;
}

export type ListenerState = 'binding' | 'listening' | 'failed';

interface Listener {
  readonly port: number;
  server: Server | undefined;
  state: ListenerState;
  retry: TimerHandle | undefined;
  /** Settles when the current bind attempt succeeded, failed, or was called off. */
  ready: Promise<void>;
  settle: () => void;
}

export class IngressProxy {
  private readonly listeners = new Map<number, Listener>();
  private readonly ctx: IngressContext;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private servicePorts = new Set<number>();
  /**
   * Ports the managers withdrew (the service removed, scaled to 0, or a port changed by an update):
   * closed as soon as no running task serves them any more (draining ones do not count), without
   * the linger, so a client is refused instead of waiting for a task that will not come. A port an
   * update moves keeps serving through its old tasks until they drain. Until the managers send it again.
   */
  private readonly withdrawn = new Set<number>();
  private keptPorts = new Set<number>();
  /** Listening ports nothing publishes any more, and since when. */
  private readonly leaving = new Map<number, number>();
  private lingerTimer: TimerHandle | undefined;
  private closed = false;

  constructor(private readonly o: IngressProxyOptions) {
    this.clock = o.clock ?? systemClock;
    this.logger = o.logger ?? nullLogger;
    const readBufferBytes = o.readBufferBytes ?? 128 * 1024;
    this.ctx = {
      nodeId: o.nodeId,
      lb: new LoadBalancer({ clock: this.clock, failurePenaltyMs: o.failurePenaltyMs ?? DEFAULT_FAILURE_PENALTY_MS }),
      tunnel: o.tunnel,
      readBuffer: readBufferBytes > 0 ? new SharedReadBuffer(readBufferBytes) : undefined,
      maxAttempts: Math.max(1, o.maxAttempts ?? 3),
      connectTimeoutMs: o.connectTimeoutMs ?? 3000,
      highWaterMark: o.highWaterMark ?? DEFAULT_HIGH_WATER_MARK,
      logger: this.logger,
      stats: { accepted: 0, local: 0, remote: 0, dialFailures: 0, refused: 0 },
      active: new Set(),
      clock: this.clock,
      waitForEndpointMs: o.waitForEndpointMs ?? 2000,
      waiting: new Set(),
    };
  }

  get stats(): Readonly<IngressStats> {
    return this.ctx.stats;
  }

  /** Client connections currently open (dialing or relaying). */
  get activeConnections(): number {
    return this.ctx.active.size;
  }

  /**
   * Replaces the endpoint table (every node's entries, from gossip). Resolves when listeners for
   * new ports are bound (or failed, to be retried) and those of vanished ports are closed.
   */
  setEndpoints(entries: Iterable<MeshEndpoint>, keepPorts: Iterable<number> = [], reserve?: ReadonlySet<string>): Promise<void> {
    this.ctx.lb.setEndpoints(entries, reserve);
    // Ports served by the kernel fast path keep their listener (it holds the port and takes what falls through).
    this.keptPorts = new Set(keepPorts);
    for (const c of [...this.ctx.waiting]) c.retry();
    return this.reconcile();
  }

  /**
   * Published ingress ports of the services that should be running tasks, as the managers send
   * them: their listeners stay open even while no task is running (clients then wait for one, up
   * to waitForEndpointMs, and are closed).
   */
  setServicePorts(ports: Iterable<number>): Promise<void> {
    const next = new Set(ports);
    for (const port of this.servicePorts) if (!next.has(port)) this.withdrawn.add(port);
    for (const port of next) this.withdrawn.delete(port);
    this.servicePorts = next;
    return this.reconcile();
  }

  /** Ports with a bound listener. */
  listeningPorts(): number[] {
    return [...this.listeners.values()].filter((l) => l.state === 'listening').map((l) => l.port).sort((a, b) => a - b);
  }

  listenerState(port: number): ListenerState | undefined {
    return this.listeners.get(port)?.state;
  }

  /** Closes every listener and every proxied connection. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.lingerTimer) this.clock.clearTimeout(this.lingerTimer);
    const shut = [...this.listeners.values()].map((l) => this.shut(l));
    for (const c of [...this.ctx.active]) c.destroy();
    await Promise.all(shut);
  }

  private reconcile(): Promise<void> {
    if (this.closed) return Promise.resolve();
    const wanted = new Set<number>([...this.ctx.lb.ports(), ...this.servicePorts, ...this.keptPorts]);
    for (const port of this.withdrawn) if (this.gone(port)) wanted.delete(port);
    this.linger(wanted);
    const work: Promise<void>[] = [];
    for (const port of wanted) {
      const existing = this.listeners.get(port);
      if (existing) work.push(existing.ready);
      else work.push(this.open(port));
      const services = this.ctx.lb.servicesOf(port);
      if (services.length > 1) this.logger.warn({ port, services }, 'several services publish the same ingress port');
    }
    for (const l of this.listeners.values()) if (!wanted.has(l.port)) work.push(this.shut(l));
    return Promise.all(work).then(() => undefined);
  }

  /** Adds to `wanted` the listening ports that left it less than lingerMs ago; reconciles again when the first expires. */
  private linger(wanted: Set<number>): void {
    const lingerMs = this.o.lingerMs ?? 3000;
    const now = this.clock.now();
    for (const port of this.listeners.keys()) if (!wanted.has(port) && !this.leaving.has(port)) this.leaving.set(port, now);
    let next = Infinity;
    for (const [port, since] of this.leaving) {
      if (wanted.has(port) || !this.listeners.has(port) || this.gone(port) || now - since >= lingerMs) {
        this.leaving.delete(port);
        continue;
      }
      wanted.add(port);
      next = Math.min(next, since + lingerMs);
    }
    if (this.lingerTimer) this.clock.clearTimeout(this.lingerTimer);
    this.lingerTimer = next === Infinity ? undefined : this.clock.setTimeout(() => void this.reconcile(), next - now);
  }

  /** Withdrawn by the managers, and no running task serves it. */
  private gone(port: number): boolean {
    return this.withdrawn.has(port) && this.ctx.lb.runningCount(port) === 0;
  }

  private open(port: number): Promise<void> {
    const listener: Listener = {
      port,
      server: undefined,
      state: 'binding',
      retry: undefined,
      ready: Promise.resolve(),
      settle: () => undefined,
    };
    this.listeners.set(port, listener);
    this.bind(listener);
    return listener.ready;
  }

  private bind(l: Listener): void {
    const server = createServer(
      { allowHalfOpen: true, pauseOnConnect: true, noDelay: true, highWaterMark: this.ctx.highWaterMark },
      (socket: Socket) => new IngressConnection(this.ctx, socket, l.port),
    );
    l.server = server;
    l.state = 'binding';
    l.ready = new Promise<void>((resolve) => {
      l.settle = resolve;
      server.once('listening', () => {
        l.state = 'listening';
        this.logger.info({ port: l.port, addr: this.o.bindAddr }, 'ingress port open');
        resolve();
      });
      server.on('error', (err) => {
        if (l.state === 'listening') {
          this.logger.error({ err, port: l.port }, 'ingress listener error');
          return;
        }
        l.state = 'failed';
        l.server = undefined;
        server.close();
        const delay = this.o.rebindDelayMs ?? 2000;
        this.logger.error({ err, port: l.port, addr: this.o.bindAddr, retryInMs: delay }, 'cannot open ingress port');
        l.retry = this.clock.setTimeout(() => {
          l.retry = undefined;
          if (this.listeners.get(l.port) === l && !this.closed) this.bind(l);
        }, delay);
        resolve();
      });
    });
    server.listen({ port: l.port, host: this.o.bindAddr, backlog: this.o.backlog ?? 511 });
  }

  private async shut(l: Listener): Promise<void> {
    if (this.listeners.get(l.port) === l) this.listeners.delete(l.port);
    if (l.retry) this.clock.clearTimeout(l.retry);
    const server = l.server;
    l.server = undefined;
    l.settle();
    if (server) {
      // close() stops accepting at once; its callback would wait for open connections, which may live on.
      if (server.listening) this.logger.info({ port: l.port }, 'ingress port closed');
      server.close();
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

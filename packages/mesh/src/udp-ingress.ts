// The UDP side of the ingress: one UdpListener per published UDP ingress port of any service in
// the cluster, on every node. A new flow takes the next running endpoint of the port, round-robin
// cluster-wide (the same LoadBalancer as TCP, one per protocol): a local task through a socket of
// its own, a remote one through a datagram stream on the tunnel. Draining endpoints get no new
// flows; the flows of an endpoint that left the table end, so the client's next datagram goes to
// a task that is still there.
import { systemClock } from './clock';
import type { Clock } from './clock';
import type { MeshEndpoint } from './endpoints';
import { TunnelConnectionError, TunnelOpenError } from './errors';
import { DEFAULT_FAILURE_PENALTY_MS, LoadBalancer } from './load-balancer';
import type { Choice } from './load-balancer';
import { nullLogger } from './logger';
import type { Logger } from './logger';
import type { DatagramDialer } from './tunnel/client';
import type { TunnelDatagramStream } from './tunnel/datagram-stream';
import { UdpListener, emptyUdpStats } from './udp-listener';
import type { UdpClient, UdpFlowEvents, UdpListenerState, UdpListenerStats, UdpUpstream } from './udp-listener';
import { TaskUdpSocket } from './udp-task-socket';

export interface UdpIngressOptions {
  /** Address the published ports are bound on: '0.0.0.0' on a real node, the node's alias in tests. */
  readonly bindAddr: string;
  /** This node: its endpoints get a socket of their own, the others a tunnel datagram stream. */
  readonly nodeId: string;
  readonly tunnel: DatagramDialer;
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** A flow with no datagram either way for this long expires. Default 30 000 ms (conntrack's). */
  readonly idleTimeoutMs?: number;
  /** Flows per published port; a new one evicts the least recently active. Default 4096. */
  readonly maxFlowsPerPort?: number;
  /** An endpoint found unreachable is passed over this long. Default 5000 ms. */
  readonly failurePenaltyMs?: number;
  /** Endpoints tried for a new flow whose tunnel peer is known to be down. Default 3. */
  readonly maxAttempts?: number;
  /** Bytes a socket may hold back before datagrams are dropped. Default 256 KiB. */
  readonly queueBytes?: number;
  /** After a failed bind (port taken), try again after this long. Default 2000 ms. */
  readonly rebindDelayMs?: number;
}

export interface UdpIngressStats extends UdpListenerStats {
  /** Flows to a task on this node / through the tunnel. */
  local: number;
  remote: number;
  /** Upstreams that failed (task unreachable, tunnel refused or down); each penalises its endpoint. */
  failures: number;
}

export class UdpIngress {
  readonly stats: UdpIngressStats = { ...emptyUdpStats(), local: 0, remote: 0, failures: 0 };
  private readonly lb: LoadBalancer;
  private readonly listeners = new Map<number, UdpListener>();
  private readonly clock: Clock;
  private readonly logger: Logger;
  private closed = false;

  constructor(private readonly o: UdpIngressOptions) {
    this.clock = o.clock ?? systemClock;
    this.logger = o.logger ?? nullLogger;
    this.lb = new LoadBalancer({ clock: this.clock, failurePenaltyMs: o.failurePenaltyMs ?? DEFAULT_FAILURE_PENALTY_MS, protocol: 'udp' });
  }

  /**
   * Replaces the endpoint table (every node's entries). Resolves when listeners for new ports are
   * bound (or failed, to be retried) and those of vanished ports are closed.
   */
  setEndpoints(entries: Iterable<MeshEndpoint>): Promise<void> {
    const list = [...entries];
    this.lb.setEndpoints(list);
    const present = new Set(list.map((e) => e.taskId));
    for (const l of this.listeners.values()) l.endFlows((u) => !present.has(u.taskId));
    return this.reconcile();
  }

  /** Ports with a bound listener. */
  listeningPorts(): number[] {
    return [...this.listeners.values()].filter((l) => l.state === 'listening').map((l) => l.port).sort((a, b) => a - b);
  }

  listenerState(port: number): UdpListenerState | undefined {
    return this.listeners.get(port)?.state;
  }

  /** Open flows, on one port or on all. */
  flowCount(port?: number): number {
    if (port !== undefined) return this.listeners.get(port)?.flowCount ?? 0;
    let n = 0;
    for (const l of this.listeners.values()) n += l.flowCount;
    return n;
  }

  async close(): Promise<void> {
    this.closed = true;
    const listeners = [...this.listeners.values()];
    this.listeners.clear();
    await Promise.all(listeners.map((l) => l.close()));
  }

  private reconcile(): Promise<void> {
    if (this.closed) return Promise.resolve();
    const wanted = new Set(this.lb.ports());
    const work: Promise<void>[] = [];
    for (const port of wanted) {
      let listener = this.listeners.get(port);
      if (!listener) this.listeners.set(port, (listener = this.listen(port)));
      work.push(listener.ready);
      const services = this.lb.servicesOf(port);
      if (services.length > 1) this.logger.warn({ port, protocol: 'udp', services }, 'several services publish the same ingress port');
    }
    for (const [port, l] of this.listeners) {
      if (wanted.has(port)) continue;
      this.listeners.delete(port);
      work.push(l.close());
    }
    return Promise.all(work).then(() => undefined);
  }

  private listen(port: number): UdpListener {
    const o = this.o;
    return new UdpListener({
      bindAddr: o.bindAddr,
      port,
      dial: (published, client, events) => this.dial(published, client, events),
      clock: this.clock,
      logger: this.logger,
      stats: this.stats,
      ...(o.idleTimeoutMs !== undefined ? { idleTimeoutMs: o.idleTimeoutMs } : {}),
      ...(o.maxFlowsPerPort !== undefined ? { maxFlows: o.maxFlowsPerPort } : {}),
      ...(o.queueBytes !== undefined ? { sendQueueBytes: o.queueBytes } : {}),
      ...(o.rebindDelayMs !== undefined ? { rebindDelayMs: o.rebindDelayMs } : {}),
    });
  }

  /** Picks the endpoint of a new flow and opens its upstream; moves on while a tunnel peer is known down. */
  private dial(published: number, client: UdpClient, events: UdpFlowEvents): UdpUpstream | undefined {
    const tried = new Set<string>();
    const attempts = Math.max(1, this.o.maxAttempts ?? 3);
    while (tried.size < attempts) {
      const choice = this.lb.pick(published, tried);
      if (!choice) break;
      tried.add(choice.endpoint.taskId);
      const upstream = this.open(choice, events);
      if (upstream) return upstream;
    }
    this.logger.debug({ port: published, client: `${client.address}:${client.port}`, tried: tried.size }, 'UDP datagram dropped: no endpoint reachable');
    return undefined;
  }

  /** Wraps the flow's events: the first reply lifts any penalty, an unreachable task earns one. */
  private open(choice: Choice, events: UdpFlowEvents): UdpUpstream | undefined {
    const { endpoint } = choice;
    const state = { live: true, answered: false };
    const relay: UdpFlowEvents = {
      reply: (datagram) => {
        if (!state.live) return;
        if (!state.answered) {
          state.answered = true;
          this.lb.reportSuccess(endpoint.taskId);
        }
        events.reply(datagram);
      },
      ended: (error) => {
        if (!state.live) return;
        state.live = false;
        if (error && isUnreachable(error)) this.failed(endpoint, error);
        events.ended(error);
      },
    };
    const upstream = endpoint.nodeId === this.o.nodeId ? this.openLocal(endpoint, relay) : this.openRemote(endpoint, relay);
    if (!upstream) return undefined;
    return {
      taskId: endpoint.taskId,
      send: (datagram) => upstream.send(datagram),
      close: () => {
        state.live = false;
        upstream.close();
      },
    };
  }

  private openLocal(endpoint: MeshEndpoint, events: UdpFlowEvents): Omit<UdpUpstream, 'taskId'> {
    const socket: TaskUdpSocket = new TaskUdpSocket({
      target: { host: endpoint.nodeAddr, port: endpoint.port },
      onMessage: (datagram) => events.reply(datagram),
      onError: (err) => {
        socket.close();
        events.ended(err);
      },
      ...(this.o.queueBytes !== undefined ? { maxQueueBytes: this.o.queueBytes } : {}),
      logger: this.logger,
    });
    this.stats.local++;
    return { send: (datagram) => socket.send(datagram), close: () => socket.close() };
  }

  private openRemote(endpoint: MeshEndpoint, events: UdpFlowEvents): Omit<UdpUpstream, 'taskId'> | undefined {
    let stream: TunnelDatagramStream;
    try {
      stream = this.o.tunnel.openDatagramStream({ nodeId: endpoint.nodeId, addr: endpoint.nodeAddr }, { taskId: endpoint.taskId });
    } catch (err) {
      this.failed(endpoint, err as Error);
      return undefined;
    }
    stream.attach({ message: (datagram) => events.reply(datagram), close: (error) => events.ended(error) });
    this.stats.remote++;
    return { send: (datagram) => stream.send(datagram), close: () => stream.close() };
  }

  private failed(endpoint: MeshEndpoint, err: Error): void {
    this.stats.failures++;
    this.lb.reportFailure(endpoint.taskId);
    this.logger.debug({ err, taskId: endpoint.taskId, nodeId: endpoint.nodeId }, 'UDP endpoint unreachable; passed over for the penalty window');
  }
}

/** Errors that say the endpoint cannot be reached (as opposed to a flow closed on purpose). */
function isUnreachable(err: Error): boolean {
  return err instanceof TunnelOpenError || err instanceof TunnelConnectionError || (err as NodeJS.ErrnoException).code === 'ECONNREFUSED';
}

// Raft messages between managers over 2377: one unary Step call per peer per Ready,
// on a cached mutual-TLS channel. Failures are reported to the core, which backs off.
import * as grpc from '@grpc/grpc-js';
import type { Message } from '@shoal/raft';
import { RaftMethods, RaftService, clientCredentials, createClient, type TlsMaterial, type TypedClient } from '@shoal/wire';
import type { Logger } from 'pino';
import type { ReplicaTransport } from './replica';

export interface TransportReports {
  unreachable(id: string): void;
  snapshot(id: string, outcome: 'finished' | 'failed'): void;
  /** An established connection to `addr` dropped (e.g. the peer's process died). */
  disconnected(addr: string): void;
}

type RaftClient = TypedClient<typeof RaftMethods>;

export class GrpcRaftTransport implements ReplicaTransport {
  private readonly clients = new Map<string, RaftClient>();
  private reports: TransportReports | null = null;

  constructor(
    private readonly tls: TlsMaterial,
    private readonly logger: Logger,
  ) {}

  attach(reports: TransportReports): void {
    this.reports = reports;
  }

  send(messages: readonly Message[], peers: ReadonlyMap<string, string>): void {
    const byPeer = new Map<string, Message[]>();
    for (const m of messages) {
      const list = byPeer.get(m.to) ?? [];
      list.push(m);
      byPeer.set(m.to, list);
    }
    for (const [to, batch] of byPeer) {
      const addr = peers.get(to);
      if (!addr) {
        this.reports?.unreachable(to);
        continue;
      }
      const hasSnapshot = batch.some((m) => m.type === 'snapshot');
      this.client(addr)
        .unary.Step({ messages: batch }, { timeoutMs: hasSnapshot ? 30_000 : 2_000 })
        .then(
          () => {
            if (hasSnapshot) this.reports?.snapshot(to, 'finished');
          },
          (err: unknown) => {
            this.logger.debug({ peer: to, addr, err: (err as Error).message }, 'raft send failed');
            this.reports?.unreachable(to);
            if (hasSnapshot) this.reports?.snapshot(to, 'failed');
          },
        );
    }
  }

  /** A client for any manager address (also used for Join and forwarding). */
  client(addr: string): RaftClient {
    let c = this.clients.get(addr);
    if (!c) {
      c = createClient(RaftService, RaftMethods, addr, clientCredentials(this.tls));
      this.clients.set(addr, c);
      this.watch(addr, c);
    }
    return c;
  }

  /** Reports READY → anything else: a peer that died closes its sockets at once. */
  private watch(addr: string, c: RaftClient): void {
    const channel = c.raw.getChannel();
    const loop = (state: grpc.connectivityState) => {
      if (this.clients.get(addr) !== c || state === grpc.connectivityState.SHUTDOWN) return;
      channel.watchConnectivityState(state, Date.now() + 3_600_000, (err) => {
        if (this.clients.get(addr) !== c) return;
        const next = channel.getConnectivityState(false);
        if (!err && state === grpc.connectivityState.READY && next !== grpc.connectivityState.READY) this.reports?.disconnected(addr);
        loop(next);
      });
    };
    loop(channel.getConnectivityState(true));
  }

  close(): void {
    const clients = [...this.clients.values()];
    this.clients.clear(); // first, so the connectivity watchers see they are done
    for (const c of clients) c.close();
  }
}

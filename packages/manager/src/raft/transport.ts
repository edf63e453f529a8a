// Raft messages between managers over 2377, on a cached mutual-TLS channel per peer.
// The hot path is one long-lived client stream per peer (StepStream): a batch costs one
// HTTP/2 DATA frame instead of a whole call, and batches arrive in order. Snapshots go
// as unary Step calls, whose outcome the core must learn. Failures are reported to the
// core, which backs off; a broken stream is reopened on the next send.
import * as grpc from '@grpc/grpc-js';
import { encodeMessages, type Message } from '@shoal/raft';
import { RaftMethods, RaftService, type RaftStepRequest, clientCredentials, createClient, type TlsMaterial, type TypedClient } from '@shoal/wire';
import type { Logger } from 'pino';
import type { ReplicaTransport } from './replica';

export interface TransportReports {
  unreachable(id: string): void;
  snapshot(id: string, outcome: 'finished' | 'failed'): void;
  /** An established connection to `addr` dropped (e.g. the peer's process died). */
  disconnected(addr: string): void;
}

type RaftClient = TypedClient<typeof RaftMethods>;

/** Batches queued on a peer's stream (object mode) beyond which new ones are dropped (Raft resends). */
const MAX_QUEUED_BATCHES = 1024;

interface PeerStream {
  call: grpc.ClientWritableStream<RaftStepRequest>;
  broken: boolean;
}

export class GrpcRaftTransport implements ReplicaTransport {
  private readonly clients = new Map<string, RaftClient>();
  private readonly streams = new Map<string, PeerStream>();
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
      if (!hasSnapshot) {
        this.streamTo(to, addr, batch);
        continue;
      }
      this.client(addr)
        .unary.Step(encodeMessages(batch), { timeoutMs: hasSnapshot ? 30_000 : 2_000 })
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

  private streamTo(to: string, addr: string, batch: Message[]): void {
    let s = this.streams.get(addr);
    if (!s || s.broken) {
      const opened: PeerStream = {
        call: this.client(addr).sink.StepStream((err) => {
          opened.broken = true;
          if (this.streams.get(addr) === opened) this.streams.delete(addr);
          if (err && err.code !== grpc.status.CANCELLED) {
            this.logger.debug({ peer: to, addr, err: err.message }, 'raft stream closed');
            this.reports?.unreachable(to);
          }
        }),
        broken: false,
      };
      opened.call.on('error', () => {
        opened.broken = true;
      });
      this.streams.set(addr, opened);
      s = opened;
    }
    if (s.call.writableLength > MAX_QUEUED_BATCHES) {
      this.reports?.unreachable(to); // the peer is not reading; the core probes again later
      return;
    }
    s.call.write(encodeMessages(batch));
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
        if (!err && state === grpc.connectivityState.READY && next !== grpc.connectivityState.READY) {
          this.dropStream(addr);
          this.reports?.disconnected(addr);
        }
        loop(next);
      });
    };
    loop(channel.getConnectivityState(true));
  }

  private dropStream(addr: string): void {
    const s = this.streams.get(addr);
    if (!s) return;
    this.streams.delete(addr);
    s.broken = true;
    s.call.cancel();
  }

  close(): void {
    for (const addr of [...this.streams.keys()]) this.dropStream(addr);
    const clients = [...this.clients.values()];
    this.clients.clear(); // first, so the connectivity watchers see they are done
    for (const c of clients) c.close();
  }
}

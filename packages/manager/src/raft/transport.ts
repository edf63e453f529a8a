// Raft messages between managers over 2377. The hot path is one long-lived Raft link per
// peer: a mutual-TLS connection (ALPN RAFT_ALPN, see listener.ts) on which each batch is one
// length-prefixed frame, in order. Snapshots go as unary gRPC Step calls on a cached channel,
// whose outcome the core must learn. Failures are reported to the core, which probes again;
// a broken link is reopened on a later send, after a backoff while the peer cannot be reached.
import * as tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { encodeMessages, type Message } from '@shoal/raft';
import { MANAGER_SERVER_NAME, RaftMethods, RaftService, clientCredentials, createClient, encodeFrame, type TlsMaterial, type TypedClient } from '@shoal/wire';
import type { Logger } from 'pino';
import { RAFT_ALPN, splitAddr } from '../listener';
import type { ReplicaTransport } from './replica';

export interface TransportReports {
  unreachable(id: string): void;
  snapshot(id: string, outcome: 'finished' | 'failed'): void;
  /** An established connection to `addr` dropped (e.g. the peer's process died). */
  disconnected(addr: string): void;
}

type RaftClient = TypedClient<typeof RaftMethods>;

/** Bytes queued on a peer's link beyond which new batches are dropped (Raft resends). */
const MAX_QUEUED_BYTES = 32 * 1024 * 1024;
/** A link not established by then is given up (a partitioned peer drops the SYN). */
const CONNECT_TIMEOUT_MS = 2_000;
/** After a link failed before its peer acknowledged anything, no new attempt for this long, doubling. */
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 2_000;

/**
 * A link on which batches were written but nothing came back for this long is cut and reopened:
 * the peer acknowledges what it reads (see raftLinkHandler), and a partition that heals must not
 * wait out TCP's retransmission backoff on the old connection.
 */
const LINK_SILENCE_MS = 3_000;

interface PeerLink {
  socket: tls.TLSSocket;
  established: boolean;
  /** When the oldest batch not yet followed by an acknowledgement was written. */
  unackedSince: number | null;
}

export interface RaftTransportOptions {
  /** LINK_SILENCE_MS, shorter in tests. */
  silenceMs?: number;
}

export class RaftTransport implements ReplicaTransport {
  private readonly clients = new Map<string, RaftClient>();
  private readonly links = new Map<string, PeerLink>();
  /** Per address: when a new link may be tried, and the backoff that set it. */
  private readonly retry = new Map<string, { at: number; backoffMs: number }>();
  private reports: TransportReports | null = null;

  private readonly silenceMs: number;
  private silenceCheck: NodeJS.Timeout | null = null;

  constructor(
    private tls: TlsMaterial,
    private readonly logger: Logger,
    options: RaftTransportOptions = {},
  ) {
    this.silenceMs = options.silenceMs ?? LINK_SILENCE_MS;
  }

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
      if (!batch.some((m) => m.type === 'snapshot')) {
        this.streamTo(to, addr, batch);
        continue;
      }
      this.client(addr)
        .unary.Step(encodeMessages(batch), { timeoutMs: 30_000 })
        .then(
          () => this.reports?.snapshot(to, 'finished'),
          (err: unknown) => {
            this.logger.debug({ peer: to, addr, err: (err as Error).message }, 'raft snapshot send failed');
            this.reports?.unreachable(to);
            this.reports?.snapshot(to, 'failed');
          },
        );
    }
  }

  private streamTo(to: string, addr: string, batch: Message[]): void {
    const link = this.link(addr);
    if (!link || link.socket.writableLength > MAX_QUEUED_BYTES) {
      this.reports?.unreachable(to); // not connected, or the peer is not reading: the core probes again later
      return;
    }
    link.socket.write(encodeFrame(encodeMessages(batch)));
    link.unackedSince ??= Date.now();
  }

  /** Cuts links whose peer stopped acknowledging; runs while any link is open. */
  private watchSilence(): void {
    if (this.silenceCheck) return;
    this.silenceCheck = setInterval(() => {
      const now = Date.now();
      for (const link of this.links.values()) {
        if (link.established && link.unackedSince !== null && now - link.unackedSince > this.silenceMs) {
          link.socket.destroy(new Error(`no acknowledgement for ${this.silenceMs} ms`));
        }
      }
      if (this.links.size === 0 && this.silenceCheck) {
        clearInterval(this.silenceCheck);
        this.silenceCheck = null;
      }
    }, Math.max(10, Math.floor(this.silenceMs / 3)));
    this.silenceCheck.unref();
  }

  /** The open link to `addr`, a new one, or null while a failed peer is backed off. */
  private link(addr: string): PeerLink | null {
    const open = this.links.get(addr);
    if (open && !open.socket.destroyed) return open;
    const retry = this.retry.get(addr);
    if (retry && Date.now() < retry.at) return null;
    const socket = tls.connect({
      ...splitAddr(addr),
      ca: this.tls.caCertPem,
      cert: this.tls.certPem,
      key: this.tls.keyPem,
      servername: MANAGER_SERVER_NAME,
      ALPNProtocols: [RAFT_ALPN],
    });
    const link: PeerLink = { socket, established: false, unackedSince: null };
    this.links.set(addr, link);
    this.watchSilence();
    socket.setNoDelay(true);
    socket.setTimeout(CONNECT_TIMEOUT_MS, () => socket.destroy(new Error('connect timed out')));
    socket.once('secureConnect', () => {
      if (socket.alpnProtocol !== RAFT_ALPN) return void socket.destroy(new Error(`peer does not speak ${RAFT_ALPN}`));
      link.established = true;
      socket.setTimeout(0);
    });
    socket.on('error', (err) => this.logger.debug({ addr, err: err.message }, 'raft link failed'));
    // The peer writes only acknowledgements; reading also shows its end (a dead process) at once.
    let acknowledged = false;
    socket.on('data', () => {
      link.unackedSince = null;
      if (!acknowledged) this.retry.delete(addr);
      acknowledged = true;
    });
    socket.once('close', () => {
      if (this.links.get(addr) === link) this.links.delete(addr);
      if (link.established) this.reports?.disconnected(addr);
      // A link that never carried an acknowledgement (refused, or cut by the peer after the
      // handshake, e.g. for a certificate it does not accept) is not retried at once: each
      // attempt costs a TLS handshake.
      if (!acknowledged) {
        const backoffMs = Math.min(RETRY_MAX_MS, retry ? retry.backoffMs * 2 : RETRY_MIN_MS);
        this.retry.set(addr, { at: Date.now() + backoffMs, backoffMs });
      }
    });
    return link;
  }

  /**
   * A renewed certificate: links dialled from now on present it; open links keep theirs (TLS
   * checks a certificate at the handshake only), and gRPC clients are made anew on next use.
   */
  setTls(material: TlsMaterial): void {
    this.tls = material;
    const clients = [...this.clients.values()];
    this.clients.clear();
    for (const c of clients) c.close();
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
          this.reports?.disconnected(addr);
        }
        loop(next);
      });
    };
    loop(channel.getConnectivityState(true));
  }

  close(): void {
    this.reports = null; // a link closed now is this manager stopping, not a peer failing
    if (this.silenceCheck) clearInterval(this.silenceCheck);
    this.silenceCheck = null;
    for (const link of this.links.values()) link.socket.destroy();
    this.links.clear();
    const clients = [...this.clients.values()];
    this.clients.clear(); // first, so the connectivity watchers see they are done
    for (const c of clients) c.close();
  }
}

// The sending end of the tunnel: one warm, mutually authenticated TLS connection per peer node,
// opened ahead of need (`warm`) or on first use and kept with no idle timeout; every client
// connection the ingress forwards to that node becomes a stream on it (and every UDP flow a
// datagram stream), so the hot path never pays a TLS handshake.
import { connect as tlsConnect } from 'node:tls';
import type { ConnectionOptions } from 'node:tls';
import { systemClock } from '../clock';
import type { Clock } from '../clock';
import type { HostPort, TunnelTarget } from '../endpoints';
import { TunnelConnectionError, TunnelOpenError } from '../errors';
import { nullLogger } from '../logger';
import type { Logger } from '../logger';
import { DEFAULT_HIGH_WATER_MARK } from '../relay';
import type { TunnelDatagramStream } from './datagram-stream';
import { DEFAULT_STREAM_WINDOW, TUNNEL_PORT } from './frames';
import { MuxSession } from './session';
import type { TunnelStream } from './stream';
import { tunnelClientTls } from './tls';
import type { TunnelTlsOptions } from './tls';

export interface TunnelPeer {
  readonly nodeId: string;
  /** The node's address, as in the endpoint table. */
  readonly addr: string;
}

/** What the ingress proxy needs from the tunnel; TunnelClient is the real one. */
export interface TunnelDialer {
  /** Resolves with an open stream to `target` on `peer`; rejects when the peer refused or is unreachable. */
  openStream(peer: TunnelPeer, target: TunnelTarget): Promise<TunnelStream>;
  /** The peers that matter now: connect to them ahead of need, drop idle connections to others. */
  warm?(peers: Iterable<TunnelPeer>): void;
}

/** What the UDP ingress needs from the tunnel; TunnelClient is the real one. */
export interface DatagramDialer {
  /**
   * A datagram stream to `target` on `peer`, usable at once; a refusal or a lost connection
   * closes it later (through its handlers). Throws while the peer is known to be unreachable.
   */
  openDatagramStream(peer: TunnelPeer, target: TunnelTarget): TunnelDatagramStream;
}

export interface TunnelClientOptions {
  readonly tls: TunnelTlsOptions;
  /** Peer tunnel port. Default 4789. */
  readonly port?: number;
  /** Where a peer's tunnel listens; default `{ host: peer.addr, port }`. */
  readonly peerAddress?: (peer: TunnelPeer) => HostPort;
  /** Source address of tunnel connections (a node on a loopback alias). */
  readonly localAddress?: string;
  /** Check the peer certificate's CN is the node we meant to reach. Default true. */
  readonly verifyPeerNodeId?: boolean;
  /** Receive window per stream. Default 256 KiB. */
  readonly streamWindow?: number;
  /** TCP connect + TLS handshake. Default 5000 ms. */
  readonly connectTimeoutMs?: number;
  /** From OPEN to the peer's answer. Default 5000 ms. */
  readonly openTimeoutMs?: number;
  /** After a failed connection attempt, opens to that peer fail at once for this long. Default 1000 ms. */
  readonly reconnectDelayMs?: number;
  /** Default 15000 ms; 0 disables keepalive pings. */
  readonly keepaliveMs?: number;
  /** Write high-water mark of the TLS socket. Default 1 MiB. */
  readonly highWaterMark?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

interface PeerLink {
  readonly key: string;
  session: MuxSession | undefined;
  secure: boolean;
  failedUntil: number;
}

export class TunnelClient implements TunnelDialer, DatagramDialer {
  private readonly links = new Map<string, PeerLink>();
  private readonly clock: Clock;
  private readonly logger: Logger;
  private closed = false;
  /** Material for connections dialled from now on; replaced by setTls after a certificate renewal. */
  private tls: TunnelTlsOptions;

  constructor(private readonly o: TunnelClientOptions) {
    this.clock = o.clock ?? systemClock;
    this.logger = o.logger ?? nullLogger;
    this.tls = o.tls;
  }

  /** New certificate material (a renewal): open connections keep theirs, new ones use this. */
  setTls(tls: TunnelTlsOptions): void {
    this.tls = tls;
  }

  openStream(peer: TunnelPeer, target: TunnelTarget): Promise<TunnelStream> {
    let stream: TunnelStream;
    try {
      stream = this.sessionFor(peer).open(target);
    } catch (err) {
      return Promise.reject(err);
    }
    const opened = stream.whenOpen();
    const ms = this.o.openTimeoutMs ?? 5000;
    const timer = this.clock.setTimeout(
      () => stream.destroy(new TunnelOpenError('timeout', `tunnel peer ${peer.nodeId} did not answer within ${ms} ms`)),
      ms,
    );
    const clear = (): void => this.clock.clearTimeout(timer);
    opened.then(clear, clear);
    return opened;
  }

  openDatagramStream(peer: TunnelPeer, target: TunnelTarget): TunnelDatagramStream {
    return this.sessionFor(peer).openDatagram(target);
  }

  warm(peers: Iterable<TunnelPeer>): void {
    const wanted = new Set<string>();
    for (const peer of peers) {
      wanted.add(this.keyOf(peer));
      try {
        this.sessionFor(peer);
      } catch {
        // In its reconnect delay: the next warm or open retries.
      }
    }
    for (const [key, link] of this.links) {
      if (wanted.has(key) || (link.session && link.session.streamCount > 0)) continue;
      link.session?.close();
      this.links.delete(key);
    }
  }

  /** Connected peers (for status and tests). */
  connectedPeers(): string[] {
    return [...this.links.values()].filter((l) => l.secure && l.session && !l.session.closed).map((l) => l.key);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const link of this.links.values()) link.session?.close();
    this.links.clear();
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  private keyOf(peer: TunnelPeer): string {
    const to = this.addressOf(peer);
    return `${peer.nodeId}@${to.host}:${to.port}`;
  }

  private addressOf(peer: TunnelPeer): HostPort {
    return this.o.peerAddress?.(peer) ?? { host: peer.addr, port: this.o.port ?? TUNNEL_PORT };
  }

  private sessionFor(peer: TunnelPeer): MuxSession {
    if (this.closed) throw new TunnelConnectionError('tunnel client closed');
    const key = this.keyOf(peer);
    let link = this.links.get(key);
    if (link?.session && !link.session.closed) return link.session;
    if (link && link.failedUntil > this.clock.now()) {
      throw new TunnelConnectionError(`tunnel to node ${peer.nodeId} is down; retrying shortly`);
    }
    if (!link) this.links.set(key, (link = { key, session: undefined, secure: false, failedUntil: 0 }));
    link.session = this.dial(peer, link);
    return link.session;
  }

  private dial(peer: TunnelPeer, link: PeerLink): MuxSession {
    const to = this.addressOf(peer);
    // highWaterMark reaches the socket's Duplex; @types/node does not declare it on ConnectionOptions.
    const options: ConnectionOptions & { highWaterMark: number } = {
      ...tunnelClientTls(this.tls, this.o.verifyPeerNodeId === false ? undefined : peer.nodeId),
      host: to.host,
      port: to.port,
      ...(this.o.localAddress ? { localAddress: this.o.localAddress } : {}),
      highWaterMark: this.o.highWaterMark ?? DEFAULT_HIGH_WATER_MARK,
    };
    const socket = tlsConnect(options);
    socket.setNoDelay(true);
    link.secure = false;
    const connectTimeoutMs = this.o.connectTimeoutMs ?? 5000;
    socket.setTimeout(connectTimeoutMs, () =>
      socket.destroy(new TunnelConnectionError(`tunnel to node ${peer.nodeId} (${to.host}:${to.port}) timed out`)),
    );
    socket.on('secureConnect', () => {
      link.secure = true;
      socket.setTimeout(0);
      this.logger.debug({ peer: peer.nodeId, addr: `${to.host}:${to.port}` }, 'tunnel connection established');
    });
    const session: MuxSession = new MuxSession(socket, {
      role: 'client',
      streamWindow: this.o.streamWindow ?? DEFAULT_STREAM_WINDOW,
      keepaliveMs: this.o.keepaliveMs ?? 15_000,
      congestionBytes: this.o.highWaterMark ?? DEFAULT_HIGH_WATER_MARK,
      clock: this.clock,
      logger: this.logger,
      onClose: (err) => {
        if (!link.secure) link.failedUntil = this.clock.now() + (this.o.reconnectDelayMs ?? 1000);
        if (link.session === session) link.session = undefined;
        const level = this.closed ? 'debug' : 'warn';
        this.logger[level]({ err, peer: peer.nodeId, addr: `${to.host}:${to.port}` }, 'tunnel connection closed');
      },
    });
    return session;
  }
}

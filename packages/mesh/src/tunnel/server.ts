// The receiving end of the tunnel (port 4789): accepts mutually authenticated TLS connections
// from other nodes and splices each stream to the local running endpoint it names (a byte stream
// to its TCP port, a datagram stream to its UDP port). Anything the target resolver does not know
// is refused: the tunnel is not an open relay.
import { connect as netConnect } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { Server as TlsServer, TLSSocket } from 'node:tls';
import { systemClock } from '../clock';
import type { Clock } from '../clock';
import type { TargetResolver, TunnelTarget } from '../endpoints';
import { nullLogger } from '../logger';
import type { Logger } from '../logger';
import { DEFAULT_HIGH_WATER_MARK, SharedReadBuffer, relay } from '../relay';
import type { ConnectWithHighWaterMark } from '../relay';
import { TaskUdpSocket } from '../udp-task-socket';
import type { TunnelDatagramStream } from './datagram-stream';
import { TASK_SIDE_HOLD } from './frame-writer';
import { DEFAULT_STREAM_WINDOW, TUNNEL_PORT } from './frames';
import { MuxSession } from './session';
import type { TunnelStream } from './stream';
import { peerIdentity, tunnelServerTls } from './tls';
import type { PeerIdentity, TunnelTlsOptions } from './tls';

export interface TunnelServerOptions {
  /** The node's address (not 0.0.0.0 when several nodes share a host on loopback aliases). */
  readonly bindAddr: string;
  /** Default 4789; 0 picks a free port (tests). */
  readonly port?: number;
  readonly tls: TunnelTlsOptions;
  /** What a stream may reach: LocalEndpoints (this node's running tasks). */
  readonly targets: TargetResolver;
  /** Extra check on a CA-verified peer, e.g. refuse removed nodes. Default: any node of the CA. */
  readonly authorizePeer?: (peer: PeerIdentity) => boolean;
  /** Receive window per stream. Default 256 KiB. */
  readonly streamWindow?: number;
  /** Connect timeout to a local task. Default 3000 ms. */
  readonly connectTimeoutMs?: number;
  /** Default 15000 ms; 0 disables keepalive pings. */
  readonly keepaliveMs?: number;
  /** Write high-water mark of task sockets. Default 1 MiB. */
  readonly highWaterMark?: number;
  /** Shared read buffer of task sockets; 0 lets Node allocate per read. Default 128 KiB. */
  readonly readBufferBytes?: number;
  /** Bytes a task's UDP socket may hold back before datagrams to it are dropped. Default 256 KiB. */
  readonly udpQueueBytes?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

export class TunnelServer {
  private readonly sessions = new Set<MuxSession>();
  private readonly peerOf = new Map<MuxSession, string>();
  private readonly logger: Logger;
  private readonly readBuffer: SharedReadBuffer | undefined;
  private closing = false;

  private constructor(
    private readonly server: TlsServer,
    readonly address: AddressInfo,
    private readonly o: TunnelServerOptions,
  ) {
    this.logger = o.logger ?? nullLogger;
    const readBufferBytes = o.readBufferBytes ?? 128 * 1024;
    this.readBuffer = readBufferBytes > 0 ? new SharedReadBuffer(readBufferBytes) : undefined;
  }

  static async listen(o: TunnelServerOptions): Promise<TunnelServer> {
    const server = createTlsServer({ ...tunnelServerTls(o.tls), allowHalfOpen: false });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: o.bindAddr, port: o.port ?? TUNNEL_PORT }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const self = new TunnelServer(server, server.address() as AddressInfo, o);
    server.on('secureConnection', (socket) => self.onConnection(socket));
    server.on('tlsClientError', (err, socket) =>
      self.logger.warn({ err, remote: socket.remoteAddress }, 'refused a tunnel connection: TLS handshake failed'),
    );
    server.on('error', (err) => self.logger.error({ err }, 'tunnel listener error'));
    return self;
  }

  /** New certificate material (a renewal) for connections accepted from now on. */
  setTls(tls: TunnelTlsOptions): void {
    this.server.setSecureContext(tunnelServerTls(tls));
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Stops listening and closes every tunnel connection (and the task connections on them). */
  async close(): Promise<void> {
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of [...this.sessions]) s.close();
    await closed;
  }

  /** Closes every open connection from `nodeId` (e.g. a node just removed); returns how many. */
  closePeer(nodeId: string): number {
    let closed = 0;
    for (const [session, peer] of [...this.peerOf]) {
      if (peer !== nodeId) continue;
      this.logger.warn({ peer }, 'closing the tunnel connections of a node that is no longer authorised');
      session.close();
      closed++;
    }
    return closed;
  }

  private onConnection(socket: TLSSocket): void {
    const peer = peerIdentity(socket.getPeerCertificate());
    if (this.closing || (this.o.authorizePeer && !this.o.authorizePeer(peer))) {
      this.logger.warn({ peer: peer.nodeId, remote: socket.remoteAddress }, 'refused a tunnel connection from an unauthorised node');
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    const session: MuxSession = new MuxSession(socket, {
      role: 'server',
      streamWindow: this.o.streamWindow ?? DEFAULT_STREAM_WINDOW,
      keepaliveMs: this.o.keepaliveMs ?? 15_000,
      congestionBytes: this.o.highWaterMark ?? DEFAULT_HIGH_WATER_MARK,
      frameHold: TASK_SIDE_HOLD,
      clock: this.o.clock ?? systemClock,
      logger: this.logger,
      onOpen: (stream, target) => this.onOpen(stream, target, peer),
      onOpenDatagram: (stream, target) => this.onOpenDatagram(stream, target, peer),
      onClose: (err) => {
        this.sessions.delete(session);
        this.peerOf.delete(session);
        this.logger.debug({ err, peer: peer.nodeId }, 'tunnel connection closed');
      },
    });
    this.sessions.add(session);
    this.peerOf.set(session, peer.nodeId);
    this.logger.debug({ peer: peer.nodeId, remote: socket.remoteAddress }, 'tunnel connection accepted');
  }

  /** A UDP flow from another node's ingress: relay its datagrams to the task's UDP port and back. */
  private onOpenDatagram(stream: TunnelDatagramStream, target: TunnelTarget, peer: PeerIdentity): void {
    const to = this.o.targets.resolve(target, 'udp');
    if (!to) {
      this.logger.warn({ target, peer: peer.nodeId }, 'refused a tunnel datagram stream: not a UDP endpoint on this node');
      stream.close('unknown-target');
      return;
    }
    const task = new TaskUdpSocket({
      target: to,
      ...(this.o.udpQueueBytes !== undefined ? { maxQueueBytes: this.o.udpQueueBytes } : {}),
      logger: this.logger,
      onMessage: (datagram) => stream.send(datagram),
      onError: (err) => {
        this.logger.debug({ err, target, peer: peer.nodeId }, 'tunnel datagram stream: the task is unreachable');
        task.close();
        stream.close('connect-failed');
      },
    });
    stream.attach({ message: (datagram) => task.send(datagram), close: () => task.close() });
  }

  private onOpen(stream: TunnelStream, target: TunnelTarget, peer: PeerIdentity): void {
    const to = this.o.targets.resolve(target);
    if (!to) {
      this.logger.warn({ target, peer: peer.nodeId }, 'refused a tunnel stream: not an endpoint on this node');
      stream.reject('unknown-target');
      return;
    }
    const rb = this.readBuffer;
    const options: ConnectWithHighWaterMark = {
      host: to.host,
      port: to.port,
      allowHalfOpen: true,
      noDelay: true,
      writableHighWaterMark: this.o.highWaterMark ?? DEFAULT_HIGH_WATER_MARK,
      // Frames copy their payload as they are queued, so the task's bytes can be read into one
      // shared buffer: no allocation per read.
      ...(rb ? { onread: { buffer: rb.buffer, callback: (n: number) => rb.forward(stream, n) } } : {}),
    };
    const upstream: Socket = netConnect(options);
    upstream.setTimeout(this.o.connectTimeoutMs ?? 3000);
    let connected = false;
    const abandon = (): void => {
      if (!connected) upstream.destroy();
    };
    stream.on('close', abandon);
    upstream.on('timeout', () => {
      if (connected) return;
      upstream.destroy();
      stream.reject('connect-failed');
    });
    upstream.on('error', (err) => {
      if (connected) return;
      this.logger.debug({ err, target, peer: peer.nodeId }, 'tunnel stream target refused the connection');
      stream.reject('connect-failed');
    });
    upstream.on('connect', () => {
      connected = true;
      upstream.setTimeout(0);
      stream.off('close', abandon);
      if (stream.destroyed) {
        upstream.destroy();
        return;
      }
      stream.accept();
      relay(stream, upstream, {
        bReadsItself: rb !== undefined,
        onError: (err, side) => this.logger.debug({ err, side, target }, 'tunnel stream reset'),
      });
    });
  }
}

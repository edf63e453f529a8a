// The real transport on 7946: UDP datagrams for the packet path, TCP (mutual TLS when given the
// cluster CA and node certificate) with length-prefixed frames for the stream path.
import { createSocket } from 'node:dgram';
import type { Socket as UdpSocket } from 'node:dgram';
import { createServer, connect as netConnect, isIPv6 } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { createServer as createTlsServer, connect as tlsConnect } from 'node:tls';
import type { ConnectionOptions, Server as TlsServer, TlsOptions } from 'node:tls';
import { GOSSIP_PORT } from './config';
import type { Logger } from './logger';
import { nullLogger } from './logger';
import { formatAddress, parseAddress } from './member';
import { FrameDecoder, encodeFrame } from './stream-framing';
import type { BytesHandler, Transport } from './transport';

/** PEM material for mutual TLS against the cluster CA (a subset of tls.SecureContextOptions). */
export interface GossipTlsOptions {
  readonly ca: string | Buffer | ReadonlyArray<string | Buffer>;
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
}

export interface NetTransportOptions {
  /** Default 0.0.0.0. */
  readonly bindAddr?: string;
  /** Default 7946; 0 picks a free port (the same one for UDP and TCP). */
  readonly port?: number;
  /** Address peers should use; default the bind address, or the first external IPv4 when unspecified. */
  readonly advertiseAddr?: string;
  /** Mutual TLS on the stream path; plain TCP when absent (tests). */
  readonly tls?: GossipTlsOptions;
  /** Connect/idle timeout of a stream (default 10 s). */
  readonly streamTimeoutMs?: number;
  /** Largest accepted stream frame (default 32 MiB). */
  readonly maxFrameBytes?: number;
  readonly logger?: Logger;
}

const UDP_RECV_BUFFER = 2 * 1024 * 1024;

export class NetTransport implements Transport {
  private packetHandler: BytesHandler | undefined;
  private streamHandler: BytesHandler | undefined;
  private readonly sockets = new Set<Socket>();
  private closed = false;
  private readonly logger: Logger;
  /** Mutual-TLS material for new streams (both ways); replaced by setTls after a certificate renewal. */
  private tls: GossipTlsOptions | undefined;

  private constructor(
    private readonly udp: UdpSocket,
    private readonly server: Server,
    readonly address: string,
    private readonly o: NetTransportOptions,
  ) {
    this.logger = o.logger ?? nullLogger;
    this.tls = o.tls;
    udp.on('message', (msg, rinfo) => this.packetHandler?.(msg, formatAddress(rinfo.address, rinfo.port)));
    udp.on('error', (err) => this.logger.warn({ err }, 'gossip UDP socket error'));
    server.on('tlsClientError', (err) => this.logger.warn({ err }, 'rejected a gossip TLS connection'));
  }

  /** Binds TCP first (so port 0 resolves), then UDP on the same port; retries if UDP's is taken. */
  static async listen(o: NetTransportOptions = {}): Promise<NetTransport> {
    const bind = o.bindAddr ?? '0.0.0.0';
    const port = o.port ?? GOSSIP_PORT;
    for (let attempt = 0; ; attempt++) {
      const ready: { transport?: NetTransport } = {};
      const server = o.tls ? createTlsServer(tlsServerOptions(o.tls)) : createServer();
      const event = o.tls ? 'secureConnection' : 'connection';
      server.on(event, (socket: Socket) => (ready.transport ? ready.transport.accept(socket) : socket.destroy()));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, bind, () => resolve());
      });
      const actual = (server.address() as AddressInfo).port;
      const udp = createSocket({ type: isIPv6(bind) ? 'udp6' : 'udp4' });
      try {
        await new Promise<void>((resolve, reject) => {
          udp.once('error', reject);
          udp.bind(actual, bind, () => resolve());
        });
      } catch (err) {
        udp.close();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        if (port !== 0 || attempt >= 10 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
        continue;
      }
      trySetRecvBuffer(udp);
      ready.transport = new NetTransport(udp, server, formatAddress(advertised(bind, o.advertiseAddr), actual), o);
      return ready.transport;
    }
  }

  sendPacket(to: string, bytes: Uint8Array): void {
    const addr = parseAddress(to);
    if (this.closed || !addr) return;
    this.udp.send(bytes, addr.port, addr.host, (err) => {
      if (err) this.logger.debug({ err, to }, 'gossip packet not sent');
    });
  }

  /**
   * New certificate material (a renewal): streams opened or accepted from now on use it; open
   * ones finish with what they started with. Only for a transport that listened with TLS.
   */
  setTls(t: GossipTlsOptions): void {
    if (!this.tls) throw new Error('gossip transport was started without TLS');
    this.tls = t;
    (this.server as TlsServer).setSecureContext(tlsServerOptions(t));
  }

  sendStream(to: string, bytes: Uint8Array): void {
    const addr = parseAddress(to);
    if (this.closed || !addr) return;
    const tls = this.tls;
    const socket: Socket = tls
      ? tlsConnect({ host: addr.host, port: addr.port, ...tlsClientOptions(tls) })
      : netConnect({ host: addr.host, port: addr.port });
    this.track(socket, to);
    // Writes before connect are buffered; resume() drains the peer's (empty) side so 'close' comes.
    socket.end(encodeFrame(bytes));
    socket.resume();
  }

  onPacket(handler: BytesHandler): void {
    this.packetHandler = handler;
  }

  onStream(handler: BytesHandler): void {
    this.streamHandler = handler;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.sockets) s.destroy();
    await Promise.all([
      new Promise<void>((resolve) => this.udp.close(() => resolve())),
      new Promise<void>((resolve) => this.server.close(() => resolve())),
    ]);
  }

  private accept(socket: Socket): void {
    if (this.closed) return void socket.destroy();
    const from = formatAddress(socket.remoteAddress ?? '0.0.0.0', socket.remotePort ?? 0);
    this.track(socket, from);
    const decoder = new FrameDecoder(this.o.maxFrameBytes ?? 32 * 1024 * 1024);
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const frame of decoder.push(chunk)) this.streamHandler?.(frame, from);
      } catch (err) {
        this.logger.warn({ err, from }, 'closing a gossip stream after a bad frame');
        socket.destroy();
      }
    });
  }

  private track(socket: Socket, peer: string): void {
    this.sockets.add(socket);
    socket.setTimeout(this.o.streamTimeoutMs ?? 10_000, () => socket.destroy());
    socket.on('error', (err) => this.logger.debug({ err, peer }, 'gossip stream error'));
    socket.on('close', () => this.sockets.delete(socket));
  }
}

type Ca = string | Buffer | Array<string | Buffer>;

function tlsServerOptions(t: GossipTlsOptions): TlsOptions {
  return { ca: t.ca as Ca, cert: t.cert, key: t.key, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' };
}

function tlsClientOptions(t: GossipTlsOptions): ConnectionOptions {
  // Node certificates name a node id, not an IP: being signed by the cluster CA is the check.
  return { ca: t.ca as Ca, cert: t.cert, key: t.key, rejectUnauthorized: true, checkServerIdentity: () => undefined };
}

function trySetRecvBuffer(udp: UdpSocket): void {
  try {
    udp.setRecvBufferSize(UDP_RECV_BUFFER);
  } catch {
    // The kernel cap (net.core.rmem_max) may be lower; the default buffer still works.
  }
}

function advertised(bind: string, explicit: string | undefined): string {
  if (explicit) return explicit;
  if (bind !== '0.0.0.0' && bind !== '::') return bind;
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

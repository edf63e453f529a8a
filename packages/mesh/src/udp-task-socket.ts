// The last hop of a UDP flow: a datagram socket connected to one task, opened by the ingress for a
// flow to a local task and by the tunnel server for a datagram stream. Connected, so it hears
// only that task and an ICMP "port unreachable" comes back as an error (ECONNREFUSED). Datagrams
// beyond a small bound (while connecting, or in the kernel's send queue) are dropped, not queued.
//
// A task on a loopback alias (127.0.1.2, as the demo and the tests lay nodes out) that is bound to
// 0.0.0.0 answers from 127.0.0.1: the kernel takes a reply's source from the loopback route, not
// from the alias the datagram went to. The connected socket would drop that answer, so a second
// socket shares its local address (SO_REUSEADDR) connected to 127.0.0.1 at the task's port, and
// hears the answers that come from there; the first still hears a task bound to the alias itself,
// and the kernel's "port unreachable".
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { HostPort } from './endpoints';
import type { Logger } from './logger';

/** Datagrams allowed to wait (connecting, or in libuv's send queue) before new ones are dropped. */
export const DEFAULT_UDP_QUEUE_BYTES = 256 * 1024;

export interface TaskUdpSocketOptions {
  readonly target: HostPort;
  /** A datagram from the task. */
  readonly onMessage: (datagram: Buffer) => void;
  /** The socket failed (typically ECONNREFUSED: nothing listens on the task's port). */
  readonly onError: (err: Error) => void;
  /** Default 256 KiB. */
  readonly maxQueueBytes?: number;
  readonly logger: Logger;
}

/** An IPv4 loopback address other than 127.0.0.1. */
function isLoopbackAlias(host: string): boolean {
  return host.startsWith('127.') && host !== '127.0.0.1';
}

/**
 * Local ports held by this process's alias pairs. A bind of port 0 with SO_REUSEADDR may be
 * given a port other SO_REUSEADDR sockets hold (review: 140 of 3,000 such binds shared one), and
 * two flows to one task on a shared port would get each other's answers. So a pair takes its
 * port from a plain bind of port 0 (which the kernel gives only a port nobody holds), closed just
 * before the pair binds it; the set keeps two pairs of this process from taking the same one in
 * that moment.
 */
const aliasPorts = new Set<number>();

async function reserveLoopbackPort(): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const probe = createSocket('udp4');
    const port = await new Promise<number>((resolve, reject) => {
      probe.once('error', reject);
      probe.bind({ address: '127.0.0.1', port: 0 }, () => resolve(probe.address().port));
    }).finally(() => probe.close());
    if (!aliasPorts.has(port)) {
      aliasPorts.add(port);
      return port;
    }
    if (attempt >= 20) throw new Error('no free loopback UDP port for a flow to a task');
  }
}

export class TaskUdpSocket {
  private readonly socket: Socket;
  /** For a loopback alias: hears the task's answers from 127.0.0.1 (see the top of the file). */
  private echo: Socket | undefined;
  /** The local port the pair holds (aliasPorts). */
  private reserved: number | undefined;
  private readonly maxQueueBytes: number;
  /** Datagrams sent before connect() completed; undefined once connected. */
  private pending: Buffer[] | undefined = [];
  private pendingBytes = 0;
  private closed = false;

  constructor(private readonly o: TaskUdpSocketOptions) {
    this.maxQueueBytes = o.maxQueueBytes ?? DEFAULT_UDP_QUEUE_BYTES;
    const alias = isLoopbackAlias(o.target.host);
    this.socket = this.listen(createSocket({ type: isIPv6(o.target.host) ? 'udp6' : 'udp4', reuseAddr: alias }));
    const connected = (): void => {
      const queued = this.pending ?? [];
      this.pending = undefined;
      this.pendingBytes = 0;
      if (!this.closed) for (const d of queued) this.socket.send(d, this.afterSend);
    };
    if (!alias) {
      this.socket.connect(o.target.port, o.target.host, connected);
      return;
    }
    reserveLoopbackPort().then(
      (port) => {
        this.reserved = port;
        if (this.closed) return void aliasPorts.delete(port);
        // A bind or connect that fails reports through the socket's 'error' (listen()).
        this.socket.bind({ address: '127.0.0.1', port }, () => {
          if (this.closed) return;
          const echo = this.listen(createSocket({ type: 'udp4', reuseAddr: true }));
          this.echo = echo;
          echo.bind({ address: '127.0.0.1', port }, () => {
            if (this.closed) return;
            echo.connect(o.target.port, '127.0.0.1', () => {
              if (!this.closed) this.socket.connect(o.target.port, o.target.host, connected);
            });
          });
        });
      },
      (err: unknown) => {
        if (!this.closed) o.onError(err as Error);
      },
    );
  }

  private listen(socket: Socket): Socket {
    socket.on('message', (msg) => {
      if (!this.closed) this.o.onMessage(msg);
    });
    socket.on('error', (err) => {
      if (!this.closed) this.o.onError(err);
    });
    return socket;
  }

  /** Sends one datagram to the task; false when it was dropped. */
  send(datagram: Buffer): boolean {
    if (this.closed) return false;
    if (this.pending) {
      if (this.pendingBytes + datagram.length > this.maxQueueBytes) return false;
      this.pending.push(datagram);
      this.pendingBytes += datagram.length;
      return true;
    }
    if (this.socket.getSendQueueSize() + datagram.length > this.maxQueueBytes) return false;
    this.socket.send(datagram, this.afterSend);
    return true;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pending = undefined;
    this.socket.close();
    this.echo?.close();
    if (this.reserved !== undefined) aliasPorts.delete(this.reserved);
  }

  private readonly afterSend = (err: Error | null): void => {
    // A send that fails (ENOBUFS, ...) loses one datagram, as UDP may; the flow lives on.
    if (err && !this.closed) this.o.logger.debug({ err, target: this.o.target }, 'datagram to task dropped');
  };
}

// The last hop of a UDP flow: a datagram socket connected to one task, opened by the ingress for a
// flow to a local task and by the tunnel server for a datagram stream. Connected, so it hears
// only that task and an ICMP "port unreachable" comes back as an error (ECONNREFUSED). Datagrams
// beyond a small bound (while connecting, or in the kernel's send queue) are dropped, not queued.
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

export class TaskUdpSocket {
  private readonly socket: Socket;
  private readonly maxQueueBytes: number;
  /** Datagrams sent before connect() completed; undefined once connected. */
  private pending: Buffer[] | undefined = [];
  private pendingBytes = 0;
  private closed = false;

  constructor(private readonly o: TaskUdpSocketOptions) {
    this.maxQueueBytes = o.maxQueueBytes ?? DEFAULT_UDP_QUEUE_BYTES;
    this.socket = createSocket({ type: isIPv6(o.target.host) ? 'udp6' : 'udp4' });
    this.socket.on('message', (msg) => {
      if (!this.closed) o.onMessage(msg);
    });
    this.socket.on('error', (err) => {
      if (!this.closed) o.onError(err);
    });
    this.socket.connect(o.target.port, o.target.host, () => {
      const queued = this.pending ?? [];
      this.pending = undefined;
      this.pendingBytes = 0;
      if (!this.closed) for (const d of queued) this.socket.send(d, this.afterSend);
    });
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
  }

  private readonly afterSend = (err: Error | null): void => {
    // A send that fails (ENOBUFS, ...) loses one datagram, as UDP may; the flow lives on.
    if (err && !this.closed) this.o.logger.debug({ err, target: this.o.target }, 'datagram to task dropped');
  };
}

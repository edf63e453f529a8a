// One datagram stream of a tunnel connection: carries one UDP flow between the node that received
// it on a published port and the node running the task. Each DGRAM frame is one whole datagram.
// There is no credit and no queue: UDP may lose datagrams, so while the connection is congested
// a datagram is dropped rather than buffered (byte streams on the same connection keep their
// flow control). Either side ends the stream with RESET.
import { TunnelOpenError, TunnelStreamResetError } from '../errors';
import type { TunnelTarget } from '../endpoints';
import { MAX_DATAGRAM_PAYLOAD } from './frames';
import type { ResetReason } from './frames';

/** What a datagram stream needs from the connection that carries it (implemented by MuxSession). */
export interface DatagramCarrier {
  /** Queues one DGRAM frame; false when it was dropped (connection congested or closed). */
  sendDatagram(id: number, datagram: Uint8Array): boolean;
  sendReset(id: number, reason: ResetReason): void;
  forgetDatagramStream(stream: TunnelDatagramStream): void;
}

export interface DatagramHandlers {
  /** A datagram from the peer: a buffer of its own, the handler may keep it. */
  message(datagram: Buffer): void;
  /** The stream ended: `undefined` when closed on purpose (either side), else why. */
  close(error: Error | undefined): void;
}

export interface DatagramStreamStats {
  sent: number;
  received: number;
  /** Datagrams not sent: congestion, oversize, or the stream already closed. */
  dropped: number;
}

/** Resets that mean "this target cannot be reached": the sender should try another endpoint. */
const REFUSALS: ReadonlySet<ResetReason> = new Set(['unknown-target', 'connect-failed', 'refused']);

export class TunnelDatagramStream {
  readonly stats: DatagramStreamStats = { sent: 0, received: 0, dropped: 0 };
  private handlers: DatagramHandlers | undefined;
  private closedWith: { error: Error | undefined } | undefined;

  constructor(
    readonly id: number,
    private readonly carrier: DatagramCarrier,
    /** The target named when the stream was opened. */
    readonly target: TunnelTarget,
  ) {}

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  /** Delivers the stream's datagrams and its end to `handlers` (set once, by whoever holds the stream). */
  attach(handlers: DatagramHandlers): void {
    this.handlers = handlers;
    const closed = this.closedWith;
    if (closed) queueMicrotask(() => handlers.close(closed.error));
  }

  /** Sends one datagram; false when it was dropped. */
  send(datagram: Uint8Array): boolean {
    if (this.closedWith || datagram.length > MAX_DATAGRAM_PAYLOAD || !this.carrier.sendDatagram(this.id, datagram)) {
      this.stats.dropped++;
      return false;
    }
    this.stats.sent++;
    return true;
  }

  /** Ends the stream and tells the peer why (`cancel`: a normal end, e.g. the flow expired). */
  close(reason: ResetReason = 'cancel'): void {
    if (this.closedWith) return;
    this.carrier.sendReset(this.id, reason);
    this.finish(undefined);
  }

  // ---- called by the carrier ----

  onDatagram(payload: Buffer): void {
    if (this.closedWith) return;
    this.stats.received++;
    if (this.handlers) this.handlers.message(payload);
    else this.stats.dropped++;
  }

  onReset(reason: ResetReason): void {
    if (reason === 'cancel') this.finish(undefined);
    else if (REFUSALS.has(reason)) this.finish(new TunnelOpenError(reason, `tunnel peer refused the datagram stream (${reason})`));
    else this.finish(new TunnelStreamResetError(reason));
  }

  onCarrierClosed(error: Error): void {
    this.finish(error);
  }

  private finish(error: Error | undefined): void {
    if (this.closedWith) return;
    this.closedWith = { error };
    this.carrier.forgetDatagramStream(this);
    this.handlers?.close(error);
  }
}

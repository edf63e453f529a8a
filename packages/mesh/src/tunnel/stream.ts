// One stream of a tunnel connection, with a net.Socket-like surface (write/end/destroy,
// pause/resume, 'data'/'end'/'drain'/'error'/'close') so the relay treats it like a socket.
// Flow control is per stream: the sender spends credit the receiver granted, the receiver grants
// more as the bytes are taken out, so a stalled stream holds at most one window and never
// blocks the others sharing the connection.
import { EventEmitter } from 'node:events';
import { TunnelOpenError, TunnelStreamResetError } from '../errors';
import type { TunnelTarget } from '../endpoints';
import type { ResetReason } from './frames';

/** What a stream needs from the connection that carries it (implemented by MuxSession). */
export interface StreamCarrier {
  readonly congested: boolean;
  sendData(id: number, chunk: Buffer): void;
  sendFin(id: number): void;
  sendReset(id: number, reason: ResetReason): void;
  sendWindow(id: number, increment: number): void;
  sendOpenOk(id: number, window: number): void;
  waitForDrain(stream: TunnelStream): void;
  forget(stream: TunnelStream): void;
}

type Phase = 'opening' | 'accepting' | 'open' | 'closed';

export class TunnelStream extends EventEmitter {
  /** DATA is copied into the frame writer, or into a queue of our own: see write(). */
  readonly copiesWrites = true;
  private phase: Phase;
  private sendCredit: number;
  /** Bytes the peer may still send before it needs more credit from us. */
  private recvAllowance: number;
  /** Bytes handed to our reader and not yet credited back to the peer. */
  private unacked = 0;
  private flowing = false;
  private readQueue: Buffer[] | undefined;
  private sendQueue: Buffer[] | undefined;
  private queuedBytes = 0;
  private ending = false;
  private finSent = false;
  private remoteFin = false;
  private endEmitted = false;
  private needDrain = false;
  private opened: { resolve: (s: TunnelStream) => void; reject: (e: Error) => void } | undefined;

  constructor(
    readonly id: number,
    private readonly carrier: StreamCarrier,
    /** Our receive window: the credit the peer starts with and regains in quarters. */
    private readonly window: number,
    /** Server side: the target named in OPEN and the peer's window; client side: undefined, 0. */
    readonly target: TunnelTarget | undefined,
    peerWindow: number,
  ) {
    super();
    this.phase = target ? 'accepting' : 'opening';
    this.sendCredit = peerWindow;
    this.recvAllowance = window;
  }

  get destroyed(): boolean {
    return this.phase === 'closed';
  }

  /** Bytes written but still waiting for credit. */
  get writableLength(): number {
    return this.queuedBytes;
  }

  /** Client side: resolves when the peer accepted the stream. */
  whenOpen(): Promise<TunnelStream> {
    if (this.phase === 'open') return Promise.resolve(this);
    return new Promise((resolve, reject) => (this.opened = { resolve, reject }));
  }

  /** Server side: the target is connected; the client may send. */
  accept(): void {
    if (this.phase !== 'accepting') return;
    this.phase = 'open';
    this.carrier.sendOpenOk(this.id, this.window);
    this.pump();
  }

  /** Server side: refuse the open with a reason the client sees. */
  reject(reason: ResetReason): void {
    if (this.phase === 'closed') return;
    this.carrier.sendReset(this.id, reason);
    this.close(undefined);
  }

  write(chunk: Uint8Array): boolean {
    if (this.phase === 'closed' || this.ending) return false;
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    if (this.sendQueue === undefined && this.phase === 'open' && buf.length <= this.sendCredit) {
      this.sendCredit -= buf.length;
      this.carrier.sendData(this.id, buf);
    } else {
      // A copy: the caller may reuse its buffer (SharedReadBuffer) once write() returns.
      (this.sendQueue ??= []).push(Buffer.from(buf));
      this.queuedBytes += buf.length;
      this.pump();
    }
    const ok = this.sendQueue === undefined && this.sendCredit > 0 && !this.carrier.congested;
    if (!ok) {
      this.needDrain = true;
      if (this.carrier.congested) this.carrier.waitForDrain(this);
    }
    return ok;
  }

  end(): void {
    if (this.ending || this.phase === 'closed') return;
    this.ending = true;
    this.pump();
  }

  destroy(error?: Error): void {
    if (this.phase === 'closed') return;
    this.carrier.sendReset(this.id, error ? 'error' : 'cancel');
    this.close(error);
  }

  pause(): void {
    this.flowing = false;
  }

  resume(): void {
    if (this.flowing || this.phase === 'closed') return;
    this.flowing = true;
    const queue = this.readQueue;
    while (this.flowing && queue && queue.length > 0) this.deliver(queue.shift() as Buffer);
    if (queue?.length === 0) this.readQueue = undefined;
    this.grant();
    this.maybeEmitEnd();
  }

  // ---- called by the carrier ----

  onOpenOk(peerWindow: number): void {
    if (this.phase !== 'opening') return;
    this.phase = 'open';
    this.sendCredit = peerWindow;
    const opened = this.opened;
    this.opened = undefined;
    opened?.resolve(this);
    this.pump();
  }

  /** False when the peer broke flow control (the carrier resets the stream). */
  onData(chunk: Buffer): boolean {
    if (this.phase === 'closed') return true;
    if (this.remoteFin || this.phase !== 'open' || chunk.length > this.recvAllowance) return false;
    this.recvAllowance -= chunk.length;
    if (this.flowing && this.readQueue === undefined) this.deliver(chunk);
    else (this.readQueue ??= []).push(chunk);
    this.grant();
    return true;
  }

  onWindow(increment: number): void {
    this.sendCredit += increment;
    this.pump();
  }

  onFin(): void {
    this.remoteFin = true;
    this.maybeEmitEnd();
  }

  onReset(reason: ResetReason): void {
    if (this.phase === 'opening') {
      this.close(new TunnelOpenError(reason, `tunnel peer refused the stream (${reason})`));
    } else {
      this.close(new TunnelStreamResetError(reason));
    }
  }

  onCarrierDrain(): void {
    this.maybeDrain();
  }

  onCarrierClosed(error: Error): void {
    this.close(error);
  }

  // ---- internals ----

  private deliver(chunk: Buffer): void {
    this.unacked += chunk.length;
    this.emit('data', chunk);
  }

  private grant(): void {
    if (!this.flowing || this.unacked < this.window / 4 || this.phase !== 'open') return;
    this.carrier.sendWindow(this.id, this.unacked);
    this.recvAllowance += this.unacked;
    this.unacked = 0;
  }

  private pump(): void {
    if (this.phase !== 'open') return;
    const queue = this.sendQueue;
    while (queue && queue.length > 0 && this.sendCredit > 0) {
      const head = queue[0] as Buffer;
      if (head.length <= this.sendCredit) {
        queue.shift();
        this.send(head);
      } else {
        queue[0] = head.subarray(this.sendCredit);
        this.send(head.subarray(0, this.sendCredit));
      }
    }
    if (queue?.length === 0) this.sendQueue = undefined;
    if (this.sendQueue === undefined && this.ending && !this.finSent) {
      this.finSent = true;
      this.carrier.sendFin(this.id);
      this.maybeClose();
    }
    this.maybeDrain();
  }

  private send(chunk: Buffer): void {
    this.sendCredit -= chunk.length;
    this.queuedBytes -= chunk.length;
    this.carrier.sendData(this.id, chunk);
  }

  private maybeDrain(): void {
    if (!this.needDrain || this.sendQueue !== undefined || this.sendCredit <= 0 || this.phase !== 'open') return;
    if (this.carrier.congested) {
      this.carrier.waitForDrain(this);
      return;
    }
    this.needDrain = false;
    this.emit('drain');
  }

  private maybeEmitEnd(): void {
    if (!this.remoteFin || this.endEmitted || !this.flowing || this.readQueue !== undefined) return;
    if (this.phase === 'closed') return;
    this.endEmitted = true;
    this.emit('end');
    this.maybeClose();
  }

  private maybeClose(): void {
    if (this.finSent && this.endEmitted) this.close(undefined);
  }

  private close(error: Error | undefined): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.readQueue = undefined;
    this.sendQueue = undefined;
    this.queuedBytes = 0;
    this.carrier.forget(this);
    const opened = this.opened;
    this.opened = undefined;
    if (opened) opened.reject(error ?? new TunnelOpenError('cancel', 'tunnel stream closed before it opened'));
    else if (error && this.listenerCount('error') > 0) this.emit('error', error);
    this.emit('close', error !== undefined);
  }
}

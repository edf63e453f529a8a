// One tunnel connection: many streams multiplexed over one TLS socket. Used by both ends; the
// client opens streams, the server is told about them through `onOpen` (byte streams) and
// `onOpenDatagram` (datagram streams). A bad frame closes the whole connection; a stream-level
// problem resets only that stream.
import type { Duplex } from 'node:stream';
import type { Clock, TimerHandle } from '../clock';
import { TunnelConnectionError, TunnelProtocolError } from '../errors';
import type { TunnelTarget } from '../endpoints';
import type { Logger } from '../logger';
import { TunnelDatagramStream } from './datagram-stream';
import type { DatagramCarrier } from './datagram-stream';
import { FrameWriter } from './frame-writer';
import type { FrameWriterOptions } from './frame-writer';
import { FrameParser, FrameType, PREFACE, decodeOpen, encodeOpen, resetCode, resetReason, u32 } from './frames';
import type { FrameSink, ResetReason } from './frames';
import { TunnelStream } from './stream';
import type { StreamCarrier } from './stream';

/** Largest DATA frame we send: keeps one stream's burst from delaying the others for long. */
const MAX_FRAME_DATA = 64 * 1024;

export interface MuxSessionOptions {
  readonly role: 'client' | 'server';
  /** Receive window per stream (bytes). */
  readonly streamWindow: number;
  /** Idle time before a PING; three silent intervals close the connection. 0 disables. */
  readonly keepaliveMs: number;
  /** Beyond this many unsent bytes on the socket, writers are told to wait for 'drain'. */
  readonly congestionBytes: number;
  /** How frames are batched into TLS writes; default FrameWriter's. */
  readonly frameHold?: FrameWriterOptions;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Server side: a peer asked for a stream; accept() or reject() it. */
  readonly onOpen?: (stream: TunnelStream, target: TunnelTarget) => void;
  /** Server side: a peer opened a datagram stream; attach() to it or close() it with a reason. */
  readonly onOpenDatagram?: (stream: TunnelDatagramStream, target: TunnelTarget) => void;
  readonly onClose?: (error: Error) => void;
}

export class MuxSession implements StreamCarrier, DatagramCarrier, FrameSink {
  private readonly streams = new Map<number, TunnelStream>();
  private readonly datagramStreams = new Map<number, TunnelDatagramStream>();
  private readonly drainWaiters = new Set<TunnelStream>();
  private readonly parser = new FrameParser(this);
  private readonly writer: FrameWriter;
  private nextId = 1;
  private closedWith: Error | undefined;
  private heard = true;
  private silentIntervals = 0;
  private keepaliveTimer: TimerHandle | undefined;
  private blocked = false;

  constructor(
    private readonly socket: Duplex,
    private readonly o: MuxSessionOptions,
  ) {
    this.writer = new FrameWriter(socket, () => this.afterWrite(), o.frameHold);
    socket.write(PREFACE);
    socket.on('data', (chunk: Buffer) => {
      this.heard = true;
      try {
        this.parser.push(chunk);
      } catch (err) {
        this.close(err instanceof Error ? err : new TunnelProtocolError(String(err)));
      }
    });
    socket.on('error', (err) => this.close(new TunnelConnectionError('tunnel connection failed', { cause: err })));
    socket.on('close', () => this.close(new TunnelConnectionError('tunnel connection closed')));
    if (o.keepaliveMs > 0) this.armKeepalive();
  }

  /** Too many bytes wait for the socket: streams hold back until the backlog halves. */
  get congested(): boolean {
    if (!this.blocked && this.writer.backlog >= this.o.congestionBytes) this.blocked = true;
    return this.blocked;
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  get streamCount(): number {
    return this.streams.size + this.datagramStreams.size;
  }

  /** Client side: asks the peer for a stream to `target`; resolves once the peer accepted it. */
  open(target: TunnelTarget): TunnelStream {
    const id = this.allocateId();
    const stream = new TunnelStream(id, this, this.o.streamWindow, undefined, 0);
    if (this.closedWith) {
      queueMicrotask(() => stream.onCarrierClosed(this.closedWith as Error));
      return stream;
    }
    this.streams.set(id, stream);
    this.writer.push(FrameType.Open, id, encodeOpen(this.o.streamWindow, target));
    return stream;
  }

  /**
   * Client side: a datagram stream to `target`, usable at once (no round trip: the peer answers
   * only to refuse, with a RESET that closes the stream).
   */
  openDatagram(target: TunnelTarget): TunnelDatagramStream {
    const id = this.allocateId();
    const stream = new TunnelDatagramStream(id, this, target);
    if (this.closedWith) {
      const error = this.closedWith;
      queueMicrotask(() => stream.onCarrierClosed(error));
      return stream;
    }
    this.datagramStreams.set(id, stream);
    this.writer.push(FrameType.OpenDatagram, id, encodeOpen(0, target));
    return stream;
  }

  /** Closes the connection and every stream on it. */
  close(error: Error = new TunnelConnectionError('tunnel connection closed locally')): void {
    if (this.closedWith) return;
    this.closedWith = error;
    if (this.keepaliveTimer) this.o.clock.clearTimeout(this.keepaliveTimer);
    this.writer.flush();
    this.socket.destroy();
    const streams = [...this.streams.values()];
    const datagramStreams = [...this.datagramStreams.values()];
    this.streams.clear();
    this.datagramStreams.clear();
    this.drainWaiters.clear();
    for (const s of streams) s.onCarrierClosed(error);
    for (const s of datagramStreams) s.onCarrierClosed(error);
    this.o.onClose?.(error);
  }

  // ---- StreamCarrier ----

  sendData(id: number, chunk: Buffer): void {
    for (let at = 0; at < chunk.length; at += MAX_FRAME_DATA) {
      this.writer.push(FrameType.Data, id, at === 0 && chunk.length <= MAX_FRAME_DATA ? chunk : chunk.subarray(at, at + MAX_FRAME_DATA));
    }
  }

  sendFin(id: number): void {
    this.writer.push(FrameType.Fin, id);
  }

  sendReset(id: number, reason: ResetReason): void {
    if (!this.closedWith) this.writer.push(FrameType.Reset, id, Buffer.from([resetCode(reason)]));
  }

  sendWindow(id: number, increment: number): void {
    this.writer.push(FrameType.Window, id, u32(increment));
  }

  sendOpenOk(id: number, window: number): void {
    this.writer.push(FrameType.OpenOk, id, u32(window));
  }

  sendDatagram(id: number, datagram: Uint8Array): boolean {
    if (this.closedWith || this.congested) return false;
    this.writer.push(FrameType.Datagram, id, datagram);
    return true;
  }

  forgetDatagramStream(stream: TunnelDatagramStream): void {
    if (this.datagramStreams.get(stream.id) === stream) this.datagramStreams.delete(stream.id);
  }

  waitForDrain(stream: TunnelStream): void {
    this.drainWaiters.add(stream);
  }

  forget(stream: TunnelStream): void {
    if (this.streams.get(stream.id) === stream) this.streams.delete(stream.id);
    this.drainWaiters.delete(stream);
  }

  // ---- FrameSink ----

  data(streamId: number, chunk: Buffer): void {
    const stream = this.streams.get(streamId);
    if (stream && !stream.onData(chunk)) {
      this.o.logger.warn({ streamId }, 'tunnel peer overran a stream window or sent after FIN: resetting the stream');
      stream.destroy();
    }
  }

  datagram(streamId: number, payload: Buffer): void {
    // A datagram for a stream that is gone (closed here, or refused) is dropped, as UDP would.
    this.datagramStreams.get(streamId)?.onDatagram(payload);
  }

  control(type: FrameType, streamId: number, payload: Buffer): void {
    switch (type) {
      case FrameType.Open:
        this.onOpenFrame(streamId, payload);
        return;
      case FrameType.OpenDatagram:
        this.onOpenDatagramFrame(streamId, payload);
        return;
      case FrameType.OpenOk: {
        const stream = this.streams.get(streamId);
        if (stream) stream.onOpenOk(readU32(payload));
        else this.sendReset(streamId, 'cancel');
        return;
      }
      case FrameType.Reset: {
        const reason = resetReason(payload[0] ?? 0);
        this.streams.get(streamId)?.onReset(reason);
        this.datagramStreams.get(streamId)?.onReset(reason);
        return;
      }
      case FrameType.Window:
        this.streams.get(streamId)?.onWindow(readU32(payload));
        return;
      case FrameType.Fin:
        this.streams.get(streamId)?.onFin();
        return;
      case FrameType.Ping:
        this.writer.push(FrameType.Pong, 0, payload);
        return;
      case FrameType.Pong:
        return;
      case FrameType.Data:
      case FrameType.Datagram:
        return; // delivered through data() and datagram()
      default:
        assertNever(type);
    }
  }

  private onOpenFrame(streamId: number, payload: Buffer): void {
    if (this.o.role !== 'server' || !this.o.onOpen) throw new TunnelProtocolError('OPEN sent to a tunnel client');
    if (this.streams.has(streamId)) throw new TunnelProtocolError(`stream ${streamId} opened twice`);
    const { window, target } = decodeOpen(payload);
    const stream = new TunnelStream(streamId, this, this.o.streamWindow, target, window);
    this.streams.set(streamId, stream);
    this.o.onOpen(stream, target);
  }

  private onOpenDatagramFrame(streamId: number, payload: Buffer): void {
    if (this.o.role !== 'server') throw new TunnelProtocolError('OPEN_DGRAM sent to a tunnel client');
    if (this.streams.has(streamId) || this.datagramStreams.has(streamId)) throw new TunnelProtocolError(`stream ${streamId} opened twice`);
    const { target } = decodeOpen(payload);
    const stream = new TunnelDatagramStream(streamId, this, target);
    this.datagramStreams.set(streamId, stream);
    if (this.o.onOpenDatagram) this.o.onOpenDatagram(stream, target);
    else stream.close('refused');
  }

  /** Ids wrap after 2^32 streams; skip one still in use by a long-lived stream. */
  private allocateId(): number {
    let id = this.nextId;
    while (this.streams.has(id) || this.datagramStreams.has(id)) id = id >= 0xffffffff ? 1 : id + 1;
    this.nextId = id >= 0xffffffff ? 1 : id + 1;
    return id;
  }

  private afterWrite(): void {
    if (!this.blocked || this.writer.backlog > this.o.congestionBytes / 2) return;
    this.blocked = false;
    const waiters = [...this.drainWaiters];
    this.drainWaiters.clear();
    for (const s of waiters) s.onCarrierDrain();
  }

  private armKeepalive(): void {
    this.keepaliveTimer = this.o.clock.setTimeout(() => {
      if (this.closedWith) return;
      if (this.heard) {
        this.heard = false;
        this.silentIntervals = 0;
      } else if (++this.silentIntervals >= 3) {
        this.close(new TunnelConnectionError('tunnel peer stopped answering'));
        return;
      } else {
        this.writer.push(FrameType.Ping, 0, Buffer.alloc(8));
      }
      this.armKeepalive();
    }, this.o.keepaliveMs);
  }
}

function readU32(payload: Buffer): number {
  if (payload.length < 4) throw new TunnelProtocolError('short control frame');
  return payload.readUInt32BE(0);
}

function assertNever(x: never): never {
  throw new TunnelProtocolError(`unhandled frame type ${String(x)}`);
}

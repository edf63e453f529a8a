// Tunnel wire format (port 4789, inside TLS). A connection starts with a 5-byte preface from each
// side ("SHTN" + version); then frames: type u8 | stream id u32 | payload length u32 | payload.
// Frame tags are append-only. DATA payloads stream through in pieces; control payloads and
// datagrams are collected whole and bounded.
import { TunnelProtocolError } from '../errors';
import type { TunnelTarget } from '../endpoints';

export const TUNNEL_PORT = 4789;
export const TUNNEL_VERSION = 1;
/** Receive window per stream unless configured. */
export const DEFAULT_STREAM_WINDOW = 256 * 1024;
export const PREFACE = Buffer.from([0x53, 0x48, 0x54, 0x4e, TUNNEL_VERSION]);
export const HEADER_BYTES = 9;
export const MAX_CONTROL_PAYLOAD = 4096;
export const MAX_DATA_PAYLOAD = 1 << 20;
/** Largest DGRAM payload: a UDP datagram never exceeds 65535 bytes (65507 over IPv4). */
export const MAX_DATAGRAM_PAYLOAD = 0xffff;

export const FrameType = {
  /** client → server: u32 receive window + target. */
  Open: 1,
  /** server → client: u32 receive window. */
  OpenOk: 2,
  /** either way: u8 reason. Before OpenOk it refuses the open. */
  Reset: 3,
  Data: 4,
  /** u32 credit increment. */
  Window: 5,
  /** half close: no more DATA from the sender on this stream. */
  Fin: 6,
  /** stream id 0, 8 opaque bytes echoed by Pong. */
  Ping: 7,
  Pong: 8,
  /**
   * client → server: opens a datagram stream; same payload as OPEN (the window is unused). No
   * OPEN_OK: the sender may send DGRAM frames at once; a refusal is a RESET.
   */
  OpenDatagram: 9,
  /** either way, on a datagram stream: one whole datagram. Not flow-controlled: dropped, never queued, under congestion. */
  Datagram: 10,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

const RESET_REASONS = ['unknown', 'unknown-target', 'connect-failed', 'cancel', 'flow-control', 'refused', 'error'] as const;
export type ResetReason = (typeof RESET_REASONS)[number];

export function resetCode(reason: ResetReason): number {
  return RESET_REASONS.indexOf(reason);
}

export function resetReason(code: number): ResetReason {
  return RESET_REASONS[code] ?? 'unknown';
}

export function writeHeader(out: Buffer, at: number, type: FrameType, streamId: number, length: number): void {
  out[at] = type;
  out.writeUInt32BE(streamId, at + 1);
  out.writeUInt32BE(length, at + 5);
}

const TARGET_TASK = 1;
const TARGET_ADDR = 2;

/** OPEN payload: u32 window, u8 kind, then the task id, or u16 port + address. */
export function encodeOpen(window: number, target: TunnelTarget): Buffer {
  const text = Buffer.from('taskId' in target ? target.taskId : target.addr, 'utf8');
  const isTask = 'taskId' in target;
  const out = Buffer.allocUnsafe(5 + (isTask ? 0 : 2) + text.length);
  out.writeUInt32BE(window, 0);
  out[4] = isTask ? TARGET_TASK : TARGET_ADDR;
  if (!isTask) out.writeUInt16BE(target.port, 5);
  text.copy(out, isTask ? 5 : 7);
  if (out.length > MAX_CONTROL_PAYLOAD) throw new RangeError('tunnel target too long');
  return out;
}

export function decodeOpen(payload: Buffer): { window: number; target: TunnelTarget } {
  if (payload.length < 6) throw new TunnelProtocolError('short OPEN frame');
  const window = payload.readUInt32BE(0);
  switch (payload[4]) {
    case TARGET_TASK:
      return { window, target: { taskId: payload.toString('utf8', 5) } };
    case TARGET_ADDR:
      if (payload.length < 8) throw new TunnelProtocolError('short OPEN frame');
      return { window, target: { addr: payload.toString('utf8', 7), port: payload.readUInt16BE(5) } };
    default:
      throw new TunnelProtocolError(`unknown OPEN target kind ${payload[4]}`);
  }
}

export function u32(value: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(value, 0);
  return b;
}

export interface FrameSink {
  /** A whole control frame (anything but DATA and DGRAM). */
  control(type: FrameType, streamId: number, payload: Buffer): void;
  /** A piece of a DATA frame; a frame may arrive in several pieces (views into the read buffer). */
  data(streamId: number, chunk: Buffer): void;
  /** A whole DGRAM frame's payload (a buffer of its own: the sink may keep it). */
  datagram(streamId: number, payload: Buffer): void;
}

/** Splits a byte stream into frames. Throws TunnelProtocolError on a bad preface or frame. */
export class FrameParser {
  private prefaceSeen = 0;
  private readonly header = Buffer.alloc(HEADER_BYTES);
  private headerFill = 0;
  private type: FrameType = FrameType.Data;
  private streamId = 0;
  /** Payload bytes still to come of the current frame; -1 while reading a header. */
  private remaining = -1;
  private control: Buffer | undefined;
  private controlFill = 0;

  constructor(private readonly sink: FrameSink) {}

  push(chunk: Buffer): void {
    let at = 0;
    const end = chunk.length;
    if (this.prefaceSeen < PREFACE.length) at = this.readPreface(chunk);
    while (at < end) {
      if (this.remaining < 0) {
        const take = Math.min(HEADER_BYTES - this.headerFill, end - at);
        if (this.headerFill === 0 && take === HEADER_BYTES) {
          this.startFrame(chunk, at);
        } else {
          chunk.copy(this.header, this.headerFill, at, at + take);
          this.headerFill += take;
          if (this.headerFill < HEADER_BYTES) return;
          this.startFrame(this.header, 0);
        }
        at += take;
        if (this.remaining === 0) this.finishFrame();
        continue;
      }
      const take = Math.min(this.remaining, end - at);
      if (this.type === FrameType.Data) {
        this.remaining -= take;
        this.sink.data(this.streamId, chunk.subarray(at, at + take));
      } else {
        chunk.copy(this.control as Buffer, this.controlFill, at, at + take);
        this.controlFill += take;
        this.remaining -= take;
      }
      at += take;
      if (this.remaining === 0) this.finishFrame();
    }
  }

  private readPreface(chunk: Buffer): number {
    let at = 0;
    while (at < chunk.length && this.prefaceSeen < PREFACE.length) {
      if (chunk[at] !== PREFACE[this.prefaceSeen]) {
        throw new TunnelProtocolError(
          this.prefaceSeen === 4 ? `unsupported tunnel version ${chunk[at]}` : 'not a shoal tunnel connection',
        );
      }
      at++;
      this.prefaceSeen++;
    }
    return at;
  }

  private startFrame(src: Buffer, at: number): void {
    const type = src[at] as number;
    const length = src.readUInt32BE(at + 5);
    if (type < FrameType.Open || type > FrameType.Datagram) throw new TunnelProtocolError(`unknown frame type ${type}`);
    this.type = type as FrameType;
    this.streamId = src.readUInt32BE(at + 1);
    this.remaining = length;
    this.headerFill = 0;
    if (type === FrameType.Data) {
      if (length > MAX_DATA_PAYLOAD) throw new TunnelProtocolError(`DATA frame of ${length} bytes`);
    } else {
      const isDatagram = type === FrameType.Datagram;
      if (length > (isDatagram ? MAX_DATAGRAM_PAYLOAD : MAX_CONTROL_PAYLOAD)) {
        throw new TunnelProtocolError(`${isDatagram ? 'DGRAM' : 'control'} frame of ${length} bytes`);
      }
      this.control = Buffer.allocUnsafe(length);
      this.controlFill = 0;
    }
  }

  private finishFrame(): void {
    this.remaining = -1;
    if (this.type === FrameType.Data) return;
    const payload = this.control as Buffer;
    this.control = undefined;
    if (this.type === FrameType.Datagram) this.sink.datagram(this.streamId, payload);
    else this.sink.control(this.type, this.streamId, payload);
  }
}

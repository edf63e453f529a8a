// Checksummed framing shared by WAL segments and snapshot files:
//   u32 payload length | u32 crc32(length field) | u32 crc32(payload) | payload
// The length has its own checksum so a damaged length is detected rather than trusted, which is
// what lets recovery tell a torn final write from corruption followed by intact records.
import { crc32 } from './crc32';

export const FRAME_HEADER_BYTES = 12;
/** Upper bound on one record; anything larger is treated as a damaged length. */
export const MAX_FRAME_PAYLOAD = 1 << 30;

export function encodeFrame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_BYTES + payload.byteLength);
  out.set(frameHeader([payload]));
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

/** The header of a frame whose payload is `parts` joined: write it, then the parts, with no copy of them. */
export function frameHeader(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_BYTES);
  const view = new DataView(out.buffer);
  let length = 0;
  let crc = 0;
  for (const part of parts) {
    length += part.byteLength;
    crc = crc32(part, crc);
  }
  view.setUint32(0, length, true);
  view.setUint32(4, crc32(out.subarray(0, 4)), true);
  view.setUint32(8, crc, true);
  return out;
}

export interface Frame {
  readonly offset: number;
  readonly payload: Uint8Array;
}

/** End offset of the valid frame starting at `offset`, or undefined if none does. */
export function frameEndAt(buf: Uint8Array, offset: number): number | undefined {
  if (offset + FRAME_HEADER_BYTES > buf.byteLength) return undefined;
  const view = new DataView(buf.buffer, buf.byteOffset + offset, FRAME_HEADER_BYTES);
  const len = view.getUint32(0, true);
  if (view.getUint32(4, true) !== crc32(buf.subarray(offset, offset + 4))) return undefined;
  if (len > MAX_FRAME_PAYLOAD) return undefined;
  const end = offset + FRAME_HEADER_BYTES + len;
  if (end > buf.byteLength) return undefined;
  if (view.getUint32(8, true) !== crc32(buf.subarray(offset + FRAME_HEADER_BYTES, end))) return undefined;
  return end;
}

export interface ScanResult {
  readonly frames: Frame[];
  /** Offset of the first byte that does not start a valid frame (= length if all valid). */
  readonly validEnd: number;
}

export function scanFrames(buf: Uint8Array): ScanResult {
  const frames: Frame[] = [];
  let offset = 0;
  while (offset < buf.byteLength) {
    const end = frameEndAt(buf, offset);
    if (end === undefined) break;
    frames.push({ offset, payload: buf.subarray(offset + FRAME_HEADER_BYTES, end) });
    offset = end;
  }
  return { frames, validEnd: offset };
}

/**
 * Whether any valid frame starts after `offset`. A write torn by a crash is always the last
 * thing in the file, so an intact frame after a bad one means the bad one was damaged later.
 */
export function hasValidFrameAfter(buf: Uint8Array, offset: number): boolean {
  for (let q = offset + 1; q + FRAME_HEADER_BYTES <= buf.byteLength; q++) {
    // No frame starts with 8 zero bytes (the length's checksum of a zero length is not zero): skip
    // zero-filled space without checksumming it.
    if (buf[q] === 0 && buf[q + 4] === 0 && isZero(buf, q, q + 8)) continue;
    if (frameEndAt(buf, q) !== undefined) return true;
  }
  return false;
}

/** Whether bytes from..to of `buf` are all zero (space a WAL segment was zero-filled with). */
export function isZero(buf: Uint8Array, from: number, to = buf.byteLength): boolean {
  for (let i = from; i < to; i++) if (buf[i] !== 0) return false;
  return true;
}

// Frame codec shared by every Shoal wire path: one version byte, then a msgpack body.
import { Packr } from 'msgpackr';

export const WIRE_VERSION = 1;

// Plain maps (no record extension) so frames stay readable by any msgpack decoder.
const packr = new Packr({ useRecords: false, moreTypes: false, int64AsType: 'number' });

export class WireVersionError extends Error {
  readonly code = 'WIRE_VERSION';
  constructor(readonly got: number) {
    super(`unsupported wire version ${got} (this build speaks ${WIRE_VERSION})`);
  }
}

export function encode(value: unknown): Buffer {
  const body = packr.pack(value);
  const out = Buffer.allocUnsafe(body.length + 1);
  out[0] = WIRE_VERSION;
  body.copy(out, 1);
  return out;
}

/**
 * The msgpack body of `value`'s frame (a frame is WIRE_VERSION, then this), for a writer that
 * frames it itself. A view into the encoder's shared buffer: copy it before keeping it.
 */
export function encodeBody(value: unknown): Buffer {
  return packr.pack(value);
}

/** What encodeBody wrote. */
export function decodeBody<T>(body: Uint8Array): T {
  return packr.unpack(body) as T;
}

export function decode<T>(frame: Uint8Array): T {
  if (frame.length === 0) throw new WireVersionError(-1);
  const version = frame[0] ?? -1;
  if (version !== WIRE_VERSION) throw new WireVersionError(version);
  return packr.unpack(frame.subarray(1)) as T;
}

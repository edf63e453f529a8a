// Reading msgpack structure without decoding it: where a value starts and ends, how many pairs a
// map holds, which key a pair has. Lets a caller take the bytes of one part of an encoded frame
// (a store object inside a log entry) instead of encoding that part again.

export class MsgpackScanError extends Error {
  readonly code = 'MSGPACK_SCAN';
}

/** A map header: its pair count and where its first key starts. */
export interface MapHeader {
  count: number;
  body: number;
}

/** The map header at `pos`, or undefined when the value there is not a map. */
export function readMapHeader(buf: Uint8Array, pos: number): MapHeader | undefined {
  return readHeader(buf, pos, 0x80, 0xde);
}

/** The array header at `pos`, or undefined when the value there is not an array. */
export function readArrayHeader(buf: Uint8Array, pos: number): MapHeader | undefined {
  return readHeader(buf, pos, 0x90, 0xdc);
}

/** A map or array header: `fix` is its 4-bit form's tag, `wide` its 16-bit one (the 32-bit one follows). */
function readHeader(buf: Uint8Array, pos: number, fix: number, wide: number): MapHeader | undefined {
  if (!(pos < buf.byteLength)) throw new MsgpackScanError(`msgpack value runs past the end (${pos} >= ${buf.byteLength})`);
  const b = buf[pos] as number;
  let header: MapHeader | undefined;
  if ((b & 0xf0) === fix) header = { count: b & 0x0f, body: pos + 1 };
  else if (b === wide) header = { count: u16(buf, pos + 1), body: pos + 3 };
  else if (b === wide + 1) header = { count: u32(buf, pos + 1), body: pos + 5 };
  if (header && Number.isNaN(header.count)) throw new MsgpackScanError(`msgpack header runs past the end at ${pos}`);
  return header;
}

/** Whether the value at `pos` is the string `key` (ASCII), without decoding it. */
export function isAsciiKey(buf: Uint8Array, pos: number, key: string): boolean {
  const b = buf[pos];
  let len: number;
  let start: number;
  if (b !== undefined && b >= 0xa0 && b <= 0xbf) {
    len = b & 0x1f;
    start = pos + 1;
  } else if (b === 0xd9) {
    len = buf[pos + 1] ?? -1;
    start = pos + 2;
  } else {
    return false;
  }
  if (len !== key.length || start + len > buf.byteLength) return false;
  for (let i = 0; i < len; i++) if (buf[start + i] !== key.charCodeAt(i)) return false;
  return true;
}

/** Where the value starting at `pos` ends (exclusive). Throws on truncated or unknown bytes. */
export function skipValue(buf: Uint8Array, pos: number): number {
  // Hot: runs over every byte of each object a command writes. Lengths are read byte by byte (a
  // DataView per call costs more than the walk), and one bounds check per value suffices because
  // a read past the end yields undefined, which the check after the loop catches.
  const len = buf.byteLength;
  let remaining = 1; // values still to skip, counting nested elements
  while (remaining > 0) {
    remaining--;
    if (!(pos < len)) throw new MsgpackScanError(`msgpack value runs past the end (${pos} >= ${len})`);
    const b = buf[pos] as number;
    if (b < 0x80 || b >= 0xe0) pos += 1; // fixint
    else if (b >= 0xa0 && b < 0xc0) pos += 1 + (b & 0x1f); // fixstr
    else if (b < 0x90) {
      remaining += 2 * (b & 0x0f); // fixmap
      pos += 1;
    } else if (b < 0xa0) {
      remaining += b & 0x0f; // fixarray
      pos += 1;
    } else {
      switch (b) {
        case 0xc0: // nil
        case 0xc2: // false
        case 0xc3: // true
          pos += 1;
          break;
        case 0xc4: // bin 8
        case 0xd9: // str 8
          pos += 2 + u8(buf, pos + 1);
          break;
        case 0xc5: // bin 16
        case 0xda: // str 16
          pos += 3 + u16(buf, pos + 1);
          break;
        case 0xc6: // bin 32
        case 0xdb: // str 32
          pos += 5 + u32(buf, pos + 1);
          break;
        case 0xc7: // ext 8
          pos += 3 + u8(buf, pos + 1);
          break;
        case 0xc8: // ext 16
          pos += 4 + u16(buf, pos + 1);
          break;
        case 0xc9: // ext 32
          pos += 6 + u32(buf, pos + 1);
          break;
        case 0xca: // float 32
        case 0xce: // uint 32
        case 0xd2: // int 32
          pos += 5;
          break;
        case 0xcb: // float 64
        case 0xcf: // uint 64
        case 0xd3: // int 64
          pos += 9;
          break;
        case 0xcc: // uint 8
        case 0xd0: // int 8
          pos += 2;
          break;
        case 0xcd: // uint 16
        case 0xd1: // int 16
          pos += 3;
          break;
        case 0xd4: // fixext 1
          pos += 3;
          break;
        case 0xd5: // fixext 2
          pos += 4;
          break;
        case 0xd6: // fixext 4
          pos += 6;
          break;
        case 0xd7: // fixext 8
          pos += 10;
          break;
        case 0xd8: // fixext 16
          pos += 18;
          break;
        case 0xdc: // array 16
          remaining += u16(buf, pos + 1);
          pos += 3;
          break;
        case 0xdd: // array 32
          remaining += u32(buf, pos + 1);
          pos += 5;
          break;
        case 0xde: // map 16
          remaining += 2 * u16(buf, pos + 1);
          pos += 3;
          break;
        case 0xdf: // map 32
          remaining += 2 * u32(buf, pos + 1);
          pos += 5;
          break;
        default:
          throw new MsgpackScanError(`unknown msgpack byte 0x${b.toString(16)} at ${pos}`);
      }
    }
  }
  if (!(pos <= len) || Number.isNaN(remaining)) throw new MsgpackScanError(`msgpack value runs past the end (${pos} > ${len})`);
  return pos;
}

/** Big-endian lengths; NaN when past the end, which stops the walk and fails its final check. */
function u8(buf: Uint8Array, at: number): number {
  return at < buf.byteLength ? (buf[at] as number) : NaN;
}
function u16(buf: Uint8Array, at: number): number {
  return at + 2 <= buf.byteLength ? ((buf[at] as number) << 8) | (buf[at + 1] as number) : NaN;
}
function u32(buf: Uint8Array, at: number): number {
  return at + 4 <= buf.byteLength ? (buf[at] as number) * 0x1000000 + (((buf[at + 1] as number) << 16) | ((buf[at + 2] as number) << 8) | (buf[at + 3] as number)) : NaN;
}

/** The value of `key` in the map at `pos`: its [start, end), or undefined (not a map, or no such key). */
export function findMapValue(buf: Uint8Array, pos: number, key: string): { start: number; end: number } | undefined {
  const map = readMapHeader(buf, pos);
  if (!map) return undefined;
  let at = map.body;
  for (let i = 0; i < map.count; i++) {
    const valueStart = skipValue(buf, at);
    const valueEnd = skipValue(buf, valueStart);
    if (isAsciiKey(buf, at, key)) return { start: valueStart, end: valueEnd };
    at = valueEnd;
  }
  return undefined;
}

// CRC-32 (IEEE 802.3, as zlib). Uses node:zlib's native crc32 where present (Node >= 20.15) and
// an equivalent table implementation otherwise, so files are readable by either.
import * as zlib from 'node:zlib';

const TABLE = ((): Uint32Array => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** CRC-32 of `data`; with `previous` (the CRC of the bytes before it), of the concatenation. */
export function crc32Portable(data: Uint8Array, previous = 0): number {
  let c = (previous ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) c = (TABLE[(c ^ (data[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

// Node 20's native crc32 answers 0 for a zero-length buffer without a backing store (e.g. what
// `cipher.final()` returns for a stream cipher), whatever `previous` was: an empty part changes nothing.
export const crc32: (data: Uint8Array, previous?: number) => number =
  typeof native === 'function' ? (d, previous = 0) => (d.byteLength === 0 ? previous : native(d, previous)) : crc32Portable;

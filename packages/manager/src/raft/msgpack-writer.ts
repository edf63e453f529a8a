// The few msgpack forms Shoal writes by hand, into a buffer sized in advance: a snapshot's rows
// and a command's envelope, where a generic encoder's per-value work showed in profiles. What is
// written here decodes with any msgpack decoder (wire's `decode` reads both).
import type { ObjectFacts } from '@shoal/store';

/** A buffer of a size known in advance, written front to back. */
export class MsgpackWriter {
  private readonly buf: Buffer;
  private readonly view: DataView;
  private pos = 0;

  constructor(size: number) {
    // Not zeroed (finish() checks every byte was written), and not a slice of Buffer's pool.
    this.buf = Buffer.allocUnsafeSlow(size);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  /** Bytes written so far. */
  get offset(): number {
    return this.pos;
  }

  /** The buffer written into. */
  get buffer(): Buffer {
    return this.buf;
  }

  /** `len` bytes of `from` at `off` (through a plain view: Buffer's copy() costs more per call). */
  copy(from: Uint8Array, off: number, len: number): this {
    this.buf.set(new Uint8Array(from.buffer, from.byteOffset + off, len), this.pos);
    this.pos += len;
    return this;
  }

  byte(b: number): this {
    this.buf[this.pos++] = b;
    return this;
  }

  raw(b: Uint8Array): this {
    this.buf.set(b, this.pos);
    this.pos += b.byteLength;
    return this;
  }

  /** A short ASCII string (keys, store kinds). */
  fixstr(s: string): this {
    this.byte(0xa0 | s.length);
    for (let i = 0; i < s.length; i++) this.byte(s.charCodeAt(i));
    return this;
  }

  /** Any string, as str32. */
  str(s: string): this {
    const n = Buffer.byteLength(s, 'utf8');
    this.byte(0xdb).u32(n);
    this.pos += this.buf.write(s, this.pos, n, 'utf8');
    return this;
  }

  uint64(v: number): this {
    return this.byte(0xcf).u32(Math.floor(v / 2 ** 32)).u32(v >>> 0);
  }

  arrayHeader(n: number): this {
    return this.byte(0xdd).u32(n);
  }

  bin(b: Uint8Array): this {
    return this.byte(0xc6).u32(b.byteLength).raw(b);
  }

  /** Big-endian, as msgpack's lengths and integers are. */
  u32(v: number): this {
    this.view.setUint32(this.pos, v);
    this.pos += 4;
    return this;
  }

  /** The buffer, which the writes must have filled exactly (a typed array drops writes past its end). */
  finish(): Buffer {
    if (this.pos !== this.buf.byteLength) throw new RangeError(`msgpack writer wrote ${this.pos} of ${this.buf.byteLength} bytes`);
    return this.buf;
  }
}

/** The size of writeFacts()'s encoding. */
export function factsSize(facts: ObjectFacts | undefined): number {
  if (facts === undefined) return 1;
  let size = 1;
  if (facts.name !== undefined) size += 5 + strSize(facts.name);
  if (facts.networks !== undefined) size += 9 + 5 + facts.networks.reduce((n, target) => n + strSize(target), 0);
  if (facts.ingress !== undefined) size += 8 + 1;
  return size;
}

/** Facts as a msgpack map of the keys present (nil: none), in a fixed order. */
export function writeFacts(w: MsgpackWriter, facts: ObjectFacts | undefined): void {
  if (facts === undefined) {
    w.byte(0xc0);
    return;
  }
  const n = (facts.name !== undefined ? 1 : 0) + (facts.networks !== undefined ? 1 : 0) + (facts.ingress !== undefined ? 1 : 0);
  w.byte(0x80 | n);
  if (facts.name !== undefined) w.fixstr('name').str(facts.name);
  if (facts.networks !== undefined) {
    w.fixstr('networks').arrayHeader(facts.networks.length);
    for (const target of facts.networks) w.str(target);
  }
  if (facts.ingress !== undefined) w.fixstr('ingress').byte(facts.ingress ? 0xc3 : 0xc2);
}

export function strSize(s: string): number {
  return 5 + Buffer.byteLength(s, 'utf8');
}

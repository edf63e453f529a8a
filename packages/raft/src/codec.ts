// Minimal little-endian binary writer/reader for the WAL, snapshot files and conf changes.
// Integers above 2^32 (indexes, terms) are written as two u32 halves and must be safe integers.
import type { Entry, EntryType } from './types';

/** Wire and WAL tag of each entry type; append only. */
const ENTRY_TYPES: readonly EntryType[] = ['normal', 'conf-change'];

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
const TWO_32 = 0x1_0000_0000;

export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;

  constructor(initialSize = 256) {
    this.buf = new Uint8Array(initialSize);
    this.view = new DataView(this.buf.buffer);
  }

  get length(): number {
    return this.pos;
  }

  u8(v: number): this {
    this.ensure(1);
    this.view.setUint8(this.pos, v);
    this.pos += 1;
    return this;
  }

  u16(v: number): this {
    this.ensure(2);
    this.view.setUint16(this.pos, v, true);
    this.pos += 2;
    return this;
  }

  u32(v: number): this {
    this.ensure(4);
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
    return this;
  }

  /** Non-negative safe integer in 8 bytes. */
  u53(v: number): this {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`not a non-negative safe integer: ${v}`);
    this.u32(v % TWO_32);
    return this.u32(Math.floor(v / TWO_32));
  }

  /** Length-prefixed (u32) byte string. */
  bytes(b: Uint8Array): this {
    this.u32(b.byteLength);
    return this.raw(b);
  }

  /** Length-prefixed UTF-8 string. */
  str(s: string): this {
    return this.bytes(utf8Encoder.encode(s));
  }

  /** Count-prefixed (u32) list of strings. */
  strList(list: readonly string[]): this {
    this.u32(list.length);
    for (const item of list) this.str(item);
    return this;
  }

  /** Count-prefixed (u32) list of log entries. */
  entries(list: readonly Entry[]): this {
    this.u32(list.length);
    for (const e of list) this.u53(e.index).u53(e.term).u8(ENTRY_TYPES.indexOf(e.type)).bytes(e.data);
    return this;
  }

  raw(b: Uint8Array): this {
    this.ensure(b.byteLength);
    this.buf.set(b, this.pos);
    this.pos += b.byteLength;
    return this;
  }

  /** The written bytes: a view of the writer's buffer, which is not written again. */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.byteLength) return;
    let size = this.buf.byteLength * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
}

export class DecodeError extends RangeError {}

export class ByteReader {
  private readonly view: DataView;
  private pos = 0;

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get remaining(): number {
    return this.buf.byteLength - this.pos;
  }

  u8(): number {
    this.need(1);
    const v = this.view.getUint8(this.pos);
    this.pos += 1;
    return v;
  }

  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  u53(): number {
    const lo = this.u32();
    const hi = this.u32();
    const v = hi * TWO_32 + lo;
    if (!Number.isSafeInteger(v)) throw new DecodeError(`integer out of range at ${this.pos - 8}`);
    return v;
  }

  /** Copies, so a decoded value never pins a large read buffer (e.g. a whole WAL segment). */
  bytes(): Uint8Array {
    const n = this.u32();
    this.need(n);
    // Not buf.slice(): on a Node Buffer that is a view, not a copy.
    const out = new Uint8Array(n);
    out.set(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return out;
  }

  /** Like bytes(), but a view into the buffer being read: for buffers owned by the result. */
  bytesView(): Uint8Array {
    const n = this.u32();
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  str(): string {
    const n = this.u32();
    this.need(n);
    const s = utf8Decoder.decode(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }

  strList(): string[] {
    const n = this.u32();
    const list: string[] = [];
    for (let i = 0; i < n; i++) list.push(this.str());
    return list;
  }

  /** Entries' data are copies (bytes()), so an entry never pins the buffer it was read from. */
  entries(): Entry[] {
    const n = this.u32();
    const list: Entry[] = [];
    for (let i = 0; i < n; i++) {
      const index = this.u53();
      const term = this.u53();
      const tag = this.u8();
      const type = ENTRY_TYPES[tag];
      if (type === undefined) throw new DecodeError(`unknown entry type ${tag}`);
      list.push({ index, term, type, data: this.bytes() });
    }
    return list;
  }

  /** Throws unless every byte was consumed: trailing bytes mean a format mismatch. */
  end(): void {
    if (this.remaining !== 0) throw new DecodeError(`${this.remaining} trailing bytes`);
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.byteLength) {
      throw new DecodeError(`need ${n} bytes at ${this.pos}, have ${this.buf.byteLength - this.pos}`);
    }
  }
}

// What a Raft snapshot of a manager holds: the store's tables and the managers' addresses.
// Each store object is encoded on its own and the bytes are kept while the object lives:
// the store replaces objects on every write and never changes one in place, so a snapshot
// re-encodes only what changed since the last one instead of the whole store.
import { KINDS, type AnyObject, type Kind, type MemoryStore, type StoreSnapshot } from '@shoal/store';
import { WIRE_VERSION, decode, encode } from '@shoal/wire';

export interface SnapshotData {
  store: StoreSnapshot;
  peers: Record<string, string>;
}

/** The stored form: rows are encoded objects (older snapshots hold plain objects; both restore). */
interface StoredSnapshot {
  store: { index: number; tables: { [K in Kind]?: Array<Uint8Array | AnyObject> } };
  peers: Record<string, string>;
}

export class SnapshotCodec {
  /** Encoded bytes by object identity; an object dropped from the store drops its entry. */
  private readonly rows = new WeakMap<object, Uint8Array>();

  /**
   * The snapshot as one wire frame, `{ store: { index, tables }, peers }` in msgpack, written by
   * hand into one buffer of the exact size: the rows (the whole store) are copied once. msgpackr
   * would copy them into its growing buffer, then out of it.
   */
  encode(store: MemoryStore, peers: ReadonlyMap<string, string>): Uint8Array {
    const steps = this.encodeSteps(store, peers);
    for (let step = steps.next(); ; step = steps.next()) if (step.done) return step.value;
  }

  /**
   * As encode(), but a slice of at most ~`sliceMs` at a time, yielding the event loop between
   * slices: with 50,000 services, encoding a snapshot in one piece stalled each manager for
   * 140–270 ms, and every write in flight with it. The store's state is captured at the call
   * (its tables' objects; the store replaces objects and never changes one), so writes applied
   * meanwhile are not in the snapshot.
   */
  async encodeAsync(store: MemoryStore, peers: ReadonlyMap<string, string>, sliceMs = SLICE_MS): Promise<Uint8Array> {
    const steps = this.encodeSteps(store, peers);
    let sliceStart = performance.now();
    for (let step = steps.next(); ; step = steps.next()) {
      if (step.done) return step.value;
      if (performance.now() - sliceStart < sliceMs) continue;
      await new Promise((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
  }

  /** encode() as steps: the capture happens at the first next(), then a pause every few rows. */
  private *encodeSteps(store: MemoryStore, peers: ReadonlyMap<string, string>): Generator<void, Uint8Array> {
    const index = store.appliedIndex;
    const captured = KINDS.map((kind) => [kind, [...store.table(kind).values()]] as const);
    const peerBytes = encode(Object.fromEntries(peers)).subarray(1); // a small map: msgpackr's, without the version byte
    const tables: Array<[Kind, Uint8Array[]]> = [];
    for (const [kind, objects] of captured) {
      const rows: Uint8Array[] = [];
      for (const object of objects) {
        rows.push(this.row(object));
        if (rows.length % STEP_ROWS === 0) yield;
      }
      tables.push([kind, rows]);
    }
    const key = (k: string) => 1 + k.length; // a fixstr
    let size = 1 + 1 + key('store') + 1 + key('index') + 9 + key('tables') + 1 + key('peers') + peerBytes.byteLength;
    for (const [kind, rows] of tables) {
      size += key(kind) + 5;
      for (const row of rows) size += 5 + row.byteLength;
    }
    const w = new MsgpackWriter(size);
    w.byte(WIRE_VERSION).byte(0x82).fixstr('store').byte(0x82);
    w.fixstr('index').uint64(index);
    w.fixstr('tables').byte(0x80 | tables.length);
    for (const [kind, rows] of tables) {
      w.fixstr(kind).arrayHeader(rows.length);
      for (let i = 0; i < rows.length; i++) {
        w.bin(rows[i] as Uint8Array);
        if ((i + 1) % (STEP_ROWS * 8) === 0) yield; // copying is cheaper than encoding
      }
    }
    w.fixstr('peers').raw(peerBytes);
    return w.finish();
  }

  decode(data: Uint8Array): SnapshotData {
    const stored = decode<StoredSnapshot>(data);
    const tables: StoreSnapshot['tables'] = {};
    for (const kind of KINDS) {
      const rows = stored.store.tables[kind];
      if (!rows) continue;
      (tables as Record<Kind, AnyObject[]>)[kind] = rows.map((row) => {
        if (!(row instanceof Uint8Array)) return row;
        const object = decode<AnyObject>(row);
        this.rows.set(object, row); // restored objects need no encoding in the next snapshot
        return object;
      });
    }
    return { store: { index: stored.store.index, tables }, peers: stored.peers };
  }

  private row(object: AnyObject): Uint8Array {
    let bytes = this.rows.get(object);
    if (!bytes) {
      // A copy in its own buffer: a small encode is a slice of a shared 8 KiB pool, which a
      // row kept for the object's lifetime would pin whole.
      bytes = new Uint8Array(encode(object));
      this.rows.set(object, bytes);
    }
    return bytes;
  }
}

/** A slice of a snapshot encoding yields the event loop after this long (milliseconds). */
const SLICE_MS = 4;
/** Rows between looks at the clock (an uncached row takes ~5–10 µs to encode). */
const STEP_ROWS = 64;

/** Just the msgpack forms SnapshotCodec.encode needs, into a buffer sized in advance. */
class MsgpackWriter {
  private readonly buf: Uint8Array;
  private readonly view: DataView;
  private pos = 0;

  constructor(size: number) {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
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
  private u32(v: number): this {
    this.view.setUint32(this.pos, v);
    this.pos += 4;
    return this;
  }

  /** The buffer, which the writes must have filled exactly (a typed array drops writes past its end). */
  finish(): Uint8Array {
    if (this.pos !== this.buf.byteLength) throw new RangeError(`snapshot encoding wrote ${this.pos} of ${this.buf.byteLength} bytes`);
    return this.buf;
  }
}

// What a Raft snapshot of a manager holds: the store's tables and the managers' addresses.
// Each store object is one row, encoded on its own, and the row's bytes are kept while the object
// lives (the store replaces objects on every write and never changes one in place), as a view of
// the newest snapshot that holds it. Most objects are stored still encoded, as the bytes their
// Raft entry carried (see command-data.ts): a snapshot writes their row from those bytes and the
// store's stamps, and moves the bytes into itself; it encodes only objects of unknown origin.
// A row also names its object's id and the facts the store checks writes against, so a restored
// store keeps its objects encoded too (views into the snapshot, which the Raft storage keeps).
import { KINDS, LazyRow, factsOf, type AnyObject, type Kind, type MemoryStore, type ObjectFacts, type StoreSnapshot, type StoredRow } from '@shoal/store';
import { WIRE_VERSION, decode, encode } from '@shoal/wire';
import { MsgpackWriter, factsSize, strSize, writeFacts } from './msgpack-writer';

export interface SnapshotData {
  store: StoreSnapshot;
  peers: Record<string, string>;
}

/**
 * A stamped row: the object's wire frame as its command carried it, then the stamps the store
 * adds on write (`{ ...object, version, createdAt, updatedAt }`, which is how a row decodes),
 * then (since session 17) the object's id and its facts (nil but for services and networks).
 */
type StampedRow = [body: Uint8Array, version: number, createdAt: string, updatedAt: string, id?: string, facts?: ObjectFacts | null];

/**
 * The stored form. A row is a stamped row, or (objects without stamps, and earlier snapshots)
 * the object's wire frame; the earliest snapshots hold plain objects. All of them restore.
 */
interface StoredSnapshot {
  store: { index: number; tables: { [K in Kind]?: Array<StampedRow | Uint8Array | AnyObject> } };
  peers: Record<string, string>;
}

/** Where a row's bytes are: in the newest snapshot that holds the object, or in a buffer of its own (restored). */
interface Row {
  buf: Buffer;
  off: number;
  readonly len: number;
}

export class SnapshotCodec {
  /**
   * A row's msgpack bytes by object identity (a view into the newest snapshot that holds the
   * object, or its own buffer when restored); an object dropped from the store drops its entry.
   */
  private readonly rows = new WeakMap<object, Row>();
  /** Decoded objects of unknown origin whose row is not built yet: their encoding, by rowSize(). */
  private readonly bodies = new WeakMap<object, Uint8Array>();

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

  /**
   * encode() as steps: the capture happens at the first next(), then a pause every few rows.
   * Two passes over the rows: their sizes, then the copy into one buffer of the exact size. Each
   * object's row is then kept as a view of that buffer (which the Raft storage keeps anyway as
   * its newest snapshot): a row of the previous snapshot is copied, an object written since has
   * its row written straight from the bytes its entry carried. No buffer per row, and the rows
   * the cache holds live in the newest snapshot only, so an older one is freed with it.
   */
  private *encodeSteps(store: MemoryStore, peers: ReadonlyMap<string, string>): Generator<void, Uint8Array> {
    const index = store.appliedIndex;
    const captured = KINDS.map((kind) => [kind, [...store.rows(kind).values()]] as const);
    const peerBytes = encode(Object.fromEntries(peers)).subarray(1); // a small map: msgpackr's, without the version byte
    const key = (k: string) => 1 + k.length; // a fixstr
    let size = 1 + 1 + key('store') + 1 + key('index') + 9 + key('tables') + 1 + key('peers') + peerBytes.byteLength;
    let done = 0;
    for (const [kind, objects] of captured) {
      size += key(kind) + 5;
      for (const object of objects) {
        size += this.rowSize(kind, object);
        if (++done % STEP_ROWS === 0) yield;
      }
    }
    const w = new MsgpackWriter(size);
    w.byte(WIRE_VERSION).byte(0x82).fixstr('store').byte(0x82);
    w.fixstr('index').uint64(index);
    w.fixstr('tables').byte(0x80 | captured.length);
    for (const [kind, objects] of captured) {
      w.fixstr(kind).arrayHeader(objects.length);
      for (const object of objects) {
        const start = w.offset;
        if (object instanceof LazyRow) {
          moveLazyRow(w, object);
          if (++done % (STEP_ROWS * 8) === 0) yield;
          continue;
        }
        const row = this.rows.get(object);
        if (row) {
          w.copy(row.buf, row.off, row.len);
          row.buf = w.buffer; // the row moves to the new snapshot, in place: no allocation, no map write
          row.off = start;
        } else {
          writeRow(w, kind, object, this.bodies.get(object) as Uint8Array); // rowSize() left it there
          this.bodies.delete(object);
          this.rows.set(object, { buf: w.buffer, off: start, len: w.offset - start });
        }
        if (++done % (STEP_ROWS * 8) === 0) yield; // copying is cheaper than encoding
      }
    }
    w.fixstr('peers').raw(peerBytes);
    return w.finish();
  }

  /** The size of `object`'s row; an object of unknown origin is encoded here, for the copy to find in `bodies`. */
  private rowSize(kind: Kind, object: StoredRow): number {
    if (object instanceof LazyRow) return object.rowLen > 0 ? object.rowLen : lazyRowSize(object);
    const row = this.rows.get(object);
    if (row) return row.len;
    let body = this.bodies.get(object);
    if (!body) {
      body = encode(object);
      this.bodies.set(object, body);
    }
    return rowSizeOf(kind, object, body);
  }

  decode(data: Uint8Array): SnapshotData {
    const stored = decode<StoredSnapshot>(data);
    const tables: StoreSnapshot['tables'] = {};
    for (const kind of KINDS) {
      const rows = stored.store.tables[kind];
      if (!rows) continue;
      (tables as Record<Kind, StoredRow[]>)[kind] = rows.map((row) => {
        let body: Uint8Array;
        let object: AnyObject;
        if (Array.isArray(row)) {
          const [frame, version, createdAt, updatedAt, id, facts] = row;
          // Left encoded: its bytes are a view into the snapshot. (Its row is written afresh by
          // the next snapshot, from these bytes.)
          if (typeof id === 'string') return new LazyRow(id, version, createdAt, updatedAt, facts ?? undefined, frame, 0, frame.byteLength);
          body = frame;
          object = { ...decode<AnyObject>(frame), version, createdAt, updatedAt } as AnyObject;
        } else if (row instanceof Uint8Array) {
          body = row;
          object = decode<AnyObject>(row);
        } else return row as AnyObject;
        // Restored objects need no encoding in the next snapshot (built now: `body` is a view
        // into the whole snapshot).
        const bytes = rowBytes(kind, object, body);
        this.rows.set(object, { buf: bytes, off: 0, len: bytes.byteLength });
        return object;
      });
    }
    return { store: { index: stored.store.index, tables }, peers: stored.peers };
  }
}

/** The size of the stamped row of `row`, an object still encoded. */
function lazyRowSize(row: LazyRow): number {
  return stampedRowSize(row.len, row, row.id, row.facts);
}

/**
 * Writes the stamped row of `row`, an object still encoded (one copy when its bytes are in a
 * stamped row already, i.e. in an earlier snapshot), and moves its bytes there: its earlier
 * buffer (a Raft entry or an older snapshot) is no longer held for it.
 */
function moveLazyRow(w: MsgpackWriter, row: LazyRow): void {
  const start = w.offset;
  if (row.rowLen > 0) w.copy(row.buf, row.off - ROW_HEADER, row.rowLen);
  else {
    writeStampedRow(w, row.buf, row.off, row.len, row, row.id, row.facts);
    row.rowLen = w.offset - start;
  }
  row.buf = w.buffer;
  row.off = start + ROW_HEADER;
}

/** Bytes of a stamped row before its object's bytes: the array's header, the bin's (bin32). */
const ROW_HEADER = 6;

/**
 * The row of `object` whose unstamped form `body` encodes, in its own buffer (a small encode is
 * a slice of a shared 8 KiB pool, which a row kept for the object's lifetime would pin whole).
 */
function rowBytes(kind: Kind, object: AnyObject, body: Uint8Array): Buffer {
  const w = new MsgpackWriter(rowSizeOf(kind, object, body));
  writeRow(w, kind, object, body);
  return w.finish();
}

/** The store's stamps on `object`, when it carries them all. */
function stampsOf(object: AnyObject): Stamps | undefined {
  const { version, createdAt, updatedAt } = object as Partial<Record<'version' | 'createdAt' | 'updatedAt', unknown>>;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0 || typeof createdAt !== 'string' || typeof updatedAt !== 'string') {
    return undefined;
  }
  return { version, createdAt, updatedAt };
}

/** The size of the row writeRow() writes. */
function rowSizeOf(kind: Kind, object: AnyObject, body: Uint8Array): number {
  const stamps = stampsOf(object);
  if (!stamps) return 5 + body.byteLength;
  return stampedRowSize(body.byteLength, stamps, object.id, factsOf(kind, object));
}

/** A stamped row when the object carries the store's stamps, else `body` alone as a bin. */
function writeRow(w: MsgpackWriter, kind: Kind, object: AnyObject, body: Uint8Array): void {
  const stamps = stampsOf(object);
  if (!stamps) w.bin(body);
  else writeStampedRow(w, body, 0, body.byteLength, stamps, object.id, factsOf(kind, object));
}

type Stamps = { version: number; createdAt: string; updatedAt: string };

/** The size of a stamped row of `len` bytes of object. */
function stampedRowSize(len: number, stamps: Stamps, id: string, facts: ObjectFacts | undefined): number {
  return 1 + 5 + len + 9 + strSize(stamps.createdAt) + strSize(stamps.updatedAt) + strSize(id) + factsSize(facts);
}

/** `[bin(object's bytes), version, createdAt, updatedAt, id, facts]`: the bytes are `len` of `buf` at `off`. */
function writeStampedRow(w: MsgpackWriter, buf: Uint8Array, off: number, len: number, stamps: Stamps, id: string, facts: ObjectFacts | undefined): void {
  w.byte(0x96).byte(0xc6).u32(len).copy(buf, off, len); // ROW_HEADER bytes, then the object's
  w.uint64(stamps.version).str(stamps.createdAt).str(stamps.updatedAt).str(id);
  writeFacts(w, facts);
}

/** A slice of a snapshot encoding yields the event loop after this long (milliseconds). */
const SLICE_MS = 4;
/** Rows between looks at the clock (an uncached row takes ~5–10 µs to encode). */
const STEP_ROWS = 64;

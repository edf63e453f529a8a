// What a Raft snapshot of a manager holds: the store's tables and the managers' addresses.
// Each store object is encoded on its own and the bytes are kept while the object lives:
// the store replaces objects on every write and never changes one in place, so a snapshot
// re-encodes only what changed since the last one instead of the whole store.
import { KINDS, type AnyObject, type Kind, type MemoryStore, type StoreSnapshot } from '@shoal/store';
import { decode, encode } from '@shoal/wire';

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

  encode(store: MemoryStore, peers: ReadonlyMap<string, string>): Uint8Array {
    const tables: StoredSnapshot['store']['tables'] = {};
    for (const kind of KINDS) {
      const rows: Uint8Array[] = [];
      for (const object of store.table(kind).values()) rows.push(this.row(object));
      tables[kind] = rows;
    }
    return encode({ store: { index: store.appliedIndex, tables }, peers: Object.fromEntries(peers) } satisfies StoredSnapshot);
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

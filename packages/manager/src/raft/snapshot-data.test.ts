import { LazyRow, MemoryStore, type EncodedWriteOp, type NetworkObject, type StoreOp } from '@shoal/store';
import { decode, encode } from '@shoal/wire';
import { describe, expect, it } from 'vitest';
import { decodeCommand, encodeCommand } from './command-data';
import { SnapshotCodec } from './snapshot-data';

const network = (id: string, name: string): StoreOp => ({
  op: 'create',
  kind: 'network',
  object: { id, name, driver: 'overlay', ingress: false, attachable: false, labels: {}, subnet: '10.0.0.0/24', gateway: '10.0.0.1' } as NetworkObject,
});

function storeWith(n: number): MemoryStore {
  const store = new MemoryStore(decode);
  for (let i = 1; i <= n; i++) store.apply(i, { type: 'batch', at: '2026-01-01T00:00:00Z', ops: [network(`id${i}`, `net${i}`)] });
  return store;
}

describe('SnapshotCodec', () => {
  it('restores the tables, index and peers it encoded', () => {
    const store = storeWith(3);
    const codec = new SnapshotCodec();
    const data = codec.encode(store, new Map([['m1', '10.0.0.1:2377']]));
    const back = new SnapshotCodec().decode(data);
    expect(back.peers).toEqual({ m1: '10.0.0.1:2377' });
    const restored = new MemoryStore(decode);
    restored.restore(back.store);
    expect(restored.appliedIndex).toBe(3);
    expect(restored.list('network')).toEqual(store.list('network'));
  });

  it('encodes an unchanged object once across snapshots, and a replaced one again', () => {
    const store = storeWith(2);
    const codec = new SnapshotCodec();
    const first = codec.encode(store, new Map());
    expect(codec.encode(store, new Map())).toEqual(first);
    const before = store.get('network', 'id1');
    store.apply(3, { type: 'batch', at: '2026-01-02T00:00:00Z', ops: [{ op: 'update', kind: 'network', object: { ...(before as NetworkObject), name: 'renamed' } }] });
    const restored = new MemoryStore(decode);
    restored.restore(new SnapshotCodec().decode(codec.encode(store, new Map())).store);
    expect(restored.get('network', 'id1')?.name).toBe('renamed');
  });

  it('keeps each row as a view of the newest snapshot only: an older snapshot buffer is never read again', () => {
    const store = storeWith(3);
    const codec = new SnapshotCodec();
    const first = codec.encode(store, new Map());
    const expected = Buffer.from(first);
    const second = codec.encode(store, new Map());
    expect(Buffer.from(second)).toEqual(expected);
    // Were a row still a view of the first snapshot, the next one would copy these zeros.
    first.fill(0);
    expect(Buffer.from(codec.encode(store, new Map()))).toEqual(expected);
  });

  it('reads snapshots whose rows are plain objects (the earlier format)', () => {
    const store = storeWith(2);
    const old = encode({ store: store.snapshot(), peers: { m1: 'a:1' } });
    const back = new SnapshotCodec().decode(old);
    const restored = new MemoryStore(decode);
    restored.restore(back.store);
    expect(restored.list('network')).toEqual(store.list('network'));
  });

  it('keeps the bytes an object arrived in as its row: the snapshot copies them, decodes nothing, and restores the stored object', () => {
    const store = new MemoryStore(decode);
    const codec = new SnapshotCodec();
    const apply = (index: number, ops: StoreOp[]) => {
      const command = decodeCommand(encodeCommand({ type: 'batch', at: `2026-01-0${index}T00:00:00Z`, ops }).data);
      const result = store.apply(index, command);
      if (!result.ok) throw new Error(result.message);
      return command.ops.map((op) => (op as EncodedWriteOp).object.bytes);
    };
    const [created] = apply(1, [network('id1', 'net1'), network('id2', 'net2')]);
    const before = store.get('network', 'id1') as NetworkObject;
    const [updated] = apply(2, [{ op: 'update', kind: 'network', object: { ...before, name: 'renamed' } }]);
    const data = Buffer.from(codec.encode(store, new Map()));
    // The update's body (which still carries the old stamps) is in the snapshot byte for byte; the
    // created object's body went with the object the update replaced.
    expect(data.indexOf(Buffer.from(updated as Uint8Array))).toBeGreaterThan(0);
    expect(data.indexOf(Buffer.from(created as Uint8Array))).toBe(-1);
    // Snapshots copy an unread object's bytes: it stays unread.
    const unread = store.rows('network').get('id2');
    expect(unread).toBeInstanceOf(LazyRow);
    expect((unread as LazyRow).value).toBeUndefined();
    const restored = new MemoryStore(decode);
    restored.restore(new SnapshotCodec().decode(data).store);
    // The same objects, keys in the same order, stamps from the store.
    expect(JSON.stringify(restored.list('network'))).toBe(JSON.stringify(store.list('network')));
    expect(restored.get('network', 'id1')).toMatchObject({ name: 'renamed', version: 2, createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-02T00:00:00Z' });
    // A codec that restored a snapshot writes the same rows again without encoding anything.
    const again = new SnapshotCodec();
    const back = new MemoryStore(decode);
    back.restore(again.decode(data).store);
    expect(Buffer.from(again.encode(back, new Map()))).toEqual(data);
  });

  it("moves an unread object's bytes into the newest snapshot: neither its entry nor an older snapshot is read again", () => {
    const store = new MemoryStore(decode);
    const entries = [1, 2, 3].map((i) => encodeCommand({ type: 'batch', at: '2026-01-01T00:00:00Z', ops: [network(`id${i}`, `net${i}`)] }).data);
    entries.forEach((entry, i) => store.apply(i + 1, decodeCommand(entry)));
    const codec = new SnapshotCodec();
    const first = codec.encode(store, new Map());
    const expected = Buffer.from(first);
    for (const entry of entries) entry.fill(0);
    expect(Buffer.from(codec.encode(store, new Map()))).toEqual(expected);
    first.fill(0);
    const third = codec.encode(store, new Map());
    expect(Buffer.from(third)).toEqual(expected);
    // And the objects read after all that are the ones written.
    expect(store.list('network').map((n) => n.name)).toEqual(['net1', 'net2', 'net3']);
  });

  it('restores a store whose objects stay encoded, views into the snapshot, its checks working without decoding', () => {
    let decodes = 0;
    const counting = (bytes: Uint8Array) => {
      decodes++;
      return decode(bytes);
    };
    const store = new MemoryStore(decode);
    const ops = [network('id1', 'net1'), network('id2', 'net2')];
    store.apply(1, decodeCommand(encodeCommand({ type: 'batch', at: '2026-01-01T00:00:00Z', ops }).data));
    const data = new SnapshotCodec().encode(store, new Map());
    const restored = new MemoryStore(counting);
    restored.restore(new SnapshotCodec().decode(data).store);
    const rows = [...restored.rows('network').values()];
    expect(rows.every((row) => row instanceof LazyRow && row.value === undefined && row.buf.buffer === data.buffer)).toBe(true);
    // The name index came with the rows: a taken name is refused, nothing decoded.
    expect(restored.apply(2, decodeCommand(encodeCommand({ type: 'batch', at: '2026-01-02T00:00:00Z', ops: [network('id3', 'net1')] }).data))).toMatchObject({ ok: false, code: 'ALREADY_EXISTS' });
    expect(decodes).toBe(0);
    expect(JSON.stringify(restored.list('network'))).toBe(JSON.stringify(store.list('network')));
    expect(decodes).toBe(2);
  });

  it('reads snapshots whose stamped rows carry no id (sessions 13 to 16): the objects restore decoded', () => {
    const store = storeWith(2);
    const tables = { network: store.list('network').map(({ version, createdAt, updatedAt, ...rest }) => [encode(rest), version, createdAt, updatedAt]) };
    const old = encode({ store: { index: 2, tables }, peers: {} });
    const restored = new MemoryStore(decode);
    restored.restore(new SnapshotCodec().decode(old).store);
    expect([...restored.rows('network').values()].some((row) => row instanceof LazyRow)).toBe(false);
    expect(restored.list('network')).toEqual(store.list('network'));
  });

  it('reads snapshots whose rows are each a wire frame of the whole object (session 4 to 10)', () => {
    const store = storeWith(2);
    const tables = { network: store.list('network').map((o) => new Uint8Array(encode(o))) };
    const old = encode({ store: { index: 2, tables }, peers: {} });
    const restored = new MemoryStore(decode);
    restored.restore(new SnapshotCodec().decode(old).store);
    expect(restored.list('network')).toEqual(store.list('network'));
  });

  it('encodes in slices the state captured at the call, yielding the event loop between slices', async () => {
    const store = storeWith(500);
    const codec = new SnapshotCodec();
    const expected = new SnapshotCodec().encode(store, new Map([['m1', 'a:1']]));
    let turns = 0;
    let counting = true;
    const count = () => {
      turns++;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    const pending = codec.encodeAsync(store, new Map([['m1', 'a:1']]), 0); // a slice per step
    // A write applied after the call is not in the snapshot.
    store.apply(501, { type: 'batch', at: '2026-01-01T00:00:00Z', ops: [network('late', 'late')] });
    const data = await pending;
    counting = false;
    expect(turns).toBeGreaterThan(0);
    expect(data).toEqual(expected);
    const restored = new MemoryStore(decode);
    restored.restore(new SnapshotCodec().decode(data).store);
    expect(restored.appliedIndex).toBe(500);
    expect(restored.get('network', 'late')).toBeUndefined();
  });
});

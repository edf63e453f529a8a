import { MemoryStore, type AnyObject, type NetworkObject, type StoreCommand, type StoreOp } from '@shoal/store';
import { decode, encode } from '@shoal/wire';
import { describe, expect, it } from 'vitest';
import { SnapshotCodec } from './snapshot-data';

const network = (id: string, name: string): StoreOp => ({
  op: 'create',
  kind: 'network',
  object: { id, name, driver: 'overlay', ingress: false, attachable: false, labels: {}, subnet: '10.0.0.0/24', gateway: '10.0.0.1' } as NetworkObject,
});

function storeWith(n: number): MemoryStore {
  const store = new MemoryStore();
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
    const restored = new MemoryStore();
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
    const restored = new MemoryStore();
    restored.restore(new SnapshotCodec().decode(codec.encode(store, new Map())).store);
    expect(restored.get('network', 'id1')?.name).toBe('renamed');
  });

  it('reads snapshots whose rows are plain objects (the earlier format)', () => {
    const store = storeWith(2);
    const old = encode({ store: store.snapshot(), peers: { m1: 'a:1' } });
    const back = new SnapshotCodec().decode(old);
    const restored = new MemoryStore();
    restored.restore(back.store);
    expect(restored.list('network')).toEqual(store.list('network'));
  });

  describe('adopt (rows cut from the applied command)', () => {
    /** Applies `command` as a replica does (from its bytes) and adopts the rows. */
    function applyBytes(store: MemoryStore, codec: SnapshotCodec, index: number, command: StoreCommand) {
      const bytes = encode(command);
      const result = store.apply(index, decode<StoreCommand>(bytes));
      if (!result.ok) throw new Error(result.message);
      codec.adopt(bytes, result.events);
      return result.events;
    }

    const odd = {
      labels: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`l${i}`, `v${i}`])),
      long: 'x'.repeat(300),
      unicode: 'zürich ✓ 🐟',
      numbers: [0, -1, 255, 65_536, 2 ** 40, 1.25],
      flags: [true, false, null],
      nothing: undefined,
      bytes: new Uint8Array([9, 8, 7]),
    };

    it('gives created and updated objects rows that decode to the stored objects', () => {
      const store = new MemoryStore();
      const codec = new SnapshotCodec();
      const wide = { ...network('w', 'wide'), object: { ...network('w', 'wide').object, ...odd } } as StoreOp;
      const events = applyBytes(store, codec, 1, { type: 'batch', at: '2026-01-01T00:00:00Z', ops: [network('a', 'one'), wide] });
      const before = store.get('network', 'a') as NetworkObject;
      applyBytes(store, codec, 300, {
        type: 'batch',
        at: '2026-01-02T00:00:00.123Z',
        ops: [{ op: 'update', kind: 'network', object: { id: 'a', name: 'two', driver: 'overlay', ingress: false, attachable: false, labels: { é: 'ü' }, subnet: before.subnet, gateway: before.gateway } as NetworkObject }, { op: 'delete', kind: 'network', id: 'w' }],
      });
      for (const event of events) expect(codec.hasRow(event.object)).toBe(true);
      const updated = store.get('network', 'a') as AnyObject;
      expect(codec.hasRow(updated)).toBe(true);
      expect(updated.version).toBe(300);
      // the snapshot made of adopted rows restores exactly what the store holds
      const restored = new MemoryStore();
      restored.restore(new SnapshotCodec().decode(codec.encode(store, new Map())).store);
      expect(restored.list('network')).toEqual(store.list('network'));
      expect(restored.get('network', 'a')).toEqual(updated);
    });

    it('restores odd values (wide maps, long and unicode strings, every number size, bytes) exactly', () => {
      const store = new MemoryStore();
      const codec = new SnapshotCodec();
      const [event] = applyBytes(store, codec, 70_000, { type: 'batch', at: '2026-01-01T00:00:00Z', ops: [{ ...network('w', 'wide'), object: { ...network('w', 'wide').object, ...odd } } as StoreOp] });
      expect(event && codec.hasRow(event.object)).toBe(true);
      const restored = new MemoryStore();
      restored.restore(new SnapshotCodec().decode(codec.encode(store, new Map())).store);
      expect(restored.get('network', 'w')).toEqual(store.get('network', 'w'));
      expect(codec.encode(store, new Map())).toEqual(new SnapshotCodec().encode(store, new Map())); // same bytes as encoding afresh
    });

    it('leaves an object whose op carried a key the store sets to be encoded', () => {
      const store = new MemoryStore();
      const codec = new SnapshotCodec();
      const op = network('a', 'one');
      const withVersion = { ...op, object: { ...op.object, version: 99 } } as StoreOp;
      const [event] = applyBytes(store, codec, 5, { type: 'batch', at: '2026-01-01T00:00:00Z', ops: [withVersion] });
      expect(event && codec.hasRow(event.object)).toBe(false);
      const restored = new MemoryStore();
      restored.restore(new SnapshotCodec().decode(codec.encode(store, new Map())).store);
      expect(restored.get('network', 'a')?.version).toBe(5);
    });

    it('ignores bytes it cannot read', () => {
      const store = new MemoryStore();
      const codec = new SnapshotCodec();
      const bytes = encode({ type: 'batch', at: '2026-01-01T00:00:00Z', ops: [network('a', 'one')] });
      const result = store.apply(1, decode<StoreCommand>(bytes));
      if (!result.ok) throw new Error(result.message);
      expect(() => codec.adopt(bytes.subarray(0, 20), result.events)).not.toThrow();
      expect(() => codec.adopt(new Uint8Array([2, 0x80]), result.events)).not.toThrow();
      expect(codec.hasRow(result.events[0]?.object as AnyObject)).toBe(false);
    });
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
    const restored = new MemoryStore();
    restored.restore(new SnapshotCodec().decode(data).store);
    expect(restored.appliedIndex).toBe(500);
    expect(restored.get('network', 'late')).toBeUndefined();
  });
});

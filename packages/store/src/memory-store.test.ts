import { describe, expect, it } from 'vitest';
import { createOp, deleteOp, updateOp, type AppliedCommand, type StoreCommand, type StoreOp } from './commands';
import { LazyRow, factsOf } from './encoded';
import { MemoryStore } from './memory-store';
import { sampleNode } from './test-fixtures';

const at = '2026-01-01T00:00:00.000Z';
const batch = (...ops: StoreOp[]): StoreCommand => ({ type: 'batch', at, ops });

// Objects encoded as a replica's log carries them (any format does: the store only calls the decoder).
const utf8 = new TextEncoder();
let decodes = 0;
const jsonDecode = (bytes: Uint8Array): unknown => {
  decodes++;
  return JSON.parse(new TextDecoder().decode(bytes));
};

/** `command` with each written object encoded, with its facts (or without, as no writer sends them now). */
function encoded(command: StoreCommand, withFacts: boolean): AppliedCommand {
  const ops = command.ops.map((op) => {
    if (op.op === 'delete') return op;
    const facts = withFacts ? factsOf(op.kind, op.object) : undefined;
    const bytes = utf8.encode(JSON.stringify(op.object));
    return { ...op, object: facts ? { encoded: true as const, id: op.object.id, facts, bytes } : { encoded: true as const, id: op.object.id, bytes } };
  });
  return { ...command, ops };
}

/** A store that applies every write encoded, as a replica does. */
class EncodedWrites extends MemoryStore {
  constructor(private readonly withFacts: boolean) {
    super(jsonDecode);
  }
  override apply(index: number, command: AppliedCommand) {
    return super.apply(index, encoded(command as StoreCommand, this.withFacts));
  }
}

// Every rule holds alike for objects written decoded and for objects written encoded.
const MODES: Array<[string, () => MemoryStore]> = [
  ['decoded writes', () => new MemoryStore()],
  ['encoded writes', () => new EncodedWrites(true)],
  ['encoded writes without facts', () => new EncodedWrites(false)],
];

describe.each(MODES)('MemoryStore (%s)', (_mode, newStore) => {
  it('versions objects by log index and publishes events after apply', () => {
    const store = newStore();
    const seen: string[] = [];
    store.watch((events, index) => seen.push(...events.map((e) => `${index}:${e.action}:${e.object.id}`)));
    expect(store.apply(1, batch(createOp('node', sampleNode('a')))).ok).toBe(true);
    expect(store.get('node', 'a')?.version).toBe(1);
    const node = store.get('node', 'a')!;
    expect(store.apply(2, batch(updateOp('node', { ...node, spec: { ...node.spec, availability: 'drain' } }, 1))).ok).toBe(true);
    expect(store.get('node', 'a')).toMatchObject({ version: 2, createdAt: at, spec: { availability: 'drain' } });
    expect(seen).toEqual(['1:create:a', '2:update:a']);
  });

  it('refuses a stale version with "update out of sequence" and changes nothing', () => {
    const store = newStore();
    store.apply(1, batch(createOp('node', sampleNode('a'))));
    store.apply(2, batch(updateOp('node', sampleNode('a'))));
    const res = store.apply(3, batch(updateOp('node', { ...sampleNode('a'), role: 'manager' }, 1)));
    expect(res).toEqual({ ok: false, code: 'OUT_OF_SEQUENCE', message: 'update out of sequence' });
    expect(store.get('node', 'a')?.role).toBe('worker');
    expect(store.appliedIndex).toBe(3);
  });

  it('applies a batch atomically', () => {
    const store = newStore();
    store.apply(1, batch(createOp('node', sampleNode('a'))));
    const res = store.apply(2, batch(createOp('node', sampleNode('b')), createOp('node', sampleNode('a'))));
    expect(res.ok).toBe(false);
    expect(store.get('node', 'b')).toBeUndefined();
    expect(store.apply(3, batch(deleteOp('node', 'zzz'))).ok).toBe(false);
    expect(store.apply(4, batch(deleteOp('node', 'a'))).ok).toBe(true);
    expect(store.list('node')).toEqual([]);
  });

  it('restores from a snapshot', () => {
    const a = newStore();
    a.apply(1, batch(createOp('node', sampleNode('a')), createOp('node', sampleNode('b'))));
    const b = new MemoryStore();
    b.restore(JSON.parse(JSON.stringify(a.snapshot())));
    expect(b.list('node').map((n) => n.id).sort()).toEqual(['a', 'b']);
    expect(b.appliedIndex).toBe(1);
  });

  it('keeps service and network names unique: a rename frees the old name, a removal frees its name', () => {
    const store = newStore();
    const net = (id: string, name: string) => ({ id, name, driver: 'overlay' as const, ingress: false, attachable: false, labels: {}, subnet: '10.0.1.0/24', gateway: '10.0.1.1' });
    store.apply(1, batch(createOp('network', net('n1', 'front'))));
    const taken = { ok: false, code: 'ALREADY_EXISTS', message: 'name conflicts with an existing object: network front already exists' };
    expect(store.apply(2, batch(createOp('network', net('n2', 'front'))))).toEqual(taken);
    expect(store.apply(3, batch(createOp('network', net('n2', 'back')))).ok).toBe(true);
    expect(store.apply(4, batch(updateOp('network', { ...net('n2', 'front') })))).toEqual(taken);
    expect(store.apply(5, batch(updateOp('network', net('n1', 'edge')))).ok).toBe(true);
    expect(store.apply(6, batch(updateOp('network', net('n2', 'front')))).ok).toBe(true);
    expect(store.apply(7, batch(createOp('network', net('n3', 'edge'))))).toEqual({ ...taken, message: taken.message.replace('front', 'edge') });
    // Two writes of one batch cannot both take a name (review: the index kept only the second).
    expect(store.apply(8, batch(updateOp('network', net('n1', 'x')), updateOp('network', net('n2', 'x'))))).toEqual({ ...taken, message: taken.message.replace('front', 'x') });
    expect(store.apply(9, batch(deleteOp('network', 'n1'))).ok).toBe(true);
    expect(store.apply(10, batch(createOp('network', net('n3', 'edge')))).ok).toBe(true);
    expect(store.list('network').map((n) => `${n.id}:${n.name}:${n.version}:${n.createdAt === at}`).sort()).toEqual(['n2:front:6:true', 'n3:edge:10:true']);
  });
});

describe('MemoryStore: objects written encoded', () => {
  it('decodes an object on its first read only, and the same object serves every later read and its events', () => {
    const store = new EncodedWrites(true);
    const events: Array<{ object: unknown; previous?: unknown }> = [];
    store.watch((evs) => events.push(...evs));
    decodes = 0;
    store.apply(1, batch(createOp('node', sampleNode('a')), createOp('node', sampleNode('b'))));
    store.apply(2, batch(updateOp('node', { ...sampleNode('a'), role: 'manager' })));
    store.apply(3, batch(deleteOp('node', 'b')));
    expect(decodes).toBe(0); // applied, checked and published without decoding anything
    const a = store.get('node', 'a');
    expect(a).toMatchObject({ id: 'a', role: 'manager', version: 2, createdAt: at, updatedAt: at });
    expect(decodes).toBe(1);
    expect(store.get('node', 'a')).toBe(a);
    expect(store.list('node')).toEqual([a]);
    expect(events[2]?.object).toBe(a); // the update's event: the stored object
    expect(events[2]?.previous).toMatchObject({ id: 'a', role: 'worker', version: 1 });
    expect(events[3]?.object).toMatchObject({ id: 'b', version: 1 }); // the removed object
    expect(decodes).toBe(3);
  });

  it('decodes what is still encoded a slice at a time, ahead of the reads (a new leader)', () => {
    const store = new EncodedWrites(true);
    for (let i = 1; i <= 100; i++) store.apply(i, batch(createOp('node', sampleNode(`n${i}`))));
    let clock = 0;
    const now = () => clock++; // one tick per look at the clock
    decodes = 0;
    expect(store.decodeSome(1, now)).toBe(false); // looks at the start and after 32 decoded: over budget
    expect(decodes).toBe(32);
    store.apply(101, batch(createOp('node', sampleNode('late')))); // joins the pass under way
    const passes = [1, 2, 3, 4].map(() => store.decodeSome(1, now));
    expect(passes).toEqual([false, false, true, true]); // the last one: a fresh pass with nothing to decode
    expect(decodes).toBe(101);
    expect([...store.rows('node').values()].every((row) => !(row instanceof LazyRow) || row.value !== undefined)).toBe(true);
    store.get('node', 'late');
    expect(decodes).toBe(101);
  });

  it('refuses encoded writes in a store without a decoder, applying nothing', () => {
    const store = new MemoryStore();
    expect(() => store.apply(1, encoded(batch(createOp('node', sampleNode('a'))), true))).toThrow('no decoder');
    expect(store.appliedIndex).toBe(0);
    expect(store.list('node')).toEqual([]);
  });

  it('checks services and networks by the facts written beside them, without decoding', () => {
    const store = new EncodedWrites(true);
    const net = { id: 'n1', name: 'front', driver: 'overlay' as const, ingress: false, attachable: false, labels: {}, subnet: '10.0.1.0/24', gateway: '10.0.1.1' };
    const svc = { id: 's1', spec: { name: 'web', task: { networks: [{ target: 'n1' }] }, endpoint: { mode: 'vip', ports: [] } }, endpoint: { ports: [] } } as unknown as Parameters<typeof createOp<'service'>>[1];
    decodes = 0;
    expect(store.apply(1, batch(createOp('network', net), createOp('service', svc))).ok).toBe(true);
    expect(store.apply(2, batch(deleteOp('network', 'n1'))).ok).toBe(false);
    expect(store.apply(3, batch(createOp('service', { ...svc, id: 's2' }))).ok).toBe(false); // the name is taken
    expect(decodes).toBe(0);
    expect([...store.rows('service').values()].every((row) => row instanceof LazyRow && row.value === undefined)).toBe(true);
  });
});

describe.each(MODES)('MemoryStore: networks services attach to (%s)', (_mode, newStore) => {
  const net = (id: string) => ({ id, name: `net-${id}`, driver: 'overlay' as const, ingress: false, attachable: false, labels: {}, subnet: '10.0.1.0/24', gateway: '10.0.1.1' });
  // Only what the rule reads; the store keeps objects as given.
  const svc = (id: string, networks: string[]) =>
    ({ id, spec: { name: id, task: { networks: networks.map((target) => ({ target })) }, endpoint: { mode: 'vip', ports: [] } }, endpoint: { ports: [] } }) as unknown as Parameters<typeof createOp<'service'>>[1];

  it('refuses to remove a network a service uses, in the order the log decides', () => {
    const store = newStore();
    store.apply(1, batch(createOp('network', net('n1'))));
    expect(store.apply(2, batch(createOp('service', svc('s1', ['n1'])))).ok).toBe(true);
    expect(store.apply(3, batch(deleteOp('network', 'n1')))).toEqual({
      ok: false,
      code: 'FAILED_PRECONDITION',
      message: 'rpc error: code = FailedPrecondition desc = network n1 is in use by service s1',
    });
    // Detached (or removed) in the same batch: the network goes.
    const s1 = store.get('service', 's1')!;
    expect(store.apply(4, batch(updateOp('service', { ...s1, spec: { ...s1.spec, task: { ...s1.spec.task, networks: [] } } }), deleteOp('network', 'n1'))).ok).toBe(true);
    expect(store.get('network', 'n1')).toBeUndefined();
  });

  it('refuses to attach a service to a network that is gone, and keeps an attachment written before', () => {
    const store = newStore();
    store.apply(1, batch(createOp('network', net('n1'))));
    store.apply(2, batch(deleteOp('network', 'n1')));
    expect(store.apply(3, batch(createOp('service', svc('s1', ['n1']))))).toEqual({ ok: false, code: 'NOT_FOUND', message: 'network n1 not found' });
    expect(store.get('service', 's1')).toBeUndefined();
    // A network created in the same batch can be attached at once.
    expect(store.apply(4, batch(createOp('network', net('n2')), createOp('service', svc('s2', ['n2'])))).ok).toBe(true);
    // A service restored with an attachment to a missing network (written before this rule) can still be updated.
    store.restore({ index: 10, tables: { service: [{ ...svc('old', ['gone']), version: 9, createdAt: at, updatedAt: at }] } });
    const old = store.get('service', 'old')!;
    expect(store.apply(11, batch(updateOp('service', { ...old, spec: { ...old.spec, labels: { a: 'b' } } }))).ok).toBe(true);
  });

  it('keeps the ingress network while a service publishes through the routing mesh, and needs it for such a service', () => {
    const store = newStore();
    const port = (publishMode: 'ingress' | 'host') => ({ protocol: 'tcp', targetPort: 80, publishedPort: 8080, publishMode });
    const publishing = (id: string, publishMode: 'ingress' | 'host') => {
      const s = svc(id, []);
      return { ...s, spec: { ...s.spec, endpoint: { mode: 'vip', ports: [port(publishMode)] } } } as typeof s;
    };
    store.apply(1, batch(createOp('network', { ...net('ing'), name: 'ingress', ingress: true })));
    expect(store.apply(2, batch(createOp('service', publishing('web', 'ingress')))).ok).toBe(true);
    expect(store.apply(3, batch(deleteOp('network', 'ing')))).toEqual({
      ok: false,
      code: 'FAILED_PRECONDITION',
      message: 'rpc error: code = FailedPrecondition desc = ingress network cannot be removed because service web depends on it',
    });
    expect(store.get('network', 'ing')).toBeDefined();
    // Host-mode ports need no mesh: with only those left, ingress may go; then no service may need it.
    const web = store.get('service', 'web')!;
    expect(store.apply(4, batch(updateOp('service', { ...web, spec: { ...web.spec, endpoint: { mode: 'vip', ports: [port('host')] } } }), deleteOp('network', 'ing'))).ok).toBe(true);
    const needs = { ok: false, code: 'FAILED_PRECONDITION', message: 'rpc error: code = FailedPrecondition desc = service needs ingress network, but no ingress network is present' };
    expect(store.apply(5, batch(createOp('service', publishing('api', 'ingress'))))).toEqual(needs);
    const again = store.get('service', 'web')!;
    expect(store.apply(6, batch(updateOp('service', { ...again, spec: { ...again.spec, endpoint: { mode: 'vip', ports: [port('ingress')] } } })))).toEqual(needs);
    expect(store.apply(7, batch(createOp('service', publishing('hosty', 'host')))).ok).toBe(true);
    // An ingress network created in the same batch serves.
    expect(store.apply(8, batch(createOp('network', { ...net('ing2'), name: 'ingress', ingress: true }), createOp('service', publishing('api', 'ingress')))).ok).toBe(true);
  });
});

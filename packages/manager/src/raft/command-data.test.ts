import { MemoryStore, factsOf, updateOp, type EncodedWriteOp, type NetworkObject, type StoreCommand, type StoreOp } from '@shoal/store';
import { decode, encode } from '@shoal/wire';
import { describe, expect, it } from 'vitest';
import { decodeCommand, encodeCommand } from './command-data';

const object = { id: 'n1', name: 'net', driver: 'overlay', ingress: false, attachable: false, labels: { a: 'b' }, subnet: '10.0.0.0/24', gateway: '10.0.0.1' } as NetworkObject;
const command: StoreCommand = {
  type: 'batch',
  at: '2026-01-01T00:00:00Z',
  ops: [
    { op: 'create', kind: 'network', object },
    { op: 'delete', kind: 'network', id: 'n0', expectVersion: 3 },
  ],
};

describe('store commands as Raft entries', () => {
  it('carries each written object as its own wire frame, with its id and facts, and decodes to it unopened', () => {
    const data = encodeCommand(command).data;
    const back = decodeCommand(data);
    expect(back.at).toBe(command.at);
    expect(back.ops[1]).toEqual(command.ops[1]);
    const write = back.ops[0] as EncodedWriteOp;
    expect(write).toMatchObject({ op: 'create', kind: 'network', object: { encoded: true, id: 'n1', facts: { name: 'net', ingress: false } } });
    expect(decode(write.object.bytes)).toEqual(object);
    // The frame is a view into the entry, not a copy.
    expect(write.object.bytes.buffer).toBe(data.buffer);
  });

  it('writes the entry the generic encoder would, envelope and frames alike', () => {
    const service = { id: 's1', spec: { name: 'web', labels: { 'é': '✓' }, task: { networks: [{ target: 'n1' }] }, endpoint: { ports: [{ publishMode: 'ingress' }] } }, weird: undefined } as never;
    const variants: StoreCommand[] = [
      command,
      { type: 'batch', at: 'now', ops: [] },
      { type: 'batch', at: '2026-01-01T00:00:00.123Z', ops: [{ op: 'create', kind: 'service', object: service }, updateOp('network', object, 2 ** 40), { op: 'delete', kind: 'task', id: 't' }] },
      { type: 'batch', at: 'x', ops: [{ op: 'update', kind: 'node', object: { id: 'node1', x: [1, 2.5, null] } as never }] },
      // No id: written without id and facts, as replicas then decode it at once.
      { type: 'batch', at: 'x', ops: [{ op: 'create', kind: 'task', object: { name: 'noid' } as never }] },
    ];
    for (const c of variants) {
      const generic = new Uint8Array(
        encode({
          ...c,
          ops: c.ops.map((op) => {
            if (op.op === 'delete') return op;
            const id: unknown = op.object.id;
            if (typeof id !== 'string') return { ...op, object: encode(op.object) };
            const facts = factsOf(op.kind, op.object);
            return { ...op, object: encode(op.object), id, ...(facts && { facts }) };
          }),
        }),
      );
      expect(decode(encodeCommand(c).data)).toEqual(decode(generic));
    }
  });

  it('gives the proposer the command as a replica decodes it, with each object at hand', () => {
    const c: StoreCommand = { ...command, ops: [...command.ops, updateOp('network', { ...object, labels: {} }, 4)] };
    const { data, applied } = encodeCommand(c);
    const decoded = decodeCommand(data);
    expect(applied.ops.map((op) => (op.op !== 'delete' && 'encoded' in op.object ? { ...op, object: { ...op.object, value: undefined } } : op))).toEqual(
      decoded.ops.map((op) => (op.op !== 'delete' && 'encoded' in op.object ? { ...op, object: { ...op.object, value: undefined } } : op)),
    );
    const write = applied.ops[0] as EncodedWriteOp;
    expect(write.object.value).toBe(object);
    expect(write.object.bytes.buffer).toBe(data.buffer);
    // A store applying it keeps the object decoded without decoding anything.
    let decodes = 0;
    const store = new MemoryStore((bytes) => (decodes++, decode(bytes)));
    expect(store.apply(1, { ...applied, ops: [applied.ops[0] as EncodedWriteOp] }).ok).toBe(true);
    expect(store.get('network', 'n1')).toEqual({ ...object, version: 1, createdAt: command.at, updatedAt: command.at });
    expect(decodes).toBe(0);
  });

  it('refuses, under the test suites (SHOAL_CHECK_WRITES), an object its encoding would change: the proposer would store it unlike everyone else', () => {
    expect(process.env.SHOAL_CHECK_WRITES).toBe('1');
    const changed = [{ ...object, labels: JSON.parse('{"__proto__":"x"}') as Record<string, string> }, { ...object, name: 'a\ud800' }, { ...object, extra: new Map([[1, 2]]) }];
    for (const o of changed) {
      expect(() => encodeCommand({ type: 'batch', at: 'x', ops: [{ op: 'create', kind: 'network', object: o as NetworkObject }] }), String(o.name)).toThrow(/does not survive its encoding/);
    }
    expect(() => encodeCommand({ type: 'batch', at: 'x', ops: [{ op: 'create', kind: 'network', object: { ...object, gone: undefined, when: new Date(0), big: 2 ** 53 - 1 } as NetworkObject }] })).not.toThrow();
  });

  it('applies to the same store as the command itself', () => {
    const direct = new MemoryStore();
    const replica = new MemoryStore(decode);
    const create = encodeCommand({ type: 'batch', at: command.at, ops: [command.ops[0] as StoreOp] }).data;
    expect(direct.apply(1, { type: 'batch', at: command.at, ops: [command.ops[0] as StoreOp] }).ok).toBe(true);
    expect(replica.apply(1, decodeCommand(create)).ok).toBe(true);
    const update = updateOp('network', { ...object, labels: {} }, 1);
    expect(direct.apply(2, { type: 'batch', at: command.at, ops: [update] }).ok).toBe(true);
    expect(replica.apply(2, decodeCommand(encodeCommand({ type: 'batch', at: command.at, ops: [update] }).data)).ok).toBe(true);
    expect(JSON.stringify(replica.list('network'))).toBe(JSON.stringify(direct.list('network')));
  });

  it('decodes entries written with the objects inline, or as frames without id and facts (earlier forms)', () => {
    expect(decodeCommand(new Uint8Array(encode(command)))).toEqual(command);
    const framed = { ...command, ops: [{ ...command.ops[0], object: encode(object) }, command.ops[1]] };
    expect(decodeCommand(new Uint8Array(encode(framed)))).toEqual(command);
  });
});

import { MemoryStore, updateOp, type EncodedWriteOp, type NetworkObject, type StoreCommand, type StoreOp } from '@shoal/store';
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
    const data = encodeCommand(command);
    const back = decodeCommand(data);
    expect(back.at).toBe(command.at);
    expect(back.ops[1]).toEqual(command.ops[1]);
    const write = back.ops[0] as EncodedWriteOp;
    expect(write).toMatchObject({ op: 'create', kind: 'network', object: { encoded: true, id: 'n1', facts: { name: 'net', ingress: false } } });
    expect(decode(write.object.bytes)).toEqual(object);
    // The frame is a view into the entry, not a copy.
    expect(write.object.bytes.buffer).toBe(data.buffer);
  });

  it('applies to the same store as the command itself', () => {
    const direct = new MemoryStore();
    const replica = new MemoryStore(decode);
    const create = encodeCommand({ type: 'batch', at: command.at, ops: [command.ops[0] as StoreOp] });
    expect(direct.apply(1, { type: 'batch', at: command.at, ops: [command.ops[0] as StoreOp] }).ok).toBe(true);
    expect(replica.apply(1, decodeCommand(create)).ok).toBe(true);
    const update = updateOp('network', { ...object, labels: {} }, 1);
    expect(direct.apply(2, { type: 'batch', at: command.at, ops: [update] }).ok).toBe(true);
    expect(replica.apply(2, decodeCommand(encodeCommand({ type: 'batch', at: command.at, ops: [update] }))).ok).toBe(true);
    expect(JSON.stringify(replica.list('network'))).toBe(JSON.stringify(direct.list('network')));
  });

  it('decodes entries written with the objects inline, or as frames without id and facts (earlier forms)', () => {
    expect(decodeCommand(new Uint8Array(encode(command)))).toEqual(command);
    const framed = { ...command, ops: [{ ...command.ops[0], object: encode(object) }, command.ops[1]] };
    expect(decodeCommand(new Uint8Array(encode(framed)))).toEqual(command);
  });
});

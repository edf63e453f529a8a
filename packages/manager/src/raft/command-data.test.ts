import type { NetworkObject, StoreCommand } from '@shoal/store';
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
  it('round-trips a command, each object carried as its own wire frame', () => {
    const data = encodeCommand(command);
    const { command: back, bodies } = decodeCommand(data);
    expect(back).toEqual(command);
    expect(bodies[1]).toBeUndefined();
    expect(decode(bodies[0] as Uint8Array)).toEqual(object);
    // The body is the frame inside the entry, not a copy.
    expect((bodies[0] as Uint8Array).buffer).toBe(data.buffer);
  });

  it('decodes entries written with the objects inline (before this form)', () => {
    const { command: back, bodies } = decodeCommand(new Uint8Array(encode(command)));
    expect(back).toEqual(command);
    expect(bodies).toEqual([undefined, undefined]);
  });
});

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MemoryStore, type NetworkObject, type StoreCommand } from '@shoal/store';
import { decode } from '@shoal/wire';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { RaftReplica } from './replica';

const logger = pino({ level: 'silent' });
const dirs: string[] = [];
const replicas: RaftReplica[] = [];

afterEach(() => {
  for (const r of replicas.splice(0)) r.stop();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A lone manager on `dir`, its store counting what it decodes. */
function lone(dir: string): { replica: RaftReplica; store: MemoryStore; decodes: () => number } {
  let decodes = 0;
  const store = new MemoryStore((bytes) => (decodes++, decode(bytes)));
  const replica = new RaftReplica({ nodeId: 'm1', dir, store, transport: { send: () => {} }, logger, tickMs: 5, electionTick: 2 });
  replicas.push(replica);
  return { replica, store, decodes: () => decodes };
}

/** Resolves once `done()` holds; a lone manager elects itself and applies its log in a few 5 ms ticks. */
async function until(done: () => boolean, what: string): Promise<void> {
  for (let i = 0; !done(); i++) {
    if (i >= 2000) throw new Error(`${what}: not within 10 s`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const network = (id: string, name: string): NetworkObject =>
  ({ id, name, driver: 'overlay', ingress: false, attachable: false, labels: { n: name } }) as unknown as NetworkObject;

describe('RaftReplica applying its own proposals', () => {
  it('stores the objects it proposed without decoding them; replaying its log stores the same objects, decoded when read', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-replica-'));
    dirs.push(dir);
    const first = lone(dir);
    first.replica.bootstrap('127.0.0.1:2377');
    first.replica.start();
    await until(() => first.replica.isLeader, 'first leads');
    const command: StoreCommand = { type: 'batch', at: '2026-01-01T00:00:00Z', ops: [{ op: 'create', kind: 'network', object: network('n1', 'one') }] };
    await first.replica.propose(command);
    await first.replica.propose({ type: 'batch', at: '2026-01-02T00:00:00Z', ops: [{ op: 'update', kind: 'network', object: network('n1', 'uno'), expectVersion: first.store.get('network', 'n1')?.version ?? -1 }] });
    await first.replica.propose({ type: 'batch', at: '2026-01-03T00:00:00Z', ops: [{ op: 'create', kind: 'network', object: network('n2', 'two') }] });
    const listed = JSON.stringify(first.store.list('network'));
    expect(first.decodes()).toBe(0);
    // A name is still checked on facts alone.
    await expect(first.replica.propose({ type: 'batch', at: 'x', ops: [{ op: 'create', kind: 'network', object: network('n3', 'two') }] })).rejects.toThrow(/name conflicts/);
    first.replica.stop();

    const second = lone(dir);
    second.replica.start();
    await until(() => second.replica.isLeader && second.store.appliedIndex >= first.store.appliedIndex, 'second replays its log');
    expect(second.decodes()).toBe(0); // replayed encoded
    expect(JSON.stringify(second.store.list('network'))).toBe(listed);
    expect(second.decodes()).toBe(2);
  });
});

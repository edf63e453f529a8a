// The one real-socket test: two shells on 127.0.0.1, ephemeral ports, sealed UDP + plain TCP.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { localConfig } from './config';
import { Gossip } from './gossip';
import { Keyring } from './keyring';
import { NetTransport } from './net-transport';

async function until(pred: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('Gossip over real UDP/TCP sockets', () => {
  const started: Gossip<unknown>[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((g) => g.stop()));
  });

  async function node(id: string, key: Buffer): Promise<Gossip<unknown>> {
    const transport = await NetTransport.listen({ bindAddr: '127.0.0.1', port: 0 });
    const g = new Gossip<unknown>({ id, transport, config: localConfig(), keyring: new Keyring([key]), seed: id.length });
    started.push(g);
    g.start();
    return g;
  }

  it('two nodes join, exchange a table entry (small by UDP, large by TCP), then stop', async () => {
    const key = Keyring.generateKey();
    const a = await node('a', key);
    const b = await node('b', key);
    expect(a.localMember.port).toBeGreaterThan(0);
    expect(a.localMember.addr).toBe('127.0.0.1');

    await expect(b.join([`127.0.0.1:${a.localMember.port}`])).resolves.toBe(1);
    await until(() => a.members().length === 2 && b.members().length === 2, 5_000);

    a.table.set('web.1', { port: 30001 });
    a.table.set('blob', 'x'.repeat(4000)); // bigger than a datagram: goes over the stream path
    await until(() => b.table.get('a', 'web.1') !== undefined && b.table.get('a', 'blob') !== undefined, 5_000);
    expect(b.table.get('a', 'web.1')?.value).toEqual({ port: 30001 });

    await expect(b.leave()).resolves.toBe(true);
    await until(() => a.member('b')?.state === 'left', 5_000);
    await Promise.all(started.splice(0).map((g) => g.stop()));
    // Closed handles leave the active-resource list a moment after their close callbacks.
    await until(() => JSON.stringify(sockets()) === JSON.stringify(before), 1_000);
  });

  it('uses mutual TLS on the stream path and refuses a peer from another CA', async () => {
    const pem = (name: string): Buffer => readFileSync(join(__dirname, 'test-support', 'tls', `${name}.pem`));
    const ca = pem('ca');
    const tls = (name: string) => ({ ca, cert: pem(name), key: pem(`${name}-key`) });
    const a = await NetTransport.listen({ bindAddr: '127.0.0.1', port: 0, tls: tls('node-a') });
    const b = await NetTransport.listen({ bindAddr: '127.0.0.1', port: 0, tls: tls('node-b') });
    const rogue = await NetTransport.listen({ bindAddr: '127.0.0.1', port: 0, tls: { ...tls('rogue'), ca: pem('rogue') } });
    try {
      const got: string[] = [];
      b.onStream((bytes) => got.push(Buffer.from(bytes).toString()));
      rogue.sendStream(b.address, Buffer.from('from rogue'));
      a.sendStream(b.address, Buffer.from('from a'));
      await until(() => got.length > 0, 5_000);
      await new Promise((r) => setTimeout(r, 100));
      expect(got).toEqual(['from a']);
    } finally {
      await Promise.all([a.close(), b.close(), rogue.close()]);
    }
  });
});

const before = sockets();

/** Open UDP sockets and TCP servers/sockets of this process. */
function sockets(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) if (/UDP|TCP/.test(r)) counts[r] = (counts[r] ?? 0) + 1;
  return counts;
}

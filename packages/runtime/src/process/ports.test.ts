import { createSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PortAllocator } from './ports';

describe('PortAllocator', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });

  it('never hands out the same port twice, even concurrently, until released', async () => {
    const a = new PortAllocator({ range: [31500, 31503], hosts: ['127.0.0.1'] });
    const ports = await Promise.all([a.allocate(), a.allocate(), a.allocate(), a.allocate()]);
    expect(new Set(ports).size).toBe(4);
    await expect(a.allocate()).rejects.toMatchObject({ code: 'NO_PORT_AVAILABLE' });
    a.release(ports[2] ?? 0);
    expect(await a.allocate()).toBe(ports[2]);
  });

  it('skips ports something else has bound', async () => {
    const busy = createServer();
    servers.push(busy);
    await new Promise<void>((r) => busy.listen(31510, '127.0.0.1', r));
    const a = new PortAllocator({ range: [31510, 31511], hosts: ['127.0.0.1'] });
    expect(await a.allocate()).toBe(31511);
    await expect(a.allocate()).rejects.toMatchObject({ code: 'NO_PORT_AVAILABLE' });
  });

  it('skips ports something holds for UDP (a task may answer both on its port)', async () => {
    const busy = createSocket('udp4');
    await new Promise<void>((r) => busy.bind(31530, '127.0.0.1', r));
    try {
      const a = new PortAllocator({ range: [31530, 31531], hosts: ['127.0.0.1'] });
      expect(await a.allocate()).toBe(31531);
    } finally {
      busy.close();
    }
  });

  it('walks round-robin so a freed port rests, and honours reservations', async () => {
    const a = new PortAllocator({ range: [31520, 31523], hosts: ['127.0.0.1'] });
    a.reserve(31521);
    const first = await a.allocate();
    a.release(first);
    expect(first).toBe(31520);
    expect(await a.allocate()).toBe(31522);
  });

  it('rejects a nonsensical range', () => {
    expect(() => new PortAllocator({ range: [10, 5], hosts: ['127.0.0.1'] })).toThrow(RangeError);
  });
});

import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { TunnelConnectionError } from './errors';
import { IngressProxy } from './ingress-proxy';
import { deadUdpPort, httpGet, startHttpBackend, startUdpEchoBackend, udpClient, waitFor } from './test-support/backends';
import type { UdpBackend, UdpTestClient } from './test-support/backends';
import { endpoint, ingressPort, udpPort } from './test-support/endpoints';
import { FakeClock } from './test-support/fake-clock';
import type { DatagramDialer } from './tunnel/client';
import { openUdpHostPort } from './udp-host-port';
import { UdpIngress } from './udp-ingress';
import type { UdpIngressOptions } from './udp-ingress';

// Real datagram sockets on a loopback alias; time (flow expiry, penalties, rebinds) from a fake clock.
const NODE_IP = '127.0.1.4';
const noTunnel: DatagramDialer = {
  openDatagramStream: () => {
    throw new TunnelConnectionError('no tunnel in this test');
  },
};

let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

function ingress(extra: Partial<UdpIngressOptions> = {}): { udp: UdpIngress; clock: FakeClock } {
  const clock = new FakeClock();
  const udp = new UdpIngress({ bindAddr: NODE_IP, nodeId: 'node-a', tunnel: noTunnel, clock, ...extra });
  cleanup.push(() => udp.close());
  return { udp, clock };
}

async function backend(name: string): Promise<UdpBackend> {
  const b = await startUdpEchoBackend(NODE_IP, name);
  cleanup.push(() => b.close());
  return b;
}

async function client(): Promise<UdpTestClient> {
  const c = await udpClient(NODE_IP);
  cleanup.push(() => c.close());
  return c;
}

/** Sends `text` to the published port and resolves with the name of the task that answered. */
async function ask(c: UdpTestClient, published: number, text = 'q'): Promise<string> {
  c.send(NODE_IP, published, text);
  const reply = await c.next();
  if (!reply) throw new Error('no reply');
  expect(reply.from).toBe(`${NODE_IP}:${published}`); // replies leave from the published port
  expect(reply.text.endsWith(`:${text}`)).toBe(true);
  return reply.text.split(':')[0] as string;
}

describe('UdpIngress (loopback, fake clock)', () => {
  it('spreads new flows evenly over the running endpoints; replies come from the published port', async () => {
    const [b1, b2] = [await backend('b1'), await backend('b2')];
    const published = await deadUdpPort(NODE_IP);
    const { udp } = ingress();
    await udp.setEndpoints([
      endpoint('t1', { nodeAddr: NODE_IP, port: b1.port, publishedPorts: [udpPort(published)] }),
      endpoint('t2', { nodeAddr: NODE_IP, port: b2.port, publishedPorts: [udpPort(published)] }),
    ]);
    expect(udp.listeningPorts()).toEqual([published]);
    const counts = new Map<string, number>();
    for (let i = 0; i < 20; i++) {
      const name = await ask(await client(), published);
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    expect(Object.fromEntries(counts)).toEqual({ b1: 10, b2: 10 });
    expect(udp.flowCount(published)).toBe(20);
    expect(udp.stats).toMatchObject({ flows: 20, local: 20, received: 20, replied: 20, dropped: 0 });
  });

  it('hears a task bound to 0.0.0.0 on a loopback alias, whose answers come from 127.0.0.1', async () => {
    const wild = await startUdpEchoBackend('0.0.0.0', 'wild');
    cleanup.push(() => wild.close());
    const published = await deadUdpPort(NODE_IP);
    const { udp } = ingress();
    await udp.setEndpoints([endpoint('t1', { nodeAddr: NODE_IP, port: wild.port, publishedPorts: [udpPort(published)] })]);
    for (let i = 0; i < 3; i++) expect(await ask(await client(), published, `q${i}`)).toBe('wild');
    expect(udp.stats).toMatchObject({ received: 3, replied: 3, dropped: 0 });
  });

  it('keeps a client on its task until the flow has been idle for the timeout', async () => {
    const [b1, b2] = [await backend('b1'), await backend('b2')];
    const published = await deadUdpPort(NODE_IP);
    const { udp, clock } = ingress({ idleTimeoutMs: 30_000 });
    await udp.setEndpoints(
      [b1, b2].map((b, i) => endpoint(`t${i + 1}`, { nodeAddr: NODE_IP, port: b.port, publishedPorts: [udpPort(published)] })),
    );
    const c = await client();
    for (let i = 0; i < 3; i++) expect(await ask(c, published)).toBe('b1');
    clock.advance(29_999);
    expect(await ask(c, published)).toBe('b1'); // this datagram restarts the idle period
    clock.advance(29_999);
    expect(udp.flowCount()).toBe(1);
    clock.advance(1);
    expect(udp.flowCount()).toBe(0);
    expect(udp.stats.expired).toBe(1);
    expect(await ask(c, published)).toBe('b2'); // a new flow: the next endpoint
    expect(b1.sources.size).toBe(1); // one socket per flow to the task
  });

  it('gives a draining endpoint no new flows while its open flows go on', async () => {
    const [b1, b2] = [await backend('b1'), await backend('b2')];
    const published = await deadUdpPort(NODE_IP);
    const { udp } = ingress();
    const table = (state1: 'running' | 'draining') => [
      endpoint('t1', { nodeAddr: NODE_IP, port: b1.port, publishedPorts: [udpPort(published)], state: state1 }),
      endpoint('t2', { nodeAddr: NODE_IP, port: b2.port, publishedPorts: [udpPort(published)] }),
    ];
    await udp.setEndpoints(table('running'));
    const long = await client();
    expect(await ask(long, published)).toBe('b1');
    await udp.setEndpoints(table('draining'));
    for (let i = 0; i < 4; i++) expect(await ask(await client(), published)).toBe('b2');
    expect(await ask(long, published)).toBe('b1');
  });

  it('ends the flows of a task that left the table: the next datagram goes to one still there', async () => {
    const [b1, b2] = [await backend('b1'), await backend('b2')];
    const published = await deadUdpPort(NODE_IP);
    const { udp } = ingress();
    const e1 = endpoint('t1', { nodeAddr: NODE_IP, port: b1.port, publishedPorts: [udpPort(published)] });
    const e2 = endpoint('t2', { nodeAddr: NODE_IP, port: b2.port, publishedPorts: [udpPort(published)] });
    await udp.setEndpoints([e1, e2]);
    const c = await client();
    expect(await ask(c, published)).toBe('b1');
    await udp.setEndpoints([e2]);
    expect(udp.flowCount()).toBe(0);
    expect(await ask(c, published)).toBe('b2');
  });

  it('passes over a local task that does not listen (port unreachable) for the penalty window', async () => {
    const b2 = await backend('b2');
    const dead = await deadUdpPort(NODE_IP);
    const published = await deadUdpPort(NODE_IP);
    const { udp, clock } = ingress({ failurePenaltyMs: 5000 });
    await udp.setEndpoints([
      endpoint('t1', { nodeAddr: NODE_IP, port: dead, publishedPorts: [udpPort(published)] }),
      endpoint('t2', { nodeAddr: NODE_IP, port: b2.port, publishedPorts: [udpPort(published)] }),
    ]);
    const c = await client();
    c.send(NODE_IP, published, 'lost');
    await waitFor(() => udp.stats.failures === 1 && udp.flowCount() === 0, 'the refused flow to end');
    for (let i = 0; i < 4; i++) expect(await ask(await client(), published)).toBe('b2');
    expect(await ask(c, published)).toBe('b2'); // the refused client gets a new flow
    clock.advance(5000);
    (await client()).send(NODE_IP, published, 'again'); // penalty over: a new flow tries t1 again
    await waitFor(() => udp.stats.failures === 2, 'the second refusal');
  });

  it('moves on to the next endpoint when the tunnel to a remote one is down', async () => {
    const b2 = await backend('b2');
    const published = await deadUdpPort(NODE_IP);
    const { udp } = ingress();
    await udp.setEndpoints([
      endpoint('t1', { nodeId: 'node-b', nodeAddr: '127.0.1.5', port: 1, publishedPorts: [udpPort(published)] }),
      endpoint('t2', { nodeAddr: NODE_IP, port: b2.port, publishedPorts: [udpPort(published)] }),
    ]);
    expect(await ask(await client(), published)).toBe('b2');
    expect(udp.stats).toMatchObject({ failures: 1, remote: 0, local: 1 });
  });

  it('falls back on a draining endpoint when no running one is left, and closes the port with the table', async () => {
    const b1 = await backend('b1');
    const published = await deadUdpPort(NODE_IP);
    const { udp } = ingress();
    await udp.setEndpoints([endpoint('t1', { nodeAddr: NODE_IP, port: b1.port, state: 'draining', publishedPorts: [udpPort(published)] })]);
    expect(udp.listeningPorts()).toEqual([published]);
    expect(await ask(await client(), published)).toBe('b1'); // it still serves until its task stops
    await udp.setEndpoints([]);
    expect(udp.listeningPorts()).toEqual([]);
  });

  it('serves TCP and UDP on the same port number side by side', async () => {
    const web = await startHttpBackend(NODE_IP, 'web');
    cleanup.push(() => web.close());
    const b1 = await backend('b1');
    const published = await deadUdpPort(NODE_IP);
    const { udp } = ingress();
    const tcp = new IngressProxy({ bindAddr: NODE_IP, nodeId: 'node-a', tunnel: { openStream: () => Promise.reject(new Error('none')) } });
    cleanup.push(() => tcp.close());
    const table = [
      endpoint('t1', { nodeAddr: NODE_IP, port: web.port, publishedPorts: [ingressPort(published)] }),
      endpoint('t2', { nodeAddr: NODE_IP, port: b1.port, publishedPorts: [udpPort(published)] }),
    ];
    await Promise.all([udp.setEndpoints(table), tcp.setEndpoints(table)]);
    expect(await ask(await client(), published)).toBe('b1');
    expect((await httpGet(NODE_IP, published)).body.toString()).toBe('web');
  });

  it('retries a port it could not bind, and serves it once free', async () => {
    const b1 = await backend('b1');
    const squatter = createSocket('udp4');
    await new Promise<void>((resolve) => squatter.bind(0, NODE_IP, () => resolve()));
    const published = squatter.address().port;
    const { udp, clock } = ingress({ rebindDelayMs: 1000 });
    const table = [endpoint('t1', { nodeAddr: NODE_IP, port: b1.port, publishedPorts: [udpPort(published)] })];
    await udp.setEndpoints(table);
    expect(udp.listenerState(published)).toBe('failed');
    await new Promise<void>((resolve) => squatter.close(() => resolve()));
    clock.advance(1000);
    await udp.setEndpoints(table); // resolves with the new bind attempt
    expect(udp.listenerState(published)).toBe('listening');
    expect(await ask(await client(), published)).toBe('b1');
  });
});

describe('openUdpHostPort', () => {
  it('forwards every flow straight to its task and expires idle flows', async () => {
    const b1 = await backend('b1');
    const published = await deadUdpPort(NODE_IP);
    const clock = new FakeClock();
    const port = openUdpHostPort({ bindAddr: NODE_IP, port: published, target: { host: NODE_IP, port: b1.port }, taskId: 't1', clock, idleTimeoutMs: 1000 });
    cleanup.push(() => port.close());
    await port.ready;
    const [c1, c2] = [await client(), await client()];
    expect(await ask(c1, published)).toBe('b1');
    expect(await ask(c2, published)).toBe('b1');
    expect(port.flowCount).toBe(2);
    clock.advance(1000);
    expect(port.flowCount).toBe(0);
  });
});

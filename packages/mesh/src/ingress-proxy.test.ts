import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { parseProxyV2 } from '@shoal/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { IngressProxy } from './ingress-proxy';
import type { IngressProxyOptions } from './ingress-proxy';
import { deadPort, httpGet, startEchoBackend, startHttpBackend, waitFor } from './test-support/backends';
import type { Backend } from './test-support/backends';
import { FakeClock } from './test-support/fake-clock';
import { endpoint, ingressPort } from './test-support/endpoints';
import type { TunnelDialer } from './tunnel/client';

const NODE_IP = '127.0.1.2';
const noTunnel: TunnelDialer = { openStream: () => Promise.reject(new Error('no tunnel in this test')) };

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

function proxy(extra: Partial<IngressProxyOptions> = {}): IngressProxy {
  const p = new IngressProxy({ bindAddr: NODE_IP, nodeId: 'node-a', tunnel: noTunnel, ...extra });
  cleanup.push(() => p.close());
  return p;
}

async function backend<B extends Backend>(b: Promise<B>): Promise<B> {
  const started = await b;
  cleanup.push(() => started.close());
  return started;
}

function openClient(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, NODE_IP, () => resolve(s));
    s.on('error', reject);
    cleanup.push(async () => void s.destroy());
  });
}

/** Writes `text` and resolves with the first `text.length` bytes echoed back. */
/**
 * Sends `size` patterned bytes through the proxy on `port` to an echo backend, reading nothing
 * for `stallMs`, and checks that exactly the same bytes come back.
 */
async function echoIntact(port: number, size: number, seed: number, stallMs: number): Promise<void> {
  const body = Buffer.alloc(size);
  for (let i = 0; i < body.length; i += 4) body.writeUInt32LE(((i + seed) * 2654435761) >>> 0, i);
  const client = await openClient(port);
  client.pause();
  const hash = createHash('sha256');
  let received = 0;
  const done = new Promise<void>((resolve) => client.on('end', resolve));
  client.on('data', (d: Buffer) => {
    received += d.length;
    hash.update(d);
  });
  client.end(body);
  await new Promise((r) => setTimeout(r, stallMs));
  client.resume();
  await done;
  expect(received).toBe(body.length);
  expect(hash.digest('hex')).toBe(createHash('sha256').update(body).digest('hex'));
}

function echo(s: Socket, text: string): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const onData = (d: Buffer): void => {
      got += d.toString();
      if (got.length >= text.length) {
        s.off('data', onData);
        resolve(got);
      }
    };
    s.on('data', onData);
    s.write(text);
  });
}

describe('IngressProxy (loopback)', () => {
  it('spreads requests evenly over the running endpoints', async () => {
    const [b1, b2] = [await backend(startHttpBackend(NODE_IP, 'b1')), await backend(startHttpBackend(NODE_IP, 'b2'))];
    const published = await deadPort(NODE_IP);
    const p = proxy();
    await p.setEndpoints([
      endpoint('t1', { nodeAddr: NODE_IP, port: b1.port, publishedPorts: [ingressPort(published)] }),
      endpoint('t2', { nodeAddr: NODE_IP, port: b2.port, publishedPorts: [ingressPort(published)] }),
    ]);
    const results = [];
    for (let i = 0; i < 30; i++) results.push(await httpGet(NODE_IP, published));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(Math.abs(b1.count - b2.count)).toBeLessThanOrEqual(1);
    expect(b1.count + b2.count).toBe(30);
  });

  it('skips a dead endpoint within the same client connection: no request fails', async () => {
    const [b1, b2] = [await backend(startHttpBackend(NODE_IP, 'b1')), await backend(startHttpBackend(NODE_IP, 'b2'))];
    const published = await deadPort(NODE_IP);
    const dead = await deadPort(NODE_IP);
    const p = proxy();
    await p.setEndpoints(
      [b1.port, dead, b2.port].map((port, i) => endpoint(`t${i}`, { nodeAddr: NODE_IP, port, publishedPorts: [ingressPort(published)] })),
    );
    for (let i = 0; i < 30; i++) expect((await httpGet(NODE_IP, published)).status).toBe(200);
    expect(b1.count + b2.count).toBe(30);
    expect(Math.abs(b1.count - b2.count)).toBeLessThanOrEqual(1);
    // Tried once, then passed over for the penalty window.
    expect(p.stats.dialFailures).toBe(1);
    expect(p.stats.refused).toBe(0);
  });

  it('opens a listener when a port is published and closes it when nothing publishes it any more', async () => {
    const b1 = await backend(startHttpBackend(NODE_IP, 'b1'));
    const published = await deadPort(NODE_IP);
    const p = proxy({ lingerMs: 0, waitForEndpointMs: 0 });
    const entry = endpoint('t1', { nodeAddr: NODE_IP, port: b1.port, publishedPorts: [ingressPort(published)] });
    await p.setEndpoints([entry]);
    expect(p.listeningPorts()).toEqual([published]);
    expect((await httpGet(NODE_IP, published)).body.toString()).toBe('b1');

    // A long-lived connection outlives its listener.
    const held = await openClient(published);
    await p.setEndpoints([]);
    expect(p.listeningPorts()).toEqual([]);
    await expect(httpGet(NODE_IP, published)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    held.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((resolve) => held.once('data', resolve));

    // A service's port stays open with no task running (clients are closed: no wait in this proxy).
    await p.setServicePorts([published]);
    expect(p.listeningPorts()).toEqual([published]);
    await expect(httpGet(NODE_IP, published)).rejects.toThrow();
    expect(p.stats.refused).toBe(1);
    await p.setServicePorts([]);
    expect(p.listeningPorts()).toEqual([]);
  });

  it('serves a port on a node without any local task (the endpoints are elsewhere)', async () => {
    const b1 = await backend(startHttpBackend(NODE_IP, 'remote'));
    const published = await deadPort(NODE_IP);
    const viaFakeTunnel: TunnelDialer = {
      openStream: (peer, target) =>
        new Promise((resolve, reject) => {
          expect(peer).toEqual({ nodeId: 'node-b', addr: '127.0.1.3' });
          expect(target).toEqual({ taskId: 't1' });
          const s = connect({ host: NODE_IP, port: b1.port, allowHalfOpen: true }, () => resolve(s as never));
          s.on('error', reject);
        }),
    };
    const p = proxy({ tunnel: viaFakeTunnel });
    await p.setEndpoints([endpoint('t1', { nodeId: 'node-b', nodeAddr: '127.0.1.3', port: 1, publishedPorts: [ingressPort(published)] })]);
    expect((await httpGet(NODE_IP, published)).body.toString()).toBe('remote');
    expect(p.stats.remote).toBe(1);
  });

  it('sends no new connections to a draining endpoint while an open one completes', async () => {
    const [e1, e2] = [await backend(startEchoBackend(NODE_IP)), await backend(startEchoBackend(NODE_IP))];
    const published = await deadPort(NODE_IP);
    const p = proxy();
    const table = (state1: 'running' | 'draining') => [
      endpoint('t1', { nodeAddr: NODE_IP, port: e1.port, publishedPorts: [ingressPort(published)], state: state1 }),
      endpoint('t2', { nodeAddr: NODE_IP, port: e2.port, publishedPorts: [ingressPort(published)] }),
    ];
    await p.setEndpoints(table('running'));
    const long = await openClient(published);
    expect(await echo(long, 'first')).toBe('first');
    expect([e1.count, e2.count]).toEqual([1, 0]);

    await p.setEndpoints(table('draining'));
    for (let i = 0; i < 5; i++) {
      const s = await openClient(published);
      expect(await echo(s, `n${i}`)).toBe(`n${i}`);
      s.end();
    }
    expect([e1.count, e2.count]).toEqual([1, 5]);
    // The draining task's open connection still works, and finishes cleanly.
    expect(await echo(long, 'still here')).toBe('still here');
    const closed = new Promise((resolve) => long.once('close', resolve));
    long.end();
    await closed;
    expect(e1.received[0]?.toString()).toBe('firststill here');
    await waitFor(() => p.activeConnections === 0, 'connections to close');
  });

  it('puts a PROXY v2 header with the real client address in front of the stream', async () => {
    const e1 = await backend(startEchoBackend(NODE_IP));
    const published = await deadPort(NODE_IP);
    const p = proxy();
    await p.setEndpoints([
      endpoint('t1', { nodeAddr: NODE_IP, port: e1.port, publishedPorts: [ingressPort(published, { proxyProtocol: true })] }),
    ]);
    const client = await new Promise<Socket>((resolve) => {
      const s = connect({ host: NODE_IP, port: published, localAddress: '127.0.1.9' }, () => resolve(s));
      cleanup.push(async () => void s.destroy());
    });
    const clientPort = client.localPort;
    client.resume();
    client.end('hello');
    await new Promise((resolve) => client.once('close', resolve));
    const parsed = parseProxyV2(e1.received[0] as Buffer);
    expect(parsed).toMatchObject({
      kind: 'header',
      header: {
        transport: 'tcp4',
        source: { address: '127.0.1.9', port: clientPort },
        destination: { address: NODE_IP, port: published },
      },
    });
    if (parsed.kind !== 'header') throw new Error('no header');
    expect((e1.received[0] as Buffer).subarray(parsed.length).toString()).toBe('hello');
  });

  it('relays a large stream intact both ways, with backpressure', async () => {
    const e1 = await backend(startEchoBackend(NODE_IP));
    const published = await deadPort(NODE_IP);
    const p = proxy({ readBufferBytes: 16 * 1024, highWaterMark: 64 * 1024 });
    await p.setEndpoints([endpoint('t1', { nodeAddr: NODE_IP, port: e1.port, publishedPorts: [ingressPort(published)] })]);
    // A slow reader: the proxy must hold back instead of buffering 8 MiB.
    await echoIntact(published, 8 * 1024 * 1024, 0, 100);
  });

  it('keeps each connection intact while one client reads slowly and another flows (shared read buffer)', async () => {
    const e1 = await backend(startEchoBackend(NODE_IP));
    const published = await deadPort(NODE_IP);
    const p = proxy({ readBufferBytes: 16 * 1024, highWaterMark: 64 * 1024 });
    await p.setEndpoints([endpoint('t1', { nodeAddr: NODE_IP, port: e1.port, publishedPorts: [ingressPort(published)] })]);
    // The stalled client's bytes wait in its socket while the other's are read into the same buffer.
    const size = 4 * 1024 * 1024;
    await Promise.all([echoIntact(published, size, 1, 200), echoIntact(published, size, 2, 0), echoIntact(published, size, 3, 0)]);
  });

  it('keeps a port open a while after its last endpoint left; a client arriving meanwhile waits for the next one', async () => {
    const clock = new FakeClock();
    const [b1, b2] = [await backend(startHttpBackend(NODE_IP, 'old')), await backend(startHttpBackend(NODE_IP, 'new'))];
    const published = await deadPort(NODE_IP);
    const p = proxy({ clock, lingerMs: 3000, waitForEndpointMs: 2000 });
    const at = (name: string, port: number) => endpoint(name, { nodeAddr: NODE_IP, port, publishedPorts: [ingressPort(published)] });
    await p.setEndpoints([at('t1', b1.port)]);
    // A rolling update: the old task is gone, its replacement has not reached this table yet.
    await p.setEndpoints([]);
    expect(p.listeningPorts()).toEqual([published]);
    const answer = httpGet(NODE_IP, published);
    await waitFor(() => p.stats.accepted === 1, 'the client to be waiting'); // accepted: it waits at once
    await p.setEndpoints([at('t2', b2.port)]);
    expect((await answer).backend).toBe('new');
    expect(p.stats.refused).toBe(0);

    // Nothing comes: the client is closed when its wait ends, the port when the linger ends.
    await p.setEndpoints([]);
    const refused = httpGet(NODE_IP, published).then(
      () => 'answered',
      () => 'closed',
    );
    await waitFor(() => p.stats.accepted === 2, 'the client to be waiting');
    clock.advance(2000);
    expect(await refused).toBe('closed');
    expect(p.listeningPorts()).toEqual([published]);
    clock.advance(1000);
    await waitFor(() => p.listeningPorts().length === 0, 'the port to close');
  });

  it('closes a port the managers withdrew once no running task serves it (draining ones do not count), and opens it again when they send it', async () => {
    const clock = new FakeClock();
    const b1 = await backend(startHttpBackend(NODE_IP, 'b1'));
    const published = await deadPort(NODE_IP);
    const p = proxy({ clock, lingerMs: 3000, waitForEndpointMs: 2000 });
    const entry = endpoint('t1', { nodeAddr: NODE_IP, port: b1.port, publishedPorts: [ingressPort(published)] });
    await p.setServicePorts([published]);
    await p.setEndpoints([entry]);
    expect(p.listeningPorts()).toEqual([published]);
    await p.setServicePorts([]); // withdrawn (service rm, or an update moved the port): its running task still serves
    expect(p.listeningPorts()).toEqual([published]);
    const draining = { ...entry, state: 'draining' as const };
    await p.setEndpoints([draining]); // draining before it stops: the port closes at once, no linger
    expect(p.listeningPorts()).toEqual([]);
    await expect(httpGet(NODE_IP, published)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await p.setEndpoints([draining]); // a gossip update changes nothing
    expect(p.listeningPorts()).toEqual([]);
    await p.setServicePorts([published]); // a new service on the port
    expect(p.listeningPorts()).toEqual([published]);
    expect((await httpGet(NODE_IP, published)).body.toString()).toBe('b1');
  });

  it('closes a client when no endpoint can be reached', async () => {
    const published = await deadPort(NODE_IP);
    const p = proxy();
    await p.setEndpoints([endpoint('t1', { nodeAddr: NODE_IP, port: 1, state: 'draining', publishedPorts: [ingressPort(published)] })]);
    await expect(httpGet(NODE_IP, published)).rejects.toThrow();
    expect(p.stats.refused).toBe(1);
  });

  it('serves through a draining endpoint when no running one is left', async () => {
    const b1 = await backend(startHttpBackend(NODE_IP, 'old'));
    const published = await deadPort(NODE_IP);
    const p = proxy();
    await p.setEndpoints([endpoint('t1', { nodeAddr: NODE_IP, port: b1.port, state: 'draining', publishedPorts: [ingressPort(published)] })]);
    expect((await httpGet(NODE_IP, published)).backend).toBe('old');
    expect(p.stats.refused).toBe(0);
  });
});

describe('IngressProxy listeners', () => {
  it('retries a port it could not bind, and serves it once free', async () => {
    const b1 = await backend(startHttpBackend(NODE_IP, 'b1'));
    const squatter = await backend(startHttpBackend(NODE_IP, 'squatter'));
    const p = proxy({ rebindDelayMs: 20 });
    await p.setEndpoints([endpoint('t1', { nodeAddr: NODE_IP, port: b1.port, publishedPorts: [ingressPort(squatter.port)] })]);
    expect(p.listenerState(squatter.port)).toBe('failed');
    await squatter.close();
    await waitFor(() => p.listenerState(squatter.port) === 'listening', 'the rebind');
    expect((await httpGet(NODE_IP, squatter.port)).body.toString()).toBe('b1');
  });
});

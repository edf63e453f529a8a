import { createHash } from 'node:crypto';
import { parseProxyV2 } from '@shoal/runtime';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MeshEndpoint } from '../endpoints';
import { LocalEndpoints } from '../endpoints';
import { TunnelConnectionError, TunnelOpenError, TunnelPeerIdentityError } from '../errors';
import { RoutingMesh } from '../routing-mesh';
import { deadPort, deadUdpPort, httpGet, startEchoBackend, startHttpBackend, startUdpEchoBackend, udpClient, waitFor } from '../test-support/backends';
import type { Backend, RecordingBackend } from '../test-support/backends';
import { makeTestPki } from '../test-support/certs';
import type { TestNode, TestPki } from '../test-support/certs';
import { endpoint, ingressPort, udpPort } from '../test-support/endpoints';
import { TunnelClient } from './client';
import { TunnelServer } from './server';
import type { TunnelStream } from './stream';

const TUNNEL_IP = '127.0.0.1';
const INGRESS_A = '127.0.1.11';
const INGRESS_B = '127.0.1.12';

let pki: TestPki;
let nodeA: TestNode;
let nodeB: TestNode;
let cleanup: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  pki = await makeTestPki();
  [nodeA, nodeB] = await Promise.all([pki.node('node-a'), pki.node('node-b')]);
});

afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});
afterAll(() => undefined);

async function backend<B extends Backend>(b: Promise<B>): Promise<B> {
  const started = await b;
  cleanup.push(() => started.close());
  return started;
}

/** Node B's tunnel, knowing `entries` as the table. */
async function tunnelServerB(entries: MeshEndpoint[], tls = nodeB.tls): Promise<TunnelServer> {
  const targets = new LocalEndpoints('node-b');
  targets.setEndpoints(entries);
  const server = await TunnelServer.listen({ bindAddr: TUNNEL_IP, port: 0, tls, targets });
  cleanup.push(() => server.close());
  return server;
}

function tunnelClient(server: TunnelServer, tls = nodeA.tls): TunnelClient {
  const client = new TunnelClient({ tls, peerAddress: () => ({ host: TUNNEL_IP, port: server.address.port }) });
  cleanup.push(() => client.close());
  return client;
}

const peerB = { nodeId: 'node-b', addr: TUNNEL_IP };

/** Two full meshes (tunnel server + client + ingress) on 127.0.0.1, ingress on separate aliases. */
async function twoMeshes(): Promise<[RoutingMesh, RoutingMesh]> {
  const ports = new Map<string, number>();
  const start = (node: TestNode, ingressBindAddr: string): Promise<RoutingMesh> =>
    RoutingMesh.start({
      nodeId: node.nodeId,
      nodeAddr: TUNNEL_IP,
      ingressBindAddr,
      tunnelPort: 0,
      tls: node.tls,
      tunnelClient: { peerAddress: (peer) => ({ host: TUNNEL_IP, port: ports.get(peer.nodeId) ?? 0 }) },
    });
  const a = await start(nodeA, INGRESS_A);
  cleanup.push(() => a.close());
  const b = await start(nodeB, INGRESS_B);
  cleanup.push(() => b.close());
  ports.set('node-a', a.tunnelServer.address.port);
  ports.set('node-b', b.tunnelServer.address.port);
  return [a, b];
}

/** Sends `data` on the stream, ends it, and resolves with everything the other side sent back. */
function roundTrip(stream: TunnelStream, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
    stream.resume();
    stream.write(data);
    stream.end();
  });
}

describe('tunnel (mutual TLS on loopback)', () => {
  it('carries an ingress connection to a task on another node: 1 MiB body intact', async () => {
    const web = await backend(startHttpBackend(TUNNEL_IP, 'on-b'));
    const published = await deadPort(INGRESS_A);
    const table = [endpoint('t1', { nodeId: 'node-b', nodeAddr: TUNNEL_IP, port: web.port, publishedPorts: [ingressPort(published)] })];
    const [a, b] = await twoMeshes();
    await Promise.all([a.setEndpoints(table), b.setEndpoints(table)]);

    const res = await httpGet(INGRESS_A, published, `/size/${1 << 20}`);
    expect(res.status).toBe(200);
    expect(res.body.length).toBe(1 << 20);
    expect(res.body.equals(Buffer.alloc(1 << 20, 'x'))).toBe(true);
    expect(a.ingress.stats.remote).toBe(1);
    // Node B serves the same port and reaches its own task directly.
    expect((await httpGet(INGRESS_B, published)).body.toString()).toBe('on-b');
    expect(b.ingress.stats.local).toBe(1);
  });

  it('fails over to the next endpoint when the remote task refuses, within the same client connection', async () => {
    const web = await backend(startHttpBackend(TUNNEL_IP, 'alive'));
    const dead = await deadPort(TUNNEL_IP);
    const published = await deadPort(INGRESS_A);
    const table = [dead, web.port].map((port, i) =>
      endpoint(`t${i}`, { nodeId: 'node-b', nodeAddr: TUNNEL_IP, port, publishedPorts: [ingressPort(published)] }),
    );
    const [a, b] = await twoMeshes();
    await Promise.all([a.setEndpoints(table), b.setEndpoints(table)]);
    for (let i = 0; i < 4; i++) expect((await httpGet(INGRESS_A, published)).body.toString()).toBe('alive');
    expect(a.ingress.stats.dialFailures).toBe(1);
  });

  it('delivers the PROXY v2 header to a remote task', async () => {
    const echo = await backend(startEchoBackend(TUNNEL_IP));
    const published = await deadPort(INGRESS_A);
    const table = [
      endpoint('t1', { nodeId: 'node-b', nodeAddr: TUNNEL_IP, port: echo.port, publishedPorts: [ingressPort(published, { proxyProtocol: true })] }),
    ];
    const [a, b] = await twoMeshes();
    await Promise.all([a.setEndpoints(table), b.setEndpoints(table)]);
    const res = await httpGet(INGRESS_A, published).catch(() => undefined);
    void res; // the echo backend is not HTTP: what matters is what it received
    const received = (echo as RecordingBackend).received[0] as Buffer;
    const parsed = parseProxyV2(received);
    expect(parsed).toMatchObject({ kind: 'header', header: { source: { address: '127.0.0.1' }, destination: { address: INGRESS_A, port: published } } });
    if (parsed.kind === 'header') expect(received.subarray(parsed.length).toString()).toMatch(/^GET \/ HTTP\/1.1\r\n/);
  });

  it('refuses a peer whose certificate comes from another CA, in both directions', async () => {
    const echo = await backend(startEchoBackend(TUNNEL_IP));
    const table = [endpoint('t1', { nodeId: 'node-b', nodeAddr: TUNNEL_IP, port: echo.port })];
    const server = await tunnelServerB(table);
    const rogueA = await pki.rogue('node-a');
    const fromRogue = tunnelClient(server, rogueA.tls);
    await expect(fromRogue.openStream(peerB, { taskId: 't1' })).rejects.toBeInstanceOf(TunnelConnectionError);
    expect(server.sessionCount).toBe(0);

    const rogueB = await pki.rogue('node-b');
    const rogueServer = await tunnelServerB(table, rogueB.tls);
    const toRogue = tunnelClient(rogueServer);
    const err = await toRogue.openStream(peerB, { taskId: 't1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TunnelConnectionError);
    expect(String((err as Error).cause)).toMatch(/certificate/i);
    expect(echo.count).toBe(0);
  });

  it('refuses a CA-signed peer that is not the node it should be', async () => {
    const nodeC = await pki.node('node-c');
    const server = await tunnelServerB([], nodeC.tls);
    const client = tunnelClient(server);
    const err = await client.openStream(peerB, { taskId: 't1' }).catch((e: unknown) => e);
    expect((err as Error).cause).toBeInstanceOf(TunnelPeerIdentityError);
  });

  it('refuses targets that are not endpoints of the receiving node: no open relay', async () => {
    const echo = await backend(startEchoBackend(TUNNEL_IP));
    const other = await backend(startEchoBackend(TUNNEL_IP));
    const server = await tunnelServerB([
      endpoint('t1', { nodeId: 'node-b', nodeAddr: TUNNEL_IP, port: echo.port }),
      endpoint('t2', { nodeId: 'node-b', nodeAddr: TUNNEL_IP, port: other.port, state: 'draining' }),
      endpoint('t3', { nodeId: 'node-c', nodeAddr: TUNNEL_IP, port: other.port }),
    ]);
    const client = tunnelClient(server);
    const refused = async (target: Parameters<TunnelClient['openStream']>[1]): Promise<void> => {
      const err = await client.openStream(peerB, target).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TunnelOpenError);
      expect((err as TunnelOpenError).reason).toBe('unknown-target');
    };
    await refused({ taskId: 'nope' });
    await refused({ taskId: 't3' }); // another node's task
    await refused({ addr: '127.0.0.2', port: echo.port });
    expect(other.count).toBe(0);
    // The known ones work, by task and by address, on the same connection; a draining one too
    // (senders pick it only when nothing else is left; it serves until its task stops).
    expect((await roundTrip(await client.openStream(peerB, { taskId: 't1' }), Buffer.from('a'))).toString()).toBe('a');
    expect((await roundTrip(await client.openStream(peerB, { addr: TUNNEL_IP, port: echo.port }), Buffer.from('b'))).toString()).toBe('b');
    expect((await roundTrip(await client.openStream(peerB, { taskId: 't2' }), Buffer.from('c'))).toString()).toBe('c');
    expect(server.sessionCount).toBe(1);
  });

  it('multiplexes many concurrent streams over one warm connection', async () => {
    const echo = await backend(startEchoBackend(TUNNEL_IP));
    const server = await tunnelServerB([endpoint('t1', { nodeId: 'node-b', nodeAddr: TUNNEL_IP, port: echo.port })]);
    const client = tunnelClient(server);
    client.warm([peerB]);
    const payloads = Array.from({ length: 200 }, (_, i) => Buffer.alloc(1000 + i * 300, String.fromCharCode(65 + (i % 26))));
    const results = await Promise.all(payloads.map(async (p) => roundTrip(await client.openStream(peerB, { taskId: 't1' }), p)));
    results.forEach((r, i) => expect(r.equals(payloads[i] as Buffer)).toBe(true));
    expect(server.sessionCount).toBe(1);
    expect(client.connectedPeers()).toHaveLength(1);
    expect(echo.count).toBe(200);
  });

  it('keeps other streams moving while one stream’s reader is stalled', async () => {
    const echo = await backend(startEchoBackend(TUNNEL_IP));
    const server = await tunnelServerB([endpoint('t1', { nodeId: 'node-b', nodeAddr: TUNNEL_IP, port: echo.port })]);
    const client = new TunnelClient({ tls: nodeA.tls, streamWindow: 64 * 1024, peerAddress: () => ({ host: TUNNEL_IP, port: server.address.port }) });
    cleanup.push(() => client.close());

    const stalled = await client.openStream(peerB, { taskId: 't1' });
    const big = Buffer.alloc(4 << 20, 7);
    const hash = createHash('sha256');
    let got = 0;
    stalled.on('data', (c: Buffer) => {
      got += c.length;
      hash.update(c);
    });
    const ended = new Promise((resolve) => stalled.on('end', resolve));
    stalled.pause();
    let accepted = 0;
    for (let at = 0; at < big.length; at += 64 * 1024) if (stalled.write(big.subarray(at, at + 64 * 1024))) accepted++;
    stalled.end();
    expect(accepted).toBeLessThan(64); // backpressure reached the writer

    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    const other = await roundTrip(await client.openStream(peerB, { taskId: 't1' }), Buffer.from('unblocked'));
    expect(other.toString()).toBe('unblocked');
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(got).toBe(0);

    stalled.resume();
    await ended;
    expect(got).toBe(big.length);
    expect(hash.digest('hex')).toBe(createHash('sha256').update(big).digest('hex'));
  });

  it('carries UDP flows to a task on another node as datagram streams, replies back from the published port', async () => {
    const task = await backend(startUdpEchoBackend(TUNNEL_IP, 'on-b'));
    const published = await deadUdpPort(INGRESS_A);
    const table = [endpoint('t1', { nodeId: 'node-b', nodeAddr: TUNNEL_IP, port: task.port, publishedPorts: [udpPort(published)] })];
    const [a, b] = await twoMeshes();
    await Promise.all([a.setEndpoints(table), b.setEndpoints(table)]);
    expect(a.udp.listeningPorts()).toEqual([published]);

    const clients = await Promise.all([1, 2, 3].map(() => udpClient(INGRESS_A)));
    cleanup.push(async () => clients.forEach((c) => c.close()));
    for (const [i, c] of clients.entries()) {
      for (let n = 0; n < 2; n++) {
        c.send(INGRESS_A, published, `c${i}-${n}`);
        expect(await c.next()).toEqual({ text: `on-b:c${i}-${n}`, from: `${INGRESS_A}:${published}` });
      }
    }
    expect(a.udp.stats).toMatchObject({ flows: 3, remote: 3, replied: 6 });
    expect(task.sources.size).toBe(3); // one task-side socket per flow
    expect(b.tunnelServer.sessionCount).toBe(1); // all over the one warm connection
    // Node B serves the same port and reaches its own task directly.
    const local = await udpClient(INGRESS_B);
    cleanup.push(async () => local.close());
    local.send(INGRESS_B, published, 'direct');
    expect((await local.next())?.text).toBe('on-b:direct');
    expect(b.udp.stats.local).toBe(1);
  });

  it('ends a UDP flow the receiving node refuses, and penalises that endpoint', async () => {
    const task = await backend(startUdpEchoBackend(TUNNEL_IP, 'on-b'));
    const published = await deadUdpPort(INGRESS_A);
    const entry = endpoint('t1', { nodeId: 'node-b', nodeAddr: TUNNEL_IP, port: task.port, publishedPorts: [udpPort(published)] });
    const [a, b] = await twoMeshes();
    // A believes t1 publishes UDP; B knows it as a TCP-only endpoint: no datagram stream may reach it.
    await Promise.all([a.setEndpoints([entry]), b.setEndpoints([{ ...entry, publishedPorts: [ingressPort(published)] }])]);
    const c = await udpClient(INGRESS_A);
    cleanup.push(async () => c.close());
    c.send(INGRESS_A, published, 'refused');
    await waitFor(() => a.udp.stats.failures === 1 && a.udp.flowCount() === 0, 'the refused flow to end');
    expect(task.count).toBe(0);
  });

  it('fails opens fast while a peer is unreachable, then reconnects', async () => {
    const port = await deadPort(TUNNEL_IP);
    const client = new TunnelClient({ tls: nodeA.tls, reconnectDelayMs: 60_000, peerAddress: () => ({ host: TUNNEL_IP, port }) });
    cleanup.push(() => client.close());
    await expect(client.openStream(peerB, { taskId: 't1' })).rejects.toBeInstanceOf(TunnelConnectionError);
    await expect(client.openStream(peerB, { taskId: 't1' })).rejects.toThrow(/down; retrying shortly/);
  });
});

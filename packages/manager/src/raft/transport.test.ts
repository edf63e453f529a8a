// Raft links over real loopback TLS: a manager's transport sends message batches to a peer's
// listener, in order; only managers of this cluster get through; a peer that dies is reported.
import type * as net from 'node:net';
import * as tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createNodeCertificate, generateClusterId, generateRootCA } from '@shoal/pki';
import type { Message } from '@shoal/raft';
import type { TlsMaterial } from '@shoal/wire';
import { ManagerListener, RAFT_ALPN } from '../listener';
import { raftLinkHandler } from './raft-server';
import type { RaftReplica } from './replica';
import { RaftTransport } from './transport';
import { freePort } from '../test-support/free-port';

const logger = pino({ level: 'silent' });
const A = 'aaaaaaaaaaaaaaaaaaaaaaaaa';
const B = 'bbbbbbbbbbbbbbbbbbbbbbbbb';

let clusterId: string;
let caPem: string;
let tlsOf: (nodeId: string, role: 'manager' | 'worker', ca?: { certPem: string; keyPem: string }) => Promise<TlsMaterial>;

beforeAll(async () => {
  const root = await generateRootCA();
  caPem = root.certPem;
  clusterId = generateClusterId();
  tlsOf = async (nodeId, role, ca = root) => {
    const own = await createNodeCertificate({ caCertPem: ca.certPem, caKeyPem: ca.keyPem, nodeId, role, clusterId });
    return { caCertPem: caPem, certPem: own.certPem, keyPem: own.keyPem };
  };
});

interface Peer {
  addr: string;
  received: Message[];
  revoked: string[];
  close(): void;
}

const opened: Array<{ close(): void }> = [];
afterEach(() => {
  for (const o of opened.splice(0)) o.close();
});

/** Manager B's 2377 listener, recording the batches its replica is given. */
async function peerB(): Promise<Peer> {
  const addr = `127.0.0.1:${await freePort()}`;
  const received: Message[] = [];
  const revoked: string[] = [];
  const replica = { step: (ms: readonly Message[]) => void received.push(...ms) } as unknown as RaftReplica;
  const server = new grpc.Server();
  const listener = await ManagerListener.open(
    addr,
    await tlsOf(B, 'manager'),
    server,
    raftLinkHandler({ replica: () => replica, clusterId: () => clusterId, revoked: () => revoked, leaderAddr: () => null, logger }),
    logger,
  );
  const peer = {
    addr,
    received,
    revoked,
    close: () => {
      listener.close();
      server.forceShutdown();
    },
  };
  opened.push(peer);
  return peer;
}

/** Manager A's transport, with what it reports. */
async function transportA(tls?: TlsMaterial, silenceMs?: number): Promise<{ t: RaftTransport; unreachable: string[]; disconnected: string[] }> {
  const t = new RaftTransport(tls ?? (await tlsOf(A, 'manager')), logger, silenceMs === undefined ? {} : { silenceMs });
  const unreachable: string[] = [];
  const disconnected: string[] = [];
  t.attach({ unreachable: (id) => unreachable.push(id), snapshot: () => undefined, disconnected: (a) => disconnected.push(a) });
  opened.push(t);
  return { t, unreachable, disconnected };
}

const heartbeat = (commit: number): Message => ({ type: 'heartbeat', from: A, to: B, term: 3, commit });

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('Raft links', () => {
  it('deliver every batch in order, including those sent before the link is up', async () => {
    const b = await peerB();
    const { t } = await transportA();
    const peers = new Map([[B, b.addr]]);
    for (let i = 0; i < 200; i++) t.send([heartbeat(2 * i), heartbeat(2 * i + 1)], peers);
    await until(() => b.received.length === 400);
    expect(b.received.map((m) => (m as { commit: number }).commit)).toEqual(Array.from({ length: 400 }, (_, i) => i));
    expect(b.received[1]).toEqual(heartbeat(1));
  });

  it('refuse a worker certificate and a certificate of another CA', async () => {
    const b = await peerB();
    const foreign = await generateRootCA();
    for (const tls of [await tlsOf(A, 'worker'), await tlsOf(A, 'manager', foreign)]) {
      const { t, unreachable, disconnected } = await transportA(tls);
      t.send([heartbeat(1)], new Map([[B, b.addr]]));
      await until(() => disconnected.length === 1); // the listener closed the link
      expect(b.received).toEqual([]);
      // Not retried at once: a refused certificate would cost a handshake per send.
      const reported = unreachable.length;
      t.send([heartbeat(2)], new Map([[B, b.addr]]));
      expect(unreachable).toHaveLength(reported + 1);
    }
  });

  it('cut off a member removed while its link is open, and report the cut to the sender', async () => {
    const b = await peerB();
    const { t, disconnected } = await transportA();
    const peers = new Map([[B, b.addr]]);
    t.send([heartbeat(1)], peers);
    await until(() => b.received.length === 1);
    b.revoked.push(A);
    t.send([heartbeat(2)], peers);
    await until(() => disconnected.length === 1);
    expect(disconnected).toEqual([b.addr]);
    expect(b.received).toHaveLength(1);
  });

  it('report a peer whose process ends, then back off while it stays unreachable', async () => {
    const b = await peerB();
    const { t, unreachable, disconnected } = await transportA();
    const peers = new Map([[B, b.addr]]);
    t.send([heartbeat(1)], peers);
    await until(() => b.received.length === 1);
    b.close();
    await until(() => disconnected.length === 1);
    t.send([heartbeat(2)], peers); // a new link, refused: nothing listens
    await new Promise((r) => setTimeout(r, 50));
    t.send([heartbeat(3)], peers); // inside the backoff: not tried, reported at once
    expect(unreachable).toEqual([B]);
  });

  it('keep a quiet link whose peer acknowledges, and cut one whose peer stops reading', async () => {
    const b = await peerB();
    const quiet = await transportA(undefined, 300);
    quiet.t.send([heartbeat(1)], new Map([[B, b.addr]]));
    await new Promise((r) => setTimeout(r, 1000));
    expect(b.received).toHaveLength(1);
    expect(quiet.disconnected).toEqual([]);

    // A peer that completes the handshake, then never reads: as a partitioned host would look.
    const own = await tlsOf(B, 'manager');
    const mute = tls.createServer({ key: own.keyPem, cert: own.certPem, ca: caPem, requestCert: true, ALPNProtocols: [RAFT_ALPN] }, (socket) => socket.pause());
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
    opened.push({ close: () => mute.close() });
    const muteAddr = `127.0.0.1:${(mute.address() as net.AddressInfo).port}`;
    const stalled = await transportA(undefined, 300);
    stalled.t.send([heartbeat(1)], new Map([[B, muteAddr]]));
    await until(() => stalled.disconnected.length === 1);
    expect(stalled.disconnected).toEqual([muteAddr]);
  });

  it('report a peer without a known address as unreachable', async () => {
    const { t, unreachable } = await transportA();
    t.send([heartbeat(1)], new Map());
    expect(unreachable).toEqual([B]);
  });
});

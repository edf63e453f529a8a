// The issued PEMs must work with Node's TLS as they are: a real mutual-TLS handshake on loopback.
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeCertificate } from './issue';
import { authorize, parseNodeCertificate } from './node-certificate';
import { generateRootCA, type CertificateAndKey } from './root-ca';
import { MANAGER_SERVER_NAME } from './roles';
import { makeTestCluster, type TestCluster } from './test-support/fixtures';

interface ServerSide {
  authorized: boolean;
  authorizationError: string | undefined;
  peerRaw: Buffer | undefined;
}

interface HandshakeResult {
  server: ServerSide;
  clientAuthorized: boolean;
  serverCert: tls.PeerCertificate;
}

let cluster: TestCluster;
let foreign: CertificateAndKey;
let server: tls.Server;
let port: number;
const accepted: Array<(side: ServerSide) => void> = [];

beforeAll(async () => {
  cluster = await makeTestCluster();
  const foreignCA = await generateRootCA();
  foreign = await createNodeCertificate({
    caCertPem: foreignCA.certPem,
    caKeyPem: foreignCA.keyPem,
    nodeId: 'intruder',
    role: 'manager',
    clusterId: cluster.clusterId,
  });
  server = tls.createServer({
    key: Buffer.from(cluster.manager.keyPem),
    cert: Buffer.from(cluster.manager.certPem),
    ca: [Buffer.from(cluster.ca.certPem)],
    requestCert: true,
    rejectUnauthorized: false,
  });
  server.on('secureConnection', (socket: tls.TLSSocket) => {
    const peer = socket.getPeerCertificate();
    const error = socket.authorizationError as Error | string | null | undefined;
    accepted.shift()?.({
      authorized: socket.authorized,
      authorizationError: error ? String(error) : undefined,
      peerRaw: peer.raw,
    });
    socket.end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  if (server.listening) {
    server.close();
    await once(server, 'close');
  }
});

async function handshake(client: CertificateAndKey): Promise<HandshakeResult> {
  const serverSide = new Promise<ServerSide>((resolve) => accepted.push(resolve));
  const socket = tls.connect({
    host: '127.0.0.1',
    port,
    servername: MANAGER_SERVER_NAME,
    key: Buffer.from(client.keyPem),
    cert: Buffer.from(client.certPem),
    ca: [Buffer.from(cluster.ca.certPem)],
  });
  try {
    await once(socket, 'secureConnect');
    const result = { clientAuthorized: socket.authorized, serverCert: socket.getPeerCertificate() };
    return { ...result, server: await serverSide };
  } finally {
    socket.destroy();
  }
}

describe('mutual TLS with issued certificates', () => {
  it('authenticates a worker to a manager both ways', async () => {
    const result = await handshake(cluster.worker);
    expect(result.clientAuthorized).toBe(true);
    expect(result.server.authorized).toBe(true);
    expect(result.server.peerRaw).toBeInstanceOf(Buffer);
    const peer = parseNodeCertificate(result.server.peerRaw ?? Buffer.alloc(0));
    expect(peer).toMatchObject({ nodeId: cluster.worker.nodeId, role: 'worker', clusterId: cluster.clusterId });
    expect(authorize(peer, ['worker'], { clusterId: cluster.clusterId })).toBe(cluster.worker.nodeId);
    expect(() => authorize(peer, ['manager'])).toThrow(/Permission denied/);
  });

  it('lets the client check the manager under the name swarm-manager', async () => {
    const result = await handshake(cluster.manager);
    expect(tls.checkServerIdentity(MANAGER_SERVER_NAME, result.serverCert)).toBeUndefined();
    expect(tls.checkServerIdentity('swarm-ca', result.serverCert)).toBeUndefined();
    expect(parseNodeCertificate(result.serverCert.raw).role).toBe('manager');
  });

  it('does not authorise a client whose certificate comes from another CA', async () => {
    const result = await handshake(foreign);
    expect(result.server.authorized).toBe(false);
    expect(result.server.authorizationError).toBeDefined();
  });

  it('a worker certificate does not pass as swarm-manager', () => {
    const workerCert = new X509Certificate(cluster.worker.certPem).toLegacyObject();
    expect(tls.checkServerIdentity(MANAGER_SERVER_NAME, workerCert)).toBeInstanceOf(Error);
  });
});

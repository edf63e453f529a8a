// The manager's 2377 server in process: the join bootstrap works without a client
// certificate; everything else needs a certificate of this cluster's CA.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createKeyAndCSR,
  createNodeCertificate,
  generateClusterId,
  generateJoinToken,
  generateNodeId,
  generateRootCA,
  parseNodeCertificate,
} from '@shoal/pki';
import {
  CAMethods,
  CAService,
  DispatcherMethods,
  DispatcherService,
  GrpcStatus,
  bootstrapCredentials,
  clientCredentials,
  createClient,
  insecureFetchCredentials,
  type SessionMessage,
  type TlsMaterial,
} from '@shoal/wire';
import { updateOp } from '@shoal/store';
import { DEFAULT_CLUSTER_SPEC, Manager } from './manager';
import { freePort } from './test-support/free-port';

const logger = pino({ level: 'silent' });
let dir: string;
let manager: Manager;
let addr: string;
let caPem: string;
let workerToken: string;

const description = { hostname: 'w', addr: '127.0.0.1', platform: { os: 'linux', architecture: 'x86_64' }, resources: { nanoCpus: 1, memoryBytes: 1 }, engineVersion: 't' };

async function join(token: string): Promise<TlsMaterial & { nodeId: string }> {
  const { keyPem, csrPem } = await createKeyAndCSR();
  const ca = createClient(CAService, CAMethods, addr, bootstrapCredentials(caPem));
  try {
    const res = await ca.unary.IssueNodeCertificate({ token, csrPem, hostname: 'w', advertiseAddr: '127.0.0.1' }, { timeoutMs: 5000 });
    return { caCertPem: caPem, certPem: res.certPem, keyPem, nodeId: res.nodeId };
  } finally {
    ca.close();
  }
}

async function firstSessionMessage(tls: TlsMaterial): Promise<SessionMessage> {
  const client = createClient(DispatcherService, DispatcherMethods, addr, clientCredentials(tls));
  try {
    const stream = client.stream.Session({ description }, { timeoutMs: 5000 });
    for await (const msg of stream as AsyncIterable<SessionMessage>) return msg;
    throw new Error('session closed without a message');
  } finally {
    client.close();
  }
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-mgr-'));
  addr = `127.0.0.1:${await freePort()}`;
  const rootCA = await generateRootCA();
  caPem = rootCA.certPem;
  const clusterId = generateClusterId();
  const nodeId = generateNodeId();
  const own = await createNodeCertificate({ caCertPem: rootCA.certPem, caKeyPem: rootCA.keyPem, nodeId, role: 'manager', clusterId });
  manager = new Manager({ dataDir: dir, nodeId, listenAddr: addr, advertiseAddr: addr, tls: { caCertPem: caPem, ...own }, logger, raftRejoinAfterMs: 300 });
  workerToken = generateJoinToken(caPem);
  const cert = parseNodeCertificate(own.certPem);
  await manager.start({
    mode: 'bootstrap',
    init: {
      clusterId,
      rootCA,
      joinTokens: { worker: workerToken, manager: generateJoinToken(caPem) },
      spec: DEFAULT_CLUSTER_SPEC,
      description,
      availability: 'active',
      certificate: { serial: cert.serial, notAfter: cert.notAfter.toISOString() },
    },
  });
});

afterAll(async () => {
  await manager?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('manager 2377 security', () => {
  it('serves the root CA to anyone: the joiner pins it by digest', async () => {
    const c = createClient(CAService, CAMethods, addr, insecureFetchCredentials());
    try {
      expect((await c.unary.GetRootCACertificate({}, { timeoutMs: 5000 })).certPem).toBe(caPem);
    } finally {
      c.close();
    }
  });

  it('issues a swarm-worker certificate for the worker token and refuses a wrong one', async () => {
    const w = await join(workerToken);
    expect(parseNodeCertificate(w.certPem)).toMatchObject({ role: 'worker', nodeId: w.nodeId, clusterId: manager.control.cluster().id });
    await expect(join(generateJoinToken(caPem))).rejects.toMatchObject({
      code: GrpcStatus.INVALID_ARGUMENT,
      details: 'A valid join token is necessary to join this cluster',
    });
  });

  it('refuses a dispatcher session without a client certificate', async () => {
    const client = createClient(DispatcherService, DispatcherMethods, addr, bootstrapCredentials(caPem));
    try {
      const stream = client.stream.Session({ description }, { timeoutMs: 5000 });
      await expect(
        (async () => {
          for await (const _ of stream as AsyncIterable<SessionMessage>) void _;
        })(),
      ).rejects.toMatchObject({ code: GrpcStatus.UNAUTHENTICATED });
    } finally {
      client.close();
    }
  });

  it('refuses a certificate from another CA', async () => {
    const foreign = await generateRootCA();
    const cert = await createNodeCertificate({
      caCertPem: foreign.certPem,
      caKeyPem: foreign.keyPem,
      nodeId: generateNodeId(),
      role: 'manager',
      clusterId: manager.control.cluster().id,
    });
    // The client trusts our CA (so TLS completes) but presents a foreign certificate.
    await expect(firstSessionMessage({ caCertPem: caPem, certPem: cert.certPem, keyPem: cert.keyPem })).rejects.toMatchObject({
      code: GrpcStatus.UNAUTHENTICATED,
    });
  });

  it('pushes rotated gossip keys on the open session stream', async () => {
    const w = await join(workerToken);
    const client = createClient(DispatcherService, DispatcherMethods, addr, clientCredentials(w));
    try {
      const stream = client.stream.Session({ description }, { timeoutMs: 10_000 }) as AsyncIterable<SessionMessage>;
      const rotated = ['a2V5LTE=', ...(manager.control.cluster().gossipKeys ?? [])];
      let pushed: string[] | undefined;
      for await (const msg of stream) {
        if (msg.type === 'session') {
          expect(msg.gossipKeys).toEqual(rotated.slice(1));
          const c = manager.control.cluster();
          await manager.store.commit([updateOp('cluster', { ...c, gossipKeys: rotated }, c.version)]);
        }
        if (msg.type === 'gossip-keys') {
          pushed = msg.keys;
          break;
        }
      }
      expect(pushed).toEqual(rotated);
    } finally {
      client.close();
    }
  });

  it('opens a session for a joined node and tells a removed node to leave', async () => {
    const w = await join(workerToken);
    const first = await firstSessionMessage(w);
    expect(first).toMatchObject({ type: 'session', nodeId: w.nodeId, heartbeatPeriodMs: 1000 });
    await manager.control.removeNode(w.nodeId, true);
    expect(manager.control.cluster().revokedNodes).toContain(w.nodeId);
    expect(await firstSessionMessage(w)).toEqual({ type: 'node-removed' });
  });
});

describe('manager membership repair', () => {
  it('tells a connected manager that Raft does not count as a member to rejoin (removed and promoted again unnoticed)', async () => {
    const w = await join(workerToken);
    // The store says manager; Raft has never heard of it (its removal went unnoticed).
    const node = manager.store.memory.get('node', w.nodeId);
    if (!node) throw new Error('joined node missing');
    await manager.store.commit([updateOp('node', { ...node, role: 'manager', spec: { ...node.spec, role: 'manager' } }, node.version)]);
    const client = createClient(DispatcherService, DispatcherMethods, addr, clientCredentials(w));
    const seen: string[] = [];
    try {
      const stream = client.stream.Session({ description }, { timeoutMs: 5000 });
      for await (const msg of stream as AsyncIterable<SessionMessage>) {
        seen.push(msg.type);
        if (msg.type === 'rejoin-raft') break;
      }
    } finally {
      client.close();
    }
    expect(seen[0]).toBe('session');
    expect(seen).toContain('rejoin-raft');
  });
});

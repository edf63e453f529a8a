// Root CA rotation with the unmodified docker CLI (`docker swarm ca --rotate`): every node gets a
// certificate from the new root (carrying the cross-signed CA, so nobody stops trusting anybody
// midway), then trusts only the new root; the join tokens change; managers, workers and the mesh
// keep working on fresh connections; a node joins with the new token, and the old one is refused.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRootCA, nodeTlsInfo, tlsInfo } from '@shoal/pki';
import { nodeStates, registerCleanup, startCluster, startDaemon, waitFor, whoami, type Cluster, type DaemonHandle } from '@shoal/testkit';

registerCleanup();

const BASE = '127.0.22.';
const PORT = 8080;
let cluster: Cluster;

const trusted = (n: DaemonHandle): string => readFileSync(join(n.dataDir, 'certs', 'ca.crt'), 'utf8');
const issuerKey = (n: DaemonHandle): string =>
  nodeTlsInfo({ caCertPem: trusted(n), certPem: readFileSync(join(n.dataDir, 'certs', 'node.crt'), 'utf8') }).CertIssuerPublicKey;

/** The whoami answer's `Node:` line. */
async function servedBy(ip: string): Promise<string> {
  return (await whoami(ip, PORT)).node;
}

describe('root CA rotation', () => {
  beforeAll(async () => {
    cluster = await startCluster({ size: 3, baseIp: BASE });
    await cluster.manager.cliOk(['node', 'promote', 'worker1']);
    await cluster.manager.dockerOk(['service', 'create', '-d', '--name', 'web', '--replicas', '2', '--constraint', 'node.hostname!=worker2', '-p', `${PORT}:80`, 'shoal/whoami']);
  });
  afterAll(async () => {
    await cluster?.stopAll();
  });

  it('docker swarm ca --rotate moves every node to a new root without an outage', async () => {
    const { manager } = cluster;
    const oldRoot = (await manager.dockerOk(['swarm', 'ca'])).stdout;
    const oldToken = (await manager.dockerOk(['swarm', 'join-token', '-q', 'worker'])).stdout.trim();
    await waitFor(async () => (await servedBy(cluster.workers[1]?.ip as string)) !== '', { timeoutMs: 15_000, what: 'the mesh answering on worker2' });

    const rotate = await manager.dockerOk(['swarm', 'ca', '--rotate'], { timeoutMs: 60_000 });
    const newRoot = `${/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\n$/.exec(rotate.stdout)?.[0] ?? ''}`;
    expect(newRoot).not.toBe('');
    expect(newRoot).not.toBe(oldRoot);
    expect(rotate.stdout).toContain('rotated TLS certificates');
    expect(rotate.stdout).toContain('rotated CA certificates');
    expect((await manager.dockerOk(['swarm', 'ca'])).stdout).toBe(newRoot);
    expect((await manager.dockerOk(['info', '--format', '{{.Swarm.Cluster.RootRotationInProgress}}'])).stdout.trim()).toBe('false');
    // Every node trusts the new root and holds a certificate it issued.
    for (const node of cluster.nodes) {
      expect(trusted(node).trim(), node.name).toBe(newRoot.trim());
      expect(issuerKey(node), node.name).toBe(tlsInfo(newRoot).CertIssuerPublicKey);
    }
    // The tokens name the new root.
    const newToken = (await manager.dockerOk(['swarm', 'join-token', '-q', 'worker'])).stdout.trim();
    expect(newToken).not.toBe(oldToken);
    expect(await nodeStates(cluster.manager)).toBe('manager=ready worker1=ready worker2=ready');

    // Fresh connections everywhere: a restarted worker comes back and routes to both tasks.
    const worker2 = cluster.workers[1] as DaemonHandle;
    await worker2.restart();
    await waitFor(async () => (await nodeStates(cluster.manager)) === 'manager=ready worker1=ready worker2=ready', { timeoutMs: 15_000, what: 'worker2 ready again' });
    const seen = new Set<string>();
    await waitFor(async () => (seen.add(await servedBy(worker2.ip)), seen.size >= 2), { timeoutMs: 15_000, what: 'both tasks through worker2' });
    // Raft between the managers on new connections too: a write through the follower manager.
    await cluster.workers[0]?.dockerOk(['service', 'scale', '-d', 'web=3']);

    // A new node joins with the new token; the old token names a root nobody has any more.
    const late = await startDaemon({ name: 'late', ip: `${BASE}9` });
    try {
      const refused = await late.docker(['swarm', 'join', '--token', oldToken, '--advertise-addr', late.ip, '--listen-addr', late.ip, `${manager.ip}:2377`]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('remote CA does not match fingerprint');
      await late.dockerOk(['swarm', 'join', '--token', newToken, '--advertise-addr', late.ip, '--listen-addr', late.ip, `${manager.ip}:2377`]);
      await waitFor(async () => (await nodeStates(cluster.manager)).includes('late=ready'), { timeoutMs: 15_000, what: 'late ready' });
      expect(trusted(late).trim()).toBe(newRoot.trim());
    } finally {
      await late.stop();
    }
    // A node that is down holds a rotation (as in Docker): this one is gone for good.
    await manager.dockerOk(['node', 'rm', '--force', 'late']);
  });

  it('rotates to a CA certificate and key given with --ca-cert/--ca-key, and refuses a key that does not match', async () => {
    const { manager } = cluster;
    const mine = await generateRootCA();
    const other = await generateRootCA();
    const dir = manager.dataDir;
    writeFileSync(join(dir, 'mine.crt'), mine.certPem);
    writeFileSync(join(dir, 'mine.key'), mine.keyPem);
    writeFileSync(join(dir, 'other.key'), other.keyPem);
    const before = (await manager.dockerOk(['swarm', 'ca'])).stdout;

    const mismatch = await manager.docker(['swarm', 'ca', '--rotate', '--ca-cert', join(dir, 'mine.crt'), '--ca-key', join(dir, 'other.key')]);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toContain('certificate key mismatch');
    expect((await manager.dockerOk(['swarm', 'ca'])).stdout).toBe(before);
    const noKey = await manager.docker(['swarm', 'ca', '--rotate', '--ca-cert', join(dir, 'mine.crt')]);
    expect(noKey.stderr.trim()).toBe('the --ca-cert flag requires that a --ca-key flag and/or --external-ca flag be provided as well');

    const rotate = await manager.dockerOk(['swarm', 'ca', '--rotate', '-q', '--ca-cert', join(dir, 'mine.crt'), '--ca-key', join(dir, 'mine.key')], { timeoutMs: 60_000 });
    expect(rotate.stdout).toBe('');
    expect((await manager.dockerOk(['swarm', 'ca'])).stdout.trim()).toBe(mine.certPem.trim());
    await waitFor(() => cluster.nodes.every((n) => trusted(n).trim() === mine.certPem.trim()), { timeoutMs: 15_000, what: 'every node trusting the given root' });
    expect(await nodeStates(cluster.manager)).toBe('manager=ready worker1=ready worker2=ready');
  });
});

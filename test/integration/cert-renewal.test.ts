// Node certificates renew themselves before they expire (swarmkit: at a random point between 50 %
// and 80 % of their validity). SHOAL_NODE_CERT_VALIDITY=8s makes every certificate the managers
// issue expire 8 s after it is made, so within the test every node outlives several certificates:
// sessions, Raft, gossip and the mesh tunnel keep working, and a node restarted long after its
// first certificate expired comes back with the renewed one.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeStates, registerCleanup, startCluster, waitFor, whoami, type Cluster, type DaemonHandle } from '@shoal/testkit';

registerCleanup();

const BASE = '127.0.21.';
const PORT = 8080;
const VALIDITY_MS = 8_000;

let cluster: Cluster;

function certOf(node: DaemonHandle): X509Certificate {
  return new X509Certificate(readFileSync(join(node.dataDir, 'certs', 'node.crt')));
}

/** The whoami answer's `Node:` line. */
async function servedBy(ip: string): Promise<string> {
  return (await whoami(ip, PORT)).node;
}

describe('certificate renewal', () => {
  beforeAll(async () => {
    cluster = await startCluster({ size: 3, baseIp: BASE, daemon: { env: { SHOAL_NODE_CERT_VALIDITY: `${VALIDITY_MS / 1000}s` } } });
  });
  afterAll(async () => {
    await cluster?.stopAll();
  });

  it('renews every node certificate before it expires, without the cluster or the mesh noticing', async () => {
    const first = new Map(cluster.nodes.map((n) => [n.name, certOf(n)]));
    for (const cert of first.values()) {
      // Valid for 8 s from issue (backdated by as much).
      expect(Date.parse(cert.validTo) - Date.parse(cert.validFrom)).toBe(2 * VALIDITY_MS);
    }
    await cluster.manager.cliOk(['service', 'create', '-d', '--name', 'web', '--replicas', '2', '--constraint', 'node.hostname!=worker2', '-p', `${PORT}:80`, 'shoal/whoami']);

    // Outlive the first certificates by two validity periods.
    const deadline = Math.max(...[...first.values()].map((c) => Date.parse(c.validTo))) + 2 * VALIDITY_MS;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1_000));
      expect(await nodeStates(cluster.manager)).toBe('manager=ready worker1=ready worker2=ready');
    }
    for (const node of cluster.nodes) {
      const now = certOf(node);
      expect(now.serialNumber, node.name).not.toBe(first.get(node.name)?.serialNumber);
      expect(Date.parse(now.validTo), node.name).toBeGreaterThan(Date.now());
      expect(node.logs(), node.name).toContain('node certificate renewed');
    }

    // New connections everywhere: a restarted worker rejoins with the certificate it renewed, and
    // its ingress reaches both tasks (neither runs on it) through fresh tunnel connections.
    const [, worker2] = cluster.workers as [DaemonHandle, DaemonHandle];
    await worker2.restart();
    await waitFor(async () => (await nodeStates(cluster.manager)) === 'manager=ready worker1=ready worker2=ready', { timeoutMs: 15_000, what: 'worker2 ready again' });
    const seen = new Set<string>();
    await waitFor(
      async () => {
        seen.add(await servedBy(worker2.ip));
        return seen.size >= 2;
      },
      { timeoutMs: 15_000, what: 'both tasks answering through worker2' },
    );
    for (const node of cluster.nodes) {
      expect(node.logs(), node.name).not.toContain('certificate has expired');
    }

    // Autolock after renewals seals the key in use now (not the one the manager started with):
    // the restarted manager unlocks and runs.
    const on = await cluster.manager.dockerOk(['swarm', 'update', '--autolock=true']);
    const key = /SWMKEY-1-\S+/.exec(on.stdout)?.[0] as string;
    await waitFor(() => cluster.manager.logs().includes('manager keys sealed under the unlock key'), { timeoutMs: 10_000, what: 'manager sealed' });
    await cluster.manager.restart();
    await cluster.manager.dockerOk(['swarm', 'unlock'], { input: `${key}\n` });
    await waitFor(async () => (await nodeStates(cluster.manager)) === 'manager=ready worker1=ready worker2=ready', { timeoutMs: 20_000, what: 'the unlocked manager leading again' });
  });
});

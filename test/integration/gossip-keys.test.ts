// Gossip key rotation end to end, sped up with SHOAL_GOSSIP_KEY_ROTATION: the leader rotates the
// cluster key in three phases, every node applies each phase to its running gossip (seen by key
// fingerprints in the logs, never the keys), and membership and the routing mesh stay healthy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCleanup, startCluster, waitFor, whoami, type Cluster, type DaemonHandle } from '@shoal/testkit';

registerCleanup();

let cluster: Cluster;
const BASE = '127.0.18.';
const PORT = 8080;
/** A key is primary for 2 s; 1 s to propagate a new key, 1 s grace for the old one. */
const ROTATION = '2s,1s,1s';

interface LogLine {
  msg?: string;
  module?: string;
  action?: string;
  primary?: string;
  keys?: unknown;
  removed?: string[];
}

function logLines(node: DaemonHandle): LogLine[] {
  return node.logs().split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      return [JSON.parse(line) as LogLine];
    } catch {
      return [];
    }
  });
}

/** What the node's gossip keyring held after each change: fingerprints, primary first. */
function appliedKeyrings(node: DaemonHandle): string[][] {
  return logLines(node)
    .filter((l) => l.msg === 'gossip keys rotated' && Array.isArray(l.keys))
    .map((l) => l.keys as string[]);
}

/** The leader's completed rotations: [old, new] fingerprints. */
function completedRotations(): Array<[string, string]> {
  return logLines(cluster.manager)
    .filter((l) => l.module === 'gossip-keys' && l.action === 'retire' && l.primary && l.removed?.length === 1)
    .map((l) => [l.removed?.[0] as string, l.primary as string]);
}

/** The node went through install → promote → remove of this rotation, in that order. */
function sawFullRotation(node: DaemonHandle, [oldKey, newKey]: [string, string]): boolean {
  const rings = appliedKeyrings(node).map((r) => r.join());
  const installed = rings.indexOf([oldKey, newKey].join());
  const promoted = rings.indexOf([newKey, oldKey].join());
  const removed = rings.indexOf(newKey);
  return installed >= 0 && installed < promoted && promoted < removed;
}

/** The whoami answer's `Node:` line. */
async function servedBy(ip: string, port: number): Promise<string> {
  return (await whoami(ip, port)).node;
}

async function runningTasks(service: string): Promise<number> {
  const filters = encodeURIComponent(JSON.stringify({ service: { [service]: true }, 'desired-state': { running: true } }));
  const tasks = await cluster.manager.api.get<Array<{ Status: { State: string } }>>(`/v1.41/tasks?filters=${filters}`);
  return tasks.filter((t) => t.Status.State === 'running').length;
}

describe('gossip key rotation', () => {
  beforeAll(async () => {
    cluster = await startCluster({ size: 3, baseIp: BASE, daemon: { env: { SHOAL_GOSSIP_KEY_ROTATION: ROTATION } } });
    await cluster.manager.cliOk(['service', 'create', '-d', '--name', 'web', '--replicas', '2', '-p', `${PORT}:80`, 'shoal/whoami']);
    await waitFor(async () => (await runningTasks('web')) === 2, { timeoutMs: 15_000, what: '2 running tasks' });
  });
  afterAll(async () => {
    await cluster?.stopAll();
  });

  it('rotates the key on every node without a flag day, and gossip keeps carrying the endpoint table', async () => {
    const rotation = await waitFor(
      () => {
        const done = completedRotations();
        const everywhere = done.find((r) => cluster.nodes.every((n) => sawFullRotation(n, r)));
        if (!everywhere) throw new Error(`${done.length} rotation(s) done; per node: ${cluster.nodes.map((n) => `${n.name}=${appliedKeyrings(n).length}`).join(' ')}`);
        return everywhere;
      },
      { timeoutMs: 15_000, intervalMs: 200, what: 'one rotation applied in all three phases on every node' },
    );
    expect(rotation[0]).not.toBe(rotation[1]);

    for (const node of cluster.nodes) {
      await waitFor(() => servedBy(node.ip, PORT), { timeoutMs: 5_000, what: `${node.name} answering on port ${PORT}` });
    }
    // Gossip still works under the new keys: an endpoint published after the rotation reaches the
    // nodes that do not run the task, and only the endpoint table tells them where it is.
    await cluster.manager.cliOk([
      'service', 'create', '-d', '--name', 'late', '--constraint', 'node.hostname==worker2', '-p', `${PORT + 1}:80`, 'shoal/whoami',
    ]);
    for (const node of cluster.nodes.filter((n) => n.name !== 'worker2')) {
      await waitFor(() => servedBy(node.ip, PORT + 1).then((n) => n === 'worker2'), {
        timeoutMs: 10_000,
        what: `${node.name} routing port ${PORT + 1} to the task on worker2`,
      });
    }

    // No frame went unopened, nobody was suspected or declared failed, and no key reached a log.
    for (const node of cluster.nodes) {
      const logs = node.logs();
      expect(logs, node.name).not.toContain('dropped a gossip frame no installed key authenticates');
      expect(logs, node.name).not.toContain('suspicion timed out, member failed');
      expect(logs, node.name).not.toContain('refuting an accusation against this node');
      expect(appliedKeyrings(node).flat().every((fp) => /^[0-9a-f]{12}$/.test(fp)), node.name).toBe(true);
    }
  });
});

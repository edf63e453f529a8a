// Raft across real links: three managers in network namespaces. Cutting the
// leader's link lets the majority elect and commit while the minority cannot;
// healing leaves one history.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cutLink,
  netnsAvailable,
  netnsDown,
  netnsUp,
  registerCleanup,
  restoreLink,
  startCluster,
  waitFor,
  type Cluster,
  type ClusterNodeJson,
  type DaemonHandle,
} from '@shoal/testkit';

registerCleanup();

let cluster: Cluster;
type NodeJson = ClusterNodeJson & { Spec?: { Labels?: Record<string, string> } };

async function leader(via: DaemonHandle): Promise<string | undefined> {
  const nodes = await via.api.get<NodeJson[]>('/v1.41/nodes');
  return nodes.find((n) => n.ManagerStatus?.Leader)?.Description?.Hostname;
}

describe('raft over a cut link', () => {
  beforeAll(async () => {
    if (!netnsAvailable()) throw new Error('the e2e tier needs root and iproute2 (ip netns); run it as root: scripts/test e2e');
    await netnsUp();
    cluster = await startCluster({ size: 3, managers: 3, netns: true, names: ['manager', 'worker1', 'worker2'] });
  });
  afterAll(async () => {
    for (const n of ['manager', 'worker1', 'worker2']) await restoreLink(n).catch(() => undefined);
    await cluster?.stopAll();
    await netnsDown();
  });

  it('majority commits, minority cannot, and healing leaves one history', async () => {
    const oldName = (await waitFor(() => leader(cluster.manager), { timeoutMs: 10_000, what: 'a leader' })) as string;
    const old = cluster.byName(oldName);
    const majority = cluster.nodes.filter((n) => n !== old);
    await cutLink(old.name);

    const newLeader = await waitFor(
      async () => {
        const l = await leader(majority[0]!).catch(() => undefined);
        return l && l !== oldName ? l : undefined;
      },
      { timeoutMs: 15_000, what: 'the majority to elect a new leader' },
    );
    expect(majority.map((m) => m.name)).toContain(newLeader);
    await majority[0]!.cliOk(['node', 'update', '--label-add', 'side=majority', majority[1]!.name]);

    const minorityWrite = await old.cli(['node', 'update', '--label-add', 'side=minority', majority[1]!.name], { timeoutMs: 20_000 });
    expect(minorityWrite.code).toBe(1);
    expect(minorityWrite.stderr).toContain('does not have a leader');

    await restoreLink(old.name);
    await waitFor(
      async () => {
        const nodes = await old.api.get<NodeJson[]>('/v1.41/nodes').catch(() => [] as NodeJson[]);
        return nodes.find((n) => n.Description?.Hostname === majority[1]!.name)?.Spec?.Labels?.side === 'majority';
      },
      { timeoutMs: 20_000, what: 'the healed manager to hold the majority history' },
    );
    for (const m of cluster.nodes) {
      const labels = (await m.api.get<NodeJson[]>('/v1.41/nodes')).find((n) => n.Description?.Hostname === majority[1]!.name)?.Spec?.Labels;
      expect(labels?.side).toBe('majority');
    }
  });
});

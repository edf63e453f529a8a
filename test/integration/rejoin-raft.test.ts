// A leader demoted and promoted again before it noticed: it hands leadership over and is removed
// from Raft, but never applies its own removal, and its next agent session already says
// "manager". The new leader's dispatcher sees a connected manager outside Raft and tells it to
// rejoin; it comes back as a learner and then a voter (never as an empty voter).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { managerStatuses, registerCleanup, startCluster, waitFor, type Cluster, type ClusterNodeJson } from '@shoal/testkit';

registerCleanup();

const BASE = '127.0.23.';
let cluster: Cluster;

type NodeJson = ClusterNodeJson & { Version: { Index: number }; Spec: { Role: string; Availability: string; Labels?: Record<string, string> } };

describe('a manager removed from Raft without noticing', () => {
  beforeAll(async () => {
    cluster = await startCluster({ size: 3, baseIp: BASE });
    await cluster.manager.cliOk(['node', 'promote', 'worker1', 'worker2']);
    await waitFor(async () => JSON.stringify(await managerStatuses(cluster.manager)) === JSON.stringify({ manager: 'Leader', worker1: 'reachable', worker2: 'reachable' }), {
      timeoutMs: 20_000,
      what: 'three managers',
    });
  });
  afterAll(async () => {
    await cluster?.stopAll();
  });

  it('is told to rejoin, and comes back as a reachable manager', async () => {
    const leader = cluster.manager;
    const other = cluster.byName('worker1');
    // Read, then write at that version (the managers may write the node in between: retried).
    const setRole = (role: string) =>
      waitFor(
        async () => {
          const via = (await managerStatuses(other)).worker1 === 'Leader' || role === 'manager' ? other : leader;
          const n = (await via.api.get<NodeJson[]>('/v1.41/nodes')).find((x) => x.Description?.Hostname === 'manager') as NodeJson;
          await via.api.post(`/v1.41/nodes/${n.ID}/update?version=${n.Version.Index}`, { ...n.Spec, Role: role });
          return true;
        },
        { timeoutMs: 10_000, intervalMs: 20, what: `manager's role set to ${role}` },
      );
    // Demote the leader: it hands leadership over, then leaves Raft.
    await setRole('worker');
    await waitFor(async () => (await managerStatuses(other)).manager === '', { timeoutMs: 20_000, intervalMs: 5, what: 'the old leader out of raft' });
    // Promote it again at once, before it acts on its demotion.
    await setRole('manager');
    await waitFor(async () => (await managerStatuses(other)).manager === 'reachable', { timeoutMs: 40_000, what: 'the old leader a reachable manager again' });
    await waitFor(async () => (await leader.cli(['node', 'ls'], { timeoutMs: 5_000 })).code === 0, { timeoutMs: 20_000, what: 'it answering as a manager' });
    // Either it noticed the demotion after all (and was promoted the usual way), or it was told to rejoin.
    const logs = leader.logs();
    expect(logs.includes('rejoining raft with fresh state') || logs.includes('"to":"manager"')).toBe(true);
  });
});

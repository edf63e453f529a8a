// Membership changes while writes flow: promote nodes that joined long ago (they
// catch up from a snapshot), demote (the leader too), refuse to demote the last
// manager, and recover a cluster that lost quorum with --force-new-cluster.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { managerStatuses, registerCleanup, startCluster, startDaemon, waitFor, type Cluster, type ClusterNodeJson, type DaemonHandle } from '@shoal/testkit';

const BASE = '127.0.15.';

registerCleanup();

let cluster: Cluster;
type NodeJson = ClusterNodeJson & { Spec?: { Labels?: Record<string, string> } };

const nodes = (via: DaemonHandle) => via.api.get<NodeJson[]>('/v1.41/nodes');
const labelsOf = async (via: DaemonHandle, host: string) =>
  (await nodes(via)).find((n) => n.Description?.Hostname === host)?.Spec?.Labels ?? {};

const serviceNames = async (via: DaemonHandle) =>
  new Set((await via.api.get<Array<{ Spec: { Name: string } }>>('/v1.41/services')).map((s) => s.Spec.Name));

/**
 * Creates services (one Raft entry each, on objects nobody else touches) through `via` until
 * stopped; returns the acknowledged names. Node updates would race the promotions' own updates
 * of the same node object ("update out of sequence"), as in Docker.
 */
function writeLoop(via: () => DaemonHandle, prefix: string): { stop: () => Promise<string[]> } {
  const acked: string[] = [];
  let running = true;
  const loop = (async () => {
    for (let i = 0; running; i++) {
      const name = `${prefix}${i}`;
      const res = await via().cli(['service', 'create', '--detach', '--replicas', '0', '--name', name, 'shoal/whoami'], { timeoutMs: 10_000 });
      if (res.code === 0) acked.push(name);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return acked;
    },
  };
}

describe('promote and demote', () => {
  beforeAll(async () => {
    cluster = await startCluster({ size: 3, baseIp: BASE, initArgs: ['--snapshot-interval', '20'] });
    // Enough history that the log is compacted behind a snapshot before anyone is promoted.
    for (let i = 0; i < 40; i++) await cluster.manager.cliOk(['node', 'update', '--label-add', `old${i}=1`, 'worker1']);
  });
  afterAll(async () => {
    await cluster?.stopAll();
  });

  it('promotes long-joined workers while writes flow; they catch up from a snapshot', async () => {
    // A task that runs through the promotion of its node and then ends well: the new agent must
    // learn its real exit (complete), not "exit status unknown" (failed, and restarted).
    await cluster.manager.cliOk(['service', 'create', '-d', '--name', 'oneshot', '--restart-condition', 'on-failure', '--constraint', 'node.hostname==worker1', 'busybox', 'sh', '-c', 'sleep 6; exit 0']);
    const oneshot = async () => cluster.manager.api.get<Array<{ Status: { State: string; Err?: string } }>>(`/v1.41/tasks?filters=${encodeURIComponent(JSON.stringify({ service: { oneshot: true } }))}`);
    await waitFor(async () => ((await oneshot())[0]?.Status.State === 'running' ? true : undefined), { timeoutMs: 10_000, what: 'the one-shot task to run' });
    const writes = writeLoop(() => cluster.manager, 'p');
    expect((await cluster.manager.cliOk(['node', 'promote', 'worker1', 'worker2'])).stdout).toBe(
      'Node worker1 promoted to a manager in the swarm.\nNode worker2 promoted to a manager in the swarm.\n',
    );
    await waitFor(async () => JSON.stringify(await managerStatuses(cluster.manager)) === JSON.stringify({ manager: 'Leader', worker1: 'reachable', worker2: 'reachable' }), {
      timeoutMs: 20_000,
      what: 'worker1 and worker2 to become Reachable managers',
    });
    const acked = await writes.stop();
    expect(acked.length).toBeGreaterThan(0);
    for (const m of cluster.nodes) {
      await waitFor(async () => {
        const names = await serviceNames(m);
        return acked.every((k) => names.has(k)) && Object.keys(await labelsOf(m, 'worker1')).length === 40;
      }, { timeoutMs: 10_000, what: `${m.name} to hold every write` });
    }
    expect((await cluster.byName('worker1').ping()).swarm).toBe('active/manager');
    await waitFor(async () => ((await oneshot())[0]?.Status.State === 'complete' ? true : undefined), { timeoutMs: 15_000, what: 'the one-shot task to complete' });
    expect(await oneshot()).toHaveLength(1);
    await cluster.manager.cliOk(['service', 'rm', 'oneshot']);
  });

  it('demotes the leader by moving leadership first, and demotes another manager', async () => {
    const writes = writeLoop(() => cluster.byName('worker2'), 'd');
    expect((await cluster.byName('worker1').cliOk(['node', 'demote', 'manager'])).stdout).toBe('Manager manager demoted in the swarm.\n');
    await waitFor(async () => (await managerStatuses(cluster.byName('worker2'))).manager === '', { timeoutMs: 20_000, what: 'manager demoted' });
    await waitFor(async () => (await cluster.manager.ping()).swarm === 'active/worker', { timeoutMs: 10_000, what: 'old leader running as a worker' });
    await cluster.byName('worker2').cliOk(['node', 'demote', 'worker1']);
    await waitFor(async () => (await managerStatuses(cluster.byName('worker2'))).worker1 === '', { timeoutMs: 20_000, what: 'worker1 demoted' });
    const acked = await writes.stop();
    const names = await serviceNames(cluster.byName('worker2'));
    for (const k of acked) expect(names.has(k), k).toBe(true);
  });

  it('refuses to demote the last manager', async () => {
    const res = await cluster.byName('worker2').cli(['node', 'demote', 'worker2']);
    expect(res.code).toBe(1);
    expect(res.stderr.trim()).toBe(
      'Error response from daemon: rpc error: code = FailedPrecondition desc = attempting to demote the last manager of the swarm',
    );
  });

  it('tells every worker which managers there are as they change, so a worker never keeps only a demoted one', async () => {
    const leader = cluster.byName('worker2');
    const late = await startDaemon({ name: 'late', ip: `${BASE}9` });
    const token = (await leader.cliOk(['swarm', 'join-token', '-q', 'worker'])).stdout.trim();
    await late.cliOk(['swarm', 'join', '--token', token, '--advertise-addr', `${BASE}9`, `${leader.ip}:2377`]);
    const remoteManagers = async () =>
      ((await late.api.get<{ Swarm: { RemoteManagers: Array<{ Addr: string }> | null } }>('/v1.41/info')).Swarm.RemoteManagers ?? []).map((m) => m.Addr).sort();
    expect(await remoteManagers()).toEqual([`${leader.ip}:2377`]);
    // A promotion reaches the worker on its open session, not only at its next session start.
    await leader.cliOk(['node', 'promote', 'worker1']);
    const worker1 = `${cluster.byName('worker1').ip}:2377`;
    await waitFor(async () => (await remoteManagers()).includes(worker1), { timeoutMs: 20_000, what: 'worker1 in the late worker\'s managers' });
    await leader.cliOk(['node', 'demote', 'worker1']);
    await waitFor(async () => !(await remoteManagers()).includes(worker1), { timeoutMs: 20_000, what: 'worker1 gone from the late worker\'s managers' });
    expect(await remoteManagers()).toEqual([`${leader.ip}:2377`]);
    await late.cliOk(['swarm', 'leave']);
    await late.stop();
  });

  it('rejoins Raft afresh when demoted and promoted again before it acted on the demotion', async () => {
    const leader = cluster.byName('worker2');
    await leader.cliOk(['node', 'promote', 'worker1']);
    await waitFor(async () => (await managerStatuses(leader)).worker1 === 'reachable', { timeoutMs: 20_000, what: 'worker1 promoted' });
    type NodeSpec = { Role: string; Availability: string; Labels?: Record<string, string> };
    // Read, then write at that version; the managers may write the node in between (its status,
    // the role reconciler): "update out of sequence", as in Docker, and the write is retried.
    const setRole = (role: string) =>
      waitFor(
        async () => {
          const n = (await leader.api.get<Array<NodeJson & { Version: { Index: number }; Spec: NodeSpec }>>('/v1.41/nodes')).find((x) => x.Description?.Hostname === 'worker1')!;
          await leader.api.post(`/v1.41/nodes/${n.ID}/update?version=${n.Version.Index}`, { ...n.Spec, Role: role });
          return true;
        },
        { timeoutMs: 5_000, intervalMs: 5, what: `worker1's role set to ${role}` },
      );
    // Demoted, then promoted again as soon as the demotion is through, before worker1 itself reacts.
    await setRole('worker');
    await waitFor(async () => (await managerStatuses(leader)).worker1 === '', { timeoutMs: 20_000, what: 'worker1 out of raft', intervalMs: 5 });
    await setRole('manager');
    await waitFor(async () => (await managerStatuses(leader)).worker1 === 'reachable', { timeoutMs: 30_000, what: 'worker1 a reachable manager again' });
    await waitFor(async () => (await cluster.byName('worker1').cli(['node', 'ls'], { timeoutMs: 5_000 })).code === 0, { timeoutMs: 20_000, what: 'worker1 answering as a manager' });
    await leader.cliOk(['node', 'demote', 'worker1']);
    await waitFor(async () => (await managerStatuses(leader)).worker1 === '', { timeoutMs: 20_000, what: 'worker1 demoted' });
  });

  it('warns before a manager leaves and would break quorum', async () => {
    await cluster.byName('worker2').cliOk(['node', 'promote', 'manager']);
    await waitFor(async () => (await managerStatuses(cluster.byName('worker2'))).manager === 'reachable', { timeoutMs: 20_000, what: 'manager promoted again' });
    const res = await cluster.manager.cli(['swarm', 'leave']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('Removing this node leaves 1 managers out of 2. Without a Raft quorum your swarm will be inaccessible.');
    expect((await cluster.manager.ping()).swarm).toBe('active/manager');
  });

  it('recovers a cluster that lost quorum with swarm init --force-new-cluster', async () => {
    const survivor = cluster.byName('worker2');
    await cluster.manager.kill('SIGKILL');
    await waitFor(async () => (await survivor.cli(['node', 'ls'], { timeoutMs: 10_000 })).stderr.includes('does not have a leader'), {
      timeoutMs: 20_000,
      what: 'quorum lost',
    });
    const before = await survivor.api.get<{ Swarm: { NodeID: string } }>('/v1.41/info');
    await survivor.cliOk(['swarm', 'init', '--force-new-cluster', '--advertise-addr', survivor.ip]);
    const after = await survivor.api.get<{ Swarm: { NodeID: string } }>('/v1.41/info');
    expect(after.Swarm.NodeID).toBe(before.Swarm.NodeID);
    await waitFor(async () => (await managerStatuses(survivor)).worker2 === 'Leader', { timeoutMs: 10_000, what: 'survivor leads' });
    await waitFor(async () => (await managerStatuses(survivor)).manager === '', { timeoutMs: 10_000, what: 'lost manager out of raft' });
    // Demoted in the store too (its write retried if the new leader's own node writes crossed it),
    // so it comes back as a worker rather than rejoining Raft.
    const roleOf = async (host: string) => (await survivor.api.get<Array<NodeJson & { Spec: { Role: string } }>>('/v1.41/nodes')).find((n) => n.Description?.Hostname === host)?.Spec.Role;
    await waitFor(async () => (await roleOf('manager')) === 'worker', { timeoutMs: 10_000, what: 'lost manager demoted in the store' });
    // As swarmkit's new leader does, every node it has not heard from is "unknown" until it checks in;
    // the dead one never does, and goes Down from there.
    const statusOf = async (host: string) => (await survivor.api.get<ClusterNodeJson[]>('/v1.41/nodes')).find((n) => n.Description?.Hostname === host)?.Status;
    const down = await waitFor(async () => ((await statusOf('manager'))?.State === 'down' ? statusOf('manager') : undefined), { timeoutMs: 15_000, what: 'the lost manager Down' });
    expect(down).toMatchObject({ State: 'down', Message: 'heartbeat failure for node in "unknown" state' });
    await waitFor(async () => (await statusOf('worker2'))?.State === 'ready', { timeoutMs: 10_000, what: 'the survivor Ready' });
    expect(Object.keys(await labelsOf(survivor, 'worker1'))).toHaveLength(40);
    await survivor.cliOk(['node', 'update', '--label-add', 'afterforce=1', 'worker1']);
  });

  it('promotes through a leader whose newest snapshot predates it (QA: the new manager stayed a learner)', async () => {
    // After --force-new-cluster the survivor's snapshot names only itself; worker1, promoted
    // next, catches up from it and leads once the survivor is demoted, its newest snapshot still
    // that one, which does not name worker1. worker2, promoted again, restores it.
    const survivor = cluster.byName('worker2');
    const worker1 = cluster.byName('worker1');
    // No snapshot from here on (the suite's interval is 20 entries), so that one stays the newest.
    await survivor.cliOk(['swarm', 'update', '--snapshot-interval', '10000']);
    await survivor.cliOk(['node', 'promote', 'worker1']);
    await waitFor(async () => (await managerStatuses(survivor)).worker1 === 'reachable', { timeoutMs: 30_000, what: 'worker1 promoted' });
    await survivor.cliOk(['node', 'demote', 'worker2']);
    await waitFor(async () => {
      const s = await managerStatuses(worker1).catch(() => ({}) as Record<string, string>);
      return s.worker2 === '' && s.worker1 === 'Leader';
    }, { timeoutMs: 20_000, what: 'worker2 demoted, worker1 leading' });
    await worker1.cliOk(['node', 'promote', 'worker2']);
    await waitFor(async () => (await managerStatuses(worker1)).worker2 === 'reachable', { timeoutMs: 20_000, what: 'worker2 a reachable manager again' });
    await waitFor(async () => (await survivor.cli(['node', 'ls'], { timeoutMs: 5_000 })).code === 0, { timeoutMs: 20_000, what: 'worker2 answering as a manager' });
  });
});

// Three Raft managers on loopback aliases: the leader's kill -9 elects another,
// writes keep working and no acknowledged write is lost; the old leader catches
// up after a restart; lost quorum fails fast with Docker's message.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCleanup, startCluster, waitFor, type Cluster, type ClusterNodeJson, type DaemonHandle } from '@shoal/testkit';

registerCleanup();

let cluster: Cluster;

type NodeJson = ClusterNodeJson & { Spec?: { Labels?: Record<string, string> } };

async function nodes(via: DaemonHandle): Promise<NodeJson[]> {
  return via.api.get<NodeJson[]>('/v1.41/nodes');
}

async function leaderName(via: DaemonHandle): Promise<string | undefined> {
  return (await nodes(via)).find((n) => n.ManagerStatus?.Leader)?.Description?.Hostname;
}

/** Adds label k=v to node `target` through `via`; resolves only when acknowledged. */
async function label(via: DaemonHandle, target: string, k: string): Promise<boolean> {
  const res = await via.cli(['node', 'update', '--label-add', `${k}=v`, target], { timeoutMs: 10_000 });
  return res.code === 0;
}

describe('raft managers', () => {
  beforeAll(async () => {
    cluster = await startCluster({ size: 3, managers: 3, baseIp: '127.0.14.' });
  });
  afterAll(async () => {
    await cluster?.stopAll();
  });

  it('lists one Leader and two Reachable managers on every manager', async () => {
    for (const m of cluster.nodes) {
      await waitFor(
        async () => {
          const status = (await nodes(m)).map((n) => (n.ManagerStatus?.Leader ? 'Leader' : n.ManagerStatus?.Reachability)).sort();
          return JSON.stringify(status) === JSON.stringify(['Leader', 'reachable', 'reachable']);
        },
        { timeoutMs: 10_000, what: `manager status as seen from ${m.name}` },
      );
    }
    // The same through the CLI's table (waited for too: a manager under load can look unreachable for a beat).
    await waitFor(
      async () => {
        const ls = (await cluster.nodes[1]!.cliOk(['node', 'ls'])).stdout;
        return ls.match(/ Leader /g)?.length === 1 && ls.match(/ Reachable /g)?.length === 2 ? true : undefined;
      },
      { timeoutMs: 10_000, what: 'node ls with one Leader and two Reachable' },
    );
  });

  it('elects a new leader after kill -9 of the leader and loses no acknowledged write', async () => {
    const oldLeader = cluster.byName((await leaderName(cluster.manager))!);
    const survivors = cluster.nodes.filter((n) => n !== oldLeader);
    const acked: string[] = [];
    for (let i = 0; i < 10; i++) if (await label(survivors[0]!, survivors[1]!.name, `before${i}`)) acked.push(`before${i}`);
    expect(acked).toHaveLength(10);

    await oldLeader.kill('SIGKILL');
    const t0 = Date.now();
    const newLeader = await waitFor(
      async () => {
        const l = await leaderName(survivors[0]!).catch(() => undefined);
        return l && l !== oldLeader.name ? l : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 50, what: 'a new leader' },
    );
    const electedMs = Date.now() - t0;
    expect(survivors.map((s) => s.name)).toContain(newLeader);
    expect(electedMs).toBeLessThan(5_000);

    // Writes through either survivor keep working.
    for (let i = 0; i < 10; i++) {
      const via = survivors[i % 2]!;
      if (await label(via, survivors[1]!.name, `after${i}`)) acked.push(`after${i}`);
    }
    expect(acked.length).toBeGreaterThanOrEqual(19); // at most one write may race the election
    const labels = (await nodes(survivors[0]!)).find((n) => n.Description?.Hostname === survivors[1]!.name)?.Spec?.Labels ?? {};
    for (const k of acked) expect(labels).toHaveProperty(k);

    // The old leader restarts, rejoins as a follower and catches up.
    await oldLeader.restart();
    await waitFor(
      async () => {
        const seen = (await nodes(oldLeader).catch(() => [])).find((n) => n.Description?.Hostname === survivors[1]!.name)?.Spec?.Labels ?? {};
        return acked.every((k) => k in seen);
      },
      { timeoutMs: 15_000, what: 'the restarted manager to see every acknowledged write' },
    );
    expect(await leaderName(oldLeader)).toBe(newLeader);
  });

  it('a frozen leader: the others elect another and no healthy node is marked Down, so none of their tasks restart', async () => {
    const leader = cluster.byName((await leaderName(cluster.manager))!);
    const others = cluster.nodes.filter((n) => n !== leader);
    const via = others[0]!;
    await via.cliOk(['service', 'create', '-d', '--name', 'calm', '--replicas', '4', 'shoal/whoami']);
    type Task = { ID: string; NodeID: string; DesiredState: string; Status: { State: string } };
    const running = async () =>
      (await via.api.get<Task[]>(`/v1.41/tasks?filters=${encodeURIComponent('{"service":{"calm":true}}')}`)).filter((t) => t.Status.State === 'running' && t.DesiredState === 'running');
    await waitFor(async () => ((await running()).length === 4 ? true : undefined), { timeoutMs: 15_000, what: '4 running tasks' });
    const ids = new Map((await nodes(via)).map((n) => [n.ID, n.Description?.Hostname]));
    const onOthers = (await running()).filter((t) => ids.get(t.NodeID) !== leader.name).map((t) => t.ID).sort();
    process.kill(leader.pid, 'SIGSTOP');
    try {
      await waitFor(
        async () => {
          const l = await leaderName(via).catch(() => undefined);
          return l && l !== leader.name ? l : undefined;
        },
        { timeoutMs: 10_000, intervalMs: 50, what: 'a new leader' },
      );
      // Past twice the grace window a new leader gives agents to find it (3 s here): the frozen
      // node is Down, every other node Ready, and their tasks are the same ones.
      await new Promise((r) => setTimeout(r, 8_000));
      const states = new Map((await nodes(via)).map((n) => [n.Description?.Hostname, n.Status?.State]));
      for (const o of others) expect(states.get(o.name), o.name).toBe('ready');
      const still = new Set((await running()).map((t) => t.ID));
      for (const id of onOthers) expect(still.has(id), `task ${id} kept running`).toBe(true);
    } finally {
      process.kill(leader.pid, 'SIGCONT');
    }
    await waitFor(async () => ((await nodes(via)).find((n) => n.Description?.Hostname === leader.name)?.Status?.State === 'ready' ? true : undefined), {
      timeoutMs: 20_000,
      what: 'the thawed manager back',
    });
    await via.cliOk(['service', 'rm', 'calm']);
  });

  it("fails fast without quorum, with Docker's message, and recovers when managers return", async () => {
    const [a, b, c] = cluster.nodes as [DaemonHandle, DaemonHandle, DaemonHandle];
    await b.kill('SIGKILL');
    await c.kill('SIGKILL');
    const t0 = Date.now();
    const res = await waitFor(
      async () => {
        const r = await a.cli(['node', 'ls'], { timeoutMs: 10_000 });
        return r.code === 1 && r.stderr.includes('does not have a leader') ? r : undefined;
      },
      { timeoutMs: 15_000, what: 'node ls to fail for lack of a leader' },
    );
    expect(res.stderr.trim()).toBe(
      "Error response from daemon: The swarm does not have a leader. It's possible that too few managers are online. Make sure more than half of the managers are online.",
    );
    expect(Date.now() - t0).toBeLessThan(12_000);
    await b.restart();
    await c.restart();
    await waitFor(async () => (await a.cli(['node', 'ls'])).code === 0, { timeoutMs: 15_000, what: 'quorum back' });
  });
});

// Issue 2 story: init, join two workers with the printed token, three Ready nodes;
// and bad input that must get Docker's error text and change nothing.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCleanup, startDaemon, waitFor, type ClusterNodeJson, type DaemonHandle } from '@shoal/testkit';

registerCleanup();

const BASE = '127.0.11.';
let manager: DaemonHandle;
let w1: DaemonHandle;
let w2: DaemonHandle;
let workerToken: string;

function nodeRows(out: string): string[] {
  return out.trimEnd().split('\n').slice(1);
}

async function nodeIds(d: DaemonHandle): Promise<string[]> {
  return (await d.api.get<ClusterNodeJson[]>('/v1.41/nodes')).map((n) => n.ID).sort();
}

describe('swarm init and join', () => {
  beforeAll(async () => {
    [manager, w1, w2] = await Promise.all([
      startDaemon({ name: 'manager', ip: `${BASE}1` }),
      startDaemon({ name: 'worker1', ip: `${BASE}2` }),
      startDaemon({ name: 'worker2', ip: `${BASE}3` }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([manager, w1, w2].map((d) => d?.stop()));
  });

  it('prints the init message with the worker join command', async () => {
    const init = await manager.cliOk(['swarm', 'init', '--advertise-addr', `${BASE}1`, '--listen-addr', `${BASE}1:2377`]);
    const m = /^Swarm initialized: current node \(([a-z0-9]{25})\) is now a manager\.\n\nTo add a worker to this swarm, run the following command:\n\n {4}shoal swarm join --token (SWMTKN-1-[a-z0-9]{50}-[a-z0-9]{25}) 127\.0\.11\.1:2377\n\nTo add a manager to this swarm, run 'shoal swarm join-token manager' and follow the instructions\.\n/.exec(
      init.stdout,
    );
    expect(m, init.stdout).not.toBeNull();
    workerToken = m?.[2] ?? '';
    expect((await manager.cliOk(['swarm', 'join-token', '-q', 'worker'])).stdout.trim()).toBe(workerToken);
    expect((await manager.ping()).swarm).toBe('active/manager');
  });

  it('joins two workers and shows three Ready nodes, the manager marked', async () => {
    for (const [d, ip] of [[w1, `${BASE}2`], [w2, `${BASE}3`]] as const) {
      const out = await d.cliOk(['swarm', 'join', '--token', workerToken, '--advertise-addr', ip, '--listen-addr', `${ip}:2377`, `${BASE}1:2377`]);
      expect(out.stdout).toBe('This node joined a swarm as a worker.\n');
      expect((await d.ping()).swarm).toBe('active/worker');
      // As moby's, the join returns once a manager registered the node: Ready at once (a script's
      // next `node ls` must not see it Unknown or Down).
      const { Swarm } = await d.api.get<{ Swarm: { NodeID: string } }>('/v1.41/info');
      expect((await manager.api.get<ClusterNodeJson>(`/v1.41/nodes/${Swarm.NodeID}`)).Status?.State).toBe('ready');
    }
    const ls = await manager.cliOk(['node', 'ls']);
    const lines = ls.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID +HOSTNAME +STATUS +AVAILABILITY +MANAGER STATUS +ENGINE VERSION$/);
    const rows = nodeRows(ls.stdout);
    expect(rows).toHaveLength(3);
    expect(rows.find((r) => r.includes('manager'))).toMatch(/^[a-z0-9]{25} \* +manager +Ready +Active +Leader +0\.1\.0$/);
    for (const name of ['worker1', 'worker2']) {
      expect(rows.find((r) => r.includes(name))).toMatch(new RegExp(`^[a-z0-9]{25}   +${name} +Ready +Active +0\\.1\\.0$`));
    }
  });

  it('refuses a wrong token and a second join, changing nothing', async () => {
    const before = await nodeIds(manager);
    const bad = workerToken.slice(0, -1) + (workerToken.endsWith('a') ? 'b' : 'a');
    const extra = await startDaemon({ name: 'extra', ip: `${BASE}4` });
    const res = await extra.cli(['swarm', 'join', '--token', bad, '--advertise-addr', `${BASE}4`, `${BASE}1:2377`]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('A valid join token is necessary to join this cluster');
    expect((await extra.ping()).swarm).toBe('inactive');

    const again = await w1.cli(['swarm', 'join', '--token', workerToken, `${BASE}1:2377`]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('This node is already part of a swarm');
    const init2 = await manager.cli(['swarm', 'init', '--advertise-addr', `${BASE}1`]);
    expect(init2.stderr).toContain('This node is already part of a swarm');
    // On a worker, --force-new-cluster is refused as moby's errSwarmNotManager (QA).
    const force = await w1.cli(['swarm', 'init', '--force-new-cluster']);
    expect(force.code).toBe(1);
    expect(force.stderr.trim()).toBe(
      "Error response from daemon: This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state. Please run this command on a manager node or promote the current node to a manager.",
    );
    expect((await w1.ping()).swarm).toBe('active/worker');
    expect(await nodeIds(manager)).toEqual(before);
  });

  it('refuses a token whose CA digest does not match the manager', async () => {
    const parts = workerToken.split('-');
    const forged = [parts[0], parts[1], '1'.padStart(50, '0'), parts[3]].join('-');
    const extra = await startDaemon({ name: 'extra2', ip: `${BASE}5` });
    const res = await extra.cli(['swarm', 'join', '--token', forged, '--advertise-addr', `${BASE}5`, `${BASE}1:2377`]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('remote CA does not match fingerprint. Expected: sha256:');
    expect((await extra.ping()).swarm).toBe('inactive');
  });

  it("answers node commands on a worker with Docker's error", async () => {
    const res = await w1.cli(['node', 'ls']);
    expect(res.code).toBe(1);
    expect(res.stderr.trim()).toBe(
      "Error response from daemon: This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state. Please run this command on a manager node or promote the current node to a manager.",
    );
  });

  it('refuses unknown nodes, removing a Ready node, bad values and stale versions', async () => {
    const before = await manager.api.get<ClusterNodeJson[]>('/v1.41/nodes');
    expect((await manager.cli(['node', 'inspect', 'nosuchnode'])).stderr).toContain('node nosuchnode not found');
    const rm = await manager.cli(['node', 'rm', 'worker1']);
    expect(rm.code).toBe(1);
    expect(rm.stderr).toMatch(/rpc error: code = FailedPrecondition desc = node [a-z0-9]{25} is not down and can't be removed/);
    const avail = await manager.cli(['node', 'update', '--availability', 'sideways', 'worker1']);
    expect(avail.code).toBe(1);
    expect(avail.stderr).toContain('sideways');
    const role = await manager.cli(['node', 'update', '--role', 'king', 'worker1']);
    expect(role.code).toBe(1);
    const node = before.find((n) => n.Description?.Hostname === 'worker1');
    const stale = await manager.api.request('POST', `/v1.41/nodes/${node?.ID}/update?version=1`, {
      Role: 'worker',
      Availability: 'drain',
    });
    expect(stale.status).toBe(500);
    expect(JSON.parse(stale.body).message).toBe('rpc error: code = Unknown desc = update out of sequence');
    expect(await manager.api.get<ClusterNodeJson[]>('/v1.41/nodes')).toEqual(before);
  });

  it('drains, labels and removes a node that is down', async () => {
    await manager.cliOk(['node', 'update', '--availability', 'drain', '--label-add', 'zone=a', 'worker2']);
    const n = await manager.api.get<{ Spec: { Availability: string; Labels: Record<string, string> } }>('/v1.41/nodes/worker2');
    expect(n.Spec).toMatchObject({ Availability: 'drain', Labels: { zone: 'a' } });
    // worker2's certificate, kept as a node that refuses to leave would keep it.
    const certs = join(w2.dataDir, 'certs');
    const creds = { ca: readFileSync(join(certs, 'ca.crt')), cert: readFileSync(join(certs, 'node.crt')), key: readFileSync(join(certs, 'node.key')) };
    expect(await tunnelStaysOpen(w1.ip, creds)).toBe(true);
    // A connection it already holds, as a warm tunnel connection would be.
    const held = tls.connect({ host: w1.ip, port: 4789, ...creds, checkServerIdentity: () => undefined });
    const heldClosed = new Promise<void>((resolve) => held.once('close', () => resolve()));
    held.on('error', () => undefined);
    held.resume(); // read, or the peer's FIN would go unnoticed
    await new Promise((resolve) => held.once('secureConnect', resolve));
    const rm = await manager.cliOk(['node', 'rm', '--force', 'worker2']);
    expect(rm.stdout.trim()).toBe('worker2');
    // The removed node is told to leave: its certificate is revoked and it goes inactive.
    await waitFor(async () => (await w2.ping()).swarm === 'inactive', { timeoutMs: 10_000, what: 'worker2 to leave after node rm' });
    expect((await nodeIds(manager)).length).toBe(2);
    // Every node learns of the removal: the mesh tunnel refuses that certificate from then on.
    await waitFor(async () => !(await tunnelStaysOpen(w1.ip, creds)), { timeoutMs: 5_000, what: "worker1's tunnel to refuse the removed node" });
    await waitFor(() => Promise.race([heldClosed.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 200))]), {
      timeoutMs: 5_000,
      what: "worker1 to close the removed node's open tunnel connection",
    });
    held.destroy();
    // It knows the gossip key: the leader starts a rotation at once, and worker1 installs the new key.
    await waitFor(() => readFileSync(w1.logPath, 'utf8').includes('gossip keys rotated'), {
      timeoutMs: 5_000,
      what: 'worker1 to install a new gossip key after the removal',
    });
  });
});

/** Opens a mutual-TLS connection to a node's tunnel port; true if it is still open 300 ms later. */
function tunnelStaysOpen(ip: string, creds: { ca: Buffer; cert: Buffer; key: Buffer }): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: ip, port: 4789, ...creds, checkServerIdentity: () => undefined });
    const done = (open: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(open);
    };
    const timer = setTimeout(() => done(true), 2_000);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      setTimeout(() => done(!socket.destroyed && socket.readyState === 'open'), 300);
    });
    socket.once('close', () => done(false));
    socket.once('error', () => done(false));
  });
}

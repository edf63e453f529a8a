// swarm init's swarm-wide network settings: the default address pool and its subnet size carve
// ingress and every overlay network, the data path port carries the mesh tunnel between nodes,
// and --max-snapshots is kept; values moby refuses are refused and start nothing.
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCleanup, startCluster, startDaemon, waitFor, whoami, type Cluster } from '@shoal/testkit';

registerCleanup();

const BASE = '127.0.29.';

/** Whether a TCP connection to ip:port is accepted (false: refused). */
function connects(ip: string, port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: ip, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNREFUSED' ? resolve(false) : reject(err)));
  });
}
let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({
    size: 2,
    baseIp: BASE,
    initArgs: ['--default-addr-pool', '10.20.0.0/16', '--default-addr-pool-mask-length', '26', '--data-path-port', '7789', '--max-snapshots', '3'],
  });
}, 60_000);

afterAll(async () => {
  await cluster?.stopAll();
});

describe('swarm init network settings', () => {
  it('shows them in docker info and carves networks from the pool', async () => {
    const m = cluster.manager;
    const info = JSON.parse((await m.dockerOk(['info', '--format', '{{json .Swarm.Cluster}}'])).stdout) as {
      DefaultAddrPool: string[];
      SubnetSize: number;
      DataPathPort: number;
      Spec: { Raft: { KeepOldSnapshots: number } };
    };
    expect(info).toMatchObject({ DefaultAddrPool: ['10.20.0.0/16'], SubnetSize: 26, DataPathPort: 7789, Spec: { Raft: { KeepOldSnapshots: 3 } } });
    const subnet = async (name: string) => (await m.dockerOk(['network', 'inspect', '--format', '{{range .IPAM.Config}}{{.Subnet}}{{end}}', name])).stdout.trim();
    expect(await subnet('ingress')).toBe('10.20.0.0/26');
    await m.dockerOk(['network', 'create', '-d', 'overlay', 'pooled']);
    expect(await subnet('pooled')).toBe('10.20.0.64/26');
    await m.dockerOk(['swarm', 'update', '--max-snapshots', '1']);
    expect((await m.dockerOk(['info', '--format', '{{.Swarm.Cluster.Spec.Raft.KeepOldSnapshots}}'])).stdout.trim()).toBe('1');
  });

  it('runs the mesh tunnel on the data path port: a task on the other node answers through the manager', async () => {
    const worker = cluster.nodes.find((n) => n !== cluster.manager)!;
    await cluster.manager.dockerOk(['service', 'create', '-d', '--name', 'far', '--constraint', 'node.role==worker', '-p', '8090:80', 'shoal/whoami']);
    const answer = await waitFor(async () => whoami(cluster.manager.ip, 8090, 2000).catch(() => undefined), { timeoutMs: 20_000, what: 'far answering through the manager' });
    expect(answer.node).toBe(worker.name);
    expect(worker.logs()).toMatch(/"tunnelPort":7789,"msg":"gossip and routing mesh started"/);
    expect(await connects(worker.ip, 7789)).toBe(true);
    expect(await connects(worker.ip, 4789)).toBe(false);
  });

  it("refuses values moby refuses, with its texts, and stays out of a swarm", async () => {
    const lone = await startDaemon({ name: 'lone', ip: `${BASE}9` });
    try {
      const init = (...flags: string[]) => lone.docker(['swarm', 'init', '--advertise-addr', lone.ip, '--listen-addr', `${lone.ip}:2377`, ...flags]);
      for (const [flags, text] of [
        [['--data-path-port', '80'], 'Datapath port number is not in valid range (1024-49151) : 80'],
        [['--default-addr-pool', '10.20.0.0/16', '--default-addr-pool-mask-length', '30'], 'subnet size is out of range: 30'],
        [['--default-addr-pool', '10.20.0.0/16', '--default-addr-pool-mask-length', '12'], 'invalid CIDR: "10.20.0.0/16". Subnet size is too small for pool: 12'],
        [['--data-path-port', '7946'], "data path port 7946 is taken by gossip (Shoal's mesh tunnel is TCP)"],
        // swarmkit's cluster-spec checks (moby reports them after initialising; Shoal before, QA).
        [['--cert-expiry', '30m'], 'error updating cluster settings: rpc error: code = InvalidArgument desc = minimum certificate expiry time is: 1h0m0s'],
        [['--data-path-addr', 'bogus'], 'data path address must be a non-zero IP address or network interface (without a port number)'],
        [['--dispatcher-heartbeat', '-1s'], 'error updating cluster settings: rpc error: code = InvalidArgument desc = heartbeat time period cannot be a negative duration'],
      ] as const) {
        const out = await init(...flags);
        expect(out.code, flags.join(' ')).toBe(1);
        expect(out.stderr).toBe(`Error response from daemon: ${text}\n`);
      }
      // A listen address another process holds: swarmkit's wraps of Go's listen error (its node's
      // "manager stopped", its manager's "failed to listen on remote API address").
      const squatter = net.createServer();
      await new Promise<void>((resolve, reject) => squatter.once('error', reject).listen(2377, lone.ip, resolve));
      try {
        expect(await init()).toMatchObject({
          code: 1,
          stderr: `Error response from daemon: manager stopped: failed to listen on remote API address: listen tcp ${lone.ip}:2377: bind: address already in use\n`,
        });
      } finally {
        await new Promise((resolve) => squatter.close(resolve));
      }
      expect((await lone.dockerOk(['info', '--format', '{{.Swarm.LocalNodeState}}'])).stdout.trim()).toBe('inactive');
      // A mask length without a pool is ignored, as swarmkit ignores it.
      expect((await init('--default-addr-pool-mask-length', '28')).code).toBe(0);
      expect((await lone.dockerOk(['info', '--format', '{{.Swarm.Cluster.SubnetSize}}'])).stdout.trim()).toBe('24');
      expect((await lone.dockerOk(['network', 'inspect', '--format', '{{range .IPAM.Config}}{{.Subnet}}{{end}}', 'ingress'])).stdout.trim()).toBe('10.0.0.0/24');
    } finally {
      await lone.stop();
    }
  });
});

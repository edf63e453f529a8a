// The user's story on three "machines": network namespaces manager/worker1/worker2
// (10.77.0.100-102, own hostnames) made by scripts/netns-cluster. Needs root.
import * as http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  netnsAvailable,
  netnsDown,
  netnsUp,
  registerCleanup,
  startCluster,
  waitFor,
  type Cluster,
  type ClusterNodeJson,
} from '@shoal/testkit';

registerCleanup();

function httpGet(host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port: 80, path: '/', agent: false, timeout: 3000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

let cluster: Cluster;

describe('three namespaces as three hosts', () => {
  beforeAll(async () => {
    if (!netnsAvailable()) {
      throw new Error('the e2e tier needs root and iproute2 (ip netns); run it as root: scripts/test e2e');
    }
    await netnsUp();
    cluster = await startCluster({ size: 3, netns: true });
  });
  afterAll(async () => {
    await cluster?.stopAll();
    await netnsDown();
  });

  it('inits on 10.77.0.100, joins both workers, lists three Ready nodes', async () => {
    const ls = (await cluster.manager.cliOk(['node', 'ls'])).stdout;
    const rows = ls.trimEnd().split('\n').slice(1);
    expect(rows).toHaveLength(3);
    expect(rows.join('\n')).toMatch(/ \* +manager +Ready +Active +Leader/);
    const nodes = await cluster.manager.api.get<ClusterNodeJson[]>('/v1.41/nodes');
    expect(nodes.map((n) => n.Status?.Addr).sort()).toEqual(['10.77.0.100', '10.77.0.101', '10.77.0.102']);
    const joinCmd = (await cluster.manager.cliOk(['swarm', 'join-token', 'worker'])).stdout;
    expect(joinCmd).toContain(' 10.77.0.100:2377\n');
  });

  it('publishes a service on port 80 that every host answers, round-robin over all tasks, local ones from the kernel', async () => {
    await cluster.manager.cliOk(['service', 'create', '-d', '--name', 'myweb', '--replicas', '2', '-p', '80:80', 'shoal/whoami']);
    await cluster.manager.cliOk(['service', 'scale', '-d', 'myweb=4']);
    const ips = ['10.77.0.100', '10.77.0.101', '10.77.0.102'];
    const tasks = await waitFor(
      async () => {
        const seen = new Set<string>();
        for (const ip of ips) {
          for (let i = 0; i < 8; i++) {
            const body = await httpGet(ip).catch(() => '');
            const task = /^Task: (\S+)/m.exec(body)?.[1];
            if (task) seen.add(task);
          }
        }
        return seen.size === 4 ? seen : undefined;
      },
      { timeoutMs: 30_000, what: 'all 4 tasks reachable through every host on port 80' },
    );
    expect(tasks.size).toBe(4);
    // As root with iptables (scripts/bootstrap installs it) every node serves its own tasks from
    // the kernel (DNAT), so those answers carry the client's own address: the host's, 10.77.0.1.
    // Tasks on other nodes answer through the tunnel, from the receiving node.
    for (const ip of ips) {
      const remotes: string[] = [];
      for (let i = 0; i < 8; i++) remotes.push(/^RemoteAddr: (\S+)/m.exec(await httpGet(ip))?.[1] ?? '');
      expect(remotes.filter((r) => r.startsWith('10.77.0.1:')).length, `${ip}: ${remotes.join(' ')}`).toBeGreaterThan(0);
    }
    await cluster.manager.cliOk(['service', 'rm', 'myweb']);
  });

  it('marks a killed worker Down and brings it back Ready', async () => {
    const w = cluster.byName('worker2');
    await w.kill('SIGKILL');
    const state = async () =>
      (await cluster.manager.api.get<ClusterNodeJson[]>('/v1.41/nodes')).find((n) => n.Description?.Hostname === 'worker2')?.Status?.State;
    await waitFor(async () => (await state()) === 'down', { timeoutMs: 5_000, what: 'worker2 Down' });
    await w.restart();
    await waitFor(async () => (await state()) === 'ready', { timeoutMs: 10_000, what: 'worker2 Ready' });
  });
});

// UDP on the routing mesh with 3 daemons: every node answers datagrams on a published UDP port,
// each new flow (client address:port) goes to the next task round-robin cluster-wide (through the
// tunnel for tasks on other nodes), TCP on the same port number works alongside, host-mode UDP
// answers only where its task runs, and removing the service silences the port.
import { createSocket } from 'node:dgram';
import * as http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCleanup, startCluster, waitFor, type Cluster } from '@shoal/testkit';

registerCleanup();

let cluster: Cluster;
const BASE = '127.0.27.';
const PORT = 5353;

interface Answer {
  task: string;
  node: string;
  text: string;
}

/** One datagram from a fresh client socket (a new flow); the answer, or undefined after `timeoutMs`. */
function ask(ip: string, port = PORT, timeoutMs = 1000): Promise<Answer | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const done = (answer: Answer | undefined): void => {
      clearTimeout(timer);
      socket.close();
      resolve(answer);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.on('error', () => done(undefined));
    socket.on('message', (msg, rinfo) => {
      const text = msg.toString();
      // The reply must come back from the port the client sent to.
      if (rinfo.address !== ip || rinfo.port !== port) return;
      done({ task: /^Task: (\S+)$/m.exec(text)?.[1] ?? '', node: /^Node: (\S+)$/m.exec(text)?.[1] ?? '', text });
    });
    socket.send(`hello ${ip}`, port, ip);
  });
}

/** `n` fresh flows to `ip`: how many each task answered, and from which nodes. */
async function spread(ip: string, n: number): Promise<{ tasks: Map<string, number>; nodes: Set<string>; lost: number }> {
  const tasks = new Map<string, number>();
  const nodes = new Set<string>();
  let lost = 0;
  for (let i = 0; i < n; i++) {
    const a = await ask(ip);
    if (!a) {
      lost++;
      continue;
    }
    tasks.set(a.task, (tasks.get(a.task) ?? 0) + 1);
    nodes.add(a.node);
  }
  return { tasks, nodes, lost };
}

const ips = () => cluster.nodes.map((n) => n.ip);

async function runningTasks(service: string): Promise<number> {
  const filters = encodeURIComponent(JSON.stringify({ service: { [service]: true }, 'desired-state': { running: true } }));
  const tasks = await cluster.manager.api.get<Array<{ Status: { State: string } }>>(`/v1.41/tasks?filters=${filters}`);
  return tasks.filter((t) => t.Status.State === 'running').length;
}

describe('routing mesh, UDP', () => {
  beforeAll(async () => {
    cluster = await startCluster({ size: 3, baseIp: BASE });
    // The same number published twice: UDP to the task's port and TCP (HTTP) to it, as Docker allows.
    await cluster.manager.cliOk(['service', 'create', '-d', '--name', 'dns', '--replicas', '2', '-p', `${PORT}:${PORT}/udp`, '-p', `${PORT}:80`, 'shoal/whoami']);
    await waitFor(async () => (await runningTasks('dns')) === 2, { timeoutMs: 20_000, what: '2 running tasks' });
  });
  afterAll(async () => {
    await cluster?.stopAll();
  });

  it('shows the UDP port the way Docker does, next to the TCP one of the same number', async () => {
    const ls = (await cluster.manager.cliOk(['service', 'ls'])).stdout;
    expect(ls).toContain(`*:${PORT}->${PORT}/udp`);
    expect(ls).toContain(`*:${PORT}->80/tcp`);
    const inspect = JSON.parse((await cluster.manager.cliOk(['service', 'inspect', 'dns'])).stdout) as Array<{
      Endpoint: { Ports: Array<{ Protocol: string; TargetPort: number; PublishedPort: number; PublishMode: string }> };
    }>;
    expect(inspect[0]?.Endpoint.Ports).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Protocol: 'udp', TargetPort: PORT, PublishedPort: PORT, PublishMode: 'ingress' }),
        expect.objectContaining({ Protocol: 'tcp', TargetPort: 80, PublishedPort: PORT, PublishMode: 'ingress' }),
      ]),
    );
  });

  it('answers on every node and spreads new flows evenly over both tasks, wherever they run', async () => {
    await waitFor(
      async () => {
        // Each node on its own must reach both tasks (endpoints reach nodes at different moments).
        for (const ip of ips()) if ((await spread(ip, 4)).tasks.size !== 2) return false;
        return true;
      },
      { timeoutMs: 15_000, what: 'both tasks answering UDP through every node' },
    );
    const all = new Set<string>();
    for (const [i, ip] of ips().entries()) {
      const { tasks, nodes, lost } = await spread(ip, 10);
      expect(lost).toBe(0);
      expect(tasks.size).toBe(2);
      for (const c of tasks.values()) expect(Math.abs(c - 5)).toBeLessThanOrEqual(1);
      // Two tasks on two nodes: every node reaches at least one of them through the tunnel.
      expect([...nodes].some((node) => node !== cluster.nodes[i]?.name)).toBe(true);
      for (const t of tasks.keys()) all.add(t);
    }
    expect(all.size).toBe(2);
  });

  it('serves TCP on the same port number alongside', async () => {
    const body = await new Promise<string>((resolve, reject) => {
      http
        .get({ host: cluster.manager.ip, port: PORT, path: '/', agent: false, timeout: 3000 }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve(text));
        })
        .on('error', reject);
    });
    expect(body).toMatch(/^Task: \S+$/m);
    expect(body).not.toContain('Protocol: udp');
  });

  it('binds a mode=host UDP port only on the node that runs the task', async () => {
    await cluster.manager.cliOk([
      'service', 'create', '-d', '--name', 'hostu', '--constraint', 'node.hostname==worker1',
      '-p', 'published=5354,target=53,protocol=udp,mode=host', 'shoal/whoami',
    ]);
    const worker1 = cluster.byName('worker1').ip;
    const answer = await waitFor(() => ask(worker1, 5354), { timeoutMs: 20_000, what: 'the host-mode UDP port on worker1' });
    expect(answer.node).toBe('worker1');
    expect(await ask(cluster.manager.ip, 5354, 500)).toBeUndefined();
    await cluster.manager.cliOk(['service', 'rm', 'hostu']);
  });

  it('stops answering on every node once the service is removed', async () => {
    await cluster.manager.cliOk(['service', 'rm', 'dns']);
    for (const ip of ips()) {
      await waitFor(async () => (await ask(ip, PORT, 300)) === undefined, { timeoutMs: 15_000, what: `UDP ${PORT} silent on ${ip}` });
    }
    for (const ip of ips()) expect(await ask(ip, PORT, 500)).toBeUndefined();
  });
});

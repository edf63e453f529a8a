// The routing mesh with 3 daemons: every node answers on a published port and
// round-robins over all running tasks cluster-wide, keeps answering as tasks and
// nodes come and go, and closes the port when the service is removed.
import * as http from 'node:http';
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCleanup, startCluster, waitFor, whoami, type Cluster, type WhoamiAnswer } from '@shoal/testkit';

registerCleanup();

let cluster: Cluster;
const BASE = '127.0.17.';
const PORT = 8080;

function get(ip: string, timeoutMs = 3000): Promise<WhoamiAnswer> {
  return getPort(ip, PORT, timeoutMs);
}

function getPort(ip: string, port: number, timeoutMs = 3000): Promise<WhoamiAnswer> {
  return whoami(ip, port, timeoutMs);
}

async function spread(ips: string[], n: number): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const ip of ips) {
    for (let i = 0; i < n; i++) {
      const { task } = await get(ip);
      counts.set(task, (counts.get(task) ?? 0) + 1);
    }
  }
  return counts;
}

const ips = () => cluster.nodes.map((n) => n.ip);

/** Requests to every node in turn, one at a time, until stopped; counts answers and failures. */
function requestLoad(): { stop: () => Promise<{ answered: number; failures: string[] }> } {
  let answered = 0;
  const failures: string[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      for (const ip of ips()) {
        await get(ip, 2000).then(
          () => answered++,
          (err: unknown) => failures.push(`${new Date().toISOString()} ${ip}: ${String(err)}`),
        );
      }
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { answered, failures };
    },
  };
}

/** Whether a TCP connection to ip:port is accepted or refused (anything else throws). */
function connectOutcome(ip: string, port: number): Promise<'accepted' | 'refused'> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: ip, port });
    socket.setTimeout(2000, () => socket.destroy(new Error('connect timeout')));
    socket.once('connect', () => {
      socket.destroy();
      resolve('accepted');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNREFUSED' ? resolve('refused') : reject(err)));
  });
}

async function runningTasks(service = 'web'): Promise<number> {
  const filters = encodeURIComponent(JSON.stringify({ service: { [service]: true }, 'desired-state': { running: true } }));
  const tasks = await cluster.manager.api.get<Array<{ Status: { State: string } }>>(`/v1.41/tasks?filters=${filters}`);
  return tasks.filter((t) => t.Status.State === 'running').length;
}

describe('routing mesh', () => {
  beforeAll(async () => {
    cluster = await startCluster({ size: 3, baseIp: BASE });
    await cluster.manager.cliOk(['service', 'create', '-d', '--name', 'web', '--replicas', '2', '-p', `${PORT}:80`, 'shoal/whoami']);
    await waitFor(async () => (await runningTasks()) === 2, { timeoutMs: 20_000, what: '2 running tasks' });
  });
  afterAll(async () => {
    await cluster?.stopAll();
  });

  it('answers on every node and spreads evenly over both tasks, wherever they run', async () => {
    await waitFor(
      async () => {
        // Each node on its own must reach both tasks (endpoints reach nodes at different moments).
        for (const ip of ips()) if ((await spread([ip], 4)).size !== 2) return false;
        return true;
      },
      { timeoutMs: 15_000, what: 'both tasks reachable from every node' },
    );
    for (const ip of ips()) {
      const counts = await spread([ip], 30);
      expect([...counts.keys()]).toHaveLength(2);
      for (const c of counts.values()) expect(Math.abs(c - 15)).toBeLessThanOrEqual(1);
    }
  });

  it('serves all 4 tasks after scaling to 4', async () => {
    await cluster.manager.cliOk(['service', 'scale', '-d', 'web=4']);
    await waitFor(async () => (await runningTasks()) === 4, { timeoutMs: 20_000, what: '4 running tasks' });
    await waitFor(async () => (await spread(ips(), 8)).size === 4, { timeoutMs: 15_000, what: 'every node routing to all 4 tasks' });
  });

  it('keeps serving on a node that no longer runs any task', async () => {
    await cluster.manager.cliOk(['node', 'update', '--availability', 'drain', 'worker2']);
    await waitFor(
      async () => {
        const filters = encodeURIComponent(JSON.stringify({ service: { web: true }, node: { worker2: true }, 'desired-state': { running: true } }));
        return (await cluster.manager.api.get<unknown[]>(`/v1.41/tasks?filters=${filters}`)).length === 0;
      },
      { timeoutMs: 30_000, what: 'worker2 drained' },
    );
    const worker2 = cluster.byName('worker2').ip;
    // Its old task leaves rotation once its replacement runs (drain is start-first).
    await waitFor(
      async () => {
        for (let i = 0; i < 10; i++) if ((await get(worker2)).node === 'worker2') return false;
        return true;
      },
      { timeoutMs: 15_000, what: 'worker2 serving from tasks on other nodes' },
    );
    for (let i = 0; i < 10; i++) expect((await get(worker2)).node).not.toBe('worker2');
    await cluster.manager.cliOk(['node', 'update', '--availability', 'active', 'worker2']);
  });

  it('keeps answering on a node while it is promoted to a manager and demoted again', async () => {
    for (const ip of ips()) await waitFor(() => get(ip).then(() => true, () => false), { timeoutMs: 10_000, what: `${ip} answering` });
    const node = cluster.byName('worker2');
    const controlAvailable = async () => (await node.api.get<{ Swarm: { ControlAvailable: boolean } }>('/v1.41/info')).Swarm.ControlAvailable;
    const load = requestLoad();
    await cluster.manager.cliOk(['node', 'promote', 'worker2']);
    await waitFor(controlAvailable, { timeoutMs: 20_000, what: 'worker2 running as a manager' });
    await cluster.manager.cliOk(['node', 'demote', 'worker2']);
    await waitFor(async () => !(await controlAvailable()), { timeoutMs: 20_000, what: 'worker2 back to a worker' });
    await new Promise((r) => setTimeout(r, 500));
    const { answered, failures } = await load.stop();
    expect(answered).toBeGreaterThan(30);
    expect(failures).toEqual([]);
  });

  it('keeps answering on every node through rolling updates (stop-first: the old task drains first)', async () => {
    for (const ip of ips()) await waitFor(() => get(ip).then(() => true, () => false), { timeoutMs: 10_000, what: `${ip} answering` });
    const load = requestLoad();
    // Each update replaces both tasks, one after the other (parallelism 1).
    for (let i = 0; i < 2; i++) await cluster.manager.cliOk(['service', 'update', '--force', 'web'], { timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 500));
    const { answered, failures } = await load.stop();
    expect(answered).toBeGreaterThan(30);
    expect(failures).toEqual([]);
  });

  it('routes around a kill -9 worker without failing a request', async () => {
    const victim = cluster.byName('worker1');
    await victim.kill('SIGKILL');
    const survivors = cluster.nodes.filter((n) => n !== victim).map((n) => n.ip);
    // After detection (the wording), nothing is routed to it and nothing fails.
    await waitFor(
      async () => {
        for (let i = 0; i < 12; i++) {
          const r = await get(survivors[i % survivors.length]!).catch(() => undefined);
          if (!r || r.node === 'worker1') return false;
        }
        return true;
      },
      { timeoutMs: 20_000, what: 'the survivors to stop routing to worker1' },
    );
    let failures = 0;
    const seen = new Set<string>();
    for (let i = 0; i < 60; i++) {
      try {
        seen.add((await get(survivors[i % survivors.length]!)).node);
      } catch {
        failures++;
      }
    }
    expect(failures).toBe(0);
    expect(seen.has('worker1')).toBe(false);
    await victim.restart();
    await cluster.waitForReady({ timeoutMs: 15_000 });
  });

  it("keeps routing between nodes after the only manager's shoald restarts (QA: its gossip restarted alone)", async () => {
    await waitFor(async () => (await runningTasks()) === 4, { timeoutMs: 20_000, what: '4 running tasks' });
    await waitFor(async () => (await spread(ips(), 8)).size === 4, { timeoutMs: 15_000, what: 'every node routing to all 4 tasks' });
    // SIGTERM and start again. Its tasks go with it (the testkit stops what the daemon started;
    // an adopted task would not be the new daemon's child, and would outlive the test): the
    // manager runs them anew, and they must be reached from the workers, and theirs from it.
    await cluster.manager.restart();
    await cluster.waitForReady({ timeoutMs: 15_000 });
    await waitFor(
      async () => {
        // Each node on its own reaches all 4 tasks, those on the other nodes included.
        for (const ip of ips()) if ((await spread([ip], 8).catch(() => new Map())).size !== 4) return false;
        return true;
      },
      { timeoutMs: 20_000, what: 'every node routing to all 4 tasks again' },
    );
  });

  it('hands the client address to the task with PROXY protocol v2 when the port opts in', async () => {
    await cluster.manager.cliOk(['service', 'create', '-d', '--name', 'pp', '-p', 'published=8081,target=80,proxy-protocol=v2', 'shoal/whoami']);
    const body = await waitFor(
      () =>
        new Promise<string | undefined>((resolve) => {
          // Connect from a known local address so the task can report it back.
          const req = http.get({ host: BASE + '1', port: 8081, path: '/', agent: false, timeout: 2000, localAddress: '127.0.17.77' }, (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (text += c));
            res.on('end', () => resolve(text));
          });
          req.on('error', () => resolve(undefined));
        }),
      { timeoutMs: 20_000, what: 'the PROXY-protocol port to answer' },
    );
    expect(body).toMatch(/^ClientAddr: 127\.0\.17\.77:\d+$/m);
    await cluster.manager.cliOk(['service', 'rm', 'pp']);
  });

  it('serves a local task through the kernel fast path when root: the task sees the client address, no PROXY header needed', async () => {
    if (process.getuid?.() !== 0) return void expect.soft(process.getuid?.(), 'kernel fast path needs root; CI runs as root').toBe(0);
    await cluster.manager.cliOk(['service', 'create', '-d', '--name', 'kfp', '--constraint', 'node.hostname==worker1', '-p', '8082:80', 'shoal/whoami']);
    const ask = (ip: string) =>
      new Promise<string | undefined>((resolve) => {
        const req = http.get({ host: ip, port: 8082, path: '/', agent: false, timeout: 2000, localAddress: '127.0.17.78' }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve(text));
        });
        req.on('error', () => resolve(undefined));
      });
    const worker1 = cluster.byName('worker1').ip;
    // On the task's node the kernel DNATs the connection straight to the task.
    const local = await waitFor(async () => ((await ask(worker1))?.includes('RemoteAddr: 127.0.17.78:') ? await ask(worker1) : undefined), {
      timeoutMs: 20_000,
      what: "worker1's port to reach the task with the client's address",
    });
    expect(local).toMatch(/^Node: worker1$/m);
    // Elsewhere the connection goes through userspace and the tunnel: the task sees the tunnel's end, not the client.
    const remote = await waitFor(() => ask(cluster.manager.ip), { timeoutMs: 20_000, what: "the manager's port to answer" });
    expect(remote).toMatch(/^Node: worker1$/m);
    expect(remote).not.toMatch(/^RemoteAddr: 127\.0\.17\.78:/m);
    await cluster.manager.cliOk(['service', 'rm', 'kfp']);
  });

  it('binds a mode=host port only on the node that runs the task', async () => {
    await cluster.manager.cliOk([
      'service', 'create', '-d', '--name', 'hostp', '--constraint', 'node.hostname==worker1',
      '-p', 'published=8090,target=80,mode=host', 'shoal/whoami',
    ]);
    const fetch8090 = (ip: string) =>
      new Promise<string>((resolve, reject) => {
        const req = http.get({ host: ip, port: 8090, path: '/', agent: false, timeout: 2000 }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve(text));
        });
        req.on('error', reject);
      });
    const body = await waitFor(() => fetch8090(cluster.byName('worker1').ip).catch(() => undefined), {
      timeoutMs: 20_000,
      what: 'the host-mode port on worker1',
    });
    expect(body).toMatch(/^Node: worker1$/m);
    await expect(fetch8090(cluster.manager.ip)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const ps = (await cluster.manager.cliOk(['service', 'ps', 'hostp'])).stdout;
    expect(ps).toContain('*:8090->80/tcp');
    await cluster.manager.cliOk(['service', 'rm', 'hostp']);
  });

  it('binds a port the kernel picks for a mode=host publish without a published port, and reports it', async () => {
    await cluster.manager.cliOk(['service', 'create', '-d', '--name', 'hostany', '--constraint', 'node.hostname==worker2', '-p', 'mode=host,target=80', 'shoal/whoami']);
    const filters = encodeURIComponent(JSON.stringify({ service: { hostany: true }, 'desired-state': { running: true } }));
    type Task = { Status: { State: string; PortStatus?: { Ports?: Array<{ PublishedPort: number; TargetPort: number; PublishMode: string }> } } };
    const [task] = await waitFor(
      async () => {
        const tasks = await cluster.manager.api.get<Task[]>(`/v1.41/tasks?filters=${filters}`);
        return tasks.some((t) => t.Status.State === 'running') ? tasks : undefined;
      },
      { timeoutMs: 20_000, what: 'hostany running' },
    );
    const [port] = task?.Status.PortStatus?.Ports ?? [];
    expect(port).toMatchObject({ TargetPort: 80, PublishMode: 'host' });
    expect(port?.PublishedPort).toBeGreaterThan(0);
    const answer = await getPort(cluster.byName('worker2').ip, port?.PublishedPort ?? 0);
    expect(answer.node).toBe('worker2');
    expect((await cluster.manager.cliOk(['service', 'ps', 'hostany'])).stdout).toContain(`*:${port?.PublishedPort}->80/tcp`);
    await cluster.manager.cliOk(['service', 'rm', 'hostany']);
  });

  it('keeps a port bound while its service should run but has no task running, and refuses it once scaled to 0', async () => {
    const port = 8091;
    const outcomes = () => Promise.all(ips().map((ip) => connectOutcome(ip, port)));
    const answering = async () => (await Promise.all(ips().map((ip) => getPort(ip, port).then(() => true, () => false)))).every(Boolean);
    await cluster.manager.cliOk(['service', 'create', '-d', '--name', 'solo', '--replicas', '1', '-p', `${port}:80`, 'shoal/whoami']);
    await waitFor(answering, { timeoutMs: 20_000, what: `solo answering on port ${port} on every node` });
    // No node satisfies the constraint: the only task stops and its replacement stays pending,
    // much longer than a listener outlives its last endpoint (3 s).
    await cluster.manager.cliOk(['service', 'update', '-d', '--constraint-add', 'node.labels.nowhere==true', 'solo']);
    await waitFor(async () => (await runningTasks('solo')) === 0, { timeoutMs: 20_000, what: 'no solo task running' });
    await new Promise((r) => setTimeout(r, 4_000));
    expect(await outcomes()).toEqual(['accepted', 'accepted', 'accepted']);
    await cluster.manager.cliOk(['service', 'update', '-d', '--constraint-rm', 'node.labels.nowhere==true', 'solo']);
    await waitFor(answering, { timeoutMs: 20_000, what: `solo answering again on port ${port}` });
    // Scaled to 0 on purpose: refused, as Docker refuses it, on every node.
    await cluster.manager.cliOk(['service', 'scale', '-d', 'solo=0']);
    await waitFor(async () => (await outcomes()).every((o) => o === 'refused'), { timeoutMs: 15_000, what: `port ${port} refused on every node` });
    await cluster.manager.cliOk(['service', 'rm', 'solo']);
  });

  it('closes the port on every node when the service is removed', async () => {
    await cluster.manager.cliOk(['service', 'rm', 'web']);
    for (const ip of ips()) {
      await waitFor(
        async () => {
          try {
            await get(ip, 1000);
            return false;
          } catch (err) {
            return (err as NodeJS.ErrnoException).code === 'ECONNREFUSED';
          }
        },
        // At once, not after its tasks drained and a linger (a client would hang 2 s, then be reset).
        { timeoutMs: 2_500, what: `port ${PORT} closed on ${ip}` },
      );
    }
  });
});

// Services on the process runtime with 3 real daemons: create, scale, ps, rm, logs,
// restart of a killed task, rescheduling off a killed node and rebalancing back, global services, and
// bad input that must get Docker's error text and create nothing.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive, registerCleanup, startCluster, startDaemon, waitFor, type Cluster, type DaemonHandle } from '@shoal/testkit';

registerCleanup();

let cluster: Cluster;
const BASE = '127.0.16.';

interface TaskJson {
  ID: string;
  ServiceID: string;
  Slot?: number;
  NodeID?: string;
  DesiredState: string;
  Status: { State: string; Err?: string; ContainerStatus?: { PID?: number } };
}
interface NodeJson {
  ID: string;
  Description: { Hostname: string };
}

async function tasksOf(service: string, via: DaemonHandle = cluster.manager): Promise<TaskJson[]> {
  const filters = encodeURIComponent(JSON.stringify({ service: { [service]: true } }));
  return via.api.get<TaskJson[]>(`/v1.41/tasks?filters=${filters}`);
}

async function running(service: string): Promise<TaskJson[]> {
  return (await tasksOf(service)).filter((t) => t.Status.State === 'running' && t.DesiredState === 'running');
}

async function hostnames(): Promise<Map<string, string>> {
  const nodes = await cluster.manager.api.get<NodeJson[]>('/v1.41/nodes');
  return new Map(nodes.map((n) => [n.ID, n.Description.Hostname]));
}

describe('services', () => {
  beforeAll(async () => {
    cluster = await startCluster({ size: 3, baseIp: BASE });
  });
  afterAll(async () => {
    await cluster?.stopAll();
  });

  it('creates 2 replicas as 2 running processes and scales to 4 spread over 3 nodes', async () => {
    const created = await cluster.manager.cliOk(['service', 'create', '-d', '--name', 'web', '--replicas', '2', 'shoal/whoami']);
    expect(created.stdout.trim()).toMatch(/^[a-z0-9]{25}$/);
    const two = await waitFor(async () => ((await running('web')).length === 2 ? running('web') : undefined), { timeoutMs: 15_000, what: '2 running tasks' });
    for (const t of two) expect(isAlive(t.Status.ContainerStatus?.PID ?? -1)).toBe(true);
    expect((await cluster.manager.cliOk(['service', 'scale', '-d', 'web=4'])).stdout).toContain('web scaled to 4');
    const four = await waitFor(async () => ((await running('web')).length === 4 ? running('web') : undefined), { timeoutMs: 15_000, what: '4 running tasks' });
    expect(new Set(four.map((t) => t.NodeID)).size).toBe(3);
    expect(four.map((t) => t.Slot).sort()).toEqual([1, 2, 3, 4]);
    const ls = (await cluster.manager.cliOk(['service', 'ls'])).stdout;
    expect(ls).toMatch(/^ID +NAME +MODE +REPLICAS +IMAGE +PORTS\n[a-z0-9]{12} +web +replicated +4\/4 +shoal\/whoami/);
  });

  it('replaces a task whose process was killed, in the same slot', async () => {
    // On worker2, which the next test kills and brings back: a failure from before a node came
    // back must not keep rebalancing away from it (CI once picked worker2 by chance, and failed).
    const names = await hostnames();
    const worker2 = [...names].find(([, h]) => h === 'worker2')![0];
    const victim = (await running('web')).find((t) => t.NodeID === worker2)!;
    process.kill(victim.Status.ContainerStatus!.PID!, 'SIGKILL');
    await waitFor(
      async () => {
        const tasks = await tasksOf('web');
        const old = tasks.find((t) => t.ID === victim.ID);
        const replacement = tasks.find((t) => t.Slot === victim.Slot && t.ID !== victim.ID && t.Status.State === 'running');
        return old?.Status.State === 'failed' && replacement;
      },
      { timeoutMs: 20_000, what: 'a replacement in the killed task’s slot' },
    );
    const ps = (await cluster.manager.cliOk(['service', 'ps', 'web'])).stdout;
    expect(ps).toMatch(/ \\_ web\.\d+ /);
  });

  it('moves the tasks of a kill -9 worker to the other nodes, and one back once it returns (rebalancing)', async () => {
    const names = await hostnames();
    const worker = cluster.byName('worker2');
    const workerId = [...names].find(([, h]) => h === 'worker2')![0];
    await worker.kill('SIGKILL');
    const t0 = Date.now();
    await waitFor(
      async () => {
        const r = await running('web');
        return r.length === 4 && r.every((t) => t.NodeID !== workerId);
      },
      { timeoutMs: 30_000, what: '4 running tasks off worker2' },
    );
    const elapsed = Date.now() - t0;
    console.log(`worker2's tasks running elsewhere ${elapsed} ms after kill -9`);
    expect(elapsed).toBeLessThan(15_000);
    // Logs of a service with tasks on a dead node: what the others have, then swarmkit's warning.
    const partial = await cluster.manager.cli(['service', 'logs', 'web'], { timeoutMs: 10_000 });
    expect(partial.code).toBe(1);
    expect(partial.stderr).toContain('error from daemon in stream: Error grabbing logs: rpc error: code = Unknown desc = warning: incomplete log stream. some logs could not be retrieved for the following reasons: ');
    expect(partial.stderr).toContain(`node ${workerId} is not available`);
    await worker.restart();
    await cluster.waitForReady({ timeoutMs: 15_000 });
    // Swarm would leave worker2 empty. Here, 10 s after it is back, one task moves to it
    // (start-first: 4 tasks run throughout), and then nothing moves any more.
    const back = Date.now();
    await waitFor(
      async () => {
        const r = await running('web');
        return r.length === 4 && r.filter((t) => t.NodeID === workerId).length === 1;
      },
      { timeoutMs: 40_000, what: 'a task moved back onto worker2' },
    );
    console.log(`a task rebalanced onto worker2 ${Date.now() - back} ms after it was ready`);
    const spread = new Map<string, number>();
    for (const t of await running('web')) spread.set(t.NodeID!, (spread.get(t.NodeID!) ?? 0) + 1);
    expect([...spread.values()].sort()).toEqual([1, 1, 2]);
    const moved = (await tasksOf('web')).filter((t) => t.NodeID === workerId && t.DesiredState === 'running');
    expect(moved).toHaveLength(1);
  });

  it('keeps tasks running across an agent restart (adopted, never a second copy) and a manager restart', async () => {
    const before = await running('web');
    const pids = new Map(before.map((t) => [t.ID, t.Status.ContainerStatus?.PID]));
    // The daemons die or stop; their task processes (own process groups) live on.
    await cluster.byName('worker1').stop({ leftovers: 'keep' });
    await cluster.byName('worker1').restart({ leftovers: 'keep' });
    await cluster.manager.kill('SIGKILL', { tree: false });
    await cluster.manager.restart({ leftovers: 'keep' });
    await cluster.waitForReady({ timeoutMs: 15_000 });
    await waitFor(async () => (await running('web')).length === 4, { timeoutMs: 15_000, what: '4 running tasks after the restarts' });
    const after = await running('web');
    expect(after.map((t) => t.ID).sort()).toEqual([...pids.keys()].sort());
    for (const t of after) {
      expect(t.Status.ContainerStatus?.PID).toBe(pids.get(t.ID));
      expect(isAlive(t.Status.ContainerStatus?.PID ?? -1)).toBe(true);
    }
  });

  it("completes a job whose task ended while its node's daemon was down (the exit status survives)", async () => {
    const marker = mkdtempSync(path.join(tmpdir(), 'shoal-job-'));
    try {
      const go = path.join(marker, 'go');
      await cluster.manager.cliOk([
        'service', 'create', '-d', '--name', 'offline-job', '--mode', 'replicated-job', '--constraint', 'node.hostname==worker2',
        'busybox', 'sh', '-c', `until [ -e ${go} ]; do sleep 0.05; done; exit 0`,
      ]);
      // A job's task is desired "complete": it is running while its status says so.
      await waitFor(async () => (await tasksOf('offline-job')).some((t) => t.Status.State === 'running'), { timeoutMs: 15_000, what: 'the job task running' });
      const worker = cluster.byName('worker2');
      await worker.stop({ leftovers: 'keep' });
      writeFileSync(go, ''); // the task finishes now, with no daemon on its node
      const [task] = await tasksOf('offline-job');
      await waitFor(() => !isAlive(task?.Status.ContainerStatus?.PID ?? -1), { timeoutMs: 10_000, what: 'the task process gone' });
      await worker.restart({ leftovers: 'keep' });
      await cluster.waitForReady({ timeoutMs: 15_000 });
      const done = await waitFor(async () => {
        const tasks = await tasksOf('offline-job');
        return tasks.some((t) => t.Status.State === 'complete') ? tasks : undefined;
      }, { timeoutMs: 15_000, what: 'the job complete' });
      // The one task completed: not failed with an unknown exit status and run again.
      expect(done.map((t) => [t.ID, t.Status.State])).toEqual([[task?.ID, 'complete']]);
      const ls = (await cluster.manager.cliOk(['service', 'ls', '--filter', 'name=offline-job'])).stdout;
      expect(ls).toContain('(1/1 completed)');
      await cluster.manager.cliOk(['service', 'rm', 'offline-job']);
    } finally {
      rmSync(marker, { recursive: true, force: true });
    }
  });

  it('replaces a task its node rejects only after the restart delay, as Docker does', async () => {
    // An image with no program and no command is rejected by the node as soon as it is assigned,
    // long before a delayed replacement would start: the next one must still wait the delay.
    await cluster.manager.cliOk(['service', 'create', '-d', '--name', 'nocmd', '--restart-delay', '2s', 'doesnotexist/foo:1.0']);
    const seen = new Set<string>();
    const started = Date.now();
    while (Date.now() - started < 7_000) {
      for (const t of await tasksOf('nocmd')) seen.add(t.ID);
      await new Promise((r) => setTimeout(r, 100));
    }
    // The first task, then one every 2 s: 4 or 5 in 7 s (hundreds when each rejection brought the next at once).
    expect(seen.size).toBeGreaterThanOrEqual(3);
    expect(seen.size).toBeLessThanOrEqual(6);
    const tasks = await tasksOf('nocmd');
    expect(tasks.some((t) => t.Status.State === 'rejected' && t.Status.Err === 'no command specified')).toBe(true);
    const ps = (await cluster.manager.cliOk(['service', 'ps', 'nocmd'])).stdout;
    expect(ps).toMatch(/Rejected .* ago +"no command specified"/);
    await cluster.manager.cliOk(['service', 'rm', 'nocmd']);
  });

  it('removes a service and every one of its processes', async () => {
    const pids = (await running('web')).map((t) => t.Status.ContainerStatus?.PID ?? -1);
    expect((await cluster.manager.cliOk(['service', 'rm', 'web'])).stdout.trim()).toBe('web');
    await waitFor(() => pids.every((p) => !isAlive(p)), { timeoutMs: 20_000, what: 'every task process gone' });
    expect((await cluster.manager.cli(['service', 'ps', 'web'])).stderr).toContain('no such service: web');
  });

  it('runs a global service on every node, and on a node that joins later', async () => {
    await cluster.manager.cliOk(['service', 'create', '-d', '--name', 'agentd', '--mode', 'global', 'shoal/whoami']);
    await waitFor(async () => (await running('agentd')).length === 3, { timeoutMs: 15_000, what: 'one task per node' });
    const late = await startDaemon({ name: 'late', ip: `${BASE}9` });
    const token = (await cluster.manager.cliOk(['swarm', 'join-token', '-q', 'worker'])).stdout.trim();
    await late.cliOk(['swarm', 'join', '--token', token, '--advertise-addr', `${BASE}9`, `${BASE}1:2377`]);
    await waitFor(async () => (await running('agentd')).length === 4, { timeoutMs: 15_000, what: 'a task on the new node' });
    const lateId = [...(await hostnames())].find(([, name]) => name === 'late')?.[0];
    await late.cliOk(['swarm', 'leave']);
    // A node that leaves just goes down, as with Docker: its task is not reported failed and
    // replaced (a replacement went to the leaving node itself, still Ready for a moment).
    await waitFor(async () => (await cluster.manager.api.get<Array<{ ID: string; Status: { State: string } }>>('/v1.41/nodes')).find((n) => n.ID === lateId)?.Status.State === 'down', {
      timeoutMs: 15_000,
      what: 'the node that left to be down',
    });
    const onLate = (await tasksOf('agentd')).filter((t) => t.NodeID === lateId);
    expect(onLate).toHaveLength(1);
    expect(onLate[0]?.Status.State).not.toBe('failed');
    await cluster.manager.cliOk(['service', 'rm', 'agentd']);
  });

  it('shows a task’s output with service logs', async () => {
    await cluster.manager.cliOk([
      'service', 'create', '-d', '--name', 'hello', 'ubuntu:14.04', '/bin/sh', '-c', 'while true; do echo hello world; sleep 1; done',
    ]);
    const out = await waitFor(
      async () => {
        const res = await cluster.manager.cli(['service', 'logs', 'hello'], { timeoutMs: 10_000 });
        return res.stdout.includes('hello world') ? res.stdout : undefined;
      },
      { timeoutMs: 20_000, what: 'hello world in the logs' },
    );
    expect(out).toMatch(/^hello\.1\.[a-z0-9]+@(manager|worker\d) +\| hello world$/m);
    // --since (sent as <seconds>.<nanoseconds>): only the lines of the last 2 s, with their times.
    // (A node that earlier tests restarted or took out of the swarm may hold a task of this service
    // that never ran: the logs then end with the "incomplete log stream" warning, as Docker's do.)
    const recent = await cluster.manager.cli(['service', 'logs', '--since', '2s', '--timestamps', '--raw', 'hello'], { timeoutMs: 10_000 });
    if (recent.code !== 0) expect(recent.stderr).toMatch(/^error from daemon in stream: Error grabbing logs: rpc error: code = Unknown desc = warning: incomplete log stream\./);
    const times = recent.stdout.trim().split('\n').map((l) => Date.parse(l.split(' ')[0] ?? ''));
    expect(times.length).toBeGreaterThanOrEqual(1);
    expect(times.length).toBeLessThanOrEqual(4);
    for (const t of times) expect(Date.now() - t).toBeLessThan(4_000);
    // -f follows tasks that start later too (here a second replica), and runs until stopped.
    const following = cluster.manager.cli(['service', 'logs', '-f', '--tail', '1', 'hello'], { timeoutMs: 7_000 }).then(
      (res) => `exited early (${res.code}): ${res.stdout}`,
      (err: unknown) => (err as Error).message,
    );
    await new Promise((r) => setTimeout(r, 1_000));
    await cluster.manager.cliOk(['service', 'scale', '-d', 'hello=2']);
    const followed = await following;
    expect(followed).toContain('did not finish within 7000ms');
    expect(followed).toMatch(/^hello\.2\.[a-z0-9]+@(manager|worker\d) +\| hello world$/m);
    await cluster.manager.cliOk(['service', 'rm', 'hello']);
  });

  it('expands service templates in the environment on the node that runs the task', async () => {
    await cluster.manager.cliOk([
      ...['service', 'create', '-d', '--name', 'tmpl', '--replicas', '2'],
      ...['--env', 'WHO={{.Service.Name}}.{{.Task.Slot}}@{{.Node.Hostname}}', 'busybox', 'sh', '-c', 'echo "I am $WHO"; sleep 600'],
    ]);
    const out = await waitFor(
      async () => {
        const res = await cluster.manager.cli(['service', 'logs', '--raw', 'tmpl'], { timeoutMs: 10_000 });
        const lines = res.stdout.split('\n').filter((l) => l.startsWith('I am '));
        return lines.length === 2 ? lines.sort() : undefined;
      },
      { timeoutMs: 20_000, what: 'both tasks logging their expanded environment' },
    );
    expect(out[0]).toMatch(/^I am tmpl\.1@(manager|worker\d)$/);
    expect(out[1]).toMatch(/^I am tmpl\.2@(manager|worker\d)$/);
    await cluster.manager.cliOk(['service', 'rm', 'tmpl']);
  });

  it('gives the logs of a TTY service as its bare lines (no stream frames), as Docker does', async () => {
    await cluster.manager.cliOk(['service', 'create', '-d', '--name', 'tty', '--tty', 'busybox', 'sh', '-c', 'echo tty says hi; sleep 600']);
    for (const run of [(a: string[]) => cluster.manager.docker(a), (a: string[]) => cluster.manager.cli(a)]) {
      const out = await waitFor(
        async () => {
          const res = await run(['service', 'logs', '--raw', 'tty']);
          return res.stdout.includes('tty says hi') ? res.stdout : undefined;
        },
        { timeoutMs: 20_000, what: 'the TTY task logging' },
      );
      expect(out).toBe('tty says hi\n');
    }
    await cluster.manager.cliOk(['service', 'rm', 'tty']);
  });

  it("ends the logs of a task not scheduled yet with swarmkit's warning naming it", async () => {
    await cluster.manager.cliOk(['service', 'create', '-d', '--name', 'pend', '--constraint', 'node.labels.none==1', 'shoal/whoami']);
    const task = await waitFor(async () => (await cluster.manager.api.get<Array<{ ID: string }>>('/v1.41/tasks?filters=%7B%22service%22%3A%7B%22pend%22%3Atrue%7D%7D'))[0], { timeoutMs: 10_000, what: 'the pending task' });
    const res = await cluster.manager.docker(['service', 'logs', task.ID]);
    expect([res.code, res.stdout, res.stderr]).toEqual([
      1,
      '',
      `error from daemon in stream: Error grabbing logs: rpc error: code = Unknown desc = warning: incomplete log stream. some logs could not be retrieved for the following reasons: task ${task.ID} has not been scheduled\n\n`, // the record's newline, then the CLI's
    ]);
    await cluster.manager.cliOk(['service', 'rm', 'pend']);
  });

  it("refuses bad input with Docker's errors and creates nothing", async () => {
    await cluster.manager.cliOk(['service', 'create', '-d', '--name', 'dup', '-p', '8080:80', 'shoal/whoami']);
    const cases: Array<[string[], string]> = [
      [['--name', 'dup', 'shoal/whoami'], 'name conflicts with an existing object: service dup already exists'],
      [['--name', 'x1', '--constraint', 'node.role=manager', 'shoal/whoami'], 'constraint expected one operator from ==, !='],
      [['--name', 'x2', '--mode', 'global', '--replicas', '2', 'shoal/whoami'], 'replicas can only be used with replicated or replicated-job mode'],
      [['--name', 'x3', '-p', '8080:80', 'shoal/whoami'], "port '8080' is already in use by service 'dup'"],
      [['--name', 'x4', '--replicas', 'abc', 'shoal/whoami'], 'invalid argument "abc" for "--replicas" flag'],
      [['--name', 'x5', '--restart-condition', 'bogus', 'shoal/whoami'], 'invalid RestartCondition: "bogus"'],
      [['--name', 'x6', '--update-order', 'sideways', 'shoal/whoami'], 'unrecognized update order sideways'],
      [['--name', 'x7', '--limit-memory', '1k', 'shoal/whoami'], 'invalid memory value 1024: Must be at least 4MiB'],
      [['--name', 'x8', 'UPPER:case'], 'ContainerSpec: "UPPER:case" is not a valid repository/tag'],
      // swarmkit expands the templates for a stand-in task when the service is written.
      [['--name', 'x9', '--env', 'A={{.Bad', 'shoal/whoami'], 'expanding env failed: expanding env "A={{.Bad": template: expansion:1: unclosed action'],
      [['--name', 'x10', '--hostname', '{{.Service.Nope}}', 'shoal/whoami'], "expanding hostname failed: template: expansion:1:2: executing \"expansion\" at <.Service.Nope>: can't evaluate field Nope"],
    ];
    const before = (await cluster.manager.api.get<unknown[]>('/v1.41/services')).length;
    for (const [args, text] of cases) {
      const res = await cluster.manager.cli(['service', 'create', '-d', ...args]);
      expect(res.code, args.join(' ')).not.toBe(0);
      expect(res.stderr, args.join(' ')).toContain(text);
    }
    // Only the docker CLI has --mount (Shoal keeps mounts without applying them).
    const mounts = await cluster.manager.docker(['service', 'create', '-d', '--name', 'x11', '--mount', 'type=bind,src=/tmp,dst=/a', '--mount', 'type=bind,src=/tmp,dst=/a', 'shoal/whoami']);
    expect(mounts.code).toBe(1);
    expect(mounts.stderr).toContain('ContainerSpec: duplicate mount point: /a');
    expect((await cluster.manager.api.get<unknown[]>('/v1.41/services')).length).toBe(before);
    expect((await cluster.manager.cli(['service', 'rm', 'nosuch'])).stderr).toContain('nosuch');
    await cluster.manager.cliOk(['service', 'rm', 'dup']);
  });

  it('ends service logs with the warning once a frozen node (connection still open) is Down, instead of hanging', async () => {
    await cluster.manager.cliOk(['service', 'create', '-d', '--mode', 'global', '--name', 'everywhere', 'ubuntu:14.04', '/bin/sh', '-c', 'while true; do echo tick; sleep 1; done']);
    await waitFor(async () => ((await running('everywhere')).length === cluster.nodes.length ? true : undefined), { timeoutMs: 20_000, what: 'a task on every node' });
    const worker = cluster.byName('worker1');
    const workerId = [...(await hostnames())].find(([, h]) => h === 'worker1')![0];
    await worker.kill('SIGSTOP');
    try {
      const t0 = Date.now();
      const logs = await cluster.manager.cli(['service', 'logs', 'everywhere'], { timeoutMs: 20_000 });
      const elapsed = Date.now() - t0;
      expect(logs.code).toBe(1);
      expect(logs.stdout).toContain('tick');
      expect(logs.stderr).toContain(`warning: incomplete log stream. some logs could not be retrieved for the following reasons: node ${workerId} is not available`);
      // Down within ~3 s (heartbeats and gossip); the 10 s stall bound is the backstop, not this.
      expect(elapsed).toBeLessThan(8_000);
    } finally {
      await worker.kill('SIGCONT');
    }
    await cluster.waitForReady({ timeoutMs: 15_000 });
    await cluster.manager.cliOk(['service', 'rm', 'everywhere']);
  });
});

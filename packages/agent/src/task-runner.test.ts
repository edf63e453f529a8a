import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { FakeExecutor } from '@shoal/runtime';
import type { TaskAssignment, TaskStatusUpdate } from '@shoal/wire';
import { TaskRunner } from './task-runner';

const logger = pino({ level: 'silent' });

function assignment(taskId: string, desiredState: TaskAssignment['desiredState'] = 'running'): TaskAssignment {
  return {
    taskId,
    serviceId: 'svc',
    serviceName: 'web',
    slot: 1,
    desiredState,
    spec: { container: { image: 'busybox', args: ['sleep', '100'] } },
    targetPorts: [],
    publishedPorts: [],
  };
}

function setup() {
  const executor = new FakeExecutor();
  const reports: TaskStatusUpdate[] = [];
  const runner = new TaskRunner({ executor, nodeId: 'n1', hostname: 'h1', report: (u) => reports.push(u), logger });
  const states = (id: string) => reports.filter((r) => r.taskId === id).map((r) => r.state);
  return { executor, reports, runner, states };
}

const settle = () => new Promise((r) => setImmediate(r));
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await settle();
  expect(cond()).toBe(true);
}

describe('TaskRunner', () => {
  it('walks an assigned task to running and reports each state once, forward only', async () => {
    const { runner, states } = setup();
    runner.setAssignments([assignment('t1')]);
    await until(() => states('t1').includes('running'));
    expect(states('t1')).toEqual(['accepted', 'preparing', 'ready', 'starting', 'running']);
    runner.setAssignments([assignment('t1')]);
    await settle();
    expect(states('t1')).toHaveLength(5);
  });

  it('prepares but does not start a task desired ready, then starts it when desired running', async () => {
    const { runner, states } = setup();
    runner.setAssignments([assignment('t1', 'ready')]);
    await until(() => states('t1').includes('ready'));
    expect(states('t1')).not.toContain('starting');
    runner.setAssignments([assignment('t1', 'running')]);
    await until(() => states('t1').includes('running'));
  });

  it('never runs again a task the managers say has ended (a job task that completed, after a restart without its record)', async () => {
    const { runner, executor, states } = setup();
    runner.setAssignments([{ ...assignment('done', 'complete'), ended: 'complete' }, { ...assignment('old', 'shutdown'), ended: 'failed' }, assignment('job', 'complete')]);
    await until(() => states('job').includes('running'));
    await settle();
    expect(executor.callsFor('done')).toEqual([]);
    expect(executor.callsFor('old')).toEqual([]);
    // Nothing is reported for them either: the managers already have their end.
    expect(states('done')).toEqual([]);
    expect(states('old')).toEqual([]);
    // A job task desired `complete` runs until it exits, and exit 0 completes it.
    executor.exit('job', 0);
    await until(() => states('job').includes('complete'));
  });

  it('reports failed with a non-zero exit and complete with zero', async () => {
    const { runner, executor, reports, states } = setup();
    runner.setAssignments([assignment('a'), assignment('b')]);
    await until(() => states('a').includes('running') && states('b').includes('running'));
    executor.exit('a', 3);
    executor.exit('b', 0);
    await until(() => states('a').includes('failed') && states('b').includes('complete'));
    expect(reports.find((r) => r.taskId === 'a' && r.state === 'failed')).toMatchObject({ exitCode: 3, err: 'task: non-zero exit (3)' });
  });

  it('shuts down a task desired shutdown, and removes a task no longer assigned', async () => {
    const { runner, executor, states } = setup();
    runner.setAssignments([assignment('t1'), assignment('t2')]);
    await until(() => states('t1').includes('running') && states('t2').includes('running'));
    runner.setAssignments([assignment('t1', 'shutdown'), assignment('t2')]);
    await until(() => states('t1').includes('shutdown'));
    runner.setAssignments([assignment('t1', 'shutdown')]);
    await until(() => executor.callsFor('t2').includes('remove'));
    expect(states('t2')).toContain('shutdown');
  });

  it('rejects a task whose prepare fails, with the error', async () => {
    const { runner, executor, reports, states } = setup();
    executor.failNextPrepare(new Error('no command specified'));
    runner.setAssignments([assignment('t1')]);
    await until(() => states('t1').includes('rejected'));
    expect(reports.at(-1)).toMatchObject({ state: 'rejected', err: 'no command specified' });
  });

  it('adopts a live task from a previous run instead of starting a second copy', async () => {
    const { runner, executor, states } = setup();
    executor.seed(
      { taskId: 't1', serviceId: 'svc', serviceName: 'web', slot: 1, nodeId: 'n1', nodeHostname: 'h1', image: 'busybox', args: ['sleep', '100'] },
      { state: 'running', port: 20001 },
    );
    await runner.adopt();
    runner.setAssignments([assignment('t1')]);
    await until(() => states('t1').includes('running'));
    expect(executor.callsFor('t1').filter((c) => c === 'start')).toHaveLength(0);
  });

  it('stopAll also stops tasks from a previous run that no assignment claimed yet (a node removed while it was down)', async () => {
    const { runner, executor } = setup();
    executor.seed({ taskId: 'old', serviceId: 's', serviceName: 'x', nodeId: 'n1', nodeHostname: 'h1', image: 'busybox' }, { state: 'running' });
    await runner.adopt();
    await runner.stopAll();
    expect(executor.callsFor('old')).toContain('remove');
  });

  it('reports how an adopted task ended while no runner watched it, and never starts it again', async () => {
    const { runner, executor, reports } = setup();
    executor.seed({ taskId: 'ok', serviceId: 'svc', serviceName: 'web', slot: 1, nodeId: 'n1', nodeHostname: 'h1', image: 'busybox' }, { state: 'exited', exitCode: 0 });
    executor.seed({ taskId: 'bad', serviceId: 'svc', serviceName: 'web', slot: 2, nodeId: 'n1', nodeHostname: 'h1', image: 'busybox' }, { state: 'exited', exitCode: 3 });
    await runner.adopt();
    runner.setAssignments([assignment('ok'), assignment('bad')]);
    await settle();
    expect(reports.filter((r) => r.taskId === 'ok')).toMatchObject([{ state: 'complete', exitCode: 0 }]);
    expect(reports.filter((r) => r.taskId === 'bad')).toMatchObject([{ state: 'failed', exitCode: 3, err: 'task: non-zero exit (3)' }]);
    expect(executor.callsFor('ok')).not.toContain('start');
    expect(executor.callsFor('bad')).not.toContain('start');
  });

  it('reports an adopted task that was asked to stop and did as shut down, not as a failure of its SIGTERM exit', async () => {
    const { runner, executor, reports } = setup();
    executor.seed({ taskId: 'old', serviceId: 'svc', serviceName: 'web', slot: 1, nodeId: 'n1', nodeHostname: 'h1', image: 'busybox' }, { state: 'exited', exitCode: 143 });
    await runner.adopt();
    runner.setAssignments([{ ...assignment('old'), desiredState: 'shutdown' }]);
    await settle();
    expect(reports.filter((r) => r.taskId === 'old').map((r) => r.state)).toEqual(['shutdown']);
  });

  it('fails a task with a published port that dies before it listens at once, never reporting it running', async () => {
    const executor = new FakeExecutor({ portBase: 1 }); // port 1 on loopback: nothing listens
    const reports: TaskStatusUpdate[] = [];
    const runner = new TaskRunner({ executor, nodeId: 'n1', hostname: 'h1', report: (u) => reports.push(u), logger, portHost: '127.0.0.1', readyTimeoutMs: 60_000 });
    runner.setAssignments([{ ...assignment('t1'), publishedPorts: [{ published: 8080, target: 80, protocol: 'tcp', mode: 'ingress' }] }]);
    await until(() => reports.some((r) => r.state === 'starting'));
    executor.exit('t1', 3);
    const t0 = Date.now();
    for (let i = 0; i < 200 && !reports.some((r) => r.state === 'failed'); i++) await new Promise((r) => setTimeout(r, 10));
    expect(Date.now() - t0).toBeLessThan(1_000); // not after the 60 s wait for the port
    expect(reports.map((r) => r.state)).not.toContain('running');
    expect(reports.find((r) => r.state === 'failed')).toMatchObject({ exitCode: 3, err: 'task: non-zero exit (3)' });
    expect(reports.find((r) => r.state === 'failed')?.startedAt).toBeUndefined(); // never ran, for the updater's monitor
  });

  it('a detached runner lets go of its tasks: no more reports, steps or probes, and the task keeps running', async () => {
    const { runner, executor, reports } = setup();
    const checked = { ...assignment('t1'), spec: { container: { image: 'busybox', args: ['sleep', '100'], healthcheck: { test: ['CMD-SHELL', 'true'], intervalMs: 5, retries: 1 } } } };
    runner.setAssignments([checked]);
    for (let i = 0; i < 200 && !reports.some((r) => r.taskId === 't1' && r.state === 'running'); i++) await new Promise((r) => setTimeout(r, 5));
    expect(reports.some((r) => r.taskId === 't1' && r.state === 'running')).toBe(true);
    runner.detach();
    const probes = executor.callsFor('t1').filter((c) => c === 'probe').length;
    const sent = reports.length;
    executor.task('t1')!.healthy = false; // a probe now would fail it
    await new Promise((r) => setTimeout(r, 40));
    runner.setAssignments([{ ...checked, desiredState: 'shutdown' }]);
    await settle();
    expect(executor.callsFor('t1').filter((c) => c === 'probe').length).toBe(probes);
    expect(reports.length).toBe(sent);
    expect(executor.task('t1')!.status().state).toBe('running');
  });

  it('sends when the process started with running and every later report, not before it ran', async () => {
    const { runner, executor, reports } = setup();
    runner.setAssignments([assignment('t1')]);
    await until(() => reports.some((r) => r.taskId === 't1' && r.state === 'running'));
    const running = reports.find((r) => r.state === 'running');
    expect(running?.startedAt).toBe(executor.task('t1')?.status().startedAt);
    expect(reports.filter((r) => r.state !== 'running').every((r) => r.startedAt === undefined)).toBe(true);
    executor.task('t1')!.finish({ exitCode: 2, signal: null });
    await until(() => reports.some((r) => r.taskId === 't1' && r.state === 'failed'));
    expect(reports.find((r) => r.state === 'failed')?.startedAt).toBe(running?.startedAt);
  });

  it('removes a leftover task nobody assigned', async () => {
    const { runner, executor } = setup();
    executor.seed({ taskId: 'old', serviceId: 's', serviceName: 'x', nodeId: 'n1', nodeHostname: 'h1', image: 'busybox' }, { state: 'running' });
    await runner.adopt();
    runner.setAssignments([]);
    await until(() => executor.callsFor('old').includes('remove'));
  });
});

describe('TaskRunner: health checks', () => {
  const checked = (taskId: string, retries = 2): TaskAssignment => ({
    ...assignment(taskId),
    spec: { container: { image: 'busybox', args: ['sleep', '100'], healthcheck: { test: ['CMD-SHELL', 'true'], intervalMs: 5, retries } } },
  });
  const wait = async (cond: () => boolean): Promise<void> => {
    for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 2));
    expect(cond()).toBe(true);
  };
  /** The task's controller, as soon as the runner made it (before its first probe, 5 ms after start). */
  const controllerOf = async (executor: FakeExecutor, taskId: string) => {
    await until(() => executor.task(taskId) !== undefined);
    return executor.task(taskId)!;
  };

  it('keeps a task starting until a probe passes, then runs it', async () => {
    const { runner, executor, states } = setup();
    runner.setAssignments([checked('t1', 1000)]);
    const task = await controllerOf(executor, 't1');
    task.healthy = false;
    await wait(() => executor.callsFor('t1').filter((op) => op === 'probe').length >= 2);
    expect(states('t1')).not.toContain('running');
    expect(states('t1').at(-1)).toBe('starting');
    task.healthy = true;
    await wait(() => states('t1').includes('running'));
    expect(states('t1')).toEqual(['accepted', 'preparing', 'ready', 'starting', 'running']);
  });

  it('probes at the start interval during the start period (--health-start-interval), not at the interval', async () => {
    const { runner, executor, states } = setup();
    const slow: TaskAssignment = {
      ...assignment('t1'),
      spec: { container: { image: 'busybox', args: ['sleep', '100'], healthcheck: { test: ['CMD-SHELL', 'true'], intervalMs: 60_000, startPeriodMs: 60_000, startIntervalMs: 5 } } },
    };
    runner.setAssignments([slow]);
    const task = await controllerOf(executor, 't1');
    task.healthy = false;
    await wait(() => executor.callsFor('t1').filter((op) => op === 'probe').length >= 3);
    task.healthy = true;
    await wait(() => states('t1').includes('running'));
  });

  it('fails a task that never passes as unhealthy before it ran, and one that stops passing after', async () => {
    const { runner, executor, reports, states } = setup();
    runner.setAssignments([checked('never')]);
    (await controllerOf(executor, 'never')).healthy = false;
    await wait(() => states('never').includes('failed'));
    expect(states('never')).not.toContain('running');
    expect(reports.find((r) => r.taskId === 'never' && r.state === 'failed')?.err).toBe('dockerexec: unhealthy container');

    runner.setAssignments([checked('later')]);
    await wait(() => states('later').includes('running'));
    executor.task('later')!.healthy = false;
    await wait(() => states('later').includes('failed'));
    expect(reports.find((r) => r.taskId === 'later' && r.state === 'failed')).toMatchObject({ exitCode: 143, err: 'task: non-zero exit (143): dockerexec: unhealthy container' });
    expect(executor.callsFor('later')).toContain('shutdown');
  });

  it('stops probing a task that is shut down', async () => {
    const { runner, executor, states } = setup();
    runner.setAssignments([checked('t1')]);
    await wait(() => states('t1').includes('running'));
    runner.setAssignments([{ ...checked('t1'), desiredState: 'shutdown' }]);
    await wait(() => states('t1').includes('shutdown'));
    const probes = executor.callsFor('t1').filter((op) => op === 'probe').length;
    await new Promise((r) => setTimeout(r, 30));
    expect(executor.callsFor('t1').filter((op) => op === 'probe').length).toBe(probes);
  });
});

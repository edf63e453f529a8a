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

  it('removes a leftover task nobody assigned', async () => {
    const { runner, executor } = setup();
    executor.seed({ taskId: 'old', serviceId: 's', serviceName: 'x', nodeId: 'n1', nodeHostname: 'h1', image: 'busybox' }, { state: 'running' });
    await runner.adopt();
    runner.setAssignments([]);
    await until(() => executor.callsFor('old').includes('remove'));
  });
});

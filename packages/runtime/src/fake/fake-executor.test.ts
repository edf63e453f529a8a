import { describe, expect, it } from 'vitest';
import { executorCompliance } from '../test-support/executor-compliance';
import type { LogRecord, TaskRuntimeSpec } from '../types';
import { FakeExecutor } from './fake-executor';

function spec(taskId: string, over: Partial<TaskRuntimeSpec> = {}): TaskRuntimeSpec {
  return {
    taskId,
    serviceId: 's1',
    serviceName: 'web',
    nodeId: 'n1',
    nodeHostname: 'node-one',
    image: 'busybox',
    command: ['sleep', '30'],
    ...over,
  };
}

executorCompliance('FakeExecutor', async () => {
  const fake = new FakeExecutor();
  return {
    executor: fake,
    spec: (id) => spec(id),
    afterStart: (id) => {
      fake.log(id, 'stdout', 'hello');
      fake.log(id, 'stderr', 'oops');
    },
    cleanup: async () => undefined,
  };
});

describe('FakeExecutor', () => {
  it('moves a task only when the test says so, recording every call', async () => {
    const fake = new FakeExecutor();
    const c = fake.controller(spec('t1'));
    await c.prepare();
    await c.start();
    let exited = false;
    const waited = c.wait().then((s) => ((exited = true), s));
    await Promise.resolve();
    expect(exited).toBe(false);
    fake.exit('t1', 3);
    expect(await waited).toEqual({ exitCode: 3, signal: null });
    expect(c.status()).toMatchObject({ state: 'exited', exitCode: 3 });
    expect(fake.callsFor('t1')).toEqual(['prepare', 'start', 'wait']);
  });

  it('fails the next prepare or start on request', async () => {
    const fake = new FakeExecutor();
    fake.failNextPrepare(new Error('disk full'));
    const c = fake.controller(spec('t1'));
    await expect(c.prepare()).rejects.toThrow('disk full');
    await c.prepare(); // only the next one fails
    fake.failNextStart(new Error('exec failed'));
    await expect(c.start()).rejects.toThrow('exec failed');
    expect(await c.wait()).toMatchObject({ exitCode: null, error: 'exec failed' });
  });

  it('rejects nginx on a node without it, as the process runtime does', async () => {
    const fake = new FakeExecutor({ images: ['shoal/whoami'] });
    const c = fake.controller(spec('t1', { image: 'nginx:1.25', command: [] }));
    await expect(c.prepare()).rejects.toMatchObject({
      code: 'IMAGE_NOT_SUPPORTED',
      message: 'nginx is not installed on this node',
    });
    await fake.controller(spec('t2', { image: 'shoal/whoami', command: [] })).prepare();
  });

  it('holds shutdown until the task exits', async () => {
    const fake = new FakeExecutor();
    const c = fake.controller(spec('t1'));
    await c.prepare();
    await c.start();
    fake.holdShutdown('t1');
    let done = false;
    const stopping = c.shutdown().then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    fake.exit('t1', 0);
    await stopping;
    expect(c.status().state).toBe('exited');
  });

  it('adopts seeded tasks from a "previous run"', async () => {
    const fake = new FakeExecutor();
    fake.seed(spec('live'), { port: 20500 });
    fake.seed(spec('dead'), { state: 'exited', exitCode: 1 });
    const adopted = await fake.adopt();
    expect(adopted.map((a) => [a.spec.taskId, a.alive])).toEqual([
      ['live', true],
      ['dead', false],
    ]);
    expect(adopted[0]?.controller.endpoint()).toEqual({ port: 20500 });
    await adopted[0]?.controller.shutdown();
    expect(adopted[0]?.controller.status().state).toBe('exited');
  });

  it('applies tail and since to log records, with a deterministic clock', async () => {
    const fake = new FakeExecutor();
    const c = fake.controller(spec('t1'));
    await c.prepare();
    await c.start();
    for (let i = 0; i < 5; i++) fake.log('t1', 'stdout', `line ${i}`);
    const read = async (opts: Parameters<typeof c.logs>[0]): Promise<string[]> => {
      const out: LogRecord[] = [];
      for await (const r of c.logs(opts)) out.push(r);
      return out.map((r) => r.line);
    };
    expect(await read({ tail: 2 })).toEqual(['line 3', 'line 4']);
    // start took 00.000, lines 00.001 … 00.005
    expect(await read({ since: new Date(Date.UTC(2024, 0, 1, 0, 0, 0, 4)) })).toEqual(['line 3', 'line 4']);
    await expect(read({ stdout: false, stderr: false })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

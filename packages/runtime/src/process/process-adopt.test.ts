// Agent restart: a new ProcessExecutor on the same stateDir finds the tasks the
// old one started, tells live from dead by (pid, start time), and can stop them.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectLogs, hasLines } from '../test-support/executor-compliance';
import { eventually, killGroup, ProcessHarness } from '../test-support/process-harness';
import { groupMembers, isSameProcessAlive } from './proc';
import { readStateFile, writeStateFile } from './state-file';

describe('ProcessExecutor adoption', () => {
  let h: ProcessHarness;
  beforeEach(() => {
    h = new ProcessHarness([31400, 31449]);
  });
  afterEach(async () => {
    await h.cleanup();
  });

  async function startThenRestart(script: string) {
    const before = h.executor();
    const c = before.controller(h.spec('keep', { command: ['/bin/sh', '-c', script] }));
    await c.prepare();
    await c.start();
    await collectLogs(c, hasLines('one'));
    const { pid, port } = c.status();
    await before.close(); // the agent goes away; the task does not
    return { pid: pid ?? 0, port: port ?? 0, after: h.executor() };
  }

  it('finds a live task, keeps its port and log, pumps new output and can shut it down', async () => {
    // Steps wait for marker files in the task's work dir (its cwd), so the test decides what happens when.
    const script = [
      'echo one',
      'until [ -e go ]; do sleep 0.02; done; echo two; touch wrote-two',
      'until [ -e go2 ]; do sleep 0.02; done; echo three',
      'exec sleep 30',
    ].join('; ');
    const { pid, port, after } = await startThenRestart(script);
    const dir = path.join(h.stateDir, 'keep', 'work');
    await fsp.writeFile(path.join(dir, 'go'), '');
    // "two" is written while no agent reads the task's output.
    await eventually(() => fsp.access(path.join(dir, 'wrote-two')).then(() => true, () => false), (x) => x);
    const adopted = await after.adopt();
    expect(adopted).toHaveLength(1);
    const [task] = adopted;
    expect(task).toMatchObject({ alive: true, spec: { taskId: 'keep' } });
    const c = task!.controller;
    expect(c.status()).toMatchObject({ state: 'running', pid, port });
    expect(c.endpoint()).toEqual({ port });
    await fsp.writeFile(path.join(dir, 'go2'), '');
    const lines = await collectLogs(c, hasLines('one', 'two', 'three'));
    expect(lines.map((r) => r.line)).toEqual(['one', 'two', 'three']);
    // The adopted port is not handed out again.
    const other = after.controller(h.spec('other'));
    await other.prepare();
    expect(other.status().port).not.toBe(port);
    await c.shutdown();
    // Not our child, but its shim recorded how it ended: SIGTERM, as Docker reports it.
    expect(await c.wait()).toEqual({ exitCode: 143, signal: 'SIGTERM' });
    expect(await eventually(() => groupMembers(pid), (m) => m.length === 0)).toEqual([]);
    expect(c.status().state).toBe('exited');
    // adopt() again returns the same controller: never two copies of a task.
    expect((await after.adopt()).find((a) => a.spec.taskId === 'keep')?.controller).toBe(c);
  });

  it('keeps the exit status of a task that ended while the agent was away', async () => {
    const { pid, after } = await startThenRestart('echo one; until [ -e done ]; do sleep 0.02; done; exit 7');
    await fsp.writeFile(path.join(h.stateDir, 'keep', 'work', 'done'), '');
    await eventually(() => groupMembers(pid), (m) => m.length === 0);
    const [task] = await after.adopt();
    expect(task).toMatchObject({ alive: false });
    expect(await task?.controller.wait()).toEqual({ exitCode: 7, signal: null });
    expect(task?.controller.status()).toMatchObject({ state: 'exited', exitCode: 7 });
  });

  it('keeps the exit status of a task that ends after adoption', async () => {
    const { after } = await startThenRestart('echo one; until [ -e done ]; do sleep 0.02; done; exit 5');
    const [task] = await after.adopt();
    expect(task).toMatchObject({ alive: true });
    await fsp.writeFile(path.join(h.stateDir, 'keep', 'work', 'done'), '');
    expect(await task?.controller.wait()).toEqual({ exitCode: 5, signal: null });
  });

  it('reports a task killed while the agent was away as exited, status unknown', async () => {
    const { pid, after } = await startThenRestart('echo one; exec sleep 30');
    const dir = path.join(h.stateDir, 'keep');
    const recorded = await readStateFile(dir);
    const startTime = recorded.kind === 'ok' ? (recorded.record.procStartTime ?? '') : '';
    killGroup(pid);
    await eventually(() => isSameProcessAlive(pid, startTime), (alive) => !alive);
    const [task] = await after.adopt();
    expect(task).toMatchObject({ alive: false });
    expect(task?.controller.status()).toMatchObject({ state: 'exited', exitCode: null });
    expect(await task?.controller.wait()).toMatchObject({ exitCode: null });
    const state = await readStateFile(dir);
    expect(state).toMatchObject({ kind: 'ok', record: { state: 'exited' } });
    await task?.controller.remove();
    expect(await after.adopt()).toEqual([]);
  });

  it('does not take a recycled pid for the task', async () => {
    const { pid, after } = await startThenRestart('echo one; exec sleep 30');
    // Same pid, different start time: as if the task died and the pid went to another process.
    const dir = path.join(h.stateDir, 'keep');
    const read = await readStateFile(dir);
    if (read.kind !== 'ok') throw new Error('no state');
    await writeStateFile(dir, { ...read.record, procStartTime: '1' });
    const [task] = await after.adopt();
    expect(task?.alive).toBe(false);
    // And it must not have been signalled: it is "someone else's" process now.
    expect(await isSameProcessAlive(pid, read.record.procStartTime ?? '')).toBe(true);
    killGroup(pid);
  });

  it('refuses to prepare a second copy of a live task', async () => {
    const { after } = await startThenRestart('echo one; exec sleep 30');
    // The agent forgot to adopt and asks for the same task again.
    await expect(after.controller(h.spec('keep')).prepare()).rejects.toMatchObject({ code: 'TASK_EXISTS' });
  });

  it('skips dirs without usable state', async () => {
    await fsp.mkdir(path.join(h.stateDir, 'junk'), { recursive: true });
    await fsp.writeFile(path.join(h.stateDir, 'junk', 'state.json'), '{not json');
    expect(await h.executor().adopt()).toEqual([]);
  });
});

// The contract every Executor keeps, run against both the FakeExecutor and the
// ProcessExecutor so the agent's tests against the fake mean something.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Executor, LogRecord, TaskController, TaskRuntimeSpec } from '../types';

export interface ComplianceHarness {
  executor: Executor;
  /** A task that, once started, writes "hello" to stdout and "oops" to stderr, then runs until stopped. */
  spec(taskId: string): TaskRuntimeSpec;
  /** Drive a started task to produce that output, where nothing else will (the fake). */
  afterStart?(taskId: string): void;
  cleanup(): Promise<void>;
}

/** Follows `c`'s logs until `done` says enough, or fails after `ms`. */
export async function collectLogs(
  c: TaskController,
  done: (records: LogRecord[]) => boolean,
  ms = 5000,
): Promise<LogRecord[]> {
  const records: LogRecord[] = [];
  const signal = AbortSignal.timeout(ms);
  for await (const r of c.logs({ follow: true, signal })) {
    records.push(r);
    if (done(records)) return records;
  }
  throw new Error(`log condition not met within ${ms} ms; got ${JSON.stringify(records)}`);
}

export const hasLines = (...lines: string[]) => (records: LogRecord[]) =>
  lines.every((l) => records.some((r) => r.line === l));

export function executorCompliance(name: string, make: () => Promise<ComplianceHarness>): void {
  describe(`Executor contract: ${name}`, () => {
    let h: ComplianceHarness;
    beforeEach(async () => {
      h = await make();
    });
    afterEach(async () => {
      await h.cleanup();
    });

    async function running(taskId: string): Promise<TaskController> {
      const c = h.executor.controller(h.spec(taskId));
      await c.prepare();
      await c.start();
      h.afterStart?.(taskId);
      return c;
    }

    it('moves prepare → start → running, with a port endpoint', async () => {
      const c = h.executor.controller(h.spec('t1'));
      expect(c.status().state).toBe('new');
      expect(c.endpoint()).toBeNull();
      await c.prepare();
      expect(c.status().state).toBe('prepared');
      await c.start();
      const status = c.status();
      expect(status).toMatchObject({ state: 'running', pid: expect.any(Number), port: expect.any(Number) });
      expect(c.endpoint()).toEqual({ port: status.port });
      await c.prepare(); // idempotent
      await c.start();
      expect(c.status().pid).toBe(status.pid);
    });

    it('returns the same controller for the same task id', () => {
      expect(h.executor.controller(h.spec('t1'))).toBe(h.executor.controller(h.spec('t1')));
    });

    it('gives two tasks different ports', async () => {
      const a = await running('a');
      const b = await running('b');
      expect(a.endpoint()?.port).not.toBe(b.endpoint()?.port);
    });

    it('ends wait() on shutdown and reports exited', async () => {
      const c = await running('t1');
      const waited = c.wait();
      await c.shutdown();
      const status = await waited;
      expect(status.signal === 'SIGTERM' || status.exitCode !== null).toBe(true);
      expect(c.status().state).toBe('exited');
      expect(c.endpoint()).toBeNull();
      await expect(c.start()).rejects.toMatchObject({ code: 'INVALID_STATE' });
    });

    it('terminate() kills at once', async () => {
      const c = await running('t1');
      await c.terminate();
      expect(await c.wait()).toMatchObject({ signal: 'SIGKILL', exitCode: 137 });
    });

    it('rejects start before prepare, and wait before start', async () => {
      const c = h.executor.controller(h.spec('t1'));
      await expect(c.start()).rejects.toMatchObject({ code: 'INVALID_STATE' });
      await expect(c.wait()).rejects.toMatchObject({ code: 'INVALID_STATE' });
    });

    it('abandons wait() on abort without stopping the task', async () => {
      const c = await running('t1');
      const ac = new AbortController();
      const waited = c.wait(ac.signal);
      ac.abort(new Error('gave up'));
      await expect(waited).rejects.toThrow('gave up');
      expect(c.status().state).toBe('running');
      await c.shutdown();
    });

    it('returns both streams from logs, filtered by stream', async () => {
      const c = await running('t1');
      const seen = await collectLogs(c, hasLines('hello', 'oops'));
      expect(seen.find((r) => r.line === 'hello')?.stream).toBe('stdout');
      expect(seen.find((r) => r.line === 'oops')?.stream).toBe('stderr');
      const errOnly: LogRecord[] = [];
      for await (const r of c.logs({ stdout: false })) errOnly.push(r);
      expect(errOnly.map((r) => r.line)).toEqual(['oops']);
      expect(errOnly[0]?.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    });

    it('ends a followed log when the task exits', async () => {
      const c = await running('t1');
      await collectLogs(c, hasLines('hello'));
      const followed = (async () => {
        const out: LogRecord[] = [];
        for await (const r of c.logs({ follow: true, tail: 0 })) out.push(r);
        return out;
      })();
      await c.shutdown();
      await expect(followed).resolves.toBeInstanceOf(Array);
    });

    it('cleans up on remove', async () => {
      const c = await running('t1');
      expect((await h.executor.adopt()).map((a) => a.spec.taskId)).toEqual(['t1']);
      await c.remove();
      expect(await h.executor.adopt()).toEqual([]);
      const again = h.executor.controller(h.spec('t1'));
      expect(again).not.toBe(c);
      expect(again.status().state).toBe('new');
      await expect(c.start()).rejects.toMatchObject({ code: 'INVALID_STATE' });
    });

    it('lists a live task as alive in adopt()', async () => {
      const c = await running('t1');
      const [found] = await h.executor.adopt();
      expect(found).toMatchObject({ alive: true, spec: { taskId: 't1' } });
      expect(found?.controller).toBe(c);
    });

    it('refuses an image without a command', async () => {
      const c = h.executor.controller({ ...h.spec('t1'), image: 'example/unknown:1', command: [], args: [] });
      await expect(c.prepare()).rejects.toMatchObject({ code: 'NO_COMMAND', message: 'no command specified' });
    });
  });
}

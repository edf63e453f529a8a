// Task logs with real processes: tail, since, follow and rotation.
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectLogs, hasLines } from '../test-support/executor-compliance';
import { ProcessHarness } from '../test-support/process-harness';
import type { LogOptions, LogRecord, TaskController } from '../types';

async function read(c: TaskController, opts: LogOptions = {}): Promise<string[]> {
  const out: LogRecord[] = [];
  for await (const r of c.logs(opts)) out.push(r);
  return out.map((r) => r.line);
}

describe('ProcessExecutor logs', () => {
  let h: ProcessHarness;
  beforeEach(() => {
    h = new ProcessHarness([31200, 31249]);
  });
  afterEach(async () => {
    await h.cleanup();
  });

  async function run(script: string, options: Parameters<ProcessHarness['executor']>[0] = {}): Promise<TaskController> {
    const c = h.executor(options).controller(h.spec('logs1', { command: ['/bin/sh', '-c', script] }));
    await c.prepare();
    await c.start();
    return c;
  }

  it('returns the last N lines with tail', async () => {
    const c = await run('for i in 1 2 3 4 5 6 7 8 9 10; do echo $i; done; exec sleep 30');
    await collectLogs(c, hasLines('10'));
    expect(await read(c, { tail: 3 })).toEqual(['8', '9', '10']);
    expect(await read(c, { tail: 0 })).toEqual([]);
    expect(await read(c, { tail: 'all' })).toHaveLength(10);
  });

  it('returns lines written at or after `since`', async () => {
    const c = await run('echo a; echo b; sleep 0.3; echo c; echo d; exec sleep 30');
    const seen = await collectLogs(c, hasLines('d'));
    const cTime = seen.find((r) => r.line === 'c')?.time ?? '';
    const since = new Date(Math.floor(Date.parse(cTime))); // ms precision, at or before c
    expect(await read(c, { since })).toEqual(['c', 'd']);
  });

  it('follows new lines and ends when the task exits', async () => {
    const c = await run('echo first; sleep 0.2; echo second >&2; sleep 0.2; echo third');
    const lines = await read(c, { follow: true });
    expect(lines).toEqual(['first', 'second', 'third']);
    expect(c.status().state).toBe('exited');
    expect(await read(c, { stderr: false })).toEqual(['first', 'third']);
  });

  it('ends a follow on abort while the task runs on', async () => {
    const c = await run('echo only; exec sleep 30');
    await collectLogs(c, hasLines('only'));
    const ac = new AbortController();
    const following = read(c, { follow: true, signal: ac.signal });
    ac.abort();
    expect(await following).toEqual(['only']);
    expect(c.status().state).toBe('running');
  });

  it('keeps the log bounded by rotating', async () => {
    const c = await run('i=0; while [ $i -lt 200 ]; do echo "line $i"; i=$((i+1)); done', { logMaxBytes: 2000 });
    await c.wait();
    expect(readdirSync(path.join(h.stateDir, 'logs1')).filter((f) => f.startsWith('log.')).sort()).toEqual([
      'log.jsonl',
      'log.jsonl.1',
    ]);
    const lines = await read(c);
    expect(lines.at(-1)).toBe('line 199');
    expect(lines.length).toBeLessThan(60);
  });
});

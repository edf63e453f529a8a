// ProcessExecutor with real host processes: lifecycle, process groups, signals.
// Every test kills what it started by PID in afterEach (ProcessHarness.cleanup).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectLogs, executorCompliance, hasLines } from '../test-support/executor-compliance';
import { eventually, ProcessHarness } from '../test-support/process-harness';
import { groupMembers } from './proc';

/** A killed process leaves its group a moment after its pipes close. */
const noMembers = (pgid: number): Promise<number[]> => eventually(() => groupMembers(pgid), (m) => m.length === 0);

executorCompliance('ProcessExecutor', async () => {
  const h = new ProcessHarness([31000, 31049]);
  return { executor: h.executor(), spec: (id) => h.spec(id), cleanup: () => h.cleanup() };
});

describe('ProcessExecutor', () => {
  let h: ProcessHarness;
  beforeEach(() => {
    h = new ProcessHarness([31050, 31099]);
  });
  afterEach(async () => {
    await h.cleanup();
  });

  it('runs a command as given, with PORT and SHOAL_* in a clean environment', async () => {
    process.env['SHOAL_TEST_SECRET'] = 'leak';
    const script =
      'echo "port=$PORT task=$SHOAL_TASK_ID svc=$SHOAL_SERVICE_NAME/$SHOAL_SERVICE_ID slot=$SHOAL_TASK_SLOT' +
      ' node=$SHOAL_NODE_ID/$SHOAL_NODE_HOSTNAME x=$X secret=$SHOAL_TEST_SECRET"';
    const c = h.executor().controller(h.spec('env1', { command: ['/bin/sh', '-c', script], env: ['X=1=2'] }));
    try {
      await c.prepare();
      await c.start();
    } finally {
      delete process.env['SHOAL_TEST_SECRET'];
    }
    expect(await c.wait()).toEqual({ exitCode: 0, signal: null });
    const lines: string[] = [];
    for await (const r of c.logs()) lines.push(r.line);
    expect(lines).toEqual([`port=${c.status().port} task=env1 svc=web/svc1 slot=1 node=node1/node-one x=1=2 secret=`]);
  });

  it('stops the whole process group on shutdown, well within the grace period', async () => {
    const c = h.executor().controller(
      h.spec('grp', { command: ['/bin/sh', '-c', 'sleep 30 & echo hello; echo oops >&2; wait'] }),
    );
    await c.prepare();
    await c.start();
    await collectLogs(c, hasLines('hello', 'oops'));
    const pgid = c.status().pid ?? 0;
    expect((await groupMembers(pgid)).length).toBe(3); // the shim, sh and its sleep
    const t0 = Date.now();
    await c.shutdown();
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(await c.wait()).toEqual({ exitCode: 143, signal: 'SIGTERM' });
    expect(await noMembers(pgid)).toEqual([]);
    // The task's log holds the program's output only (not the shim's report of a killed job).
    expect((await collectLogs(c, hasLines('hello', 'oops'))).map((r) => r.line)).toEqual(['hello', 'oops']);
  });

  it("reports the program's own PID as the main one (Docker's container PID): a signal to it reaches the program", async () => {
    const c = h.executor().controller(h.spec('main', { command: ['/bin/sh', '-c', 'echo pid=$$; exec sleep 30'] }));
    await c.prepare();
    await c.start();
    const [line] = (await collectLogs(c, (records) => records.some((r) => r.line.startsWith('pid='))))
      .map((r) => r.line)
      .filter((l) => l.startsWith('pid='));
    const program = Number(line?.slice(4));
    expect(c.status()).toMatchObject({ state: 'running', mainPid: program });
    expect(c.status().pid).not.toBe(program); // the shim leads the group
    process.kill(program, 'SIGTERM');
    expect(await c.wait()).toEqual({ exitCode: 143, signal: 'SIGTERM' });
  });

  it('does not lose a stop signal sent as soon as the start returns (the program runs by then)', async () => {
    for (const [i, stopSignal, code] of [[0, 'SIGTERM', 143], [1, 'SIGINT', 130], [2, 'SIGTERM', 143], [3, 'SIGINT', 130]] as const) {
      const c = h.executor().controller(h.spec(`quick${i}`, { command: ['sleep', '30'], stopSignal, stopGracePeriodMs: 5000 }));
      await c.prepare();
      await c.start();
      const t0 = Date.now();
      await c.shutdown();
      expect({ i, took: Date.now() - t0 < 2000, status: await c.wait() }).toEqual({ i, took: true, status: { exitCode: code, signal: stopSignal } });
      await c.remove();
    }
  });

  it('gives the program its argv as written and the task environment only (no PWD from the shim)', async () => {
    const c = h.executor().controller(h.spec('argv', { command: ['sh', '-c', 'echo "0=$0"'] }));
    await c.prepare();
    await c.start();
    expect(await c.wait()).toMatchObject({ exitCode: 0 });
    expect((await collectLogs(c, hasLines('0=sh'))).map((r) => r.line)).toEqual(['0=sh']);
    const e = h.executor().controller(h.spec('envlist', { command: ['env'] }));
    await e.prepare();
    await e.start();
    expect(await e.wait()).toMatchObject({ exitCode: 0 });
    const lines: string[] = [];
    for await (const r of e.logs()) lines.push(r.line); // an exited task's whole log
    expect(lines.some((l) => l.startsWith('SHOAL_TASK_ID='))).toBe(true);
    expect(lines.filter((l) => l.startsWith('PWD='))).toEqual([]);
  });

  it('leaves a signal to the group to the program: one it handles does not end the task', async () => {
    const c = h.executor().controller(
      h.spec('usr1', { command: ['/bin/sh', '-c', 'trap "echo got USR1" USR1; echo ready; while true; do sleep 0.05; done'] }),
    );
    await c.prepare();
    await c.start();
    await collectLogs(c, hasLines('ready'));
    const pgid = c.status().pid ?? 0;
    process.kill(-pgid, 'SIGUSR1');
    await collectLogs(c, hasLines('ready', 'got USR1'));
    expect(c.status().state).toBe('running');
    await c.shutdown();
  });

  it('stops a task with its --stop-signal', async () => {
    const c = h.executor().controller(
      h.spec('sigint', {
        command: ['/bin/sh', '-c', 'trap "echo got INT; exit 3" INT; echo ready; while true; do sleep 0.1; done'],
        stopSignal: 'SIGINT',
      }),
    );
    await c.prepare();
    await c.start();
    await collectLogs(c, hasLines('ready'));
    const t0 = Date.now();
    await c.shutdown();
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(await c.wait()).toEqual({ exitCode: 3, signal: null });
    await collectLogs(c, hasLines('ready', 'got INT'));
  });

  it('runs a task as its --user, with HOME from passwd and / as its directory; an unknown user fails the start', async () => {
    const c = h.executor().controller(h.spec('usr', { command: ['/bin/sh', '-c', 'id -u; echo "home=$HOME"; pwd'], user: 'nobody' }));
    await c.prepare();
    if (process.getuid?.() === 0) {
      await c.start();
      expect(await c.wait()).toEqual({ exitCode: 0, signal: null });
      const nobody = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('nobody:'))?.split(':') ?? [];
      await collectLogs(c, hasLines(nobody[2] ?? '65534', `home=${nobody[5] ?? '/'}`, '/'));
    } else {
      // Only root may change a process's user.
      await expect(c.start()).rejects.toThrow();
    }
    const ghost = h.executor().controller(h.spec('ghost', { command: ['/bin/true'], user: 'no-such-user-here' }));
    await ghost.prepare();
    await expect(ghost.start()).rejects.toThrow('unable to find user no-such-user-here: no matching entries in passwd file');
  });

  it('SIGKILLs a task that ignores SIGTERM once the grace period is over', async () => {
    const c = h.executor().controller(
      h.spec('stubborn', {
        command: ['/bin/sh', '-c', 'trap "" TERM; echo ready; while true; do sleep 1; done'],
        stopGracePeriodMs: 300,
      }),
    );
    await c.prepare();
    await c.start();
    await collectLogs(c, hasLines('ready')); // the trap is in place
    const pgid = c.status().pid ?? 0;
    const t0 = Date.now();
    await c.shutdown();
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(5000);
    expect(await c.wait()).toEqual({ exitCode: 137, signal: 'SIGKILL' });
    expect(await noMembers(pgid)).toEqual([]);
  });

  it('kills what is left of the group when the main process exits', async () => {
    const c = h.executor().controller(h.spec('orphans', { command: ['/bin/sh', '-c', 'sleep 30 & echo started'] }));
    await c.prepare();
    await c.start();
    expect(await c.wait()).toEqual({ exitCode: 0, signal: null });
    expect(await noMembers(c.status().pid ?? 0)).toEqual([]);
  });

  it('reports a missing executable in Docker words, and the task as exited', async () => {
    const c = h.executor().controller(h.spec('nosuch', { command: ['no-such-binary-xyz'] }));
    await c.prepare();
    await expect(c.start()).rejects.toMatchObject({
      code: 'EXECUTABLE_NOT_FOUND',
      message: 'exec: "no-such-binary-xyz": executable file not found in $PATH',
    });
    expect(await c.wait()).toMatchObject({ exitCode: null, error: expect.stringContaining('no-such-binary-xyz') });
    expect(c.status().state).toBe('exited');
  });

  it('reports a file that cannot be run in Docker words', async () => {
    const plain = path.join(path.dirname(h.stateDir), 'plain.txt');
    writeFileSync(plain, 'not a program\n', { mode: 0o644 });
    const c = h.executor().controller(h.spec('noexec', { command: [plain] }));
    await c.prepare();
    await expect(c.start()).rejects.toMatchObject({ code: 'START_FAILED', message: `exec: "${plain}": permission denied` });
    const d = h.executor().controller(h.spec('nofile', { command: ['/no/such/file'] }));
    await d.prepare();
    await expect(d.start()).rejects.toMatchObject({ message: 'exec: "/no/such/file": stat /no/such/file: no such file or directory' });
  });

  it('rejects a relative or missing workdir at prepare', async () => {
    const e = h.executor();
    await expect(e.controller(h.spec('w1', { workdir: 'rel' })).prepare()).rejects.toMatchObject({ code: 'INVALID_SPEC' });
    await expect(e.controller(h.spec('w2', { workdir: '/no/such/dir' })).prepare()).rejects.toMatchObject({
      code: 'INVALID_SPEC',
    });
    const c = e.controller(h.spec('w3', { workdir: '/tmp', command: ['/bin/sh', '-c', 'pwd'] }));
    await c.prepare();
    await c.start();
    await c.wait();
    expect(await collectLogs(c, hasLines('/tmp'))).toHaveLength(1);
  });

  it('keeps state in <stateDir>/<taskId> and deletes it on remove, freeing the port', async () => {
    const e = h.executor({ portRange: [31090, 31090] });
    const c = e.controller(h.spec('r1'));
    await c.prepare();
    await c.start();
    const dir = path.join(h.stateDir, 'r1');
    expect(existsSync(path.join(dir, 'state.json'))).toBe(true);
    expect(existsSync(path.join(dir, 'log.jsonl'))).toBe(true);
    await expect(e.controller(h.spec('r2')).prepare()).rejects.toMatchObject({ code: 'NO_PORT_AVAILABLE' });
    await c.remove(); // running: terminated first
    expect(existsSync(dir)).toBe(false);
    await e.controller(h.spec('r2')).prepare();
  });

  it('refuses task ids that are not plain names', () => {
    expect(() => h.executor().controller(h.spec('../etc'))).toThrow(/invalid task id/);
  });

  it('describes itself', () => {
    const d = h.executor({ nginxPath: '/no/such/nginx' }).describe();
    expect(d).toEqual({ runtime: 'process', images: ['shoal/whoami'] });
  });
});

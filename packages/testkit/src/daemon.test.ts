// startDaemon against the fake shoald (test-support/fakes.ts): readiness, kill/stop/restart
// by PID, logs, and the CLI helpers. Needs no real binaries.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startDaemon, type DaemonHandle, type StartDaemonOptions } from './daemon';
import { CommandFailedError, DaemonStartError, TestkitConfigError } from './errors';
import { isAlive } from './proc';
import { writeFakes } from './test-support/fakes';
import { registerCleanup } from './vitest-hooks';
import { waitFor } from './wait-for';

const fakesDir = mkdtempSync(join(tmpdir(), 'shoal-testkit-fakes-'));
const fakes = writeFakes(fakesDir);
afterAll(() => rmSync(fakesDir, { recursive: true, force: true }));
registerCleanup();

function fakeDaemon(name: string, env: NodeJS.ProcessEnv = {}, extra: Partial<StartDaemonOptions> = {}): Promise<DaemonHandle> {
  return startDaemon({ name, ip: '127.0.9.1', daemonScript: fakes.daemonScript, cliScript: fakes.cliScript, env, ...extra });
}

describe('startDaemon', () => {
  it('resolves only once GET /_ping answers', async () => {
    const daemon = await fakeDaemon('late', { FAKE_SHOALD_LISTEN_DELAY_MS: '400' });
    expect(await daemon.ping()).toEqual({ ok: true, swarm: 'inactive' });
    expect(daemon.running).toBe(true);
    expect(isAlive(daemon.pid)).toBe(true);
    expect(daemon.socketPath).toBe(join(daemon.dataDir, 'shoald.sock'));
    expect(daemon.dataDir).toMatch(/shoal-test-[^/]+\/late$/);
    expect(daemon.logs()).toContain('"msg":"listening"');
    expect(daemon.logs()).toContain('--hostname late');
  });

  it('kill() SIGKILLs the daemon and the processes it spawned, by PID', async () => {
    const daemon = await fakeDaemon('crash', { FAKE_SHOALD_TASK: '1' });
    const taskPidFile = join(daemon.dataDir, 'task.pid');
    const taskPid = Number(await waitFor(() => existsSync(taskPidFile) && readFileSync(taskPidFile, 'utf8'), { what: 'task.pid' }));
    const pid = daemon.pid;
    await daemon.kill();
    expect(daemon.running).toBe(false);
    expect(isAlive(pid)).toBe(false);
    await waitFor(() => !isAlive(taskPid), { what: `task pid ${taskPid} to die` });
  });

  it('stop() waits for a clean exit after SIGTERM', async () => {
    const daemon = await fakeDaemon('clean');
    expect(await daemon.stop()).toEqual({ code: 0, signal: null });
    expect(daemon.logs()).toContain('SIGTERM: shutting down');
    expect(await daemon.stop()).toEqual({ code: 0, signal: null }); // idempotent
  });

  it('stop() SIGKILLs a daemon that ignores SIGTERM past the deadline', async () => {
    const daemon = await fakeDaemon('stubborn', { FAKE_SHOALD_IGNORE_TERM: '1' });
    const status = await daemon.stop({ timeoutMs: 300 });
    expect(status).toEqual({ code: null, signal: 'SIGKILL' });
    expect(daemon.logs()).toContain('ignoring SIGTERM');
    expect(daemon.logs()).toMatch(/still running 300ms after SIGTERM; SIGKILL/);
  });

  it('stop() kills tasks the daemon left behind unless told to keep them', async () => {
    const daemon = await fakeDaemon('leaky', { FAKE_SHOALD_TASK: '1' });
    const taskPidFile = join(daemon.dataDir, 'task.pid');
    const taskPid = Number(await waitFor(() => existsSync(taskPidFile) && readFileSync(taskPidFile, 'utf8'), { what: 'task.pid' }));
    await daemon.stop();
    await waitFor(() => !isAlive(taskPid), { what: `task pid ${taskPid} to die` });
    expect(daemon.logs()).toContain(`killed 1 leftover process(es) after exit: ${taskPid}`);
  });

  it('restart() runs a new process on the same data dir and waits for /_ping', async () => {
    const daemon = await fakeDaemon('phoenix');
    const firstPid = daemon.pid;
    await daemon.kill();
    await daemon.restart();
    expect(daemon.pid).not.toBe(firstPid);
    expect((await daemon.ping()).ok).toBe(true);
    expect(daemon.logs().match(/fake shoald starting/g)).toHaveLength(2);
  });

  it('fails fast, with the log tail, when the daemon exits before answering', async () => {
    const failure = fakeDaemon('dies', { FAKE_SHOALD_EXIT_CODE: '3' });
    await expect(failure).rejects.toThrow(DaemonStartError);
    await expect(failure).rejects.toThrow(/shoald dies exited \(code 3\) before answering GET \/_ping[^]*exiting at once/);
  });

  it('gives up after readyTimeoutMs, kills the process and shows the log tail', async () => {
    const failure = fakeDaemon('mute', { FAKE_SHOALD_NO_LISTEN: '1' }, { readyTimeoutMs: 400 });
    const error = (await failure.catch((e: unknown) => e)) as DaemonStartError;
    expect(error).toBeInstanceOf(DaemonStartError);
    expect(error.message).toMatch(/timed out after 400ms waiting for shoald mute to answer GET \/_ping on \S+shoald\.sock/);
    expect(error.message).toContain('not listening');
    const pid = Number(/killed pid (\d+)/.exec(error.message)?.[1]);
    expect(isAlive(pid)).toBe(false);
  });

  it('rejects a socket path longer than a unix socket allows', async () => {
    await expect(fakeDaemon('long', {}, { dataDir: join(tmpdir(), 'x'.repeat(120)) })).rejects.toThrow(TestkitConfigError);
  });

  it('cli() runs the CLI against the daemon socket; cliOk() throws with stderr on failure', async () => {
    const daemon = await fakeDaemon('driver');
    const token = await daemon.cli(['swarm', 'join-token', '-q', 'worker']);
    expect(token).toEqual({ code: 0, stdout: 'SWMTKN-1-fake-worker\n', stderr: '' });
    const badToken = daemon.cliOk(['swarm', 'join', '--token', 'SWMTKN-1-secret', '127.0.9.2:2377']);
    await expect(badToken).rejects.toThrow(/^shoal swarm join --token <token> 127\.0\.9\.2:2377 \(on driver\) exited with 1\n/);
    await expect(badToken).rejects.not.toThrow(/secret/);
    const bad = daemon.cliOk(['service', 'ls']);
    await expect(bad).rejects.toThrow(CommandFailedError);
    await expect(bad).rejects.toThrow(/Error response from daemon: fake CLI: unsupported command service ls/);
  });
});

// The leader of a task's process group, watched one of two ways: our own child
// reports its exit through the 'exit' event; a process adopted from a previous
// agent run is not our child and cannot be waited on, so it is polled.
import { spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { ExecutableNotFoundError, StartFailedError } from '../errors';
import type { ExitStatus } from '../types';
import type { LaunchPlan } from './launch';
import { isSameProcessAlive, readProcStatSync } from './proc';

export const UNKNOWN_EXIT = 'exit status unknown: the task was not started by this agent process';

export interface TaskProcess {
  /** Also the process group id: every task leads its own group. */
  readonly pid: number;
  readonly procStartTime: string;
  /** Resolves when the group leader has exited. */
  readonly exited: Promise<ExitStatus>;
  /** Stop watching; the process keeps running (agent shutting down). */
  detach(): void;
}

export interface SpawnInput {
  cwd: string;
  env: Record<string, string>;
  stdout: number;
  stderr: number;
  /** Run as this uid/gid (`--user`); the daemon's own by default. */
  user?: { uid: number; gid: number };
}

export function spawnTask(plan: LaunchPlan, input: SpawnInput): Promise<TaskProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(plan.file, plan.args, {
      cwd: input.cwd,
      env: input.env,
      // Its own session and process group, so one kill(-pgid) reaches every process of the task.
      detached: true,
      stdio: ['ignore', input.stdout, input.stderr],
      ...(input.user ? { uid: input.user.uid, gid: input.user.gid } : {}),
    });
    const pid = child.pid;
    if (pid === undefined) {
      child.once('error', (err) => reject(startError(plan.file, err as NodeJS.ErrnoException)));
      return;
    }
    // The child cannot have been reaped yet (that happens on a later tick), so its stat is readable.
    const procStartTime = readProcStatSync(pid)?.startTime ?? '';
    let watching = true;
    const exited = new Promise<ExitStatus>((done) => {
      child.once('exit', (code, signal) => {
        if (watching) done(exitStatus(code, signal));
      });
    });
    child.on('error', () => undefined); // later errors are failed kill() calls; signals go through process.kill
    resolve({
      pid,
      procStartTime,
      exited,
      detach: () => {
        watching = false;
        child.unref();
      },
    });
  });
}

/** Docker reports a death by signal n as exit code 128+n; the signal name is kept too. */
export function exitStatus(code: number | null, signal: NodeJS.Signals | null): ExitStatus {
  if (signal === null) return { exitCode: code, signal: null };
  const n = osConstants.signals[signal] as number | undefined;
  return { exitCode: n === undefined ? null : 128 + n, signal };
}

function startError(file: string, err: NodeJS.ErrnoException): Error {
  if (err.code === 'ENOENT') {
    if (!file.includes('/')) return new ExecutableNotFoundError(file, { cause: err });
    return new StartFailedError(`exec: "${file}": stat ${file}: no such file or directory`, { cause: err });
  }
  if (err.code === 'EACCES') return new StartFailedError(`exec: "${file}": permission denied`, { cause: err });
  return new StartFailedError(`exec: "${file}": ${err.message}`, { cause: err });
}

export function watchAdopted(pid: number, procStartTime: string, pollIntervalMs: number): TaskProcess {
  let timer: NodeJS.Timeout | undefined;
  let watching = true;
  const exited = new Promise<ExitStatus>((done) => {
    const poll = async (): Promise<void> => {
      if (!watching) return;
      if (!(await isSameProcessAlive(pid, procStartTime))) {
        if (watching) done({ exitCode: null, signal: null, error: UNKNOWN_EXIT });
        return;
      }
      if (watching) timer = setTimeout(() => void poll(), pollIntervalMs).unref();
    };
    timer = setTimeout(() => void poll(), pollIntervalMs).unref();
  });
  return {
    pid,
    procStartTime,
    exited,
    detach: () => {
      watching = false;
      clearTimeout(timer);
    },
  };
}

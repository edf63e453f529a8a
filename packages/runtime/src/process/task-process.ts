// The leader of a task's process group, watched one of two ways: our own child
// reports its exit through the 'exit' event; a process adopted from a previous
// agent run is not our child and cannot be waited on, so it is polled.
//
// The leader is a small shell (the shim) that runs the task's program as its child, waits for
// it and writes its exit status to a file before exiting with it, as containerd's shim keeps a
// container's: a task that ends while no agent is running still has its exit code when the
// next agent adopts it (a job's task that finished then is complete, not lost).
import { execFileSync, spawn } from 'node:child_process';
import { accessSync, closeSync, constants as fsConstants, openSync, readFileSync, statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import * as path from 'node:path';
import { ExecutableNotFoundError, StartFailedError } from '../errors';
import type { ExitStatus } from '../types';
import type { LaunchPlan } from './launch';
import { isSameProcessAlive, readProcStatSync, shimProgram, SHIM_NAME } from './proc';

export const UNKNOWN_EXIT = 'exit status unknown: the task was not started by this agent process';

/** In the task's dir: the exit status its shim wrote (a decimal number and a newline). */
export const EXIT_FILE = 'exit-status';

// Every catchable signal that would end the shell (not KILL, STOP, CHLD, CONT, nor glibc's 32
// and 33): a signal sent to the task's group reaches the program, which decides what it means;
// the shim only waits on. `env --default-signal` undoes what sh does to a background command
// (SIGINT and SIGQUIT ignored), so the program starts with every signal at its default.
const ENV = '/usr/bin/env';
const SHIM_TRAPPED = [
  ...Array.from({ length: 31 }, (_, i) => i + 1).filter((n) => ![9, 17, 18, 19].includes(n)),
  ...Array.from({ length: 31 }, (_, i) => i + 34),
].join(' ');
const SHIM = [
  `trap 'i=1' ${SHIM_TRAPPED}`,
  // The shell's own stderr goes nowhere (it reports a program killed by a signal there); the program's is the task's.
  'exec 4>&2 2>/dev/null',
  `${ENV} --default-signal "$@" 2>&4 3>&- 4>&- &`,
  'c=$!',
  'exec 4>&-',
  // wait returns early when a trapped signal arrives (i is set); the program may still be running.
  'while :; do i=; wait "$c"; s=$?; [ -z "$i" ] && break; done',
  'echo "$s" >&3',
  'exit "$s"',
].join('\n');
let shimmable: boolean | undefined;

/** GNU env with --default-signal is there (not busybox's): else tasks run unshimmed, as before shims. */
function canShim(): boolean {
  if (shimmable === undefined) {
    try {
      execFileSync(ENV, ['--default-signal', 'true'], { stdio: 'ignore' });
      shimmable = true;
    } catch {
      shimmable = false;
    }
  }
  return shimmable;
}

export interface TaskProcess {
  /** Also the process group id: every task leads its own group. */
  readonly pid: number;
  readonly procStartTime: string;
  /** The task's program under the shim, once it runs: the PID Docker reports for a container. */
  readonly mainPid?: number;
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
  /** Where the shim writes the exit status (EXIT_FILE in the task's dir). */
  exitFile: string;
}

export function spawnTask(plan: LaunchPlan, input: SpawnInput): Promise<TaskProcess> {
  return new Promise((resolve, reject) => {
    const file = plan.file;
    try {
      // The shim's exec cannot fail the start as a spawn does, so the checks a spawn makes come first.
      resolveExecutable(plan.file, input.cwd, input.env['PATH'] ?? '', input.user);
    } catch (err) {
      reject(startError(plan.file, err as NodeJS.ErrnoException));
      return;
    }
    // Opened here, as the agent, so a task running as another user (`--user`) can still report.
    const exitFd = openSync(input.exitFile, 'w', 0o600);
    let child;
    // env takes a leading NAME=VALUE for a variable, so a program path holding '=' runs unshimmed.
    const shim = canShim() && !file.includes('=');
    try {
      // sh puts PWD in its children's environment; the program gets the task's environment only.
      const envArgs = input.env['PWD'] === undefined ? ['-u', 'PWD', '--'] : ['--'];
      const [command, args] = shim ? ['/bin/sh', ['-c', SHIM, SHIM_NAME, ...envArgs, file, ...plan.args]] : [file, plan.args];
      child = spawn(command, args, {
        cwd: input.cwd,
        env: input.env,
        // Its own session and process group, so one kill(-pgid) reaches every process of the task.
        detached: true,
        stdio: ['ignore', input.stdout, input.stderr, exitFd],
        ...(input.user ? { uid: input.user.uid, gid: input.user.gid } : {}),
      });
    } finally {
      closeSync(exitFd); // the shim has its own copy
    }
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
        if (watching) done(readExitFile(input.exitFile) ?? exitStatus(code, signal));
      });
    });
    child.on('error', () => undefined); // later errors are failed kill() calls; signals go through process.kill
    const proc = (mainPid: number | undefined): TaskProcess => ({
      pid,
      procStartTime,
      ...(mainPid !== undefined ? { mainPid } : {}),
      exited,
      detach: () => {
        watching = false;
        child.unref();
      },
    });
    // Until the shim's child has become the program, a signal to the group could be lost in sh's
    // hands (a stop sent at once); the start is done when the program runs.
    if (shim) void programRunning(pid).then((mainPid) => resolve(proc(mainPid)));
    else resolve(proc(undefined));
  });
}

/** Docker reports a death by signal n as exit code 128+n; the signal name is kept too. */
export function exitStatus(code: number | null, signal: NodeJS.Signals | null): ExitStatus {
  if (signal === null) return { exitCode: code, signal: null };
  const n = osConstants.signals[signal] as number | undefined;
  return { exitCode: n === undefined ? null : 128 + n, signal };
}

/**
 * The program a spawn would run: `file` itself when it names a path (relative to `cwd`), else the
 * first executable regular file of that name on PATH, as execvp looks. Throws ENOENT or EACCES.
 */
export function resolveExecutable(file: string, cwd: string, searchPath: string, user?: { uid: number; gid: number }): string {
  const usable = (candidate: string): boolean => {
    try {
      const st = statSync(candidate);
      if (!st.isFile()) return false;
      if (!user) {
        accessSync(candidate, fsConstants.X_OK);
        return true;
      }
      // As `--user` would find it (its own and its primary group's bits; root needs one x bit).
      if (user.uid === 0) return (st.mode & 0o111) !== 0;
      const bit = st.uid === user.uid ? 0o100 : st.gid === user.gid ? 0o010 : 0o001;
      return (st.mode & bit) !== 0;
    } catch {
      return false;
    }
  };
  if (file.includes('/')) {
    const full = path.resolve(cwd, file);
    statSync(full); // ENOENT
    if (!usable(full)) throw Object.assign(new Error(`${file}: permission denied`), { code: 'EACCES' });
    return full;
  }
  for (const dir of searchPath.split(':')) {
    const candidate = path.resolve(cwd, dir || '.', file);
    if (usable(candidate)) return candidate;
  }
  throw Object.assign(new Error(`${file}: not found`), { code: 'ENOENT' });
}

/**
 * The program's PID once the shim's child runs it (exec'd past sh and env); undefined if it is gone
 * first or after PROGRAM_START_LIMIT_MS. The wait is usually a few ms; on a loaded host a fork and
 * two execs took over 500 ms (a CI run lost a stop signal that way), so the limit is generous and
 * the poll backs off.
 */
async function programRunning(shimPid: number): Promise<number | undefined> {
  const end = Date.now() + PROGRAM_START_LIMIT_MS;
  for (let delay = 1; Date.now() < end; delay = Math.min(delay * 2, 20)) {
    const program = shimProgram(shimPid);
    if (program.state === 'running') return program.pid;
    if (program.state !== 'starting') return undefined;
    await new Promise((r) => setTimeout(r, delay));
  }
  return undefined;
}
const PROGRAM_START_LIMIT_MS = 10_000;

/** The status a task's shim wrote, or null when it wrote none (killed, or a task started before shims). */
export function readExitFile(file: string): ExitStatus | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  const m = /^(\d{1,3})\n$/.exec(text);
  if (!m) return null;
  const code = Number(m[1]);
  // 128+n is how the shell tells a death by signal n; the name is kept as a child's exit gives it.
  const signal = code > 128 ? signalName(code - 128) : null;
  return { exitCode: code, signal };
}

function signalName(n: number): NodeJS.Signals | null {
  for (const [name, value] of Object.entries(osConstants.signals)) if (value === n) return name as NodeJS.Signals;
  return null;
}

function startError(file: string, err: NodeJS.ErrnoException): Error {
  if (err.code === 'ENOENT') {
    if (!file.includes('/')) return new ExecutableNotFoundError(file, { cause: err });
    return new StartFailedError(`exec: "${file}": stat ${file}: no such file or directory`, { cause: err });
  }
  if (err.code === 'EACCES') return new StartFailedError(`exec: "${file}": permission denied`, { cause: err });
  return new StartFailedError(`exec: "${file}": ${err.message}`, { cause: err });
}

/** What is known of how an adopted task's leader ended: its shim's record, if it left one. */
export function adoptedExit(exitFile: string): ExitStatus {
  return readExitFile(exitFile) ?? { exitCode: null, signal: null, error: UNKNOWN_EXIT };
}

export function watchAdopted(pid: number, procStartTime: string, pollIntervalMs: number, exitFile: string): TaskProcess {
  const program = shimProgram(pid);
  let timer: NodeJS.Timeout | undefined;
  let watching = true;
  const exited = new Promise<ExitStatus>((done) => {
    const poll = async (): Promise<void> => {
      if (!watching) return;
      if (!(await isSameProcessAlive(pid, procStartTime))) {
        if (watching) done(adoptedExit(exitFile));
        return;
      }
      if (watching) timer = setTimeout(() => void poll(), pollIntervalMs).unref();
    };
    timer = setTimeout(() => void poll(), pollIntervalMs).unref();
  });
  return {
    pid,
    procStartTime,
    ...(program.state === 'running' ? { mainPid: program.pid } : {}),
    exited,
    detach: () => {
      watching = false;
      clearTimeout(timer);
    },
  };
}

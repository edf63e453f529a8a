// Every process the testkit starts goes through `spawnTracked`, which records its PID
// in one registry per OS process (shared by every copy of this module that vitest's
// isolation may load). `killProcessTree` stops a process and what it spawned by PID;
// `killAllTracked` and the `process.on('exit')` hook kill whatever is still running,
// so a crashed or aborted test file leaves no shoald behind.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { descendants, isAlive, signalIdentity, signalPid, type ProcessIdentity } from './proc';

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface TrackedProcess {
  readonly pid: number;
  readonly label: string;
  readonly child: ChildProcess;
  /** Settles when the process has exited (never rejects). */
  readonly exited: Promise<ExitStatus>;
  /** Undefined while running. */
  exitStatus(): ExitStatus | undefined;
}

interface Registry {
  processes: Map<number, TrackedProcess>;
  exitHookInstalled: boolean;
}

const REGISTRY_KEY = Symbol.for('shoal.testkit.process-registry');

function registry(): Registry {
  const holder = globalThis as { [REGISTRY_KEY]?: Registry };
  let found = holder[REGISTRY_KEY];
  if (!found) {
    found = { processes: new Map(), exitHookInstalled: false };
    holder[REGISTRY_KEY] = found;
  }
  if (!found.exitHookInstalled) {
    found.exitHookInstalled = true;
    // 'exit' handlers must be synchronous: SIGKILL everything, no waiting.
    process.once('exit', () => killAllTracked());
  }
  return found;
}

/** Spawns `command` and tracks its PID until it exits. Throws if the spawn itself fails (ENOENT...). */
export function spawnTracked(command: string, args: readonly string[], options: SpawnOptions, label: string): TrackedProcess {
  const child = spawn(command, args, options);
  if (child.pid === undefined) {
    // Spawn errors are reported asynchronously; swallow the event, report synchronously.
    child.once('error', () => undefined);
    throw new Error(`could not start ${label}: ${command} ${args.join(' ')}`);
  }
  const pid = child.pid;
  let status: ExitStatus | undefined;
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => {
      status = { code, signal };
      registry().processes.delete(pid);
      resolve(status);
    });
  });
  const tracked: TrackedProcess = { pid, label, child, exited, exitStatus: () => status };
  registry().processes.set(pid, tracked);
  return tracked;
}

export function trackedProcesses(): TrackedProcess[] {
  return [...registry().processes.values()];
}

/**
 * Sends `signal` to `pid` and, when `tree`, to every descendant found before the
 * signal was sent. Returns the descendants so a caller can finish them off later.
 */
export function killProcessTree(pid: number, signal: NodeJS.Signals, tree = true): ProcessIdentity[] {
  const family = tree ? descendants(pid) : [];
  signalPid(pid, signal);
  for (const member of family) signalIdentity(member, signal);
  return family;
}

/** SIGKILLs members of a family snapshot that are still alive; returns the PIDs it killed. */
export function killSurvivors(family: readonly ProcessIdentity[]): number[] {
  return family.filter((member) => isAlive(member.pid) && signalIdentity(member, 'SIGKILL')).map((m) => m.pid);
}

/** Synchronously SIGKILLs every tracked process and its descendants. Safe in an 'exit' handler. */
export function killAllTracked(): number[] {
  const killed: number[] = [];
  for (const tracked of registry().processes.values()) {
    if (tracked.exitStatus() !== undefined) continue;
    killProcessTree(tracked.pid, 'SIGKILL');
    killed.push(tracked.pid);
  }
  return killed;
}

// Linux /proc helpers for knowing a task's processes by identity, not just PID:
// a PID is recycled once its process is reaped, but (pid, start time) is unique.
import { readFileSync, promises as fsp } from 'node:fs';

export interface ProcStat {
  /** R, S, D, Z (zombie), T, … */
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  /** Clock ticks after boot, kept as text: it is only compared for equality. */
  startTime: string;
}

/** Parses /proc/<pid>/stat; the command name (field 2) may itself hold spaces and parens. */
export function parseProcStat(text: string): ProcStat | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  // Fields from 3 (state) on; starttime is field 22.
  const f = text.slice(close + 2).trim().split(/\s+/);
  const [state, ppid, pgrp, session] = [f[0], f[1], f[2], f[3]];
  const startTime = f[19];
  if (!state || !ppid || !pgrp || !session || !startTime) return null;
  return { state, ppid: Number(ppid), pgrp: Number(pgrp), session: Number(session), startTime };
}

export async function readProcStat(pid: number): Promise<ProcStat | null> {
  try {
    return parseProcStat(await fsp.readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null; // gone (ENOENT/ESRCH) — the only failure /proc gives for a pid
  }
}

export function readProcStatSync(pid: number): ProcStat | null {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

/** The recorded process is still running: same start time, and not a zombie waiting to be reaped. */
export async function isSameProcessAlive(pid: number, startTime: string): Promise<boolean> {
  const stat = await readProcStat(pid);
  return stat !== null && stat.startTime === startTime && stat.state !== 'Z';
}

/**
 * Sends `signal` to the task's process group unless the group id has been
 * recycled: the kernel never reuses a PID while a group of that id exists, so
 * a different live process holding the leader's PID means our group is gone.
 * Returns false when there was no group to signal.
 */
export function signalGroup(pgid: number, leaderStartTime: string, signal: NodeJS.Signals): boolean {
  const leader = readProcStatSync(pgid);
  if (leader !== null && leader.startTime !== leaderStartTime) return false;
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

/** How far a task's shim (`sh -c … shoal-task program…`) is in starting its program. */
export type ShimProgram = { state: 'not-a-shim' | 'starting' | 'gone' } | { state: 'running'; pid: number };

/** What shimProgram reads of /proc; tests give a fake one. */
export interface ProcView {
  /** argv, or [] while an exec has not set up the new one yet (or of a zombie); throws when the process is gone. */
  argv(pid: number): string[];
  /** The first child's PID, if any; throws when the process is gone. */
  firstChild(pid: number): number | undefined;
  /** The one-letter state (`Z` for a zombie), or undefined when the process is gone. */
  state(pid: number): string | undefined;
}

const liveProc: ProcView = {
  argv: (pid) => {
    const text = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return text === '' ? [] : text.split('\0');
  },
  firstChild: (pid) => {
    const [child] = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/);
    return child ? Number(child) : undefined;
  },
  state: (pid) => readProcStatSync(pid)?.state,
};

/**
 * 'starting' while the shim has not forked yet or its child is still sh or env; 'running' with the
 * program's PID once the child is the program; 'gone' when neither is there any more.
 *
 * A process in the middle of an exec has an empty cmdline for a moment (the kernel swaps in the new
 * address space before it copies the new argv there, and a spawn's exec is reported done before
 * that). Mid-exec is still 'starting': while env has not reset them, the signals sh ignores for a
 * background command are still ignored, and a stop signal sent then would be lost.
 */
export function shimProgram(pid: number, proc: ProcView = liveProc): ShimProgram {
  try {
    const shim = proc.argv(pid);
    if (shim.length === 0) return { state: [undefined, 'Z'].includes(proc.state(pid)) ? 'gone' : 'starting' };
    if (shim[3] !== SHIM_NAME) return { state: 'not-a-shim' };
    const child = proc.firstChild(pid);
    if (child === undefined) return { state: proc.state(pid) === 'Z' ? 'gone' : 'starting' };
    const argv = proc.argv(child);
    if (argv.length === 0) {
      // Mid-exec, or the program has already ended and waits to be reaped (it did run).
      return proc.state(child) === 'Z' ? { state: 'running', pid: child } : { state: 'starting' };
    }
    return argv[3] === SHIM_NAME || argv[0] === '/usr/bin/env' ? { state: 'starting' } : { state: 'running', pid: child };
  } catch {
    return { state: 'gone' };
  }
}

/** $0 of a task's shim, by which a process is known for one. */
export const SHIM_NAME = 'shoal-task';

/** PIDs of the live (non-zombie) members of a process group; tests use it to prove a group is gone. */
export async function groupMembers(pgid: number): Promise<number[]> {
  const entries = await fsp.readdir('/proc');
  const members: number[] = [];
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readProcStat(Number(name));
    if (stat && stat.pgrp === pgid && stat.state !== 'Z') members.push(Number(name));
  }
  return members;
}

// Linux /proc helpers: liveness and process trees, so the testkit kills exactly the
// processes it started (and what they spawned) by PID, never by name.
import { readdirSync, readFileSync } from 'node:fs';

/** A process identity that survives PID reuse: the kernel's start time (clock ticks since boot). */
export interface ProcessIdentity {
  pid: number;
  startTime: string;
}

interface StatLine {
  state: string;
  ppid: number;
  startTime: string;
}

function readStat(pid: number): StatLine | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid ... starttime ..."; comm may hold spaces and parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const [state, ppid] = fields;
  const startTime = fields[19];
  if (state === undefined || ppid === undefined || startTime === undefined) return undefined;
  return { state, ppid: Number(ppid), startTime };
}

let procfs: boolean | undefined;

function hasProcfs(): boolean {
  if (procfs === undefined) {
    try {
      readFileSync('/proc/self/stat');
      procfs = true;
    } catch {
      procfs = false;
    }
  }
  return procfs;
}

/** True while `pid` runs. Zombies count as dead: they hold no ports and no files. */
export function isAlive(pid: number): boolean {
  if (hasProcfs()) {
    const stat = readStat(pid);
    return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function identify(pid: number): ProcessIdentity | undefined {
  const stat = readStat(pid);
  return stat && { pid, startTime: stat.startTime };
}

/** Every live descendant of `pid` (children, grandchildren...), found through /proc ppid links. */
export function descendants(pid: number): ProcessIdentity[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const children = new Map<number, ProcessIdentity[]>();
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const child = Number(entry);
    const stat = readStat(child);
    if (!stat || stat.state === 'Z') continue;
    const siblings = children.get(stat.ppid) ?? [];
    siblings.push({ pid: child, startTime: stat.startTime });
    children.set(stat.ppid, siblings);
  }
  const found: ProcessIdentity[] = [];
  const queue = [pid];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const child of children.get(next) ?? []) {
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

/** Signals `target` only if it is still the same process (same start time), so a reused PID is left alone. */
export function signalIdentity(target: ProcessIdentity, signal: NodeJS.Signals): boolean {
  const now = identify(target.pid);
  if (!now || now.startTime !== target.startTime) return false;
  return signalPid(target.pid, signal);
}

export function signalPid(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

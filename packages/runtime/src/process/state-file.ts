// <taskDir>/state.json: what a restarted agent needs to find a task's process
// again. Written atomically (temp file, fsync, rename) so a crash leaves either
// the old or the new record, never a torn one.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { ExitStatus, TaskRuntimeSpec } from '../types';

export const STATE_FILE = 'state.json';

export interface TaskStateRecord {
  version: 1;
  spec: TaskRuntimeSpec;
  state: 'prepared' | 'running' | 'exited';
  port: number;
  pid?: number;
  /** Equal to pid (the task is its own group leader) but kept explicit. */
  pgid?: number;
  /** /proc/<pid>/stat start time: proves a live pid is still this task. */
  procStartTime?: string;
  startedAt?: string;
  exit?: ExitStatus;
  finishedAt?: string;
}

export async function writeStateFile(dir: string, record: TaskStateRecord): Promise<void> {
  const file = path.join(dir, STATE_FILE);
  const tmp = `${file}.tmp`;
  const handle = await fsp.open(tmp, 'w');
  try {
    await handle.writeFile(`${JSON.stringify(record, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fsp.rename(tmp, file);
}

export type StateFileRead =
  | { kind: 'missing' }
  | { kind: 'corrupt'; reason: string }
  | { kind: 'ok'; record: TaskStateRecord };

export async function readStateFile(dir: string): Promise<StateFileRead> {
  let text: string;
  try {
    text = await fsp.readFile(path.join(dir, STATE_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    throw err;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { kind: 'corrupt', reason: (err as Error).message };
  }
  const reason = invalidReason(value);
  return reason === null ? { kind: 'ok', record: value as TaskStateRecord } : { kind: 'corrupt', reason };
}

function invalidReason(value: unknown): string | null {
  if (typeof value !== 'object' || value === null) return 'not an object';
  const v = value as Partial<TaskStateRecord>;
  if (v.version !== 1) return `unknown version ${String(v.version)}`;
  if (typeof v.spec?.taskId !== 'string' || typeof v.spec.image !== 'string') return 'no task spec';
  if (typeof v.port !== 'number') return 'no port';
  if (v.state !== 'prepared' && v.state !== 'running' && v.state !== 'exited') return `unknown state ${String(v.state)}`;
  if (v.state === 'running' && (typeof v.pid !== 'number' || typeof v.procStartTime !== 'string')) {
    return 'running without pid';
  }
  return null;
}

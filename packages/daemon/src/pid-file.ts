// One shoald per data dir, as dockerd's pid file makes it one per host: a second daemon on the same
// state would fight the first for its node identity, ports and dispatcher session, and unlink its
// API socket on the way out. A pid file left by a daemon that died is stale and taken over.
import * as fs from 'node:fs';
import { ShoalError } from '@shoal/store';

export class PidFileInUseError extends ShoalError {
  constructor(readonly file: string, readonly pid: number) {
    super('FAILED_PRECONDITION', `pid file found, ensure shoald is not running or delete ${file}`);
  }
}

/** Takes `file` for this process; throws PidFileInUseError while another live shoald holds it. */
export function acquirePidFile(file: string, pid = process.pid): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, `${pid}\n`, { flag: 'wx', mode: 0o644 });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number.parseInt(fs.readFileSync(file, 'utf8'), 10);
    if (holder !== pid && isShoald(holder)) throw new PidFileInUseError(file, holder);
    fs.rmSync(file, { force: true }); // stale: its daemon is gone (or the pid now belongs to another program)
  }
  throw new PidFileInUseError(file, Number.NaN);
}

/** Removes `file` if this process holds it. */
export function releasePidFile(file: string, pid = process.pid): void {
  try {
    if (Number.parseInt(fs.readFileSync(file, 'utf8'), 10) === pid) fs.rmSync(file, { force: true });
  } catch {
    // already gone
  }
}

function isShoald(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    // A pid reused by another program does not hold the data dir.
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return /shoald|daemon[/\\]dist[/\\]bin\.js/.test(cmdline);
  } catch {
    return false;
  }
}

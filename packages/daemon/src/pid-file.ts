// One shoald per data dir, as dockerd's pid file makes it one per host: a second daemon on the same
// state would fight the first for its node identity, ports and dispatcher session, and unlink its
// API socket on the way out. A pid file left by a daemon that died is stale and taken over.
//
// The pid file alone cannot settle two daemons started at once: both may find the same stale file,
// and each may remove the other's fresh one. So the data dir is first locked with an abstract unix
// socket named after it (Linux: the name lives only while the process holding it does, so there is
// nothing stale to take over); the pid file then says who holds it, for people and for daemons in
// another network namespace (abstract names are per namespace).
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { ShoalError } from '@shoal/store';

export class PidFileInUseError extends ShoalError {
  constructor(readonly file: string, readonly pid: number) {
    super('FAILED_PRECONDITION', `pid file found, ensure shoald is not running or delete ${file}`);
  }
}

/** A held data dir: close() lets it go (the kernel does too when the process dies). */
export interface DataDirLock {
  close(): void;
}

/**
 * Locks `dataDir` for this process, then takes its pid file `file`; throws PidFileInUseError while
 * another shoald holds either. Of daemons started at once on one data dir, exactly one gets it.
 */
export async function acquireDataDir(dataDir: string, file: string): Promise<DataDirLock> {
  const server = net.createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ path: lockName(dataDir), exclusive: true }, () => resolve());
    });
  } catch (err) {
    server.close();
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    throw new PidFileInUseError(file, readPid(file));
  }
  server.unref();
  try {
    acquirePidFile(file);
  } catch (err) {
    server.close();
    throw err;
  }
  held.add(server); // held for the process's life unless closed
  return {
    close: () => {
      held.delete(server);
      server.close();
    },
  };
}

const held = new Set<net.Server>();

/** The abstract socket name that stands for `dataDir` (the same for every path to it). */
export function lockName(dataDir: string): string {
  const real = fs.realpathSync(dataDir);
  return `\0shoald-data-dir-${createHash('sha256').update(real).digest('hex').slice(0, 40)}`;
}

/** Takes `file` for this process; throws PidFileInUseError while another live shoald holds it. */
export function acquirePidFile(file: string, pid = process.pid): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    // Written whole under another name and linked into place: nobody ever reads it half written.
    const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${pid}.tmp`);
    fs.writeFileSync(tmp, `${pid}\n`, { mode: 0o644 });
    try {
      fs.linkSync(tmp, file);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    const holder = readPid(file);
    if (holder !== pid && isShoald(holder)) throw new PidFileInUseError(file, holder);
    fs.rmSync(file, { force: true }); // stale: its daemon is gone (or the pid now belongs to another program)
  }
  throw new PidFileInUseError(file, Number.NaN);
}

function readPid(file: string): number {
  try {
    return Number.parseInt(fs.readFileSync(file, 'utf8'), 10);
  } catch {
    return Number.NaN;
  }
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

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { PidFileInUseError, acquireDataDir, acquirePidFile, releasePidFile } from './pid-file';

describe('the data dir pid file', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-pid-'));
    dirs.push(d);
    return path.join(d, 'shoald.pid');
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it('is taken, released, and taken over from a daemon that is gone or a pid reused by another program', () => {
    const file = tmp();
    acquirePidFile(file);
    expect(fs.readFileSync(file, 'utf8')).toBe(`${process.pid}\n`);
    releasePidFile(file);
    expect(fs.existsSync(file)).toBe(false);
    fs.writeFileSync(file, '999999999\n'); // no such process
    acquirePidFile(file);
    fs.writeFileSync(file, `${process.ppid}\n`); // alive, but not a shoald
    acquirePidFile(file);
    expect(fs.readFileSync(file, 'utf8')).toBe(`${process.pid}\n`);
  });

  it('refuses while a live shoald holds it', async () => {
    const file = tmp();
    // A stand-in whose command line names a shoald entry point.
    const fake = path.join(path.dirname(file), 'shoald');
    fs.writeFileSync(fake, 'setTimeout(() => {}, 30000);');
    const holder = spawn(process.execPath, [fake], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 100));
      fs.writeFileSync(file, `${holder.pid}\n`);
      expect(() => acquirePidFile(file)).toThrow(PidFileInUseError);
      expect(() => acquirePidFile(file)).toThrow(`pid file found, ensure shoald is not running or delete ${file}`);
      expect(fs.readFileSync(file, 'utf8')).toBe(`${holder.pid}\n`);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('locks the data dir: of daemons started at once exactly one gets it, and a lost pid file does not free it', async () => {
    const file = tmp();
    const dir = path.dirname(file);
    const outcomes = await Promise.allSettled([acquireDataDir(dir, file), acquireDataDir(dir, file), acquireDataDir(dir, file)]);
    const won = outcomes.filter((o): o is PromiseFulfilledResult<Awaited<ReturnType<typeof acquireDataDir>>> => o.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(PidFileInUseError);
    expect(fs.readFileSync(file, 'utf8')).toBe(`${process.pid}\n`);
    // The pid file removed by hand (or never written by a daemon in the middle of starting): still held.
    fs.rmSync(file);
    await expect(acquireDataDir(dir, file)).rejects.toThrow(`pid file found, ensure shoald is not running or delete ${file}`);
    won[0]!.value.close();
    const again = await acquireDataDir(dir, file);
    again.close();
  });

  it('does not lock one data dir by another name twice, and lets other data dirs be', async () => {
    const file = tmp();
    const dir = path.dirname(file);
    const link = `${dir}-link`;
    fs.symlinkSync(dir, link);
    dirs.push(link);
    const lock = await acquireDataDir(dir, file);
    try {
      await expect(acquireDataDir(link, path.join(link, 'shoald.pid'))).rejects.toBeInstanceOf(PidFileInUseError);
      const other = tmp();
      (await acquireDataDir(path.dirname(other), other)).close();
    } finally {
      lock.close();
    }
  });
});

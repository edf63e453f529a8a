import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogClock } from '../log-records';
import { silentLogger } from '../logger';
import type { LogRecord } from '../types';
import { LOG_FILE, LogWriter, readLogFiles } from './log-file';

describe('LogWriter', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'shoal-log-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const open = (maxBytes = 1 << 20): Promise<LogWriter> =>
    LogWriter.open({ dir, maxBytes, clock: new LogClock(), logger: silentLogger });
  const lines = (rs: LogRecord[]): string[] => rs.map((r) => `${r.stream}:${r.line}`);

  it('writes Docker json-file lines, joining chunks and keeping an unterminated tail for end()', async () => {
    const w = await open();
    w.write('stdout', Buffer.from('hel'));
    w.write('stderr', Buffer.from('err\n'));
    w.write('stdout', Buffer.from('lo\nwor'));
    w.write('stdout', Buffer.from('ld\nno newline'));
    await w.end();
    const raw = readFileSync(path.join(dir, LOG_FILE), 'utf8').trim().split('\n');
    expect(JSON.parse(raw[0] ?? '')).toMatchObject({ log: 'err\n', stream: 'stderr' });
    expect(JSON.parse(raw[3] ?? '')).toMatchObject({ log: 'no newline', stream: 'stdout' });
    expect(lines(await readLogFiles(dir, silentLogger))).toEqual([
      'stderr:err',
      'stdout:hello',
      'stdout:world',
      'stdout:no newline',
    ]);
  });

  it('splits lines longer than 16 KiB as Docker does', async () => {
    const w = await open();
    w.write('stdout', Buffer.from(`${'x'.repeat(16 * 1024 + 10)}\n`));
    await w.end();
    const rs = await readLogFiles(dir, silentLogger);
    expect(rs.map((r) => r.line.length)).toEqual([16 * 1024, 10]);
  });

  it('rotates to .1 at maxBytes, keeping one rotation', async () => {
    const w = await open(500);
    for (let i = 0; i < 40; i++) w.write('stdout', Buffer.from(`line ${i}\n`));
    await w.end();
    expect(readdirSync(dir).sort()).toEqual([LOG_FILE, `${LOG_FILE}.1`]);
    for (const f of readdirSync(dir)) expect(statSync(path.join(dir, f)).size).toBeLessThanOrEqual(500);
    const rs = await readLogFiles(dir, silentLogger);
    const numbers = rs.map((r) => Number(r.line.slice(5)));
    expect(numbers.at(-1)).toBe(39);
    // Whatever survived is a contiguous, ordered run ending at the newest line.
    expect(numbers).toEqual(numbers.map((_, i) => 39 - (numbers.length - 1) + i));
    expect(rs.map((r) => r.time)).toEqual(rs.map((r) => r.time).sort());
  });

  it('gives a follower the snapshot and then every later record, and ends it at end()', async () => {
    const w = await open();
    w.write('stdout', Buffer.from('before\n'));
    const { existing, live } = await w.follow();
    w.write('stderr', Buffer.from('after\n'));
    await w.end();
    const later: LogRecord[] = [];
    for await (const r of live) later.push(r);
    expect(lines(existing)).toEqual(['stdout:before']);
    expect(lines(later)).toEqual(['stderr:after']);
    expect(w.ended).toBe(true);
  });

  it('skips torn lines when reading', async () => {
    const w = await open();
    w.write('stdout', Buffer.from('ok\n'));
    await w.end();
    const { appendFileSync } = await import('node:fs');
    appendFileSync(path.join(dir, LOG_FILE), '{"log":"to');
    expect(lines(await readLogFiles(dir, silentLogger))).toEqual(['stdout:ok']);
  });
});

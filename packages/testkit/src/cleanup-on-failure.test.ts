// registerCleanup() after a test that throws: its daemon is stopped by PID anyway and
// its data dir is kept for inspection. The first test fails on purpose (test.fails), so
// this file prints that daemon's log tail and a "kept ..." line: that output is expected.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startDaemon } from './daemon';
import { isAlive } from './proc';
import { writeFakes } from './test-support/fakes';
import { registerCleanup } from './vitest-hooks';

const fakesDir = mkdtempSync(join(tmpdir(), 'shoal-testkit-fakes-'));
const { daemonScript } = writeFakes(fakesDir);
afterAll(() => rmSync(fakesDir, { recursive: true, force: true }));
registerCleanup();

let thrown: { pid: number; dataDir: string } | undefined;

it.fails('a test that throws after starting a daemon (fails on purpose)', async () => {
  const daemon = await startDaemon({ name: 'doomed', ip: '127.0.9.20', daemonScript });
  thrown = { pid: daemon.pid, dataDir: daemon.dataDir };
  throw new Error('deliberate failure: the next test checks the cleanup');
});

it('stopped the thrown test’s daemon by PID and kept its data dir', () => {
  expect(thrown).toBeDefined();
  const { pid, dataDir } = thrown ?? { pid: 0, dataDir: '/' };
  expect(isAlive(pid)).toBe(false);
  expect(existsSync(join(dataDir, 'shoald.log'))).toBe(true);
  rmSync(dirname(dataDir), { recursive: true, force: true });
});

// registerCleanup() scoping on passing tests: a daemon started in a test is stopped by
// PID and its temp dir removed right after that test; one started in beforeAll lives
// until the file ends. The afterAll below is registered first, so it runs last
// (vitest runs after-hooks as a stack) and sees the state registerCleanup left.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type DaemonHandle } from './daemon';
import { isAlive } from './proc';
import { writeFakes } from './test-support/fakes';
import { registerCleanup } from './vitest-hooks';

const fakesDir = mkdtempSync(join(tmpdir(), 'shoal-testkit-fakes-'));
const { daemonScript } = writeFakes(fakesDir);
let shared: DaemonHandle | undefined;
let sharedPid = 0;

afterAll(() => {
  rmSync(fakesDir, { recursive: true, force: true });
  expect(shared).toBeDefined();
  expect(isAlive(sharedPid)).toBe(false);
  expect(existsSync(dirname(shared?.dataDir ?? '/'))).toBe(false);
});
registerCleanup();

beforeAll(async () => {
  shared = await startDaemon({ name: 'shared', ip: '127.0.9.10', daemonScript });
  sharedPid = shared.pid;
});

describe('registerCleanup', () => {
  let perTest: { pid: number; dataDir: string } | undefined;

  it('lets a test start a daemon', async () => {
    const daemon = await startDaemon({ name: 'per-test', ip: '127.0.9.11', daemonScript });
    perTest = { pid: daemon.pid, dataDir: daemon.dataDir };
    expect(isAlive(daemon.pid)).toBe(true);
  });

  it('stopped that daemon by PID and removed its temp dir after the test', () => {
    expect(perTest).toBeDefined();
    expect(isAlive(perTest?.pid ?? 0)).toBe(false);
    expect(existsSync(dirname(perTest?.dataDir ?? '/'))).toBe(false);
  });

  it('keeps the daemon started in beforeAll running across tests', async () => {
    expect(shared?.running).toBe(true);
    expect((await shared?.ping())?.ok).toBe(true);
  });
});

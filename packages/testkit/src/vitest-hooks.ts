// Cleanup wiring for vitest. Call `registerCleanup()` once at the top of a test file:
//
//   registerCleanup();
//   let cluster: Cluster;
//   beforeAll(async () => { cluster = await startCluster({ size: 3, baseIp: '127.0.4.' }); });
//
// After each test, daemons started in that test are stopped by PID (SIGTERM, then
// SIGKILL) and their temp dirs removed; after the file, the same for what beforeAll
// started, then any tracked process still running is SIGKILLed. When a test failed,
// the last 80 log lines of every daemon of the file are printed and the temp dirs
// are kept (their paths printed).
//
// vitest runs after-hooks as a stack (last registered, first run): register hooks
// that must run after the daemons are gone (e.g. `afterAll(netnsDown)`) before
// calling registerCleanup(). Tests within one file must not run concurrently.
import { afterAll, afterEach, beforeEach } from 'vitest';
import { printLogTails, DEFAULT_TAIL_LINES } from './failure-report';
import { killAllTracked } from './process-registry';
import { beginTestScope, markHooksInstalled, releaseAll, releaseTestScope } from './resources';

export interface RegisterCleanupOptions {
  /** Log lines printed per daemon when a test fails. Default 80. */
  logLines?: number;
}

interface TaskLike {
  result?: { state?: string };
  tasks?: readonly TaskLike[];
}

export function registerCleanup(options: RegisterCleanupOptions = {}): void {
  const lines = options.logLines ?? DEFAULT_TAIL_LINES;
  let fileFailed = false;
  markHooksInstalled();

  beforeEach(() => {
    beginTestScope();
  });

  afterEach(async (context) => {
    const failed = context.task.result?.state === 'fail';
    if (failed) {
      fileFailed = true;
      printLogTails(undefined, lines);
    }
    await releaseTestScope({ failed });
  });

  // vitest 4 passes fixtures first and parses that parameter: it must be a destructuring pattern.
  afterAll(async ({}, suite) => {
    // A failing beforeAll marks the suite failed and runs no test (so no afterEach).
    const failed = fileFailed || anyFailed(suite);
    if (failed && !fileFailed) printLogTails(undefined, lines);
    try {
      await releaseAll({ failed });
    } finally {
      killAllTracked();
    }
  });
}

function anyFailed(task: TaskLike): boolean {
  return task.result?.state === 'fail' || (task.tasks ?? []).some(anyFailed);
}

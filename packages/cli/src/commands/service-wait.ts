// The shell around ConvergenceTracker: polls the daemon every 200 ms, draws the
// progress, and stops on Ctrl-C (docker's WaitOnService).
import type { EngineApi } from '@shoal/api';
import { BIN_NAME, REAL_CLOCK, type CliIO } from '../context';
import { ProgressDisplay } from '../format/progress-stream';
import { ConvergenceTracker } from './service-progress';

const POLL_INTERVAL_MS = 200;

export interface WaitOptions {
  /** -q: poll as usual but print nothing. */
  quiet: boolean;
  /** Aborted by Ctrl-C; defaults to the process's SIGINT. */
  interrupt?: AbortSignal;
}

/** Calls `body` with a signal that SIGINT aborts; SIGINT does not kill the process meanwhile. */
export async function withInterrupt<T>(body: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onInt = (): void => controller.abort();
  process.on('SIGINT', onInt);
  try {
    return await body(controller.signal);
  } finally {
    process.off('SIGINT', onInt);
  }
}

/** Waits until the service converges, printing docker's progress; rejects on docker's failure exits. */
export async function waitOnService(client: EngineApi, io: CliIO, serviceRef: string, opts: WaitOptions): Promise<void> {
  if (opts.interrupt === undefined) {
    return withInterrupt((signal) => waitOnService(client, io, serviceRef, { ...opts, interrupt: signal }));
  }
  const clock = io.clock ?? REAL_CLOCK;
  const display = opts.quiet
    ? undefined
    : new ProgressDisplay({ write: io.out, isTerminal: io.terminal !== undefined, columns: () => io.terminal?.columns() ?? 200 });
  const tracker = new ConvergenceTracker(serviceRef, (msg) => display?.show(msg));
  const signal = opts.interrupt;
  for (;;) {
    const service = await client.serviceInspect(serviceRef);
    let outcome = tracker.observeService(service, clock.now());
    if (outcome === undefined) {
      const tasks = await client.taskList({ service: [service.ID], '_up-to-date': ['true'] });
      const nodes = await client.nodeList();
      const active = new Set(nodes.filter((n) => n.Status?.State !== 'down').map((n) => n.ID));
      outcome = tracker.observeTasks(service, tasks, active, clock.now());
    }
    if (outcome !== undefined) {
      if (outcome.error !== undefined) throw outcome.error;
      return;
    }
    await clock.sleep(POLL_INTERVAL_MS, signal);
    if (signal.aborted) {
      tracker.interrupt(BIN_NAME);
      return;
    }
  }
}

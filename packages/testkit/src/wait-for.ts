// Condition polling with a deadline: the only way a Shoal test waits (STYLE §8, no bare sleeps).
//
//   const nodes = await waitFor(async () => {
//     const all = await manager.api.get<NodeJson[]>('/nodes');
//     if (all.some((n) => n.Status.State !== 'ready')) throw new Error(summary(all)); // explains "not yet"
//     return all;
//   }, { what: 'every node Ready', timeoutMs: 30_000 });
//
// `fn` is called until it returns a truthy value, which `waitFor` resolves with. A
// falsy return or a thrown error both mean "not yet"; on timeout the WaitTimeoutError
// names `what` and shows the last value or error, so throwing a descriptive error
// from `fn` is the way to get a useful failure message.
import { inspect } from 'node:util';
import { WaitTimeoutError } from './errors';

export interface WaitForOptions {
  /** Name of the awaited condition, used in the timeout message. */
  what: string;
  /** Deadline for the whole wait. Default 10 000 ms. */
  timeoutMs?: number;
  /** Pause between the end of one attempt and the start of the next. Default 50 ms. */
  intervalMs?: number;
  /** Aborting rejects the wait at once with `signal.reason` (e.g. "the daemon exited"). */
  signal?: AbortSignal;
}

export type Truthy<T> = Exclude<T, false | null | undefined | 0 | 0n | ''>;

type Outcome<T> = { kind: 'value'; value: T } | { kind: 'error'; error: unknown } | { kind: 'deadline' };

export async function waitFor<T>(fn: () => T | Promise<T>, options: WaitForOptions): Promise<Truthy<T>> {
  const { what, timeoutMs = 10_000, intervalMs = 50, signal } = options;
  const deadline = Date.now() + timeoutMs;
  let last: Outcome<T> | undefined;
  let attempts = 0;

  for (;;) {
    signal?.throwIfAborted();
    attempts += 1;
    const outcome = await raceDeadline(attempt(fn), deadline, signal);
    if (outcome.kind === 'value' && outcome.value) return outcome.value as Truthy<T>;
    if (outcome.kind !== 'deadline') last = outcome;
    const remaining = deadline - Date.now();
    if (outcome.kind === 'deadline' || remaining <= 0) {
      throw timeoutError({ what, timeoutMs, attempts, last, hung: outcome.kind === 'deadline' });
    }
    await pause(Math.min(intervalMs, remaining), signal);
  }
}

async function attempt<T>(fn: () => T | Promise<T>): Promise<Outcome<T>> {
  try {
    return { kind: 'value', value: await fn() };
  } catch (error) {
    return { kind: 'error', error };
  }
}

/** An attempt that hangs past the deadline must not hang the wait. */
function raceDeadline<T>(pending: Promise<Outcome<T>>, deadline: number, signal?: AbortSignal): Promise<Outcome<T>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(() => resolve({ kind: 'deadline' })), Math.max(0, deadline - Date.now()));
    const onAbort = (): void => finish(() => reject(signal?.reason));
    signal?.addEventListener('abort', onAbort, { once: true });
    function finish(settle: () => void): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      settle();
    }
    pending.then((outcome) => finish(() => resolve(outcome)));
  });
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    function done(): void {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }
  });
}

interface TimeoutFacts<T> {
  what: string;
  timeoutMs: number;
  attempts: number;
  last: Outcome<T> | undefined;
  /** The attempt running at the deadline had not finished. */
  hung: boolean;
}

function timeoutError<T>({ what, timeoutMs, attempts, last, hung }: TimeoutFacts<T>): WaitTimeoutError {
  const head =
    `timed out after ${timeoutMs}ms waiting for ${what} (${attempts} attempts` +
    `${hung ? ', the last one still running' : ''})`;
  if (last === undefined || last.kind === 'deadline') {
    return new WaitTimeoutError(`${head}; no attempt finished`, undefined);
  }
  if (last.kind === 'error') {
    const message = last.error instanceof Error ? last.error.message : inspect(last.error);
    return new WaitTimeoutError(`${head}; last error: ${message}`, undefined, { cause: last.error });
  }
  return new WaitTimeoutError(`${head}; last value: ${inspect(last.value, { depth: 4, breakLength: 120 })}`, last.value);
}

// Time for cores and shells: the system clock in production, a manual clock in deterministic tests.

export type TimerHandle = object;

export interface NowSource {
  /** Monotonic milliseconds. */
  now(): number;
}

export interface Clock extends NowSource {
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Timers are unref'd: a mesh timer never keeps the daemon's event loop alive on its own. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

// Time for the shell: the system clock in production, FakeClock in deterministic tests.

export type TimerHandle = object;

export interface Clock {
  /** Monotonic milliseconds. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

interface FakeTimer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/** A manually advanced clock; timers fire in (time, creation) order during `advance`. */
export class FakeClock implements Clock {
  private current: number;
  private seq = 0;
  private heap: FakeTimer[] = [];

  constructor(startMs = 0) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: FakeTimer = { at: this.current + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.push(timer);
    return timer;
  }

  clearTimeout(handle: TimerHandle): void {
    (handle as FakeTimer).cancelled = true;
  }

  /** Runs every timer due within the next `ms` milliseconds, then sets the time to now + ms. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (let t = this.peek(); t && t.at <= target; t = this.peek()) {
      this.pop();
      if (t.cancelled) continue;
      this.current = Math.max(this.current, t.at);
      t.fn();
    }
    this.current = target;
  }

  /** Pending (not cancelled) timers. */
  get pending(): number {
    return this.heap.filter((t) => !t.cancelled).length;
  }

  private less(a: FakeTimer, b: FakeTimer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private peek(): FakeTimer | undefined {
    return this.heap[0];
  }

  private push(t: FakeTimer): void {
    const h = this.heap;
    h.push(t);
    for (let i = h.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i] as FakeTimer, h[p] as FakeTimer)) break;
      [h[i], h[p]] = [h[p] as FakeTimer, h[i] as FakeTimer];
      i = p;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop();
    if (!last || h.length === 0) return;
    h[0] = last;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l] as FakeTimer, h[m] as FakeTimer)) m = l;
      if (r < h.length && this.less(h[r] as FakeTimer, h[m] as FakeTimer)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m] as FakeTimer, h[i] as FakeTimer];
      i = m;
    }
  }
}

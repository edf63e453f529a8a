// Lifeguard suspicion: a timer that starts at `max` and shrinks towards `min` as independent
// peers confirm the suspicion (after memberlist's suspicion.go).

/** Minimum suspicion timeout: suspicionMult · max(1, log10(n)) · probeInterval. */
export function suspicionTimeoutMs(suspicionMult: number, numNodes: number, probeIntervalMs: number): number {
  const nodeScale = Math.max(1, Math.log10(Math.max(1, numNodes)));
  return Math.floor(suspicionMult * nodeScale * probeIntervalMs);
}

/** Time left after `elapsedMs` when `n` of the wanted `k` confirmations have arrived (may be ≤ 0). */
export function remainingSuspicionMs(n: number, k: number, elapsedMs: number, minMs: number, maxMs: number): number {
  const frac = Math.log(n + 1) / Math.log(k + 1);
  const raw = maxMs - frac * (maxMs - minMs);
  const timeout = Math.max(minMs, Math.floor(raw));
  return timeout - elapsedMs;
}

export interface SuspicionOptions {
  /** The first accuser: never counted as a confirmation (our own suspicion may come back to us). */
  readonly from: string;
  /** Confirmations that drive the timeout down to `minMs`; 0 means "expect none, use min". */
  readonly k: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly startMs: number;
}

export class Suspicion {
  private readonly confirmed = new Set<string>();
  private n = 0;
  private deadline: number;

  constructor(private readonly o: SuspicionOptions) {
    this.confirmed.add(o.from);
    this.deadline = o.startMs + (o.k < 1 ? o.minMs : o.maxMs);
  }

  get deadlineMs(): number {
    return this.deadline;
  }

  get confirmations(): number {
    return this.n;
  }

  /** Registers an independent confirmation; true when it was new and moved the deadline. */
  confirm(from: string, nowMs: number): boolean {
    if (this.n >= this.o.k || this.confirmed.has(from)) return false;
    this.confirmed.add(from);
    this.n++;
    const elapsed = nowMs - this.o.startMs;
    const remaining = remainingSuspicionMs(this.n, this.o.k, elapsed, this.o.minMs, this.o.maxMs);
    this.deadline = nowMs + Math.max(0, remaining);
    return true;
  }
}

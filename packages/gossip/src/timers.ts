// Named timers for the pure core: nothing fires on its own; `popDue(now)` hands back what is due.

interface Timer {
  readonly at: number;
  readonly order: number;
  readonly fire: () => void;
}

export class TimerSet {
  private readonly timers = new Map<string, Timer>();
  private order = 0;

  set(name: string, at: number, fire: () => void): void {
    this.timers.set(name, { at, order: this.order++, fire });
  }

  clear(name: string): void {
    this.timers.delete(name);
  }

  has(name: string): boolean {
    return this.timers.has(name);
  }

  /** Earliest deadline, if any. */
  next(): number | undefined {
    let min: number | undefined;
    for (const t of this.timers.values()) if (min === undefined || t.at < min) min = t.at;
    return min;
  }

  /** Removes and returns the earliest timer due at `now` (ties in scheduling order). */
  popDue(now: number): { name: string; at: number; fire: () => void } | undefined {
    let best: [string, Timer] | undefined;
    for (const entry of this.timers) {
      const t = entry[1];
      if (t.at > now) continue;
      if (!best || t.at < best[1].at || (t.at === best[1].at && t.order < best[1].order)) best = entry;
    }
    if (!best) return undefined;
    this.timers.delete(best[0]);
    return { name: best[0], at: best[1].at, fire: best[1].fire };
  }
}

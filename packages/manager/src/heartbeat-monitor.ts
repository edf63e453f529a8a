// Pure liveness bookkeeping for the dispatcher: which nodes have missed their
// heartbeats. The shell feeds it beats and the current time; no timers here.

export interface HeartbeatMonitorOptions {
  periodMs: number;
  /** A node is down after period × graceMultiplier without a beat (swarmkit: 3). */
  graceMultiplier?: number;
}

export class HeartbeatMonitor {
  private readonly lastSeen = new Map<string, number>();
  private periodMs: number;
  private readonly grace: number;

  constructor(options: HeartbeatMonitorOptions) {
    this.periodMs = options.periodMs;
    this.grace = options.graceMultiplier ?? 3;
  }

  get period(): number {
    return this.periodMs;
  }

  setPeriod(periodMs: number): void {
    this.periodMs = periodMs;
  }

  beat(nodeId: string, now: number): void {
    this.lastSeen.set(nodeId, now);
  }

  /** False once a node has expired, until it beats again. */
  has(nodeId: string): boolean {
    return this.lastSeen.has(nodeId);
  }

  clear(): void {
    this.lastSeen.clear();
  }

  forget(nodeId: string): void {
    this.lastSeen.delete(nodeId);
  }

  /** Nodes whose last beat is older than the grace window; each is reported once. */
  expired(now: number): string[] {
    const deadline = now - this.periodMs * this.grace;
    const out: string[] = [];
    for (const [id, seen] of this.lastSeen) {
      if (seen < deadline) {
        out.push(id);
        this.lastSeen.delete(id);
      }
    }
    return out;
  }
}

// Pure liveness bookkeeping for the dispatcher: which nodes have missed their
// heartbeats. The shell feeds it beats, gossip suspicions and the current time; no timers here.
// A node is down after `grace` periods without a beat, or sooner when gossip suspects it (its
// probes failed, directly and through others) and it has also missed a beat: either signal alone
// can be wrong (a gossip port blocked; a slow manager), both together are a dead node.

export interface HeartbeatMonitorOptions {
  periodMs: number;
  /** A node is down after period × graceMultiplier without a beat (swarmkit: 3). */
  graceMultiplier?: number;
  /** A node gossip suspects is down after period × this without a beat. Default 2 (one whole beat missed, with slack for a late one). */
  suspectMultiplier?: number;
}

export class HeartbeatMonitor {
  /** Each node's last beat, and the period it was told to beat at then (the heartbeat's answer carries it). */
  private readonly lastSeen = new Map<string, { at: number; periodMs: number }>();
  private readonly suspected = new Set<string>();
  /** Nodes not heard from since a leadership change: their grace window ends at this time. */
  private readonly unknownUntil = new Map<string, number>();
  private periodMs: number;
  private readonly grace: number;
  private readonly suspectGrace: number;

  constructor(options: HeartbeatMonitorOptions) {
    this.periodMs = options.periodMs;
    this.grace = options.graceMultiplier ?? 3;
    this.suspectGrace = options.suspectMultiplier ?? 2;
  }

  get period(): number {
    return this.periodMs;
  }

  /**
   * A new period (`swarm update --dispatcher-heartbeat`) takes effect for each node at its next
   * beat, whose answer tells the agent: until then a node keeps the window of the period it was
   * told last, so a shorter period does not expire nodes still beating at the longer one.
   */
  setPeriod(periodMs: number): void {
    this.periodMs = periodMs;
  }

  beat(nodeId: string, now: number): void {
    this.lastSeen.set(nodeId, { at: now, periodMs: this.periodMs });
    this.suspected.delete(nodeId); // it is alive, whatever gossip thought
    this.unknownUntil.delete(nodeId);
  }

  /**
   * A node this (new) leader has not heard from yet, as swarmkit's "unknown" state: twice the
   * grace window to reach it, since every agent must find the new leader first (a dead or frozen
   * old one costs them time). Gossip's suspicion still takes it down as for any node.
   */
  unknown(nodeId: string, now: number): void {
    this.beat(nodeId, now);
    this.unknownUntil.set(nodeId, now + 2 * this.grace * this.periodMs);
  }

  /** Gossip suspects (or declared dead) a node that is still counted alive. */
  suspect(nodeId: string): void {
    if (this.lastSeen.has(nodeId)) this.suspected.add(nodeId);
  }

  /** False once a node has expired, until it beats again. */
  has(nodeId: string): boolean {
    return this.lastSeen.has(nodeId);
  }

  clear(): void {
    this.lastSeen.clear();
    this.suspected.clear();
    this.unknownUntil.clear();
  }

  forget(nodeId: string): void {
    this.lastSeen.delete(nodeId);
    this.suspected.delete(nodeId);
    this.unknownUntil.delete(nodeId);
  }

  /** Nodes whose last beat is older than their grace window; each is reported once. */
  expired(now: number): string[] {
    const out: string[] = [];
    for (const [id, seen] of this.lastSeen) {
      const period = Math.max(seen.periodMs, this.periodMs);
      const graceOver = seen.at < now - period * this.grace && (this.unknownUntil.get(id) ?? 0) <= now;
      if (graceOver || (this.suspected.has(id) && seen.at < now - period * this.suspectGrace)) {
        out.push(id);
        this.lastSeen.delete(id);
        this.suspected.delete(id);
        this.unknownUntil.delete(id);
      }
    }
    return out;
  }
}

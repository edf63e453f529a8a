// The leader's gossip key rotation: runs the pure schedule (gossip-keys.ts) when the cluster object
// changes and at the times the schedule names, and commits each step through the store, so every
// manager holds the same key state and a new leader carries on where the old one stopped.
import { randomBytes } from 'node:crypto';
import { updateOp, type ClusterStore } from '@shoal/store';
import { keyFingerprint } from '@shoal/wire';
import type { Logger } from 'pino';
import {
  DEFAULT_GOSSIP_KEY_TIMING,
  gossipKeyState,
  planGossipKeys,
  withGossipKeys,
  type GossipKeyAction,
  type GossipKeyTiming,
} from './gossip-keys';

export interface GossipKeyRotatorOptions {
  store: ClusterStore;
  logger: Logger;
  /** Default DEFAULT_GOSSIP_KEY_TIMING (12 h interval). */
  timing?: GossipKeyTiming;
  now?: () => number;
  /** A fresh base64 key; default 32 random bytes. */
  newKey?: () => string;
  /** Delay before trying again after a failed write. Default 1 000 ms. */
  retryMs?: number;
}

/** Timers are capped (Node's limit is 2^31-1 ms); waking early only plans again. */
const MAX_SLEEP_MS = 3600_000;
const WRITE_ATTEMPTS = 5;

export class GossipKeyRotator {
  private active = false;
  private running = false;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private unwatch: (() => void) | null = null;
  private readonly timing: GossipKeyTiming;
  private readonly now: () => number;
  private readonly newKey: () => string;

  constructor(private readonly o: GossipKeyRotatorOptions) {
    this.timing = o.timing ?? DEFAULT_GOSSIP_KEY_TIMING;
    this.now = o.now ?? Date.now;
    this.newKey = o.newKey ?? (() => randomBytes(32).toString('base64'));
  }

  /** On becoming leader. */
  start(): void {
    if (this.active) return;
    this.active = true;
    // The cluster object may not exist yet (swarm init commits it after the election).
    this.unwatch = this.o.store.memory.watch((events) => {
      if (events.some((e) => e.kind === 'cluster')) this.schedule(0);
    });
    this.schedule(0);
  }

  /** On losing leadership: the next leader resumes from the store. */
  stop(): void {
    this.active = false;
    this.unwatch?.();
    this.unwatch = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.active) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.run();
    }, Math.min(Math.max(0, delayMs), MAX_SLEEP_MS));
    this.timer.unref();
  }

  private async run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    let next: number | null;
    try {
      next = await this.step();
    } catch (err) {
      next = this.o.retryMs ?? 1000;
      if (this.active) this.o.logger.warn({ err: (err as Error).message, retryMs: next }, 'gossip key rotation step not committed; will retry');
    } finally {
      this.running = false;
    }
    if (this.again) {
      this.again = false;
      next = 0;
    }
    if (next !== null) this.schedule(next);
  }

  /** Plans and commits one step; resolves with the delay until the next, or null to wait for a cluster change. */
  private async step(): Promise<number | null> {
    for (let attempt = 1; ; attempt++) {
      const cluster = this.o.store.memory.list('cluster')[0];
      if (!this.active || !cluster) return null;
      const now = this.now();
      const before = gossipKeyState(cluster);
      const decision = planGossipKeys(before, now, this.timing, this.newKey);
      if (decision.kind === 'idle') return null;
      if (decision.kind === 'wait') return decision.untilMs - now;
      try {
        await this.o.store.commit([updateOp('cluster', withGossipKeys(cluster, decision.next), cluster.version)]);
      } catch (err) {
        // A concurrent cluster write (swarm update, node rm): plan again on the new state.
        if ((err as { code?: string }).code !== 'OUT_OF_SEQUENCE' || attempt >= WRITE_ATTEMPTS) throw err;
        continue;
      }
      this.logStep(decision.action, before.keys, decision.next.keys);
      return 0;
    }
  }

  private logStep(action: GossipKeyAction, before: readonly string[], after: readonly string[]): void {
    const primary = after[0] === undefined ? undefined : keyFingerprint(after[0]);
    const added = after.filter((k) => !before.includes(k)).map(keyFingerprint);
    const removed = before.filter((k) => !after.includes(k)).map(keyFingerprint);
    const fields = { action, primary, keys: after.length, ...(added.length ? { added } : {}), ...(removed.length ? { removed } : {}) };
    const text: Record<GossipKeyAction, string> = {
      adopt: 'gossip key rotation scheduled for the existing keys',
      install: 'gossip key rotation: new key installed (opens only)',
      promote: 'gossip key rotation: new key is primary (old key still opens)',
      retire: 'gossip key rotation: old key removed',
      repair: 'gossip key rotation state was inconsistent; repaired',
    };
    if (action === 'repair') this.o.logger.warn(fields, text[action]);
    else this.o.logger.info(fields, text[action]);
  }
}

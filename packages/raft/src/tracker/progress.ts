// The leader's view of one follower's log (etcd's tracker.Progress).
import { Inflights } from './inflights';

/**
 * probe: unsure where the follower's log ends; one append per heartbeat until one is accepted.
 * replicate: optimistic pipelining of appends within the inflight window.
 * snapshot: a snapshot is in flight; appends pause until it is reported done.
 */
export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export class Progress {
  match = 0;
  state: ProgressState = 'probe';
  /** Index of the snapshot being sent while in `snapshot` state. */
  pendingSnapshot = 0;
  /** Heard from since the last check-quorum round. */
  recentActive: boolean;
  /** In probe: a probe is outstanding. In replicate: the window is full. */
  msgAppFlowPaused = false;
  readonly inflights: Inflights;

  constructor(
    public next: number,
    maxInflight: number,
    public isLearner: boolean,
    recentActive = false,
  ) {
    this.inflights = new Inflights(maxInflight);
    this.recentActive = recentActive;
  }

  becomeProbe(): void {
    // After a snapshot, resume probing from just past it even if the follower has not said so yet.
    const floor = this.state === 'snapshot' ? this.pendingSnapshot + 1 : 0;
    this.resetState('probe');
    this.next = Math.max(this.match + 1, floor);
  }

  becomeReplicate(): void {
    this.resetState('replicate');
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState('snapshot');
    this.pendingSnapshot = snapshotIndex;
  }

  /** Bookkeeping after sending an append carrying `entries` entries starting at `next`. */
  updateOnEntriesSend(entries: number): void {
    if (this.state === 'replicate') {
      if (entries > 0) {
        const last = this.next + entries - 1;
        this.next = last + 1;
        this.inflights.add(last);
      }
      this.msgAppFlowPaused = this.inflights.full();
    } else if (entries > 0) {
      this.msgAppFlowPaused = true;
    }
  }

  /** Follower acknowledged up to n; returns true if that is news. */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.msgAppFlowPaused = false;
    }
    this.next = Math.max(this.next, n + 1);
    return updated;
  }

  /**
   * Follower rejected an append whose previous index was `rejected`; `matchHint` is the highest
   * index that may still match. Returns false if the rejection is stale.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    // Probes go one at a time, so a rejection not for next - 1 answers an older probe.
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), 1);
    this.msgAppFlowPaused = false;
    return true;
  }

  isPaused(): boolean {
    return this.state === 'snapshot' || this.msgAppFlowPaused;
  }

  private resetState(state: ProgressState): void {
    this.msgAppFlowPaused = false;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }
}

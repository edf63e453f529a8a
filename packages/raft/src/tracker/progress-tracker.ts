// Membership (voters, learners), per-peer progress, vote counting and the quorum commit index.
import { assertNever } from '../assert-never';
import type { ConfChange } from '../conf-change';
import type { ConfState, NodeId } from '../types';
import { Progress } from './progress';

export type VoteResult = 'pending' | 'won' | 'lost';

export class ProgressTracker {
  readonly voters = new Set<NodeId>();
  readonly learners = new Set<NodeId>();
  readonly progress = new Map<NodeId, Progress>();
  private readonly votes = new Map<NodeId, boolean>();

  constructor(private readonly maxInflight: number) {}

  static fromConfState(cs: ConfState, maxInflight: number, lastIndex: number): ProgressTracker {
    const t = new ProgressTracker(maxInflight);
    for (const id of cs.voters) t.apply({ type: 'add-voter', nodeId: id }, lastIndex);
    for (const id of cs.learners) t.apply({ type: 'add-learner', nodeId: id }, lastIndex);
    return t;
  }

  confState(): ConfState {
    return { voters: [...this.voters].sort(), learners: [...this.learners].sort() };
  }

  quorum(): number {
    return Math.floor(this.voters.size / 2) + 1;
  }

  /** Highest index replicated on a quorum of voters (learners do not count). */
  committed(): number {
    if (this.voters.size === 0) return 0;
    const matches: number[] = [];
    for (const id of this.voters) matches.push(this.progress.get(id)?.match ?? 0);
    matches.sort((a, b) => b - a);
    return matches[this.quorum() - 1] ?? 0;
  }

  /** A quorum of voters has been heard from since the last check (the leader counts itself). */
  quorumActive(): boolean {
    let active = 0;
    for (const id of this.voters) if (this.progress.get(id)?.recentActive === true) active++;
    return active >= this.quorum();
  }

  /** Records the first response from each node; later duplicates are ignored. */
  recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tallyVotes(): VoteResult {
    let granted = 0;
    let rejected = 0;
    for (const id of this.voters) {
      const v = this.votes.get(id);
      if (v === true) granted++;
      else if (v === false) rejected++;
    }
    const q = this.quorum();
    if (granted >= q) return 'won';
    if (this.voters.size - rejected >= q) return 'pending';
    return 'lost';
  }

  resetVotes(): void {
    this.votes.clear();
  }

  /** Fresh progress for every peer, as on a term change; `self` is known to hold everything. */
  resetProgress(lastIndex: number, self: NodeId): void {
    for (const [id, pr] of this.progress) {
      const fresh = new Progress(lastIndex + 1, this.maxInflight, pr.isLearner);
      if (id === self) fresh.match = lastIndex;
      this.progress.set(id, fresh);
    }
  }

  /** Why `cc` cannot be applied to the current membership, or undefined if it can. */
  validate(cc: ConfChange): string | undefined {
    if (cc.nodeId === '') return 'empty node id';
    const lastVoter = this.voters.size === 1 && this.voters.has(cc.nodeId);
    switch (cc.type) {
      case 'add-voter':
        return undefined;
      case 'add-learner':
        return lastVoter ? 'cannot demote the last voter' : undefined;
      case 'remove-node':
        return lastVoter ? 'cannot remove the last voter' : undefined;
      default:
        return assertNever(cc, 'conf change');
    }
  }

  /** Applies a validated single-server change. New peers start probing at lastIndex. */
  apply(cc: ConfChange, lastIndex: number): void {
    const id = cc.nodeId;
    const pr = this.progress.get(id);
    switch (cc.type) {
      case 'add-voter':
        if (pr === undefined) this.progress.set(id, this.initProgress(lastIndex, false));
        else pr.isLearner = false;
        this.learners.delete(id);
        this.voters.add(id);
        return;
      case 'add-learner':
        if (pr === undefined) this.progress.set(id, this.initProgress(lastIndex, true));
        else pr.isLearner = true;
        this.voters.delete(id);
        this.learners.add(id);
        return;
      case 'remove-node':
        this.voters.delete(id);
        this.learners.delete(id);
        this.progress.delete(id);
        return;
      default:
        assertNever(cc, 'conf change');
    }
  }

  private initProgress(lastIndex: number, isLearner: boolean): Progress {
    // Marked active so check-quorum does not count a just-added peer against the leader.
    return new Progress(Math.max(lastIndex, 1), this.maxInflight, isLearner, true);
  }
}

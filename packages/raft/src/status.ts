// A snapshot of the node's state for the application: leadership, log cursors and, on the
// leader, each peer's replication progress (which drives learner promotion).
import type { ProgressState } from './tracker/progress';
import type { NodeId, Role } from './types';

export interface PeerProgress {
  /** Highest index known to be replicated on the peer. */
  readonly match: number;
  readonly next: number;
  readonly state: ProgressState;
  readonly isLearner: boolean;
  /** Heard from within the current check-quorum window. */
  readonly recentActive: boolean;
  readonly paused: boolean;
  readonly pendingSnapshot: number;
  readonly inflight: number;
}

export interface Status {
  readonly id: NodeId;
  readonly term: number;
  readonly vote: NodeId | null;
  readonly lead: NodeId | null;
  readonly role: Role;
  readonly commit: number;
  readonly applied: number;
  readonly firstIndex: number;
  readonly lastIndex: number;
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
  readonly leadTransferee: NodeId | null;
  /** Per-peer progress (including this node); empty unless this node is the leader. */
  readonly progress: Readonly<Record<NodeId, PeerProgress>>;
}

export interface PromotionOptions {
  /** How many entries a learner may trail the leader's last index and still count as caught up. */
  readonly maxLag?: number;
}

/**
 * Learners that are caught up with the leader and recently active: candidates for an `add-voter`
 * proposal. Only meaningful on the leader (empty elsewhere).
 */
export function learnersReadyForPromotion(status: Status, options: PromotionOptions = {}): NodeId[] {
  if (status.role !== 'leader') return [];
  const maxLag = options.maxLag ?? 0;
  return status.learners.filter((id) => {
    const pr = status.progress[id];
    return pr !== undefined && pr.recentActive && pr.match + maxLag >= status.lastIndex;
  });
}

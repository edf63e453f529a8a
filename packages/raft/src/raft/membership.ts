// Applying committed membership changes (single-server, effective when applied, as etcd's
// simple changes) and the leader's reaction to its own removal or demotion.
import type { ConfChange } from '../conf-change';
import type { ConfState, NodeId } from '../types';
import type { Raft } from './raft';
import { bcastAppend, maybeSendAppend, sendTimeoutNow } from './replication';

/** Applies a committed conf change; invalid ones are ignored identically on every node. */
export function applyConfChange(r: Raft, cc: ConfChange): ConfState {
  const invalid = r.tracker.validate(cc);
  if (invalid !== undefined) {
    r.logger.warn({ change: cc.type, node: cc.nodeId, reason: invalid }, 'ignoring invalid conf change');
    return r.tracker.confState();
  }
  r.tracker.apply(cc, r.log.lastIndex());
  return switchToConfig(r);
}

/** Brings a leader in line with a new membership; returns the membership now in effect. */
export function switchToConfig(r: Raft): ConfState {
  const cs = r.tracker.confState();
  if (r.role !== 'leader') return cs;
  const self = r.tracker.progress.get(r.id);
  if (self === undefined || self.isLearner) {
    handOffLeadership(r);
    r.becomeFollower(r.term, null);
    return cs;
  }
  if (r.maybeCommit()) {
    bcastAppend(r); // a smaller quorum may have committed more
  } else {
    // Probe newly added peers now rather than at the next heartbeat.
    for (const id of r.tracker.progress.keys()) if (id !== r.id) maybeSendAppend(r, id, false);
  }
  if (r.leadTransferee !== null && !r.tracker.voters.has(r.leadTransferee)) r.abortLeaderTransfer();
  return cs;
}

/**
 * A leader that was removed or demoted asks the most caught-up remaining voter to campaign at
 * once, so the cluster does not sit leaderless for an election timeout.
 */
function handOffLeadership(r: Raft): void {
  let best: NodeId | null = null;
  let bestMatch = -1;
  for (const id of r.tracker.voters) {
    const match = r.tracker.progress.get(id)?.match ?? 0;
    if (id !== r.id && match > bestMatch) [best, bestMatch] = [id, match];
  }
  r.logger.info({ term: r.term, successor: best }, 'leader left the voters; stepping down');
  if (best !== null && bestMatch >= r.log.committed) sendTimeoutNow(r, best);
}

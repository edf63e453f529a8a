// How followers and (pre-)candidates react to messages from the leader and to vote responses.
import { assertNever } from '../assert-never';
import type { AppendRequest, HeartbeatRequest, Message, SnapshotRequest } from '../messages';
import { ProgressTracker } from '../tracker/progress-tracker';
import { switchToConfig } from './membership';
import type { Raft } from './raft';
import { bcastAppend } from './replication';

export function stepFollower(r: Raft, m: Message): void {
  switch (m.type) {
    case 'append':
    case 'heartbeat':
    case 'snapshot':
      r.electionElapsed = 0;
      r.lead = m.from;
      handleLeaderMessage(r, m);
      return;
    case 'timeout-now':
      r.logger.info({ from: m.from, term: r.term }, 'received timeout-now; campaigning');
      // No pre-vote: we know the leader wants us to take over, so there is no partition to fear.
      r.hup('transfer');
      return;
    case 'transfer-leader':
      if (r.lead !== null && r.lead !== m.from) r.send({ type: 'transfer-leader', to: r.lead, transferee: m.transferee });
      return;
    case 'append-response':
    case 'heartbeat-response':
    case 'pre-vote':
    case 'vote':
    case 'pre-vote-response':
    case 'vote-response':
      return;
    default:
      assertNever(m, 'message');
  }
}

export function stepCandidate(r: Raft, m: Message): void {
  switch (m.type) {
    case 'append':
    case 'heartbeat':
    case 'snapshot':
      // A leader exists for our term: we lost.
      r.becomeFollower(m.term, m.from);
      handleLeaderMessage(r, m);
      return;
    case 'pre-vote-response':
    case 'vote-response': {
      const ours = r.role === 'pre-candidate' ? 'pre-vote-response' : 'vote-response';
      if (m.type !== ours) return; // left over from the other phase
      const result = r.poll(m.from, !m.reject);
      if (result === 'won') {
        if (r.role === 'pre-candidate') {
          r.campaign('election');
        } else {
          r.becomeLeader();
          bcastAppend(r);
        }
      } else if (result === 'lost') {
        r.becomeFollower(r.term, null);
      }
      return;
    }
    case 'timeout-now':
    case 'transfer-leader':
    case 'append-response':
    case 'heartbeat-response':
    case 'pre-vote':
    case 'vote':
      return;
    default:
      assertNever(m, 'message');
  }
}

function handleLeaderMessage(r: Raft, m: AppendRequest | HeartbeatRequest | SnapshotRequest): void {
  switch (m.type) {
    case 'append':
      handleAppend(r, m);
      return;
    case 'heartbeat':
      r.log.commitTo(m.commit);
      r.send({ type: 'heartbeat-response', to: m.from });
      return;
    case 'snapshot': {
      const installed = restore(r, m);
      const index = installed ? r.log.lastIndex() : r.log.committed;
      r.send({ type: 'append-response', to: m.from, index, reject: false, rejectHint: 0, hintTerm: 0 });
      return;
    }
    default:
      assertNever(m, 'message');
  }
}

function handleAppend(r: Raft, m: AppendRequest): void {
  if (m.index < r.log.committed) {
    // Everything up to our commit index matches the leader's log; say so.
    r.send({ type: 'append-response', to: m.from, index: r.log.committed, reject: false, rejectHint: 0, hintTerm: 0 });
    return;
  }
  const last = r.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
  if (last !== undefined) {
    r.send({ type: 'append-response', to: m.from, index: last, reject: false, rejectHint: 0, hintTerm: 0 });
    return;
  }
  // Mismatch at m.index. Hint the highest (index, term) at or below it whose term is <= the
  // leader's logTerm: every index above that must mismatch as well.
  const hint = r.log.findConflictByTerm(Math.min(m.index, r.log.lastIndex()), m.logTerm);
  r.logger.debug({ from: m.from, index: m.index, logTerm: m.logTerm, hint }, 'rejecting append');
  r.send({
    type: 'append-response',
    to: m.from,
    index: m.index,
    reject: true,
    rejectHint: hint.index,
    hintTerm: hint.term,
  });
}

/** Installs a leader's snapshot; returns false if it brings nothing new. */
function restore(r: Raft, m: SnapshotRequest): boolean {
  const s = m.snapshot;
  const { index, term } = s.metadata;
  if (index <= r.log.committed) return false;
  if (r.log.matchTerm(index, term)) {
    // We already hold that entry: just fast-forward the commit index.
    r.log.commitTo(index);
    return false;
  }
  r.logger.info({ index, term, from: m.from }, 'installing snapshot from leader');
  r.log.restore(s);
  // The snapshot's membership may predate our own addition (a learner joining after the
  // snapshot was taken); that is fine: the entries that follow will add us.
  r.tracker = ProgressTracker.fromConfState(s.metadata.confState, r.opts.maxInflightMsgs, r.log.lastIndex());
  switchToConfig(r);
  return true;
}

// How a leader reacts to its followers' responses.
import { assertNever } from '../assert-never';
import type { AppendResponse, Message } from '../messages';
import type { Progress } from '../tracker/progress';
import { transferLeadership } from './proposals';
import type { Raft } from './raft';
import { bcastAppend, maybeSendAppend, sendTimeoutNow } from './replication';

export function stepLeader(r: Raft, m: Message): void {
  if (m.type === 'transfer-leader') {
    transferLeadership(r, m.transferee);
    return;
  }
  const pr = r.tracker.progress.get(m.from);
  if (pr === undefined) return; // not (or no longer) a member
  switch (m.type) {
    case 'append-response':
      handleAppendResponse(r, m, pr);
      return;
    case 'heartbeat-response':
      pr.recentActive = true;
      pr.msgAppFlowPaused = false;
      // Also covers a full window whose messages were all lost: this sends an (empty) append
      // whose answer resets the window.
      if (pr.match < r.log.lastIndex() || pr.state === 'probe') maybeSendAppend(r, m.from, true);
      return;
    case 'append':
    case 'heartbeat':
    case 'snapshot':
      // Two leaders in one term would be a safety violation; the term check makes this unreachable.
      r.logger.warn({ from: m.from, type: m.type, term: m.term }, 'leader got leader traffic for its own term');
      return;
    case 'pre-vote':
    case 'vote':
    case 'pre-vote-response':
    case 'vote-response':
    case 'timeout-now':
      return; // votes are handled before dispatch; late responses and stray timeouts are moot
    default:
      assertNever(m, 'message');
  }
}

function handleAppendResponse(r: Raft, m: AppendResponse, pr: Progress): void {
  pr.recentActive = true;
  if (m.reject) {
    handleRejection(r, m, pr);
    return;
  }
  // A probing follower that confirms its current match can move to replicate too.
  const moved = pr.maybeUpdate(m.index) || (pr.match === m.index && pr.state === 'probe');
  if (!moved) return;
  if (pr.state === 'probe') {
    pr.becomeReplicate();
  } else if (pr.state === 'snapshot' && pr.match + 1 >= r.log.firstIndex()) {
    // The follower caught up (from the snapshot or otherwise) to where our log can serve it.
    pr.becomeProbe();
    pr.becomeReplicate();
  } else if (pr.state === 'replicate') {
    pr.inflights.freeLE(m.index);
  }
  if (r.maybeCommit()) bcastAppend(r);
  // Flow control may have opened up; fill the window without sending empty appends.
  while (maybeSendAppend(r, m.from, false)) {
    // keep sending
  }
  if (m.from === r.leadTransferee && pr.match === r.log.lastIndex()) sendTimeoutNow(r, m.from);
}

function handleRejection(r: Raft, m: AppendResponse, pr: Progress): void {
  // The hint is the follower's best guess where our logs may match. Terms only grow along a
  // log, so every index of ours whose term exceeds the follower's hintTerm must mismatch too:
  // skip straight past them, probing at most once per term of our log.
  let nextProbe = m.rejectHint;
  if (m.hintTerm > 0) nextProbe = r.log.findConflictByTerm(m.rejectHint, m.hintTerm).index;
  if (!pr.maybeDecrTo(m.index, nextProbe)) return;
  r.logger.debug({ peer: m.from, next: pr.next, hint: m.rejectHint }, 'follower rejected append; backing off');
  if (pr.state === 'replicate') pr.becomeProbe();
  maybeSendAppend(r, m.from, true);
}

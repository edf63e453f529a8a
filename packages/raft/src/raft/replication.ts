// Leader-side sending: appends (batched by size, pipelined within the inflight window),
// snapshots for followers behind the compacted log, heartbeats and leadership hand-off.
import type { Progress } from '../tracker/progress';
import type { Entry, NodeId } from '../types';
import { isEmptySnapshot } from '../types';
import { RaftInvariantError } from '../errors';
import type { Raft } from './raft';

/**
 * Sends the next append to `to` unless its flow is paused. With sendIfEmpty false an append
 * without entries is not worth a message. Returns true if a message was queued.
 */
export function maybeSendAppend(r: Raft, to: NodeId, sendIfEmpty: boolean): boolean {
  const pr = r.tracker.progress.get(to);
  if (pr === undefined || pr.isPaused()) return false;
  const prevIndex = pr.next - 1;
  const prevTerm = r.log.term(prevIndex);
  // With a full window send only an empty append: if every inflight message was lost, its
  // answer (ack or reject) is what unblocks replication.
  let ents: Entry[] | undefined = [];
  if (pr.state !== 'replicate' || !pr.inflights.full()) ents = r.log.entries(pr.next, r.opts.maxSizePerMsg);
  if (prevTerm === undefined || ents === undefined) return sendSnapshot(r, to, pr);
  if (ents.length === 0 && !sendIfEmpty) return false;
  r.send({ type: 'append', to, index: prevIndex, logTerm: prevTerm, entries: ents, commit: r.log.committed });
  pr.updateOnEntriesSend(ents.length);
  return true;
}

function sendSnapshot(r: Raft, to: NodeId, pr: Progress): boolean {
  // A snapshot can be large; do not push one at a peer we have not heard from lately.
  if (!pr.recentActive) {
    r.logger.debug({ to }, 'not sending snapshot to inactive peer');
    return false;
  }
  const snapshot = r.log.snapshot();
  if (isEmptySnapshot(snapshot)) {
    throw new RaftInvariantError(`peer ${to} needs entries before ${r.log.firstIndex()} but no snapshot exists`);
  }
  pr.becomeSnapshot(snapshot.metadata.index);
  r.logger.info(
    { to, index: snapshot.metadata.index, term: snapshot.metadata.term },
    'sending snapshot to lagging peer',
  );
  r.send({ type: 'snapshot', to, snapshot });
  return true;
}

export function bcastAppend(r: Raft): void {
  for (const id of r.tracker.progress.keys()) {
    if (id !== r.id) maybeSendAppend(r, id, true);
  }
}

export function bcastHeartbeat(r: Raft): void {
  for (const [id, pr] of r.tracker.progress) {
    if (id === r.id) continue;
    // Never tell a follower to commit beyond what it is known to hold.
    r.send({ type: 'heartbeat', to: id, commit: Math.min(pr.match, r.log.committed) });
  }
}

export function sendTimeoutNow(r: Raft, to: NodeId): void {
  r.logger.info({ to, term: r.term }, 'handing leadership over (timeout-now)');
  r.send({ type: 'timeout-now', to });
}

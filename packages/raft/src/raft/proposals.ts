// Operations the application starts on the leader: proposals and leadership transfer.
import type { ConfChange } from '../conf-change';
import { encodeConfChange } from '../conf-change';
import type { Entry, EntryType, NodeId } from '../types';
import type { Raft } from './raft';
import { bcastAppend, maybeSendAppend, sendTimeoutNow } from './replication';

export type ProposeRejection =
  | 'not-leader'
  | 'not-member'
  | 'leadership-transfer'
  | 'conf-change-pending'
  | 'invalid-conf-change';

/** Accepted proposals report where they landed; the entry may still be lost until committed. */
export type ProposeResult =
  | { readonly ok: true; readonly index: number; readonly term: number }
  | { readonly ok: false; readonly reason: ProposeRejection; readonly leader: NodeId | null; readonly detail?: string };

export function propose(r: Raft, data: Uint8Array): ProposeResult {
  return checkCanPropose(r) ?? appendProposal(r, 'normal', data);
}

export function proposeConfChange(r: Raft, cc: ConfChange): ProposeResult {
  const rejected = checkCanPropose(r);
  if (rejected !== undefined) return rejected;
  if (r.pendingConfIndex > r.log.applied) {
    const detail = `conf change at ${r.pendingConfIndex} not yet applied (applied ${r.log.applied})`;
    return { ok: false, reason: 'conf-change-pending', leader: r.lead, detail };
  }
  const invalid = r.tracker.validate(cc);
  if (invalid !== undefined) return { ok: false, reason: 'invalid-conf-change', leader: r.lead, detail: invalid };
  const result = appendProposal(r, 'conf-change', encodeConfChange(cc));
  if (result.ok) r.pendingConfIndex = result.index;
  return result;
}

function checkCanPropose(r: Raft): ProposeResult | undefined {
  if (r.role !== 'leader') return { ok: false, reason: 'not-leader', leader: r.lead };
  if (!r.tracker.progress.has(r.id)) return { ok: false, reason: 'not-member', leader: null };
  if (r.leadTransferee !== null) return { ok: false, reason: 'leadership-transfer', leader: r.lead };
  return undefined;
}

function appendProposal(r: Raft, type: EntryType, data: Uint8Array): ProposeResult {
  const [e] = r.appendEntries([{ type, data }]) as [Entry];
  bcastAppend(r);
  return { ok: true, index: e.index, term: e.term };
}

/** On the leader: hand over to `to`. On a follower: forward the request to the leader. */
export function transferLeadership(r: Raft, to: NodeId): void {
  if (r.role !== 'leader') {
    if (r.lead !== null) r.send({ type: 'transfer-leader', to: r.lead, transferee: to });
    return;
  }
  const pr = r.tracker.progress.get(to);
  if (pr === undefined || pr.isLearner) {
    r.logger.warn({ to }, 'ignoring leadership transfer to a non-voter');
    return;
  }
  if (r.leadTransferee === to || to === r.id) return;
  r.abortLeaderTransfer();
  // The transfer must finish within one election timeout, counted from now.
  r.electionElapsed = 0;
  r.leadTransferee = to;
  r.logger.info({ to, term: r.term }, 'transferring leadership');
  // Proposals are refused meanwhile, so once `to` holds our last entry it can take over safely.
  if (pr.match === r.log.lastIndex()) sendTimeoutNow(r, to);
  else maybeSendAppend(r, to, true);
}

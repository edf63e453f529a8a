// Rebuilds the durable raft state from WAL records plus the newest snapshot the WAL vouches for.
import { RaftInvariantError } from '../errors';
import { EMPTY_HARD_STATE, EMPTY_SNAPSHOT } from '../types';
import type { Entry, HardState, Snapshot } from '../types';
import type { SnapshotMark, WalRecord } from './wal-records';

export interface ReplayedState {
  readonly snapshot: Snapshot;
  /** Entries after the snapshot, contiguous. */
  readonly entries: Entry[];
  readonly hardState: HardState;
  /** Whether a snapshot position appears in the WAL (files not vouched for are ignored). */
  readonly vouched: (mark: SnapshotMark) => boolean;
}

export function replay(records: readonly WalRecord[], loadSnapshot: (vouched: (m: SnapshotMark) => boolean) => Snapshot | undefined): ReplayedState {
  const marks = new Set<string>();
  for (const rec of records) {
    const mark = rec.kind === 'batch' ? rec.install : rec.snapshot;
    if (mark !== undefined && mark.index > 0) marks.add(markKey(mark));
  }
  const vouched = (m: SnapshotMark): boolean => marks.has(markKey(m));
  const snapshot = loadSnapshot(vouched) ?? EMPTY_SNAPSHOT;
  const base = snapshot.metadata.index;
  let hardState = EMPTY_HARD_STATE;
  let entries: Entry[] = [];
  for (const rec of records) {
    if (rec.kind === 'header') {
      hardState = rec.hardState;
    } else if (rec.kind === 'batch') {
      if (rec.install !== undefined) {
        if (rec.install.index > base) {
          throw new RaftInvariantError(`snapshot ${markKey(rec.install)} installed from the leader is missing or unreadable`);
        }
        entries = []; // a leader snapshot replaced the whole log
      }
      const first = rec.entries[0];
      if (first !== undefined) {
        // Like MemoryStorage.append: a batch starting at k replaces everything from k on. Apply
        // that truncation even when the batch lies wholly at or below the snapshot: it may be
        // the rewrite that discarded a stale suffix above the snapshot.
        const keep = Math.max(first.index - base - 1, 0);
        if (keep > entries.length) {
          throw new RaftInvariantError(`WAL has a gap before entry ${first.index} (log ends at ${base + entries.length})`);
        }
        entries.length = keep;
        for (const e of rec.entries) if (e.index > base) entries.push(e);
      }
      if (rec.hardState !== undefined) hardState = rec.hardState;
    }
  }
  const last = base + entries.length;
  // The snapshot index is committed by definition even if a later commit was never synced.
  const commit = Math.max(hardState.commit, base);
  if (commit > last) throw new RaftInvariantError(`recovered commit ${commit} beyond recovered log end ${last}`);
  return { snapshot, entries, hardState: { ...hardState, commit }, vouched };
}

function markKey(m: SnapshotMark): string {
  return `${m.index}/${m.term}`;
}

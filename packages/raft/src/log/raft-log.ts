// The log as the core sees it: durable entries in storage followed by unstable ones, plus the
// commit and apply cursors.
import { CompactedError, RaftInvariantError, UnavailableError } from '../errors';
import type { RaftStorageReader } from '../storage/storage';
import { limitSize } from '../types';
import type { Entry, Snapshot } from '../types';
import { Unstable } from './unstable';

/** Page size used when scanning committed-but-unapplied entries for conf changes. */
const SCAN_PAGE_BYTES = 1 << 20;

export interface LogPosition {
  readonly index: number;
  readonly term: number;
}

export class RaftLog {
  readonly unstable: Unstable;
  /** Highest index known to be committed by a quorum. */
  committed: number;
  /** Highest index the application has applied (acknowledged via advance()). */
  applied: number;

  constructor(
    readonly storage: RaftStorageReader,
    private readonly maxApplyBytes: number,
  ) {
    this.unstable = new Unstable(storage.lastIndex() + 1);
    // Everything up to the snapshot is committed and applied by definition.
    this.committed = storage.firstIndex() - 1;
    this.applied = this.committed;
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  lastTerm(): number {
    const t = this.term(this.lastIndex());
    if (t === undefined) throw new RaftInvariantError(`no term for last index ${this.lastIndex()}`);
    return t;
  }

  /** Term at i, or undefined when i is compacted or beyond the log. */
  term(i: number): number | undefined {
    const t = this.unstable.maybeTerm(i);
    if (t !== undefined) return t;
    // The valid range is [firstIndex - 1, lastIndex]: the snapshot's own term stays available.
    if (i + 1 < this.firstIndex() || i > this.lastIndex()) return undefined;
    try {
      return this.storage.term(i);
    } catch (err) {
      if (err instanceof CompactedError || err instanceof UnavailableError) return undefined;
      throw err;
    }
  }

  matchTerm(i: number, t: number): boolean {
    return this.term(i) === t;
  }

  /** Candidate's log is at least as up to date as ours (Raft §5.4.1). */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ours = this.lastTerm();
    return lastTerm > ours || (lastTerm === ours && lastIndex >= this.lastIndex());
  }

  /**
   * Follower side of AppendEntries: if our log matches at (prevIndex, prevTerm), append `ents`
   * (truncating any conflicting suffix) and return the index of the last new entry.
   */
  maybeAppend(prevIndex: number, prevTerm: number, commit: number, ents: readonly Entry[]): number | undefined {
    if (!this.matchTerm(prevIndex, prevTerm)) return undefined;
    const lastNew = prevIndex + ents.length;
    const conflict = this.findConflict(ents);
    if (conflict !== 0) {
      if (conflict <= this.committed) {
        throw new RaftInvariantError(`entry ${conflict} conflicts with committed entry (commit ${this.committed})`);
      }
      this.append(ents.slice(conflict - (prevIndex + 1)));
    }
    this.commitTo(Math.min(commit, lastNew));
    return lastNew;
  }

  append(ents: readonly Entry[]): number {
    const first = ents[0];
    if (first === undefined) return this.lastIndex();
    if (first.index - 1 < this.committed) {
      throw new RaftInvariantError(`append at ${first.index} would overwrite committed ${this.committed}`);
    }
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /** Index of the first entry whose term differs from ours (or that we lack), or 0. */
  findConflict(ents: readonly Entry[]): number {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * Highest (index, term) at or below `index` whose term is <= `term`: no index above it can match
   * a log whose entry at `index` has term `term`, because terms never decrease along a log.
   * An unknown term (compacted) is reported as 0, meaning "may match".
   */
  findConflictByTerm(index: number, term: number): LogPosition {
    for (let i = index; i > 0; i--) {
      const ours = this.term(i);
      if (ours === undefined) return { index: i, term: 0 };
      if (ours <= term) return { index: i, term: ours };
    }
    return { index: 0, term: 0 };
  }

  unstableEntries(): Entry[] {
    return this.unstable.entries.slice();
  }

  hasPendingSnapshot(): boolean {
    return this.unstable.snapshot !== undefined;
  }

  hasNextCommittedEntries(): boolean {
    if (this.hasPendingSnapshot()) return false;
    return Math.max(this.applied + 1, this.firstIndex()) <= this.committed;
  }

  /** Committed entries not yet applied, capped by size. None while a snapshot awaits persisting. */
  nextCommittedEntries(): Entry[] {
    if (!this.hasNextCommittedEntries()) return [];
    const lo = Math.max(this.applied + 1, this.firstIndex());
    return this.mustSlice(lo, this.committed + 1, this.maxApplyBytes);
  }

  /** True if an unapplied committed entry may change membership; campaigning then is unsafe. */
  hasUnappliedConfChanges(): boolean {
    let lo = Math.max(this.applied + 1, this.firstIndex());
    const hi = this.committed + 1;
    while (lo < hi) {
      const page = this.mustSlice(lo, hi, SCAN_PAGE_BYTES);
      if (page.some((e) => e.type === 'conf-change')) return true;
      lo += page.length;
    }
    return false;
  }

  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  commitTo(i: number): void {
    if (i <= this.committed) return;
    if (i > this.lastIndex()) {
      throw new RaftInvariantError(`commit ${i} is beyond last index ${this.lastIndex()}`);
    }
    this.committed = i;
  }

  appliedTo(i: number): void {
    if (i === 0) return;
    if (i > this.committed || i < this.applied) {
      throw new RaftInvariantError(`applied ${i} outside [${this.applied}, ${this.committed}]`);
    }
    this.applied = i;
  }

  stableTo(i: number, t: number): void {
    this.unstable.stableTo(i, t);
  }

  stableSnapTo(i: number): void {
    this.unstable.stableSnapTo(i);
  }

  /** Leader side: commit up to maxIndex only if that entry is from the current term (§5.4.2). */
  maybeCommit(maxIndex: number, term: number): boolean {
    if (maxIndex > this.committed && this.term(maxIndex) === term) {
      this.commitTo(maxIndex);
      return true;
    }
    return false;
  }

  restore(s: Snapshot): void {
    this.committed = s.metadata.index;
    this.unstable.restore(s);
  }

  /** Entries from `from` to the end, size-capped; undefined if `from` is compacted. */
  entries(from: number, maxBytes: number): Entry[] | undefined {
    if (from > this.lastIndex()) return [];
    return this.slice(from, this.lastIndex() + 1, maxBytes);
  }

  /** Entries in [lo, hi), size-capped; undefined if lo is compacted. */
  slice(lo: number, hi: number, maxBytes: number): Entry[] | undefined {
    if (lo < this.firstIndex()) return undefined;
    if (lo > hi || hi > this.lastIndex() + 1) {
      throw new RaftInvariantError(`slice [${lo}, ${hi}) outside log [${this.firstIndex()}, ${this.lastIndex()}]`);
    }
    if (lo === hi) return [];
    const off = this.unstable.offset;
    let ents: Entry[] = [];
    if (lo < off) {
      const stableHi = Math.min(hi, off);
      let stored: Entry[];
      try {
        stored = this.storage.entries(lo, stableHi, maxBytes);
      } catch (err) {
        if (err instanceof CompactedError) return undefined;
        throw err;
      }
      if (stored.length < stableHi - lo) return stored; // size limit reached inside storage
      ents = stored;
    }
    if (hi > off) {
      const fresh = this.unstable.slice(Math.max(lo, off), hi);
      ents = ents.length > 0 ? ents.concat(fresh) : fresh;
    }
    return limitSize(ents, maxBytes);
  }

  private mustSlice(lo: number, hi: number, maxBytes: number): Entry[] {
    const ents = this.slice(lo, hi, maxBytes);
    if (ents === undefined) throw new RaftInvariantError(`entries from ${lo} unexpectedly compacted`);
    return ents;
  }
}

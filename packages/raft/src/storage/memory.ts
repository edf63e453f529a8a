// In-memory RaftStorage: the twin used by tests and the in-memory index behind FileStorage.
import {
  CompactedError,
  RaftInvariantError,
  RaftUsageError,
  SnapshotOutOfDateError,
  UnavailableError,
} from '../errors';
import { EMPTY_HARD_STATE, EMPTY_SNAPSHOT, limitSize } from '../types';
import type { ConfState, Entry, HardState, Snapshot } from '../types';
import type { InitialState, RaftStorage, StorageUpdate } from './storage';

export class MemoryStorage implements RaftStorage {
  private hardState: HardState = EMPTY_HARD_STATE;
  private snap: Snapshot = EMPTY_SNAPSHOT;
  /**
   * ents[0] is a dummy standing for the snapshot's (index, term), so ents[i] has raft index
   * ents[0].index + i and term lookups at the snapshot index need no special case.
   */
  private ents: Entry[] = [dummyEntry(0, 0)];

  initialState(): InitialState {
    return { hardState: this.hardState, confState: this.snap.metadata.confState };
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    const offset = this.offset();
    if (lo <= offset) throw new CompactedError(`entry ${lo} is compacted (snapshot at ${offset})`);
    if (hi > this.lastIndex() + 1) {
      throw new UnavailableError(`entries [${lo}, ${hi}) beyond last index ${this.lastIndex()}`);
    }
    if (lo >= hi) return [];
    return limitSize(this.ents.slice(lo - offset, hi - offset), maxBytes);
  }

  term(i: number): number {
    const offset = this.offset();
    if (i < offset) throw new CompactedError(`term of ${i} is compacted (snapshot at ${offset})`);
    const e = this.ents[i - offset];
    if (e === undefined) throw new UnavailableError(`term of ${i} beyond last index ${this.lastIndex()}`);
    return e.term;
  }

  firstIndex(): number {
    return this.offset() + 1;
  }

  lastIndex(): number {
    return this.offset() + this.ents.length - 1;
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  sync(done: (err?: Error) => void): void {
    queueMicrotask(() => done());
  }

  save(update: StorageUpdate): void {
    this.checkSave(update);
    if (update.snapshot !== undefined) this.applySnapshot(update.snapshot);
    if (update.entries !== undefined) this.append(update.entries);
    if (update.hardState !== undefined) this.setHardState(update.hardState);
  }

  /** Throws exactly when save(update) would, without changing anything. */
  checkSave(update: StorageUpdate): void {
    let last = this.lastIndex();
    if (update.snapshot !== undefined) {
      this.checkNewer(update.snapshot.metadata.index);
      last = update.snapshot.metadata.index;
    }
    const head = update.entries?.[0];
    if (head !== undefined && head.index > last + 1) {
      throw new RaftInvariantError(`missing log entries: last ${last}, appending ${head.index}`);
    }
  }

  /** Throws exactly when createSnapshot(index, ...) would; returns the term at `index`. */
  checkCreateSnapshot(index: number): number {
    this.checkNewer(index);
    if (index > this.lastIndex()) {
      throw new UnavailableError(`snapshot index ${index} beyond last index ${this.lastIndex()}`);
    }
    return this.term(index);
  }

  setHardState(hs: HardState): void {
    this.hardState = hs;
  }

  /** Replaces the whole log with a snapshot received from the leader. */
  applySnapshot(snap: Snapshot): void {
    this.checkNewer(snap.metadata.index);
    this.snap = snap;
    this.ents = [dummyEntry(snap.metadata.index, snap.metadata.term)];
  }

  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot {
    const term = this.checkCreateSnapshot(index);
    this.snap = { metadata: { index, term, confState: copyConfState(confState) }, data };
    return this.snap;
  }

  createSnapshotAsync(index: number, confState: ConfState, data: Uint8Array): Promise<Snapshot | null> {
    try {
      this.checkCreateSnapshot(index);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return Promise.resolve().then(() => (index > this.snap.metadata.index ? this.createSnapshot(index, confState, data) : null));
  }

  /**
   * Drops entries up to `index`, which must not pass the snapshot: a leader cannot serve a
   * follower that needs entries between its snapshot and its first entry.
   */
  compact(index: number): void {
    const offset = this.offset();
    if (index <= offset) throw new CompactedError(`already compacted to ${offset}`);
    if (index > this.snap.metadata.index) {
      throw new RaftUsageError(`cannot compact to ${index} beyond the snapshot at ${this.snap.metadata.index}`);
    }
    const i = index - offset;
    const at = this.ents[i] as Entry;
    this.ents = [dummyEntry(at.index, at.term), ...this.ents.slice(i + 1)];
  }

  /** Appends entries, truncating any existing suffix they overlap. Must not leave a gap. */
  append(entries: readonly Entry[]): void {
    const head = entries[0];
    if (head === undefined) return;
    const first = this.firstIndex();
    const last = head.index + entries.length - 1;
    if (last < first) return; // everything offered is already compacted
    const fresh = first > head.index ? entries.slice(first - head.index) : entries;
    const at = (fresh[0] as Entry).index - this.offset();
    if (at > this.ents.length) {
      throw new RaftInvariantError(`missing log entries: last ${this.lastIndex()}, appending ${head.index}`);
    }
    // In place: readers only ever receive slices, so mutating our own array is safe and keeps
    // appends O(batch) rather than O(log).
    this.ents.length = at;
    for (const e of fresh) this.ents.push(e);
  }

  close(): void {
    // Nothing to release; present for interface symmetry with FileStorage.
  }

  private offset(): number {
    return (this.ents[0] as Entry).index;
  }

  private checkNewer(index: number): void {
    const current = this.snap.metadata.index;
    if (index <= current) {
      throw new SnapshotOutOfDateError(`snapshot at ${index} is not newer than ${current}`);
    }
  }
}

function dummyEntry(index: number, term: number): Entry {
  return { index, term, type: 'normal', data: new Uint8Array(0) };
}

function copyConfState(cs: ConfState): ConfState {
  return { voters: [...cs.voters], learners: [...cs.learners] };
}

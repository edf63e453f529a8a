// Storage contracts. The core reads through RaftStorageReader synchronously; the application
// (the shell) writes what each Ready asks it to persist through RaftStorage.
import type { ConfState, Entry, HardState, Snapshot } from '../types';

export interface InitialState {
  readonly hardState: HardState;
  /** Membership as of the latest snapshot; later conf-change entries are re-applied by the app. */
  readonly confState: ConfState;
}

export interface RaftStorageReader {
  initialState(): InitialState;
  /**
   * Entries in [lo, hi), capped at maxBytes but always at least one entry when lo < hi.
   * Throws CompactedError if lo <= the snapshot index, UnavailableError if hi > lastIndex() + 1.
   */
  entries(lo: number, hi: number, maxBytes: number): Entry[];
  /**
   * Term of entry i, valid for i in [firstIndex() - 1, lastIndex()] (the snapshot's own index
   * included). Throws CompactedError below that range and UnavailableError above it.
   */
  term(i: number): number;
  /** Index of the first entry still held (snapshot index + 1). */
  firstIndex(): number;
  lastIndex(): number;
  /** The most recent snapshot (EMPTY_SNAPSHOT if none). */
  snapshot(): Snapshot;
}

/** What one Ready asks the application to make durable. */
export interface StorageUpdate {
  readonly hardState?: HardState | undefined;
  readonly entries?: readonly Entry[] | undefined;
  readonly snapshot?: Snapshot | undefined;
  /**
   * False when only the commit index moved: the write may then skip fsync, because commit can be
   * re-learned from the leader. Defaults to true.
   */
  readonly mustSync?: boolean | undefined;
}

export interface RaftStorage extends RaftStorageReader {
  /**
   * Persists, in this order, the snapshot (replacing the whole log), the entries (truncating any
   * conflicting suffix) and the hard state. Durable when it returns.
   */
  save(update: StorageUpdate): void;
  /**
   * Makes everything saved so far durable off the caller's thread, then calls `done` (with an
   * error if it could not; storage then refuses further writes). Lets a leader save with
   * `mustSync: false`, send its entries, and count itself toward a quorum only after this.
   */
  sync(done: (err?: Error) => void): void;
  /**
   * Records an application snapshot of the state at `index` (<= the applied index). Throws
   * SnapshotOutOfDateError if a snapshot at or beyond `index` exists.
   */
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot;
  /**
   * As createSnapshot, but a durable storage writes and fsyncs the snapshot file off the caller's
   * thread (a store's snapshot can be megabytes; its write would stall the Ready loop). Checks
   * as createSnapshot does at once (rejecting the same way); nothing changes until it resolves
   * with the recorded snapshot, or with null when a newer snapshot was installed meanwhile.
   */
  createSnapshotAsync(index: number, confState: ConfState, data: Uint8Array): Promise<Snapshot | null>;
  /**
   * Discards entries up to and including `index` (which must be <= the snapshot index for
   * durable storages, so the entries stay recoverable). Throws CompactedError if already compacted.
   */
  compact(index: number): void;
  close(): void;
}

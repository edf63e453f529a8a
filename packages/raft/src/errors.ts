// One error class per condition, each with a stable `code`. The core returns rejections for
// expected outcomes (e.g. proposing on a follower); these classes signal storage conditions,
// API misuse and broken invariants.

export abstract class RaftError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The requested index precedes the first available entry (it was compacted into a snapshot). */
export class CompactedError extends RaftError {
  readonly code = 'ERR_RAFT_COMPACTED';
}

/** The requested index is beyond the last entry in storage. */
export class UnavailableError extends RaftError {
  readonly code = 'ERR_RAFT_UNAVAILABLE';
}

/** A snapshot older than (or equal to) the current one was offered. */
export class SnapshotOutOfDateError extends RaftError {
  readonly code = 'ERR_RAFT_SNAPSHOT_OUT_OF_DATE';
}

/** The caller broke the API contract (e.g. ready() twice without advance()). */
export class RaftUsageError extends RaftError {
  readonly code = 'ERR_RAFT_USAGE';
}

/** Internal consistency check failed: continuing could lose committed data. */
export class RaftInvariantError extends RaftError {
  readonly code = 'ERR_RAFT_INVARIANT';
}

/** The write-ahead log is damaged somewhere other than a torn final write. */
export class WalCorruptionError extends RaftError {
  readonly code = 'ERR_RAFT_WAL_CORRUPT';

  constructor(
    message: string,
    readonly file: string,
    readonly offset: number,
    options?: { cause?: unknown },
  ) {
    super(`${message} (${file} at byte ${offset})`, options);
  }
}

/** A snapshot file failed its checksum or could not be decoded. */
export class SnapshotCorruptionError extends RaftError {
  readonly code = 'ERR_RAFT_SNAPSHOT_CORRUPT';
}

/**
 * A WAL write or fsync failed. After a failed fsync the kernel may have dropped the dirty pages,
 * so the only safe course is to stop, restart and let recovery decide what is durable.
 */
export class StorageFailedError extends RaftError {
  readonly code = 'ERR_RAFT_STORAGE_FAILED';
}

/** The storage was used after close(). */
export class StorageClosedError extends RaftError {
  readonly code = 'ERR_RAFT_STORAGE_CLOSED';
}

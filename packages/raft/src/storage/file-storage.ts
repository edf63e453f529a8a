// Durable RaftStorage under one directory ($SHOAL_HOME/raft): `wal/` segments and `snap/` files.
// Reads are served from an in-memory copy (MemoryStorage); every write goes to the WAL first and
// is fsynced before the call returns. Calls are synchronous (blocking fsync on the calling
// thread) so the core's Ready loop stays simple and deterministic, except two asynchronous
// twins for the costly ones: sync() (the leader's fsync) and createSnapshotAsync().
import * as path from 'node:path';
import { StorageClosedError } from '../errors';
import type { RaftLogger } from '../logger';
import { silentLogger } from '../logger';
import type { ConfState, Entry, Snapshot } from '../types';
import type { AtRestCipher } from './at-rest';
import { MemoryStorage } from './memory';
import { Snapshotter } from './snapshotter';
import type { InitialState, RaftStorage, StorageUpdate } from './storage';
import { DEFAULT_SEGMENT_BYTES, Wal } from './wal';
import { replay } from './wal-replay';
import type { HeaderRecord } from './wal-records';

export interface FileStorageOptions {
  /** A segment is sealed once it reaches this size. Default 64 MiB. */
  readonly segmentBytes?: number;
  /** Snapshot files kept after a new one is written. Default 2. */
  readonly keepSnapshots?: number;
  readonly logger?: RaftLogger;
  /** Data-encryption key for sealed records and snapshots; its `encrypt` says whether new ones are sealed. */
  readonly cipher?: AtRestCipher;
}

export class FileStorage implements RaftStorage {
  private closed = false;

  private constructor(
    readonly dir: string,
    private readonly wal: Wal,
    private readonly snaps: Snapshotter,
    private readonly mem: MemoryStorage,
    private keepSnapshots: number,
    private readonly cipher: AtRestCipher | undefined,
  ) {}

  /** Snapshot files kept from the next snapshot on (at least 1: the newest). */
  setKeepSnapshots(n: number): void {
    this.keepSnapshots = Math.max(1, Math.floor(n));
  }

  /**
   * Seals new records and snapshots from now on (or stops sealing them). Switching it on also
   * rewrites what is on disk sealed: the current snapshot file (older ones are removed) and the
   * log, as one new WAL segment that replaces all others. Data sealed earlier stays readable
   * after it is switched off (the key is the same). True when the setting changed.
   */
  setEncryption(on: boolean): boolean {
    this.checkOpen();
    if (!this.cipher) throw new RangeError('raft storage was opened without a data-encryption key');
    if (this.cipher.encrypt === on) return false;
    this.cipher.encrypt = on;
    if (!on) return true;
    try {
      this.reseal();
    } catch (err) {
      this.cipher.encrypt = false; // not sealed: say so, and let the caller try again
      throw err;
    }
    return true;
  }

  /** Rewrites the current snapshot and the whole log under the cipher's current setting; older snapshot files go. */
  private reseal(): void {
    const snap = this.mem.snapshot();
    if (snap.metadata.index > 0) this.snaps.save(snap);
    this.snaps.keepOnly(snap.metadata.index > 0 ? { index: snap.metadata.index, term: snap.metadata.term } : undefined);
    const first = this.mem.firstIndex();
    const last = this.mem.lastIndex();
    const entries = last >= first ? this.mem.entries(first, last + 1, Number.MAX_SAFE_INTEGER) : [];
    const header = { ...this.header(), startIndex: entries[0]?.index ?? last + 1 };
    this.wal.rewrite(header, { kind: 'batch', entries, hardState: this.mem.initialState().hardState });
  }

  /** Opens or creates the storage in `dir`, recovering state (and repairing a torn WAL tail). */
  static open(dir: string, options: FileStorageOptions = {}): FileStorage {
    const logger = options.logger ?? silentLogger;
    const snaps = new Snapshotter(path.join(dir, 'snap'), logger, options.cipher);
    const initial: HeaderRecord = {
      kind: 'header',
      startIndex: 1,
      hardState: { term: 0, vote: null, commit: 0 },
      snapshot: { index: 0, term: 0 },
    };
    const walOptions = { segmentBytes: options.segmentBytes ?? DEFAULT_SEGMENT_BYTES, logger, cipher: options.cipher };
    const { wal, records, plain } = Wal.open(path.join(dir, 'wal'), walOptions, initial);
    try {
      const state = replay(records, (vouched) => snaps.loadNewest(vouched));
      snaps.removeOrphansAbove(state.snapshot.metadata.index, state.vouched);
      const mem = new MemoryStorage();
      if (state.snapshot.metadata.index > 0) mem.applySnapshot(state.snapshot);
      mem.append(state.entries);
      mem.setHardState(state.hardState);
      logger.info(
        { dir, snapshot: state.snapshot.metadata.index, last: mem.lastIndex(), term: state.hardState.term },
        'raft storage recovered',
      );
      const storage = new FileStorage(dir, wal, snaps, mem, options.keepSnapshots ?? 2, options.cipher);
      // Sealing is on but plain data is on disk (a crash while sealing was being switched on, or
      // data written before the key was known): rewrite it sealed now.
      const snapMark = { index: state.snapshot.metadata.index, term: state.snapshot.metadata.term };
      if (options.cipher?.encrypt === true && (plain || (snapMark.index > 0 && snaps.isPlain(snapMark)))) {
        logger.warn({ dir }, 'raft data found unsealed while sealing is on: rewriting it sealed');
        storage.reseal();
      }
      return storage;
    } catch (err) {
      wal.close();
      throw err;
    }
  }

  initialState(): InitialState {
    return this.mem.initialState();
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    return this.mem.entries(lo, hi, maxBytes);
  }

  term(i: number): number {
    return this.mem.term(i);
  }

  firstIndex(): number {
    return this.mem.firstIndex();
  }

  lastIndex(): number {
    return this.mem.lastIndex();
  }

  snapshot(): Snapshot {
    return this.mem.snapshot();
  }

  save(update: StorageUpdate): void {
    this.checkOpen();
    const { snapshot, hardState } = update;
    const entries = update.entries ?? [];
    if (snapshot === undefined && entries.length === 0 && hardState === undefined) return;
    // Reject what the in-memory twin would reject before anything reaches the disk.
    this.mem.checkSave(update);
    // The snapshot file first: the WAL record that vouches for it must never precede it.
    if (snapshot !== undefined) this.snaps.save(snapshot);
    const install = snapshot === undefined ? undefined : { index: snapshot.metadata.index, term: snapshot.metadata.term };
    this.wal.append({ kind: 'batch', install, entries, hardState }, update.mustSync ?? true);
    this.mem.save(update);
    if (snapshot !== undefined) this.release(snapshot.metadata.index);
    if (this.wal.needsCut()) this.wal.cut(this.header());
  }

  sync(done: (err?: Error) => void): void {
    if (this.closed) return queueMicrotask(() => done(new StorageClosedError('raft storage is closed')));
    this.wal.syncAsync(done);
  }

  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot {
    const snap = this.newSnapshot(index, confState, data);
    this.snaps.save(snap);
    return this.record(snap);
  }

  async createSnapshotAsync(index: number, confState: ConfState, data: Uint8Array): Promise<Snapshot | null> {
    const snap = this.newSnapshot(index, confState, data);
    const sealedAtStart = this.cipher?.encrypt === true;
    // The file first, off the loop; the WAL record that vouches for it only once it is durable.
    await this.snaps.saveAsync(snap);
    this.checkOpen();
    // Encryption was switched on while this plain file was being written: it must not stay.
    if (this.cipher?.encrypt === true && !sealedAtStart) {
      this.snaps.remove(snap.metadata);
      return null;
    }
    // A snapshot installed from the leader meanwhile supersedes this one; its file is an orphan
    // that purge() removes (it is older than the installed one).
    if (this.mem.snapshot().metadata.index >= index) return null;
    return this.record(snap);
  }

  /** The snapshot createSnapshot(Async) writes, checked as MemoryStorage would. */
  private newSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot {
    this.checkOpen();
    const term = this.mem.checkCreateSnapshot(index);
    return { metadata: { index, term, confState: { voters: [...confState.voters], learners: [...confState.learners] } }, data };
  }

  /** Once its file is durable: the WAL record that vouches for the snapshot, then memory and old files. */
  private record(snap: Snapshot): Snapshot {
    const { index, term, confState } = snap.metadata;
    this.wal.append({ kind: 'snapshot', snapshot: { index, term } }, true);
    const created = this.mem.createSnapshot(index, confState, snap.data);
    this.release(index);
    return created;
  }

  /** Drops entries up to `index` from memory. They stay in the WAL until a snapshot covers them. */
  compact(index: number): void {
    this.checkOpen();
    this.mem.compact(index);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.wal.close();
  }

  /** WAL segment files currently kept (for tests and diagnostics). */
  walSegments(): string[] {
    return this.wal.segmentFiles();
  }

  private release(snapshotIndex: number): void {
    this.wal.releaseTo(snapshotIndex);
    this.snaps.purge(this.keepSnapshots);
  }

  private header(): HeaderRecord {
    const snap = this.mem.snapshot().metadata;
    return {
      kind: 'header',
      startIndex: this.mem.lastIndex() + 1,
      hardState: this.mem.initialState().hardState,
      snapshot: { index: snap.index, term: snap.term },
    };
  }

  private checkOpen(): void {
    if (this.closed) throw new StorageClosedError('raft storage is closed');
  }
}

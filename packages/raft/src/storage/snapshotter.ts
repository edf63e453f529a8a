// Snapshot files in raft/snap/: `<term>-<index>.snap` (hex), one checksummed frame each,
// written atomically (tmp + fsync + rename + directory fsync).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ByteReader, ByteWriter } from '../codec';
import { SnapshotCorruptionError } from '../errors';
import type { RaftLogger } from '../logger';
import type { Snapshot } from '../types';
import { AtRestKeyError, SEALED_MARK, openSealed, type AtRestCipher } from './at-rest';
import { frameEndAt, frameHeader, FRAME_HEADER_BYTES } from './frame';
import { removeTempFiles, writeFileAtomic, writeFileAtomicAsync, fsyncDir } from './fs-util';
import type { SnapshotMark } from './wal-records';

const VERSION = 1;
const SNAP_RE = /^([0-9a-f]{16})-([0-9a-f]{16})\.snap$/;

interface SnapFile extends SnapshotMark {
  readonly file: string;
}

export class Snapshotter {
  constructor(
    private readonly dir: string,
    private readonly logger: RaftLogger,
    /** Seals new files while its `encrypt` is on, and opens sealed ones (autolock). */
    private readonly cipher?: AtRestCipher,
  ) {
    fs.mkdirSync(dir, { recursive: true });
    removeTempFiles(dir);
  }

  save(snap: Snapshot): void {
    writeFileAtomic(this.file(snap), fileParts(snap, this.cipher));
  }

  /** As save, with the write and fsyncs on libuv's pool. */
  saveAsync(snap: Snapshot): Promise<void> {
    return writeFileAtomicAsync(this.file(snap), fileParts(snap, this.cipher));
  }

  private file(snap: Snapshot): string {
    return path.join(this.dir, snapName(snap.metadata.term, snap.metadata.index));
  }

  /** Newest snapshot whose position `accept`s (i.e. the WAL vouches for it) and that reads back intact. */
  loadNewest(accept: (mark: SnapshotMark) => boolean): Snapshot | undefined {
    for (const f of this.list()) {
      if (!accept(f)) continue;
      try {
        return this.load(f.file);
      } catch (err) {
        if (err instanceof AtRestKeyError) throw err;
        this.logger.warn({ file: f.file, err: String(err) }, 'skipping unreadable snapshot file');
      }
    }
    return undefined;
  }

  load(file: string): Snapshot {
    const buf = fs.readFileSync(file);
    if (frameEndAt(buf, 0) !== buf.byteLength) throw new SnapshotCorruptionError(`snapshot ${file} failed its checksum`);
    const sealed = buf.subarray(FRAME_HEADER_BYTES);
    const payload = openSealed(sealed, this.cipher);
    try {
      return decodeSnapshot(payload);
    } catch (err) {
      throw new SnapshotCorruptionError(`snapshot ${file} could not be decoded`, { cause: err });
    }
  }

  /** Whether the snapshot file at `mark` is stored plain (false too when there is none). */
  isPlain(mark: SnapshotMark): boolean {
    const f = this.list().find((x) => x.index === mark.index && x.term === mark.term);
    if (!f) return false;
    const fd = fs.openSync(f.file, 'r');
    try {
      const head = Buffer.alloc(FRAME_HEADER_BYTES + 1);
      const n = fs.readSync(fd, head, 0, head.length, 0);
      return n === head.length && head[FRAME_HEADER_BYTES] !== SEALED_MARK;
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Deletes every snapshot file but the one at `mark` (all of them without one). */
  keepOnly(mark: SnapshotMark | undefined): void {
    this.removeFiles(this.list().filter((f) => !mark || f.index !== mark.index || f.term !== mark.term));
  }

  /** Deletes the snapshot file at `mark`, if any. */
  remove(mark: SnapshotMark): void {
    this.removeFiles(this.list().filter((f) => f.index === mark.index && f.term === mark.term));
  }

  /** Keeps the newest `keep` snapshot files and deletes the rest. */
  purge(keep: number): void {
    this.removeFiles(this.list().slice(keep));
  }

  /**
   * Deletes snapshot files the WAL does not vouch for above `index`: left by a crash between
   * writing the file and logging it, they would otherwise crowd out real ones in purge().
   */
  removeOrphansAbove(index: number, vouched: (mark: SnapshotMark) => boolean): void {
    this.removeFiles(this.list().filter((f) => f.index > index && !vouched(f)));
  }

  /** Snapshot files, newest first. */
  list(): SnapFile[] {
    const files: SnapFile[] = [];
    for (const name of fs.readdirSync(this.dir)) {
      const m = SNAP_RE.exec(name);
      if (m === null) continue;
      files.push({ term: parseInt(m[1] as string, 16), index: parseInt(m[2] as string, 16), file: path.join(this.dir, name) });
    }
    return files.sort((a, b) => b.index - a.index || b.term - a.term);
  }

  private removeFiles(files: readonly SnapFile[]): void {
    if (files.length === 0) return;
    for (const f of files) fs.rmSync(f.file, { force: true });
    fsyncDir(this.dir);
  }
}

function snapName(term: number, index: number): string {
  return `${term.toString(16).padStart(16, '0')}-${index.toString(16).padStart(16, '0')}.snap`;
}

/**
 * A snapshot file as parts, written one after the other: frame header, snapshot header, data. The
 * data (a store's snapshot can be tens of megabytes) is not copied.
 */
function fileParts(s: Snapshot, cipher: AtRestCipher | undefined): Uint8Array[] {
  const plain = [snapshotHeader(s), s.data];
  const payload = cipher ? cipher.sealParts(plain) : plain;
  return [frameHeader(payload), ...payload];
}

/** Everything before the data: version, index, term, membership, the data's length. */
function snapshotHeader(s: Snapshot): Uint8Array {
  const { index, term, confState } = s.metadata;
  const w = new ByteWriter(64);
  w.u8(VERSION).u53(index).u53(term);
  w.strList(confState.voters).strList(confState.learners);
  return w.u32(s.data.byteLength).finish();
}

function decodeSnapshot(payload: Uint8Array): Snapshot {
  const r = new ByteReader(payload);
  const version = r.u8();
  if (version !== VERSION) throw new RangeError(`unknown snapshot version ${version}`);
  const index = r.u53();
  const term = r.u53();
  const voters = r.strList();
  const learners = r.strList();
  const data = r.bytes();
  r.end();
  return { metadata: { index, term, confState: { voters, learners } }, data };
}

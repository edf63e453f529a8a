// Durable single-manager log: write-ahead records (length, CRC-32, JSON payload),
// fsync before a write is acknowledged, periodic snapshots. Recovery drops a torn
// tail (a crash mid-append) and refuses corruption anywhere else.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { crc32 } from 'node:zlib';
import type { StoreCommand, StoreEvent } from './commands';
import type { MemoryStore, StoreSnapshot } from './memory-store';
import { resultToEvents, type Proposer } from './proposer';

const HEADER = 8;

export class LogCorruptionError extends Error {
  readonly code = 'LOG_CORRUPT';
  constructor(file: string, offset: number, detail: string) {
    super(`state log ${file} is corrupt at byte ${offset}: ${detail}; refusing to start (restore the data dir from a backup or rejoin the node)`);
  }
}

export interface LocalLogOptions {
  dir: string;
  /** Records between snapshots. */
  snapshotEvery?: number;
}

interface Record {
  index: number;
  command: StoreCommand;
}

export interface RecoveryReport {
  snapshotIndex: number;
  replayed: number;
  tornBytesDropped: number;
}

export class LocalLogProposer implements Proposer {
  private fd: number | null = null;
  private sinceSnapshot = 0;
  private readonly walPath: string;
  private readonly snapPath: string;
  private readonly snapshotEvery: number;

  constructor(
    private readonly store: MemoryStore,
    options: LocalLogOptions,
  ) {
    fs.mkdirSync(options.dir, { recursive: true });
    this.walPath = path.join(options.dir, 'wal.log');
    this.snapPath = path.join(options.dir, 'snapshot.json');
    this.snapshotEvery = options.snapshotEvery ?? 1000;
  }

  /** Loads the snapshot, replays the log into the store and opens it for appends. */
  recover(): RecoveryReport {
    let snapshotIndex = 0;
    if (fs.existsSync(this.snapPath)) {
      const snap = readSnapshot(this.snapPath);
      this.store.restore(snap);
      snapshotIndex = snap.index;
    }
    const { records, validBytes, totalBytes } = readRecords(this.walPath);
    let replayed = 0;
    for (const rec of records) {
      if (rec.index <= this.store.appliedIndex) continue;
      this.store.apply(rec.index, rec.command);
      replayed++;
    }
    if (validBytes < totalBytes) fs.truncateSync(this.walPath, validBytes);
    this.fd = fs.openSync(this.walPath, 'a');
    this.sinceSnapshot = records.length;
    return { snapshotIndex, replayed, tornBytesDropped: totalBytes - validBytes };
  }

  async propose(command: StoreCommand): Promise<StoreEvent[]> {
    if (this.fd === null) throw new Error('local log is not open');
    const index = this.store.appliedIndex + 1;
    const payload = Buffer.from(JSON.stringify({ index, command } satisfies Record));
    const header = Buffer.allocUnsafe(HEADER);
    header.writeUInt32LE(payload.length, 0);
    header.writeUInt32LE(crc32(payload), 4);
    fs.writeSync(this.fd, Buffer.concat([header, payload]));
    fs.fsyncSync(this.fd);
    const events = resultToEvents(this.store.apply(index, command));
    if (++this.sinceSnapshot >= this.snapshotEvery) this.compact();
    return events;
  }

  /** Writes a snapshot atomically, then empties the log. */
  compact(): void {
    const tmp = `${this.snapPath}.tmp`;
    const body = Buffer.from(JSON.stringify(this.store.snapshot()));
    const fd = fs.openSync(tmp, 'w');
    fs.writeSync(fd, body);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, this.snapPath);
    if (this.fd !== null) fs.ftruncateSync(this.fd, 0);
    this.sinceSnapshot = 0;
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}

function readSnapshot(file: string): StoreSnapshot {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as StoreSnapshot;
  } catch (err) {
    throw new LogCorruptionError(file, 0, `unreadable snapshot (${(err as Error).message})`);
  }
}

function readRecords(file: string): { records: Record[]; validBytes: number; totalBytes: number } {
  if (!fs.existsSync(file)) return { records: [], validBytes: 0, totalBytes: 0 };
  const buf = fs.readFileSync(file);
  const records: Record[] = [];
  let off = 0;
  while (off < buf.length) {
    if (buf.length - off < HEADER) break; // torn header at the tail
    const len = buf.readUInt32LE(off);
    const crc = buf.readUInt32LE(off + 4);
    const end = off + HEADER + len;
    if (end > buf.length) break; // torn payload at the tail
    const payload = buf.subarray(off + HEADER, end);
    if (crc32(payload) !== crc) {
      if (end === buf.length) break; // the last record was half-written
      throw new LogCorruptionError(file, off, 'checksum mismatch');
    }
    records.push(JSON.parse(payload.toString('utf8')) as Record);
    off = end;
  }
  return { records, validBytes: off, totalBytes: buf.length };
}

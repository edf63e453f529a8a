// The record types stored in WAL segments and their binary encoding (one frame each).
import { assertNever } from '../assert-never';
import { ByteReader, ByteWriter } from '../codec';
import type { Entry, HardState } from '../types';

/** Identifies a snapshot by position; the snapshot itself lives in raft/snap/. */
export interface SnapshotMark {
  readonly index: number;
  readonly term: number;
}

/** First record of every segment: enough state to replay without earlier segments. */
export interface HeaderRecord {
  readonly kind: 'header';
  /** Raft index the segment's first appended entry was expected to have. */
  readonly startIndex: number;
  readonly hardState: HardState;
  readonly snapshot: SnapshotMark;
}

/** One save(): optionally a leader snapshot that replaces the log, then entries, then hard state. */
export interface BatchRecord {
  readonly kind: 'batch';
  readonly install?: SnapshotMark | undefined;
  readonly entries: readonly Entry[];
  readonly hardState?: HardState | undefined;
}

/** An application snapshot at this position is durable in raft/snap/. */
export interface SnapshotRecord {
  readonly kind: 'snapshot';
  readonly snapshot: SnapshotMark;
}

export type WalRecord = HeaderRecord | BatchRecord | SnapshotRecord;

const VERSION = 1;
const KIND = { header: 1, batch: 2, snapshot: 3 } as const;
const HAS_HARD_STATE = 1;
const HAS_INSTALL = 2;

export function encodeRecord(rec: WalRecord): Uint8Array {
  const w = new ByteWriter(rec.kind === 'batch' ? 64 + rec.entries.reduce((n, e) => n + e.data.byteLength + 24, 0) : 64);
  w.u8(VERSION).u8(KIND[rec.kind]);
  switch (rec.kind) {
    case 'header':
      w.u53(rec.startIndex);
      writeHardState(w, rec.hardState);
      writeMark(w, rec.snapshot);
      break;
    case 'batch':
      w.u8((rec.hardState ? HAS_HARD_STATE : 0) | (rec.install ? HAS_INSTALL : 0));
      if (rec.install) writeMark(w, rec.install);
      w.entries(rec.entries);
      if (rec.hardState) writeHardState(w, rec.hardState);
      break;
    case 'snapshot':
      writeMark(w, rec.snapshot);
      break;
    default:
      assertNever(rec, 'WAL record');
  }
  return w.finish();
}

export function decodeRecord(payload: Uint8Array): WalRecord {
  const r = new ByteReader(payload);
  const version = r.u8();
  if (version !== VERSION) throw new RangeError(`unknown WAL record version ${version}`);
  const kind = r.u8();
  let rec: WalRecord;
  if (kind === KIND.header) {
    rec = { kind: 'header', startIndex: r.u53(), hardState: readHardState(r), snapshot: readMark(r) };
  } else if (kind === KIND.batch) {
    const flags = r.u8();
    const install = flags & HAS_INSTALL ? readMark(r) : undefined;
    const entries = r.entries();
    const hardState = flags & HAS_HARD_STATE ? readHardState(r) : undefined;
    rec = { kind: 'batch', install, entries, hardState };
  } else if (kind === KIND.snapshot) {
    rec = { kind: 'snapshot', snapshot: readMark(r) };
  } else {
    throw new RangeError(`unknown WAL record kind ${kind}`);
  }
  r.end();
  return rec;
}

function writeHardState(w: ByteWriter, hs: HardState): void {
  w.u53(hs.term).u53(hs.commit).u8(hs.vote === null ? 0 : 1);
  if (hs.vote !== null) w.str(hs.vote);
}

function readHardState(r: ByteReader): HardState {
  const term = r.u53();
  const commit = r.u53();
  const vote = r.u8() === 1 ? r.str() : null;
  return { term, vote, commit };
}

function writeMark(w: ByteWriter, m: SnapshotMark): void {
  w.u53(m.index).u53(m.term);
}

function readMark(r: ByteReader): SnapshotMark {
  return { index: r.u53(), term: r.u53() };
}

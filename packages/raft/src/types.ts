// Core value types shared by the consensus state machine, storage and shells.

/** Node identifiers are Swarm node ids (25-char base36 strings). */
export type NodeId = string;

/** `conf-change` entries carry an encoded `ConfChange` (see conf-change.ts). */
export type EntryType = 'normal' | 'conf-change';

export interface Entry {
  readonly index: number;
  readonly term: number;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/** The state that must be durable before any message that depends on it is sent. */
export interface HardState {
  readonly term: number;
  readonly vote: NodeId | null;
  readonly commit: number;
}

export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

export interface SnapshotMetadata {
  readonly index: number;
  readonly term: number;
  readonly confState: ConfState;
}

export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  readonly data: Uint8Array;
}

export type Role = 'follower' | 'pre-candidate' | 'candidate' | 'leader';

/** Volatile state the application may want to observe (leader changes); never persisted. */
export interface SoftState {
  readonly lead: NodeId | null;
  readonly role: Role;
}

export const EMPTY_HARD_STATE: HardState = Object.freeze({ term: 0, vote: null, commit: 0 });
export const EMPTY_CONF_STATE: ConfState = Object.freeze({ voters: [], learners: [] });
export const EMPTY_SNAPSHOT: Snapshot = Object.freeze({
  metadata: Object.freeze({ index: 0, term: 0, confState: EMPTY_CONF_STATE }),
  data: new Uint8Array(0),
});

export function isEmptyHardState(hs: HardState): boolean {
  return hs.term === 0 && hs.vote === null && hs.commit === 0;
}

export function hardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

export function isEmptySnapshot(s: Snapshot): boolean {
  return s.metadata.index === 0;
}

/** Rough per-entry framing cost so that many empty entries still count against size limits. */
export const ENTRY_OVERHEAD_BYTES = 24;

export function entrySize(e: Entry): number {
  return e.data.byteLength + ENTRY_OVERHEAD_BYTES;
}

/** Longest prefix of `ents` within `maxBytes`, but always at least one entry so progress is possible. */
export function limitSize<T extends Entry>(ents: T[], maxBytes: number): T[] {
  const first = ents[0];
  if (first === undefined) return ents;
  let size = entrySize(first);
  let limit = 1;
  for (; limit < ents.length; limit++) {
    size += entrySize(ents[limit] as T);
    if (size > maxBytes) break;
  }
  return limit < ents.length ? ents.slice(0, limit) : ents;
}

import { describe, expect, it } from 'vitest';
import { RaftInvariantError } from '../errors';
import { MemoryStorage } from '../storage/memory';
import { ent, ents } from '../test-support/storage-compliance';
import type { Entry } from '../types';
import { RaftLog } from './raft-log';

/** Stable entries 1..n with the given terms. */
function logWith(terms: number[]): RaftLog {
  const s = new MemoryStorage();
  s.append(terms.map((t, i) => ent(i + 1, t)));
  return new RaftLog(s, Infinity);
}

const idx = (es: readonly Entry[] | undefined): number[] | undefined => es?.map((e) => e.index);

describe('RaftLog', () => {
  it('findConflictByTerm returns the last index whose term is <= the given term', () => {
    const log = logWith([1, 1, 2, 2, 3]);
    expect(log.findConflictByTerm(5, 3)).toEqual({ index: 5, term: 3 });
    expect(log.findConflictByTerm(5, 2)).toEqual({ index: 4, term: 2 });
    expect(log.findConflictByTerm(3, 1)).toEqual({ index: 2, term: 1 });
    expect(log.findConflictByTerm(5, 0)).toEqual({ index: 0, term: 0 });
  });

  it('maybeAppend appends after a match, truncates a conflict, and refuses a mismatch', () => {
    const log = logWith([1, 1, 1]);
    expect(log.maybeAppend(3, 2, 0, ents(4, 4, 2))).toBeUndefined(); // prev term mismatch
    expect(log.maybeAppend(3, 1, 2, ents(4, 5, 2))).toBe(5);
    expect(log.committed).toBe(2);
    expect(log.maybeAppend(3, 1, 5, ents(4, 4, 3))).toBe(4); // conflict at 4: truncate 4..5
    expect(log.lastIndex()).toBe(4);
    expect(log.term(4)).toBe(3);
    expect(log.committed).toBe(4); // min(leader commit, last new entry)
    expect(() => log.maybeAppend(1, 1, 4, ents(2, 2, 9))).toThrow(RaftInvariantError); // rewrites committed
  });

  it('maybeAppend ignores entries it already has', () => {
    const log = logWith([1, 1, 2]);
    expect(log.maybeAppend(1, 1, 0, ents(2, 2, 1))).toBe(2);
    expect(log.lastIndex()).toBe(3); // the matching prefix did not truncate index 3
  });

  it('slices across storage and unstable entries within a byte budget', () => {
    const log = logWith([1, 1, 1]);
    log.append(ents(4, 6, 2));
    expect(idx(log.slice(2, 7, Infinity))).toEqual([2, 3, 4, 5, 6]);
    const size = (log.slice(2, 3, Infinity)?.[0]?.data.byteLength ?? 0) + 24;
    expect(idx(log.slice(2, 7, size * 3))).toEqual([2, 3, 4]);
    expect(idx(log.slice(2, 7, 0))).toEqual([2]);
    expect(() => log.slice(2, 8, Infinity)).toThrow(RaftInvariantError);
  });

  it('reports compacted ranges as undefined', () => {
    const s = new MemoryStorage();
    s.append(ents(1, 5, 1));
    s.createSnapshot(3, { voters: ['a'], learners: [] }, new Uint8Array(0));
    s.compact(3);
    const log = new RaftLog(s, Infinity);
    expect(log.term(2)).toBeUndefined();
    expect(log.term(3)).toBe(1); // the snapshot's own term stays known
    expect(log.entries(3, Infinity)).toBeUndefined();
    expect(idx(log.entries(4, Infinity))).toEqual([4, 5]);
  });

  it('hands out committed entries once, and none while a snapshot is pending', () => {
    const log = logWith([1, 1, 1, 1]);
    log.commitTo(3);
    expect(idx(log.nextCommittedEntries())).toEqual([1, 2, 3]);
    log.appliedTo(2);
    expect(idx(log.nextCommittedEntries())).toEqual([3]);
    log.restore({ metadata: { index: 10, term: 2, confState: { voters: [], learners: [] } }, data: new Uint8Array(0) });
    expect(log.hasNextCommittedEntries()).toBe(false);
    expect(log.committed).toBe(10);
    expect(log.lastIndex()).toBe(10);
  });

  it('keeps unstable entries that were replaced while being persisted', () => {
    const log = logWith([1]);
    log.append(ents(2, 3, 1));
    log.append(ents(3, 3, 2)); // conflicting rewrite of 3 before the first write was acknowledged
    log.stableTo(3, 1); // acknowledgement for the old version
    expect(idx(log.unstableEntries())).toEqual([2, 3]);
    log.stableTo(3, 2);
    expect(log.unstableEntries()).toEqual([]);
  });

  it('isUpToDate compares last term, then last index', () => {
    const log = logWith([1, 2, 2]);
    expect(log.isUpToDate(1, 3)).toBe(true);
    expect(log.isUpToDate(3, 2)).toBe(true);
    expect(log.isUpToDate(2, 2)).toBe(false);
    expect(log.isUpToDate(9, 1)).toBe(false);
  });
});

// One behavioural contract for every RaftStorage (MemoryStorage, FileStorage), in the style of
// libp2p's interface-compliance-tests: call runStorageCompliance with a factory.
import { afterEach, describe, expect, it } from 'vitest';
import { CompactedError, RaftInvariantError, RaftUsageError, SnapshotOutOfDateError, UnavailableError } from '../errors';
import type { RaftStorage } from '../storage/storage';
import type { ConfState, Entry, Snapshot } from '../types';
import { EMPTY_HARD_STATE } from '../types';

export interface StorageHarness {
  readonly storage: RaftStorage;
  /** Closes and reopens the same durable state, if the implementation is durable. */
  readonly reopen?: () => RaftStorage;
  readonly cleanup?: () => void;
}

const CS: ConfState = { voters: ['a', 'b', 'c'], learners: ['d'] };

export function ent(index: number, term: number, payload = `e${index}t${term}`): Entry {
  return { index, term, type: 'normal', data: new TextEncoder().encode(payload) };
}

export function ents(from: number, to: number, term: number): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push(ent(i, term));
  return out;
}

function terms(list: readonly Entry[]): number[] {
  return list.map((e) => e.term);
}

export function runStorageCompliance(name: string, factory: () => StorageHarness): void {
  describe(`${name}: RaftStorage compliance`, () => {
    let h: StorageHarness | undefined;
    const open = (): RaftStorage => {
      h = factory();
      return h.storage;
    };
    afterEach(() => {
      h?.storage.close();
      h?.cleanup?.();
      h = undefined;
    });

    it('starts empty', () => {
      const s = open();
      expect(s.firstIndex()).toBe(1);
      expect(s.lastIndex()).toBe(0);
      expect(s.term(0)).toBe(0);
      expect(s.initialState()).toEqual({ hardState: EMPTY_HARD_STATE, confState: { voters: [], learners: [] } });
      expect(s.snapshot().metadata.index).toBe(0);
    });

    it('appends and reads entries and terms', () => {
      const s = open();
      s.save({ entries: ents(1, 5, 1) });
      expect(s.lastIndex()).toBe(5);
      expect(s.entries(2, 5, Infinity).map((e) => e.index)).toEqual([2, 3, 4]);
      expect(s.term(5)).toBe(1);
      expect(() => s.term(6)).toThrow(UnavailableError);
      expect(() => s.entries(4, 7, Infinity)).toThrow(UnavailableError);
      expect(s.entries(3, 3, Infinity)).toEqual([]);
    });

    it('caps entries by size but always returns at least one', () => {
      const s = open();
      s.save({ entries: ents(1, 5, 1) });
      expect(s.entries(1, 6, 0)).toHaveLength(1);
      const one = s.entries(1, 2, Infinity)[0] as Entry;
      const size = one.data.byteLength + 24;
      expect(s.entries(1, 6, size * 2)).toHaveLength(2);
    });

    it('truncates a conflicting suffix on append', () => {
      const s = open();
      s.save({ entries: ents(1, 5, 1) });
      s.save({ entries: ents(3, 4, 2) });
      expect(s.lastIndex()).toBe(4);
      expect(terms(s.entries(1, 5, Infinity))).toEqual([1, 1, 2, 2]);
    });

    it('refuses an append that would leave a gap', () => {
      const s = open();
      s.save({ entries: ents(1, 2, 1) });
      expect(() => s.save({ entries: ents(4, 5, 1) })).toThrow(RaftInvariantError);
      expect(s.lastIndex()).toBe(2);
    });

    it('persists the hard state', () => {
      const s = open();
      s.save({ entries: ents(1, 3, 2), hardState: { term: 2, vote: 'b', commit: 3 } });
      expect(s.initialState().hardState).toEqual({ term: 2, vote: 'b', commit: 3 });
    });

    it('creates snapshots and compacts up to them', () => {
      const s = open();
      s.save({ entries: ents(1, 10, 1), hardState: { term: 1, vote: null, commit: 10 } });
      const data = new TextEncoder().encode('state@7');
      const snap = s.createSnapshot(7, CS, data);
      expect(snap.metadata).toEqual({ index: 7, term: 1, confState: CS });
      expect(s.snapshot().metadata.index).toBe(7);
      expect(() => s.compact(8)).toThrow(RaftUsageError);
      s.compact(5);
      expect(s.firstIndex()).toBe(6);
      expect(s.term(5)).toBe(1);
      expect(() => s.term(4)).toThrow(CompactedError);
      expect(() => s.entries(5, 8, Infinity)).toThrow(CompactedError);
      expect(() => s.compact(5)).toThrow(CompactedError);
      expect(() => s.createSnapshot(6, CS, data)).toThrow(SnapshotOutOfDateError);
      expect(() => s.createSnapshot(11, CS, data)).toThrow(UnavailableError);
      expect(s.initialState().confState).toEqual(CS);
    });

    it('creates a snapshot asynchronously: checked at once, recorded when it resolves, dropped if overtaken', async () => {
      const s = open();
      s.save({ entries: ents(1, 10, 1), hardState: { term: 1, vote: null, commit: 10 } });
      await expect(s.createSnapshotAsync(11, CS, new Uint8Array(0))).rejects.toThrow(UnavailableError);
      const pending = s.createSnapshotAsync(7, CS, new TextEncoder().encode('state@7'));
      expect(s.snapshot().metadata.index).toBe(0); // nothing changes before it resolves
      expect((await pending)?.metadata).toEqual({ index: 7, term: 1, confState: CS });
      expect(s.snapshot().metadata.index).toBe(7);
      s.compact(7);
      await expect(s.createSnapshotAsync(6, CS, new Uint8Array(0))).rejects.toThrow(SnapshotOutOfDateError);
      // A leader's snapshot installed while the write is in flight wins.
      const overtaken = s.createSnapshotAsync(9, CS, new Uint8Array(0));
      const installed: Snapshot = { metadata: { index: 20, term: 2, confState: CS }, data: new Uint8Array([2]) };
      s.save({ snapshot: installed, hardState: { term: 2, vote: null, commit: 20 } });
      expect(await overtaken).toBeNull();
      expect(s.snapshot()).toEqual(installed);
    });

    it('installs a leader snapshot, replacing the log, together with entries and hard state', () => {
      const s = open();
      s.save({ entries: ents(1, 5, 1) });
      const snap: Snapshot = { metadata: { index: 20, term: 4, confState: CS }, data: new Uint8Array([1, 2, 3]) };
      s.save({ snapshot: snap, entries: ents(21, 22, 4), hardState: { term: 4, vote: null, commit: 20 } });
      expect(s.firstIndex()).toBe(21);
      expect(s.lastIndex()).toBe(22);
      expect(s.term(20)).toBe(4);
      expect(s.snapshot()).toEqual(snap);
      expect(() => s.save({ snapshot: { ...snap, metadata: { ...snap.metadata, index: 15 } } })).toThrow(
        SnapshotOutOfDateError,
      );
    });

    it('ignores entries already covered by the snapshot', () => {
      const s = open();
      s.save({ entries: ents(1, 6, 1) });
      s.createSnapshot(4, CS, new Uint8Array(0));
      s.compact(4);
      s.save({ entries: ents(3, 8, 1) });
      expect(s.firstIndex()).toBe(5);
      expect(s.lastIndex()).toBe(8);
    });

    it('keeps everything across a reopen (durable implementations)', () => {
      const s0 = open();
      const reopen = h?.reopen;
      if (reopen === undefined) return;
      s0.save({ entries: ents(1, 10, 1), hardState: { term: 1, vote: 'a', commit: 8 } });
      s0.save({ entries: ents(9, 12, 2), hardState: { term: 2, vote: 'c', commit: 9 } });
      s0.createSnapshot(6, CS, new TextEncoder().encode('six'));
      s0.compact(6);
      const s = reopen();
      h = { ...(h as StorageHarness), storage: s };
      expect(s.initialState()).toEqual({ hardState: { term: 2, vote: 'c', commit: 9 }, confState: CS });
      expect(s.snapshot().metadata).toEqual({ index: 6, term: 1, confState: CS });
      expect(new TextDecoder().decode(s.snapshot().data)).toBe('six');
      expect(s.lastIndex()).toBe(12);
      expect(terms(s.entries(7, 13, Infinity))).toEqual([1, 1, 2, 2, 2, 2]);
      expect(s.entries(11, 12, Infinity)[0]).toEqual(ent(11, 2));
    });
  });
}

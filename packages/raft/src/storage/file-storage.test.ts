import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RaftInvariantError, StorageClosedError } from '../errors';
import { runStorageCompliance, ent, ents } from '../test-support/storage-compliance';
import { makeTmpDir, removeDir } from '../test-support/tmp-dir';
import type { ConfState } from '../types';
import { FileStorage } from './file-storage';
import { Snapshotter } from './snapshotter';
import { silentLogger } from '../logger';

runStorageCompliance('FileStorage', () => {
  const dir = makeTmpDir();
  let storage = FileStorage.open(dir);
  return {
    storage,
    reopen: () => {
      storage.close();
      storage = FileStorage.open(dir);
      return storage;
    },
    cleanup: () => removeDir(dir),
  };
});

const CS: ConfState = { voters: ['a', 'b', 'c'], learners: [] };
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('FileStorage durability', () => {
  const dirs: string[] = [];
  const stores: FileStorage[] = [];
  const tmp = (): string => {
    const d = makeTmpDir();
    dirs.push(d);
    return d;
  };
  const open = (dir: string, options = {}): FileStorage => {
    const s = FileStorage.open(dir, options);
    stores.push(s);
    return s;
  };
  afterEach(() => {
    for (const s of stores.splice(0)) s.close();
    for (const d of dirs.splice(0)) removeDir(d);
  });

  it('lays out raft/wal and raft/snap', () => {
    const dir = tmp();
    const s = open(dir);
    s.save({ entries: ents(1, 3, 1), hardState: { term: 1, vote: null, commit: 3 } });
    s.createSnapshot(3, CS, text('x'));
    expect(fs.readdirSync(path.join(dir, 'wal'))).toEqual(['0000000000000000-0000000000000001.wal']);
    expect(fs.readdirSync(path.join(dir, 'snap'))).toEqual(['0000000000000001-0000000000000003.snap']);
  });

  it('keeps as many snapshot files as it is told to from the next snapshot on (Raft.KeepOldSnapshots + 1)', () => {
    const dir = tmp();
    const s = open(dir);
    const snaps = () => fs.readdirSync(path.join(dir, 'snap')).length;
    for (let i = 1; i <= 6; i++) {
      s.save({ entries: [ent(i, 1, 'x')], hardState: { term: 1, vote: null, commit: i } });
      s.createSnapshot(i, CS, text(`state@${i}`));
    }
    expect(snaps()).toBe(2); // the default
    s.setKeepSnapshots(4);
    for (let i = 7; i <= 10; i++) {
      s.save({ entries: [ent(i, 1, 'x')], hardState: { term: 1, vote: null, commit: i } });
      s.createSnapshot(i, CS, text(`state@${i}`));
    }
    expect(snaps()).toBe(4);
  });

  it('rolls segments over and releases old ones once a snapshot covers them', () => {
    const dir = tmp();
    const s = open(dir, { segmentBytes: 1024 });
    for (let i = 1; i <= 100; i++) s.save({ entries: [ent(i, 1, 'x'.repeat(40))], hardState: { term: 1, vote: null, commit: i } });
    const before = s.walSegments().length;
    expect(before).toBeGreaterThan(5);
    s.createSnapshot(90, CS, text('state@90'));
    const after = s.walSegments().length;
    expect(after).toBeLessThan(before);
    expect(after).toBeLessThanOrEqual(3);
    s.compact(90);
    s.close();
    const r = open(dir, { segmentBytes: 1024 });
    expect(r.snapshot().metadata.index).toBe(90);
    expect(r.firstIndex()).toBe(91);
    expect(r.lastIndex()).toBe(100);
    expect(r.initialState().hardState.commit).toBe(100);
    expect(r.entries(95, 96, Infinity)[0]).toEqual(ent(95, 1, 'x'.repeat(40)));
  });

  it('recovers a snapshot installed from the leader and the entries after it', () => {
    const dir = tmp();
    const s = open(dir, { segmentBytes: 512 });
    for (let i = 1; i <= 20; i++) s.save({ entries: [ent(i, 1, 'y'.repeat(30))] });
    const snap = { metadata: { index: 50, term: 3, confState: CS }, data: text('leader state') };
    s.save({ snapshot: snap, entries: ents(51, 52, 3), hardState: { term: 3, vote: null, commit: 50 } });
    s.close();
    const r = open(dir, { segmentBytes: 512 });
    expect(r.snapshot()).toEqual(snap);
    expect(r.firstIndex()).toBe(51);
    expect(r.lastIndex()).toBe(52);
    expect(r.initialState().hardState).toEqual({ term: 3, vote: null, commit: 50 });
  });

  it('writes the same snapshot file asynchronously as synchronously, and recovers it', async () => {
    const data = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 31) & 0xff);
    const files: Buffer[] = [];
    for (const async of [false, true]) {
      const dir = tmp();
      const s = open(dir);
      s.save({ entries: ents(1, 9, 2), hardState: { term: 2, vote: null, commit: 9 } });
      if (async) await s.createSnapshotAsync(8, CS, data);
      else s.createSnapshot(8, CS, data);
      s.close();
      files.push(fs.readFileSync(path.join(dir, 'snap', '0000000000000002-0000000000000008.snap')));
      const r = open(dir);
      expect(r.snapshot()).toEqual({ metadata: { index: 8, term: 2, confState: CS }, data });
      expect(r.lastIndex()).toBe(9);
    }
    expect(files[1]?.equals(files[0] as Buffer)).toBe(true);
  });

  it('keeps unsynced commit-only updates once later writes are synced', () => {
    const dir = tmp();
    const s = open(dir);
    s.save({ entries: ents(1, 4, 1), hardState: { term: 1, vote: 'a', commit: 1 } });
    s.save({ hardState: { term: 1, vote: 'a', commit: 3 }, mustSync: false });
    s.close();
    expect(open(dir).initialState().hardState.commit).toBe(3);
  });

  it('ignores a snapshot file the WAL does not vouch for (crash before logging it) and removes it', () => {
    const dir = tmp();
    const s = open(dir);
    s.save({ entries: ents(1, 10, 1), hardState: { term: 1, vote: null, commit: 10 } });
    s.createSnapshot(5, CS, text('five'));
    s.close();
    new Snapshotter(path.join(dir, 'snap'), silentLogger).save({
      metadata: { index: 8, term: 1, confState: CS },
      data: text('orphan'),
    });
    const r = open(dir);
    expect(r.snapshot().metadata.index).toBe(5);
    expect(fs.readdirSync(path.join(dir, 'snap'))).toHaveLength(1);
  });

  it('falls back to an older snapshot when the newest file is damaged', () => {
    const dir = tmp();
    const s = open(dir);
    s.save({ entries: ents(1, 10, 1), hardState: { term: 1, vote: null, commit: 10 } });
    s.createSnapshot(4, CS, text('four'));
    s.createSnapshot(8, CS, text('eight'));
    s.close();
    const newest = path.join(dir, 'snap', '0000000000000001-0000000000000008.snap');
    const buf = fs.readFileSync(newest);
    buf[buf.length - 1] = (buf[buf.length - 1] as number) ^ 0xff;
    fs.writeFileSync(newest, buf);
    const r = open(dir);
    expect(r.snapshot().metadata.index).toBe(4);
    expect(r.lastIndex()).toBe(10);
  });

  it('refuses to start when an installed snapshot is missing', () => {
    const dir = tmp();
    const s = open(dir);
    s.save({ snapshot: { metadata: { index: 30, term: 2, confState: CS }, data: text('s') } });
    s.close();
    for (const f of fs.readdirSync(path.join(dir, 'snap'))) fs.rmSync(path.join(dir, 'snap', f));
    expect(() => FileStorage.open(dir)).toThrow(RaftInvariantError);
  });

  it('rejects writes after close', () => {
    const s = open(tmp());
    s.close();
    expect(() => s.save({ entries: ents(1, 1, 1) })).toThrow(StorageClosedError);
  });
});

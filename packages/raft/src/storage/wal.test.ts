import * as fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { StorageFailedError, WalCorruptionError } from '../errors';
import { ent, ents } from '../test-support/storage-compliance';
import { makeTmpDir, removeDir } from '../test-support/tmp-dir';
import { crc32, crc32Portable } from './crc32';
import { FileStorage } from './file-storage';
import { encodeFrame } from './frame';
import { encodeRecord } from './wal-records';
import { PREALLOCATE_BYTES } from './wal';

describe('WAL recovery', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) removeDir(d);
  });

  /** A storage holding entries 1..5 (one save each), closed; returns its dir and last segment. */
  function written(segmentBytes?: number): { dir: string; segment: string; size: number } {
    const dir = makeTmpDir();
    dirs.push(dir);
    const s = FileStorage.open(dir, segmentBytes === undefined ? {} : { segmentBytes });
    for (let i = 1; i <= 5; i++) s.save({ entries: [ent(i, 1)], hardState: { term: 1, vote: 'a', commit: i } });
    const segment = s.walSegments().at(-1) as string;
    s.close();
    return { dir, segment, size: fs.statSync(segment).size };
  }

  /** A closed WAL of 40 small entries spread over several 256-byte segments. */
  function segmented(): { dir: string; segments: string[] } {
    const dir = makeTmpDir();
    dirs.push(dir);
    const s = FileStorage.open(dir, { segmentBytes: 256 });
    for (let i = 1; i <= 40; i++) s.save({ entries: [ent(i, 1, 'z'.repeat(30))] });
    const segments = s.walSegments();
    s.close();
    return { dir, segments };
  }

  function nextFrame(): Uint8Array {
    return encodeFrame(encodeRecord({ kind: 'batch', entries: [ent(6, 1)], hardState: { term: 1, vote: 'a', commit: 6 } }));
  }

  function expectRecoveredTo5(dir: string, segment: string, size: number): void {
    const s = FileStorage.open(dir);
    try {
      expect(s.lastIndex()).toBe(5);
      expect(s.initialState().hardState.commit).toBe(5);
      expect(fs.statSync(segment).size).toBe(size); // the torn bytes were cut off
      s.save({ entries: [ent(6, 2)] }); // and the log is writable again
    } finally {
      s.close();
    }
    const again = FileStorage.open(dir);
    expect(again.term(6)).toBe(2);
    again.close();
  }

  it('drops a torn header at the end of the last segment', () => {
    const { dir, segment, size } = written();
    fs.appendFileSync(segment, nextFrame().subarray(0, 7));
    expectRecoveredTo5(dir, segment, size);
  });

  it('drops a torn payload at the end of the last segment', () => {
    const { dir, segment, size } = written();
    const f = nextFrame();
    fs.appendFileSync(segment, f.subarray(0, f.length - 3));
    expectRecoveredTo5(dir, segment, size);
  });

  it('drops a final record whose checksum fails', () => {
    const { dir, segment, size } = written();
    const f = nextFrame();
    f[f.length - 1] = (f[f.length - 1] as number) ^ 0x01;
    fs.appendFileSync(segment, f);
    expectRecoveredTo5(dir, segment, size);
  });

  it('drops a zero-filled tail', () => {
    const { dir, segment, size } = written();
    fs.appendFileSync(segment, new Uint8Array(4096));
    expectRecoveredTo5(dir, segment, size);
  });

  it('drops a torn write that landed in zero-filled space', () => {
    const { dir, segment, size } = written();
    const f = nextFrame();
    fs.appendFileSync(segment, Buffer.concat([f.subarray(0, f.length - 5), new Uint8Array(8192)]));
    expectRecoveredTo5(dir, segment, size);
  });

  it('refuses zeros at the end of a sealed (non-last) segment', () => {
    const { dir, segments } = segmented();
    fs.appendFileSync(segments[0] as string, new Uint8Array(512));
    expect(() => FileStorage.open(dir)).toThrow(WalCorruptionError);
  });

  it('refuses a damaged record followed by intact ones', () => {
    const { dir, segment } = written();
    const buf = fs.readFileSync(segment);
    buf[buf.length - 80] = (buf[buf.length - 80] as number) ^ 0x40; // an earlier record; later ones intact
    fs.writeFileSync(segment, buf);
    expect(() => FileStorage.open(dir)).toThrow(WalCorruptionError);
    try {
      FileStorage.open(dir);
    } catch (err) {
      expect((err as WalCorruptionError).code).toBe('ERR_RAFT_WAL_CORRUPT');
      expect((err as WalCorruptionError).file).toBe(segment);
    }
  });

  it('refuses a damaged length field followed by intact records', () => {
    const { dir, segment } = written();
    const buf = fs.readFileSync(segment);
    const headerLen = buf.readUInt32LE(0);
    const second = 12 + headerLen;
    buf.writeUInt32LE(buf.readUInt32LE(second) + 1_000_000, second); // claims to run past EOF
    fs.writeFileSync(segment, buf);
    expect(() => FileStorage.open(dir)).toThrow(WalCorruptionError);
  });

  it('refuses damage at the end of a sealed (non-last) segment', () => {
    const { dir, segments } = segmented();
    const first = segments[0] as string;
    expect(segments.length).toBeGreaterThan(2);
    fs.truncateSync(first, fs.statSync(first).size - 2);
    expect(() => FileStorage.open(dir)).toThrow(WalCorruptionError);
  });

  it('refuses a missing segment in the middle', () => {
    const { dir, segments } = segmented();
    fs.rmSync(segments[1] as string);
    expect(() => FileStorage.open(dir)).toThrow(WalCorruptionError);
  });

  it('replays rewritten (truncated) suffixes in order', () => {
    const dir = makeTmpDir();
    dirs.push(dir);
    const s = FileStorage.open(dir, { segmentBytes: 200 });
    s.save({ entries: ents(1, 8, 1) });
    s.save({ entries: ents(4, 6, 2) });
    s.save({ entries: ents(6, 9, 3) });
    s.close();
    const r = FileStorage.open(dir, { segmentBytes: 200 });
    expect(r.entries(1, 10, Infinity).map((e) => e.term)).toEqual([1, 1, 1, 2, 2, 3, 3, 3, 3]);
    r.close();
  });
});

describe('WAL preallocation', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) removeDir(d);
  });

  it('zero-fills ahead of the records while open and cuts the zeros when closed', () => {
    const dir = makeTmpDir();
    dirs.push(dir);
    const s = FileStorage.open(dir);
    for (let i = 1; i <= 5; i++) s.save({ entries: [ent(i, 1)], hardState: { term: 1, vote: 'a', commit: i }, mustSync: true });
    const segment = s.walSegments().at(-1) as string;
    const open = fs.readFileSync(segment);
    expect(open.byteLength).toBeGreaterThanOrEqual(PREALLOCATE_BYTES);
    expect(open.subarray(open.byteLength - 1024).every((b) => b === 0)).toBe(true);
    s.close();
    expect(fs.statSync(segment).size).toBeLessThan(4096);
  });

  it('recovers every record of a process that stopped without closing, and cuts the zeros', () => {
    const dir = makeTmpDir();
    const copy = makeTmpDir();
    dirs.push(dir, copy);
    const s = FileStorage.open(dir);
    for (let i = 1; i <= 5; i++) s.save({ entries: [ent(i, 1)], hardState: { term: 1, vote: 'a', commit: i }, mustSync: true });
    fs.cpSync(dir, copy, { recursive: true }); // what a kill -9 leaves on disk
    s.close();
    const r = FileStorage.open(copy);
    try {
      expect(r.lastIndex()).toBe(5);
      expect(r.initialState().hardState.commit).toBe(5);
      const segment = r.walSegments().at(-1) as string;
      expect(fs.statSync(segment).size).toBeLessThan(4096);
      r.save({ entries: [ent(6, 1)], mustSync: true });
    } finally {
      r.close();
    }
    const again = FileStorage.open(copy);
    expect(again.lastIndex()).toBe(6);
    again.close();
  });
});

describe('crc32', () => {
  it('matches the portable implementation and the standard check value', () => {
    const check = new TextEncoder().encode('123456789');
    expect(crc32Portable(check)).toBe(0xcbf43926);
    expect(crc32(check)).toBe(0xcbf43926);
    const random = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7919) & 0xff);
    expect(crc32(random)).toBe(crc32Portable(random));
  });

  it('continues a CRC over a following part as over the joined bytes', () => {
    const all = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7919) & 0xff);
    const [a, b] = [all.subarray(0, 377), all.subarray(377)];
    expect(crc32(b, crc32(a))).toBe(crc32(all));
    expect(crc32Portable(b, crc32Portable(a))).toBe(crc32Portable(all));
  });

  it('leaves a CRC as it is over an empty part, also one without a backing store', async () => {
    const { createCipheriv, randomBytes } = await import('node:crypto');
    const empty = createCipheriv('aes-256-gcm', randomBytes(32), randomBytes(12)).final();
    expect(empty.byteLength).toBe(0);
    expect(crc32(empty, 12345)).toBe(12345);
    expect(crc32(new Uint8Array(0), 12345)).toBe(12345);
  });
});

describe('WAL write failures', () => {
  it('poisons the storage after a failed write and recovers cleanly on reopen', () => {
    const dir = makeTmpDir();
    try {
      const s = FileStorage.open(dir);
      s.save({ entries: ents(1, 3, 1), hardState: { term: 1, vote: null, commit: 3 } });
      const segment = s.walSegments()[0] as string;
      // Simulate a failing disk: make the open descriptor unusable underneath the WAL.
      const fds = fs.readdirSync('/proc/self/fd').map(Number);
      const walFd = fds.find((fd) => {
        try {
          return fs.readlinkSync(`/proc/self/fd/${fd}`) === segment;
        } catch {
          return false;
        }
      });
      if (walFd === undefined) return; // no /proc: nothing to simulate with
      fs.closeSync(walFd);
      expect(() => s.save({ entries: ents(4, 4, 1) })).toThrow(StorageFailedError);
      expect(() => s.save({ entries: ents(4, 4, 1) })).toThrow(StorageFailedError);
      const r = FileStorage.open(dir);
      expect(r.lastIndex()).toBe(3);
      r.close();
    } finally {
      removeDir(dir);
    }
  });
});

describe('WAL replay', () => {
  it('applies a rewrite that lies below the snapshot to the suffix above it', () => {
    // Found by the file-backed stress: a stale uncommitted tail (36..41 of term 4) was
    // truncated by a new leader's entries 29..35 (term 5); then a snapshot was taken at 35.
    const dir = makeTmpDir();
    try {
      const s = FileStorage.open(dir);
      s.save({ entries: ents(1, 41, 4), hardState: { term: 4, vote: null, commit: 28 } });
      s.save({ entries: ents(29, 35, 5), hardState: { term: 5, vote: null, commit: 35 } });
      s.createSnapshot(35, { voters: ['a'], learners: [] }, new Uint8Array(0));
      expect(s.lastIndex()).toBe(35);
      s.close();
      const r = FileStorage.open(dir);
      expect(r.snapshot().metadata).toMatchObject({ index: 35, term: 5 });
      expect(r.lastIndex()).toBe(35);
      r.close();
    } finally {
      removeDir(dir);
    }
  });
});

describe('asynchronous sync', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) removeDir(d);
  });
  const syncOf = (s: FileStorage) => new Promise<Error | undefined>((resolve) => s.sync(resolve));

  it('makes unsynced saves durable and keeps them across a reopen', async () => {
    const dir = makeTmpDir();
    dirs.push(dir);
    const s = FileStorage.open(dir);
    for (let i = 1; i <= 3; i++) s.save({ entries: [ent(i, 1)], hardState: { term: 1, vote: 'a', commit: i - 1 }, mustSync: false });
    expect(await syncOf(s)).toBeUndefined();
    s.close();
    const again = FileStorage.open(dir);
    expect(again.lastIndex()).toBe(3);
    again.close();
  });

  it('keeps a sealed segment open until a sync in flight on it completes', async () => {
    const dir = makeTmpDir();
    dirs.push(dir);
    const s = FileStorage.open(dir, { segmentBytes: 256 });
    const pending: Promise<Error | undefined>[] = [];
    for (let i = 1; i <= 12; i++) {
      // A large entry cuts a new segment on most saves, while the previous segment's sync runs.
      s.save({ entries: [{ ...ent(i, 1), data: new Uint8Array(200).fill(i) }], mustSync: false });
      pending.push(syncOf(s));
    }
    expect(s.walSegments().length).toBeGreaterThan(3);
    expect(await Promise.all(pending)).toEqual(pending.map(() => undefined));
    s.close();
    const again = FileStorage.open(dir);
    expect(again.lastIndex()).toBe(12);
    expect(again.entries(12, 13, Infinity)[0]?.data[0]).toBe(12);
    again.close();
  });

  it('reports a closed storage instead of syncing', async () => {
    const dir = makeTmpDir();
    dirs.push(dir);
    const s = FileStorage.open(dir);
    s.close();
    expect((await syncOf(s))?.message).toBe('raft storage is closed');
  });
});

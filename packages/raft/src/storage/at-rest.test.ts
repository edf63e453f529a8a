import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ent } from '../test-support/storage-compliance';
import { makeTmpDir, removeDir } from '../test-support/tmp-dir';
import type { ConfState } from '../types';
import { AtRestCipher, AtRestKeyError } from './at-rest';
import { FileStorage } from './file-storage';

const CS: ConfState = { voters: ['a'], learners: [] };
const MARK = 'plain-marker';

/** Every byte the storage directory holds, as one latin1 string (to look for plaintext). */
function diskText(dir: string): string {
  let out = '';
  for (const sub of ['wal', 'snap']) {
    for (const f of fs.readdirSync(path.join(dir, sub))) out += fs.readFileSync(path.join(dir, sub, f)).toString('latin1');
  }
  return out;
}

describe('raft data encrypted at rest', () => {
  const dirs: string[] = [];
  const stores: FileStorage[] = [];
  const open = (dir: string, cipher?: AtRestCipher): FileStorage => {
    const s = FileStorage.open(dir, cipher ? { cipher } : {});
    stores.push(s);
    return s;
  };
  const tmp = (): string => {
    const d = makeTmpDir();
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const s of stores.splice(0)) s.close();
    for (const d of dirs.splice(0)) removeDir(d);
  });

  it('seals records and snapshots once switched on, rewriting the plain ones at once', () => {
    const dir = tmp();
    const key = randomBytes(32);
    const s = open(dir, new AtRestCipher(key, false));
    for (let i = 1; i <= 5; i++) s.save({ entries: [ent(i, 1, `${MARK}-${i}`)], hardState: { term: 1, vote: null, commit: i } });
    s.createSnapshot(5, CS, new TextEncoder().encode(`${MARK}-snap`));
    expect(diskText(dir)).toContain(MARK);

    for (let i = 6; i <= 8; i++) s.save({ entries: [ent(i, 1, `${MARK}-${i}`)], hardState: { term: 1, vote: null, commit: i } });

    s.setEncryption(true);
    expect(diskText(dir)).not.toContain(MARK);
    expect(fs.readdirSync(path.join(dir, 'wal'))).toHaveLength(1);
    for (let i = 9; i <= 10; i++) s.save({ entries: [ent(i, 1, `${MARK}-${i}`)], hardState: { term: 1, vote: null, commit: i } });
    expect(diskText(dir)).not.toContain(MARK);
    s.close();

    const again = open(dir, new AtRestCipher(key, true));
    expect(new TextDecoder().decode(again.snapshot().data)).toBe(`${MARK}-snap`);
    expect(again.entries(6, 11, Infinity).map((e) => new TextDecoder().decode(e.data))).toEqual([6, 7, 8, 9, 10].map((i) => `${MARK}-${i}`));
    expect(again.initialState().hardState.commit).toBe(10);
    again.createSnapshot(10, CS, new TextEncoder().encode(`${MARK}-snap-10`));
    expect(diskText(dir)).not.toContain(MARK);
  });

  it('reads a mix of plain and sealed records back in order', () => {
    const dir = tmp();
    const key = randomBytes(32);
    const s = open(dir, new AtRestCipher(key, false));
    s.save({ entries: [ent(1, 1, 'one')], hardState: { term: 1, vote: null, commit: 1 } });
    s.setEncryption(true);
    s.save({ entries: [ent(2, 1, 'two')], hardState: { term: 1, vote: null, commit: 2 } });
    s.setEncryption(false);
    s.save({ entries: [ent(3, 1, 'three')], hardState: { term: 1, vote: null, commit: 3 } });
    s.close();
    const again = open(dir, new AtRestCipher(key, false));
    expect(again.entries(1, 4, Infinity).map((e) => new TextDecoder().decode(e.data))).toEqual(['one', 'two', 'three']);
  });

  it('refuses sealed data without the key or with another key, and says why', () => {
    const dir = tmp();
    const s = open(dir, new AtRestCipher(randomBytes(32), true));
    s.save({ entries: [ent(1, 1, 'x')], hardState: { term: 1, vote: null, commit: 1 } });
    s.createSnapshot(1, CS, new Uint8Array([1, 2, 3]));
    s.close();
    expect(() => open(dir)).toThrow(AtRestKeyError);
    expect(() => open(dir, new AtRestCipher(randomBytes(32), true))).toThrow(/could not be opened with this key/);
  });

  it('drops a plain snapshot whose write was in flight when encryption was switched on', async () => {
    const dir = tmp();
    const s = open(dir, new AtRestCipher(randomBytes(32), false));
    s.save({ entries: [ent(1, 1, 'x'), ent(2, 1, 'y')], hardState: { term: 1, vote: null, commit: 2 } });
    const writing = s.createSnapshotAsync(2, CS, new TextEncoder().encode(`${MARK}-inflight`));
    s.setEncryption(true);
    expect(await writing).toBeNull();
    expect(diskText(dir)).not.toContain(MARK);
  });

  it('recovers a rewrite a crash interrupted: between the renames, before them, or after', () => {
    const dir = tmp();
    const key = randomBytes(32);
    const s = open(dir, new AtRestCipher(key, false));
    for (let i = 1; i <= 3; i++) s.save({ entries: [ent(i, 1, `e${i}`)], hardState: { term: 1, vote: null, commit: i } });
    s.setEncryption(true);
    s.close();
    const wal = path.join(dir, 'wal');
    const reopen = () => {
      const again = open(dir, new AtRestCipher(key, true));
      expect(again.entries(1, 4, Infinity).map((e) => new TextDecoder().decode(e.data))).toEqual(['e1', 'e2', 'e3']);
      again.close();
      expect(fs.readdirSync(dir).sort()).toEqual(['snap', 'wal']);
    };
    // Between the renames: only the complete new directory is there.
    fs.renameSync(wal, `${wal}.new`);
    reopen();
    // Before the first rename: a half-written new directory next to the old log.
    fs.mkdirSync(`${wal}.new`);
    fs.writeFileSync(path.join(`${wal}.new`, '0000000000000009-0000000000000001.wal'), 'torn');
    reopen();
    // After both: the old directory was not removed yet.
    fs.cpSync(wal, `${wal}.old`, { recursive: true });
    reopen();
  });

  it('reseals at open when sealing is on but plain data is on disk (a crash while it was being switched on)', () => {
    const dir = tmp();
    const key = randomBytes(32);
    const s = open(dir, new AtRestCipher(key, false));
    for (let i = 1; i <= 3; i++) s.save({ entries: [ent(i, 1, `${MARK}-${i}`)], hardState: { term: 1, vote: null, commit: i } });
    s.createSnapshot(2, CS, new TextEncoder().encode(`${MARK}-snap`));
    s.close();
    expect(diskText(dir)).toContain(MARK);
    const again = open(dir, new AtRestCipher(key, true));
    expect(diskText(dir)).not.toContain(MARK);
    expect(again.entries(3, 4, Infinity).map((e) => new TextDecoder().decode(e.data))).toEqual([`${MARK}-3`]);
    expect(new TextDecoder().decode(again.snapshot().data)).toBe(`${MARK}-snap`);
  });

  it('never seals two records with the same nonce', () => {
    const c = new AtRestCipher(randomBytes(32), true);
    const nonces = new Set<string>();
    for (let i = 0; i < 1000; i++) nonces.add(Buffer.from(c.seal(new Uint8Array([1, 2, 3]))).subarray(1, 13).toString('hex'));
    expect(nonces.size).toBe(1000);
  });
});

import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileStorage } from '../storage/file-storage';
import { SimCluster } from '../test-support/sim-cluster';
import { makeTmpDir, removeDir } from '../test-support/tmp-dir';

const ids = ['n1', 'n2', 'n3'];

function exercise(c: SimCluster): void {
  c.stabilize();
  c.campaign('n1');
  for (let i = 0; i < 30; i++) {
    c.propose(`v${i}`);
    if (i % 10 === 9) c.node(ids[(i / 10) % 3 | 0] as string).snapshotAndCompact(3);
  }
}

function durableView(c: SimCluster): unknown[] {
  return ids.map((id) => {
    const s = c.node(id).storage;
    // firstIndex is left out: FileStorage recovers the log from just after its snapshot, so
    // entries kept below it by compact(snap - keep) do not survive a restart (as in etcd).
    return { hs: s.initialState().hardState, last: s.lastIndex(), snap: s.snapshot().metadata.index };
  });
}

function restartAllAndCheck(c: SimCluster): void {
  const before = durableView(c);
  const values = c.node('n1').values;
  for (const id of ids) c.node(id).restart();
  expect(durableView(c)).toEqual(before);
  for (const id of ids) {
    const s = c.node(id).node.status();
    const hs = c.node(id).storage.initialState().hardState;
    expect({ term: s.term, vote: s.vote, commit: s.commit, role: s.role }).toEqual({ ...hs, role: 'follower' });
  }
  c.stabilize(); // re-apply committed entries above each snapshot
  for (const id of ids) expect(c.node(id).values).toEqual(values);
  c.electLeader();
  c.propose('after-restart');
  for (const id of ids) expect(c.node(id).values.at(-1)).toBe('after-restart');
}

describe('restart from storage', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) removeDir(d);
  });

  it('recovers hard state, log and state machine from MemoryStorage', () => {
    const c = new SimCluster({ ids, seed: 31 });
    exercise(c);
    restartAllAndCheck(c);
  });

  it('recovers hard state, log and state machine from FileStorage', () => {
    const dir = makeTmpDir();
    dirs.push(dir);
    const c = new SimCluster({
      ids,
      seed: 31,
      openStorage: (id) => FileStorage.open(path.join(dir, id), { segmentBytes: 2048 }),
    });
    try {
      exercise(c);
      restartAllAndCheck(c);
      restartAllAndCheck(c);
    } finally {
      for (const n of c.alive()) n.crash();
    }
  });

  it('a restarted follower that lost its unpersisted tail catches up', () => {
    const c = new SimCluster({ ids, seed: 32 });
    c.stabilize();
    c.campaign('n1');
    c.propose('a');
    c.node('n3').crash();
    c.propose('b');
    c.propose('c');
    c.node('n3').restart();
    c.tickAll(2);
    expect(c.node('n3').values).toEqual(['a', 'b', 'c']);
  });
});

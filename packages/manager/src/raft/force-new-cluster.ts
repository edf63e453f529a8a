// `swarm init --force-new-cluster`: rewrite this manager's Raft state as a cluster of
// one that keeps every committed change (moby's recovery path when quorum is lost).
import * as fs from 'node:fs';
import { FileStorage, decodeConfChange, type AtRestCipher, type Snapshot } from '@shoal/raft';
import { MemoryStore } from '@shoal/store';
import { decode } from '@shoal/wire';
import { decodeCommand } from './command-data';
import { SnapshotCodec } from './snapshot-data';

/** Replays the committed log into a store, then replaces `dir` with a one-member snapshot. */
export function rewriteAsSingleMember(dir: string, nodeId: string, addr: string, cipher?: AtRestCipher): { index: number } {
  const options = cipher ? { cipher } : {};
  const storage = FileStorage.open(dir, options);
  const store = new MemoryStore(decode);
  const codec = new SnapshotCodec();
  let term: number;
  let commit: number;
  try {
    const snap = storage.snapshot();
    if (snap.metadata.index > 0) store.restore(codec.decode(snap.data).store);
    const { hardState } = storage.initialState();
    commit = Math.max(hardState.commit, snap.metadata.index);
    term = hardState.term;
    const first = Math.max(storage.firstIndex(), snap.metadata.index + 1);
    if (commit >= first) {
      for (const e of storage.entries(first, commit + 1, Number.MAX_SAFE_INTEGER)) {
        if (e.type === 'conf-change') {
          decodeConfChange(e.data); // validate; membership is replaced below
          store.skip(e.index);
        } else if (e.data.byteLength === 0) store.skip(e.index);
        else store.apply(e.index, decodeCommand(e.data));
      }
    }
    term = Math.max(term, commit > 0 ? storage.term(commit) : 0);
  } finally {
    storage.close();
  }
  fs.renameSync(dir, `${dir}.before-force-new-cluster-${Date.now()}`);
  const fresh = FileStorage.open(dir, options);
  try {
    const snapshot: Snapshot = {
      metadata: { index: commit, term, confState: { voters: [nodeId], learners: [] } },
      data: codec.encode(store, new Map([[nodeId, addr]])),
    };
    fresh.save({ snapshot, hardState: { term, vote: nodeId, commit }, mustSync: true });
  } finally {
    fresh.close();
  }
  return { index: commit };
}

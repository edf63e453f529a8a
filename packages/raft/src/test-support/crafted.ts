// Storages with hand-written logs, and a bare-RaftNode driver, for scenario tests.
import { decodeConfChange } from '../conf-change';
import type { Message } from '../messages';
import { RaftNode } from '../raw-node';
import type { RaftNodeOptions } from '../raft/options';
import { createRandom } from '../rand';
import { MemoryStorage } from '../storage/memory';
import type { NodeId } from '../types';

export interface CraftedLog {
  readonly voters: readonly NodeId[];
  readonly learners?: readonly NodeId[];
  /** Terms of the entries after a snapshot at index 1 (term 1); entry i+2 has terms[i]. */
  readonly terms: readonly number[];
  /** Current term; defaults to the last entry's term. */
  readonly term?: number;
  readonly commit?: number;
}

const EMPTY_STATE = new TextEncoder().encode(JSON.stringify({ values: [], hash: 0 }));

export function craftedStorage(log: CraftedLog): MemoryStorage {
  const s = new MemoryStorage();
  s.applySnapshot({
    metadata: { index: 1, term: 1, confState: { voters: [...log.voters], learners: [...(log.learners ?? [])] } },
    data: EMPTY_STATE,
  });
  s.append(log.terms.map((term, i) => ({ index: i + 2, term, type: 'normal', data: new TextEncoder().encode(`t${term}-${i + 2}`) })));
  const term = log.term ?? log.terms.at(-1) ?? 1;
  s.setHardState({ term, vote: null, commit: log.commit ?? 1 });
  return s;
}

/** A RaftNode over MemoryStorage, driven by hand (no network). */
export class BareNode {
  readonly storage: MemoryStorage;
  readonly node: RaftNode;

  constructor(id: NodeId, storage: MemoryStorage, options: Partial<Omit<RaftNodeOptions, 'id' | 'storage'>> = {}) {
    this.storage = storage;
    this.node = new RaftNode({ random: createRandom(1), ...options, id, storage });
  }

  /** Processes every Ready (persisting, applying conf changes) and returns the messages sent. */
  drain(): Message[] {
    const out: Message[] = [];
    for (let rd = this.node.ready(); rd !== null; rd = this.node.ready()) {
      this.storage.save({ hardState: rd.hardState, entries: rd.entries, snapshot: rd.snapshot });
      for (const e of rd.committedEntries) if (e.type === 'conf-change') this.node.applyConfChange(decodeConfChange(e.data));
      out.push(...rd.messages);
      this.node.advance(rd);
    }
    return out;
  }
}

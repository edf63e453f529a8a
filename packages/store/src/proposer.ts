// Callers change cluster state only through a Proposer. The single-manager
// implementation persists to a local log; the Raft one replicates first. Both
// resolve once the command is applied to the local MemoryStore.
import type { StoreCommand, StoreEvent, StoreOp } from './commands';
import { errorFromCode } from './errors';
import type { ApplyResult, MemoryStore } from './memory-store';

export interface Proposer {
  /** Resolves with the events once applied; rejects with a typed ShoalError when refused. */
  propose(command: StoreCommand): Promise<StoreEvent[]>;
}

/**
 * Set by the test suites (SHOAL_CHECK_WRITES=1): a manager stores the very objects it proposed
 * (their bytes went into the entry, so it need not decode them), so each written object must not
 * change after its commit (frozen here, such a change throws where it is made) and must come back
 * from its encoding as it was (checked where the entry is written, the manager's command-data.ts).
 */
export const CHECK_WRITES = process.env.SHOAL_CHECK_WRITES === '1';

/** Freezes `value` and everything in it, also below an object someone froze already (store objects are trees). */
function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return;
  Object.freeze(value);
  for (const v of Object.values(value)) deepFreeze(v);
}

export function resultToEvents(result: ApplyResult): StoreEvent[] {
  if (result.ok) return result.events;
  throw errorFromCode(result.code, result.message);
}

/** The store as callers use it: reads from memory, writes through the proposer. */
export class ClusterStore {
  constructor(
    readonly memory: MemoryStore,
    private proposer: Proposer,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Swaps the write path (e.g. local log → Raft) without touching callers. */
  setProposer(proposer: Proposer): void {
    this.proposer = proposer;
  }

  commit(ops: StoreOp[]): Promise<StoreEvent[]> {
    if (CHECK_WRITES) for (const op of ops) if (op.op !== 'delete') deepFreeze(op.object);
    return this.proposer.propose({ type: 'batch', at: this.now().toISOString(), ops });
  }

  /**
   * Read-modify-write: `build` reads the current state and returns versioned ops;
   * a concurrent write ("update out of sequence") makes it read and try again.
   */
  async update(build: (memory: MemoryStore) => StoreOp[], attempts = 8): Promise<StoreEvent[]> {
    for (let i = 1; ; i++) {
      const ops = build(this.memory);
      if (ops.length === 0) return [];
      try {
        return await this.commit(ops);
      } catch (err) {
        if ((err as { code?: string }).code !== 'OUT_OF_SEQUENCE' || i >= attempts) throw err;
      }
    }
  }
}

// Options for the consensus core, with documented defaults. Time is counted in ticks; the shell
// decides how long a tick is (e.g. 100 ms in production, driven by hand in tests).
import { RaftUsageError } from '../errors';
import type { RaftLogger } from '../logger';
import { silentLogger } from '../logger';
import type { Random } from '../rand';
import type { RaftStorageReader } from '../storage/storage';
import type { NodeId } from '../types';

export interface RaftNodeOptions {
  readonly id: NodeId;
  readonly storage: RaftStorageReader;
  /** Seeded source of randomness for election timeouts (e.g. createRandom(seed)). */
  readonly random: Random;
  /** Followers campaign after a random timeout in [electionTick, 2 * electionTick). Default 10. */
  readonly electionTick?: number;
  /** Leader heartbeat interval in ticks. Default 1. */
  readonly heartbeatTick?: number;
  /** Byte cap on the entries of one append message. Default 1 MiB. */
  readonly maxSizePerMsg?: number;
  /** Append messages in flight per replicating follower. Default 256. */
  readonly maxInflightMsgs?: number;
  /** Byte cap on Ready.committedEntries. Default 16 MiB. */
  readonly maxCommittedSizePerReady?: number;
  /** Pre-vote phase so a partitioned node cannot disrupt the cluster on rejoin. Default true. */
  readonly preVote?: boolean;
  /** Leader steps down without a live quorum; followers honour a leader lease. Default true. */
  readonly checkQuorum?: boolean;
  /** Index the application had already applied when restarting (default: the snapshot index). */
  readonly applied?: number;
  readonly logger?: RaftLogger;
}

export type ResolvedRaftOptions = Required<Omit<RaftNodeOptions, 'applied'>> & { readonly applied: number };

export const RAFT_DEFAULTS = Object.freeze({
  electionTick: 10,
  heartbeatTick: 1,
  maxSizePerMsg: 1024 * 1024,
  maxInflightMsgs: 256,
  maxCommittedSizePerReady: 16 * 1024 * 1024,
  preVote: true,
  checkQuorum: true,
});

export function resolveOptions(o: RaftNodeOptions): ResolvedRaftOptions {
  const r: ResolvedRaftOptions = {
    ...RAFT_DEFAULTS,
    logger: silentLogger,
    applied: 0,
    ...stripUndefined(o),
  };
  if (r.id === '') throw new RaftUsageError('raft: id must not be empty');
  if (!(r.heartbeatTick >= 1)) throw new RaftUsageError('raft: heartbeatTick must be >= 1');
  if (!(r.electionTick > r.heartbeatTick)) {
    throw new RaftUsageError('raft: electionTick must be greater than heartbeatTick');
  }
  if (!(r.maxInflightMsgs >= 1)) throw new RaftUsageError('raft: maxInflightMsgs must be >= 1');
  if (!(r.maxSizePerMsg >= 1)) throw new RaftUsageError('raft: maxSizePerMsg must be >= 1');
  return r;
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

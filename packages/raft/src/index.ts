// @shoal/raft: a pure Raft consensus core (etcd-io/raft style) plus its storage.
export { RaftNode } from './raw-node';
export type { Ready, BootstrapPeer } from './raw-node';
export { RAFT_DEFAULTS } from './raft/options';
export type { RaftNodeOptions } from './raft/options';
export type { ProposeResult, ProposeRejection } from './raft/proposals';
export { learnersReadyForPromotion } from './status';
export type { Status, PeerProgress, PromotionOptions } from './status';
export type { ProgressState } from './tracker/progress';

export { MESSAGE_TYPES } from './messages';
export type {
  Message,
  MessageType,
  PreVoteRequest,
  PreVoteResponse,
  VoteRequest,
  VoteResponse,
  AppendRequest,
  AppendResponse,
  HeartbeatRequest,
  HeartbeatResponse,
  SnapshotRequest,
  TimeoutNow,
  TransferLeaderRequest,
} from './messages';

export { encodeConfChange, decodeConfChange } from './conf-change';
export { encodeMessages, decodeMessages } from './message-codec';
export type { ConfChange, AddVoter, AddLearner, RemoveNode } from './conf-change';

export {
  EMPTY_HARD_STATE,
  EMPTY_CONF_STATE,
  EMPTY_SNAPSHOT,
  isEmptyHardState,
  isEmptySnapshot,
  hardStateEqual,
  entrySize,
} from './types';
export type { NodeId, Entry, EntryType, HardState, ConfState, Snapshot, SnapshotMetadata, SoftState, Role } from './types';

export type { RaftStorage, RaftStorageReader, StorageUpdate, InitialState } from './storage/storage';
export { MemoryStorage } from './storage/memory';
export { FileStorage } from './storage/file-storage';
export { AtRestCipher, AtRestKeyError, DEK_BYTES } from './storage/at-rest';
export type { FileStorageOptions } from './storage/file-storage';

export { createRandom } from './rand';
export type { Random } from './rand';
export { silentLogger } from './logger';
export type { RaftLogger } from './logger';
export {
  RaftError,
  CompactedError,
  UnavailableError,
  SnapshotOutOfDateError,
  RaftUsageError,
  RaftInvariantError,
  WalCorruptionError,
  SnapshotCorruptionError,
  StorageFailedError,
  StorageClosedError,
} from './errors';

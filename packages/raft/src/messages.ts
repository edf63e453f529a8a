// Messages exchanged between Raft peers. One interface per message type, discriminated by `type`.
// Wire encodings (packages/wire) must treat MESSAGE_TYPES as an append-only tag list.
import type { Entry, NodeId, Snapshot } from './types';

interface Envelope {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
}

/** "Would you vote for me?" sent for term + 1 without bumping the sender's own term. */
export interface PreVoteRequest extends Envelope {
  readonly type: 'pre-vote';
  readonly lastIndex: number;
  readonly lastTerm: number;
}

export interface PreVoteResponse extends Envelope {
  readonly type: 'pre-vote-response';
  readonly reject: boolean;
}

export interface VoteRequest extends Envelope {
  readonly type: 'vote';
  readonly lastIndex: number;
  readonly lastTerm: number;
  /** Set by leadership transfer: the voter must ignore its leader lease. */
  readonly transfer: boolean;
}

export interface VoteResponse extends Envelope {
  readonly type: 'vote-response';
  readonly reject: boolean;
}

export interface AppendRequest extends Envelope {
  readonly type: 'append';
  /** Index of the entry immediately preceding `entries`. */
  readonly index: number;
  /** Term of the entry at `index`. */
  readonly logTerm: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
}

export interface AppendResponse extends Envelope {
  readonly type: 'append-response';
  /** On success the follower's last matching index; on rejection the rejected `index`. */
  readonly index: number;
  readonly reject: boolean;
  /** On rejection: the follower's guess of the highest index where the logs may match... */
  readonly rejectHint: number;
  /** ...and its term there, letting the leader skip a whole term per round trip. */
  readonly hintTerm: number;
}

export interface HeartbeatRequest extends Envelope {
  readonly type: 'heartbeat';
  /** min(follower match, leader commit): never beyond what the follower is known to hold. */
  readonly commit: number;
}

export interface HeartbeatResponse extends Envelope {
  readonly type: 'heartbeat-response';
}

export interface SnapshotRequest extends Envelope {
  readonly type: 'snapshot';
  readonly snapshot: Snapshot;
}

/** Leadership transfer: the recipient campaigns immediately, skipping pre-vote. */
export interface TimeoutNow extends Envelope {
  readonly type: 'timeout-now';
}

/** A follower forwards the application's transfer request to its leader. */
export interface TransferLeaderRequest extends Envelope {
  readonly type: 'transfer-leader';
  readonly transferee: NodeId;
}

export type Message =
  | PreVoteRequest
  | PreVoteResponse
  | VoteRequest
  | VoteResponse
  | AppendRequest
  | AppendResponse
  | HeartbeatRequest
  | HeartbeatResponse
  | SnapshotRequest
  | TimeoutNow
  | TransferLeaderRequest;

export type MessageType = Message['type'];

/** Stable ordering for wire tags; append only. */
export const MESSAGE_TYPES: readonly MessageType[] = Object.freeze([
  'pre-vote',
  'pre-vote-response',
  'vote',
  'vote-response',
  'append',
  'append-response',
  'heartbeat',
  'heartbeat-response',
  'snapshot',
  'timeout-now',
  'transfer-leader',
] as const);

/** A message as built inside the core: `from` is filled in, `term` defaults to the current term. */
export type OutgoingMessage = Message extends infer M
  ? M extends Message
    ? Omit<M, 'from' | 'term'> & { readonly term?: number }
    : never
  : never;

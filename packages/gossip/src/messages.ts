// Typed SWIM messages. `type` is the discriminant; the codec maps it to an append-only numeric tag.
import type { MemberMeta, MemberState } from './member';

/** Direct probe. `target` lets a node that reused an address ignore a probe meant for its predecessor. */
export interface PingMessage {
  readonly type: 'ping';
  readonly seq: number;
  readonly target: string;
  /** Address to send the ack to. */
  readonly src: string;
}

/** Ask a helper to probe `target` for us and relay the ack (and a nack if it gets none). */
export interface IndirectPingMessage {
  readonly type: 'indirect-ping';
  readonly seq: number;
  readonly target: string;
  readonly targetAddr: string;
  readonly src: string;
  readonly nack: boolean;
  /** How long the helper waits for the target before nacking (fits the requester's window). */
  readonly timeoutMs: number;
}

export interface AckMessage {
  readonly type: 'ack';
  readonly seq: number;
}

export interface NackMessage {
  readonly type: 'nack';
  readonly seq: number;
}

export interface AliveMessage {
  readonly type: 'alive';
  readonly node: string;
  readonly incarnation: number;
  readonly addr: string;
  readonly port: number;
  readonly meta: MemberMeta;
}

export interface SuspectMessage {
  readonly type: 'suspect';
  readonly node: string;
  readonly incarnation: number;
  readonly from: string;
}

/** `from === node` means a graceful leave. */
export interface DeadMessage {
  readonly type: 'dead';
  readonly node: string;
  readonly incarnation: number;
  readonly from: string;
}

/** Opaque payload for the layer above (the replicated table). */
export interface UserMessage {
  readonly type: 'user';
  readonly payload: unknown;
}

/** Several messages in one packet (a probe plus piggybacked broadcasts). Never nested. */
export interface CompoundMessage {
  readonly type: 'compound';
  readonly parts: readonly SingleMessage[];
}

export interface PushNodeState {
  readonly id: string;
  readonly addr: string;
  readonly port: number;
  readonly meta: MemberMeta;
  readonly incarnation: number;
  readonly state: MemberState;
}

/** Full-state anti-entropy exchange, always on the reliable (stream) path. */
export interface PushPullMessage {
  readonly type: 'push-pull';
  readonly join: boolean;
  readonly reply: boolean;
  /** Address to send the reply to (stream sources are ephemeral ports). */
  readonly src: string;
  readonly nodes: readonly PushNodeState[];
  readonly user: unknown;
}

export type MembershipMessage = AliveMessage | SuspectMessage | DeadMessage;

export type SingleMessage =
  | PingMessage
  | IndirectPingMessage
  | AckMessage
  | NackMessage
  | MembershipMessage
  | UserMessage;

export type GossipMessage = SingleMessage | CompoundMessage | PushPullMessage;

export type MessageType = GossipMessage['type'];

/** Wire tags, append-only: a tag's index never changes once released. */
export const MESSAGE_TAGS: readonly MessageType[] = [
  'ping',
  'indirect-ping',
  'ack',
  'nack',
  'alive',
  'suspect',
  'dead',
  'user',
  'compound',
  'push-pull',
];

export function assertNever(x: never): never {
  throw new Error(`unexpected value ${JSON.stringify(x)}`);
}

// What the membership and prober halves of the SWIM core share; built by SwimCore, no I/O.
import type { Awareness } from './awareness';
import type { GossipConfig } from './config';
import type { Logger } from './logger';
import type { MemberEvent } from './member';
import type { SingleMessage } from './messages';
import type { Rng } from './prng';
import type { TimerSet } from './timers';

export interface CoreContext {
  readonly config: GossipConfig;
  readonly rng: Rng;
  readonly timers: TimerSet;
  readonly awareness: Awareness;
  readonly logger: Logger;
  readonly selfId: string;
  now(): number;
  selfAddress(): string;
  /** One best-effort packet carrying `msgs`, topped up with piggybacked broadcasts. */
  sendPacket(to: string, msgs: readonly SingleMessage[]): void;
  /** Queues a broadcast; a later one with the same key replaces it. */
  broadcast(msg: SingleMessage, key: string, onSent?: () => void): void;
  emit(event: MemberEvent): void;
  /** We just refuted an accusation: layers above may re-announce what peers dropped. */
  refuted(): void;
}

export function nodeKey(id: string): string {
  return `m:${id}`;
}

// Gossip key rotation as a pure schedule: given the key state in the cluster object and the time,
// the next state. Three phases, so no node ever receives a packet it cannot open: install the new
// key everywhere (it opens, does not seal), after a propagation delay make it primary (it seals),
// after a grace period remove the old key. The leader's GossipKeyRotator runs it.
import { parseDurationMs } from './duration';
import { InvalidArgumentError, assertNever, type ClusterObject, type GossipKeyRotation } from '@shoal/store';

export interface GossipKeyTiming {
  /** How long a key stays primary before the next rotation starts. */
  intervalMs: number;
  /** From installing a new key (opens only) to making it primary: time for every node to receive it. */
  propagationMs: number;
  /** From the new primary to removing the old key: packets still sealed with it keep opening. */
  graceMs: number;
}

/** Docker rotates its overlay encryption keys every 12 hours. */
export const DEFAULT_GOSSIP_KEY_TIMING: GossipKeyTiming = {
  intervalMs: 12 * 3600_000,
  propagationMs: 5 * 60_000,
  graceMs: 5 * 60_000,
};

export interface GossipKeyState {
  /** Base64 keys, primary first. */
  keys: readonly string[];
  rotation?: GossipKeyRotation | undefined;
}

export type GossipKeyAction = 'adopt' | 'install' | 'promote' | 'retire' | 'repair';

export type GossipKeyDecision =
  /** A cluster created without keys gossips in the clear; sealing it needs every node restarted. */
  | { kind: 'idle' }
  | { kind: 'wait'; untilMs: number }
  | { kind: 'write'; action: GossipKeyAction; next: GossipKeyState };

/** The next step of the schedule; `newKey` supplies a fresh base64 key when one is installed. */
export function planGossipKeys(state: GossipKeyState, nowMs: number, timing: GossipKeyTiming, newKey: () => string): GossipKeyDecision {
  const { keys, rotation } = state;
  const [primary] = keys;
  if (primary === undefined) return { kind: 'idle' };
  // A data dir from before rotation: start the clock now; extra keys are retired after a grace period.
  if (!rotation) return write('adopt', keys, keys.length > 1 ? 'promoted' : 'steady', nowMs);
  const due = (delayMs: number) => rotation.sinceMs + delayMs;
  switch (rotation.phase) {
    case 'steady':
      if (keys.length > 1) return write('repair', keys, 'promoted', nowMs);
      if (nowMs < due(timing.intervalMs) && rotation.requestedMs === undefined) return { kind: 'wait', untilMs: due(timing.intervalMs) };
      return write('install', [primary, newKey()], 'installed', nowMs);
    case 'installed': {
      if (keys.length < 2) return write('repair', keys, 'steady', nowMs);
      if (nowMs < due(timing.propagationMs)) return { kind: 'wait', untilMs: due(timing.propagationMs) };
      const fresh = keys[keys.length - 1] as string;
      return write('promote', [fresh, ...keys.slice(0, -1)], 'promoted', nowMs, rotation.requestedMs);
    }
    case 'promoted':
      if (nowMs < due(timing.graceMs)) return { kind: 'wait', untilMs: due(timing.graceMs) };
      // The interval runs from the promotion, so the next rotation starts `intervalMs` after it.
      return write('retire', [primary], 'steady', rotation.sinceMs, rotation.requestedMs);
    default:
      return assertNever(rotation.phase);
  }
}

function write(
  action: GossipKeyAction,
  keys: readonly string[],
  phase: GossipKeyRotation['phase'],
  sinceMs: number,
  requestedMs?: number,
): GossipKeyDecision {
  const rotation: GossipKeyRotation = requestedMs === undefined ? { phase, sinceMs } : { phase, sinceMs, requestedMs };
  return { kind: 'write', action, next: { keys: [...keys], rotation } };
}

/** The rotation state with a rotation asked for now (e.g. on `node rm`); unchanged without keys. */
export function requestGossipKeyRotation(rotation: GossipKeyRotation | undefined, nowMs: number): GossipKeyRotation | undefined {
  return rotation ? { ...rotation, requestedMs: rotation.requestedMs ?? nowMs } : undefined;
}

export function gossipKeyState(cluster: Pick<ClusterObject, 'gossipKeys' | 'gossipKeyRotation'>): GossipKeyState {
  return { keys: cluster.gossipKeys ?? [], rotation: cluster.gossipKeyRotation };
}

/** The cluster object carrying `state`. */
export function withGossipKeys(cluster: ClusterObject, state: GossipKeyState): ClusterObject {
  const { gossipKeyRotation: _old, ...rest } = cluster;
  return { ...rest, gossipKeys: [...state.keys], ...(state.rotation ? { gossipKeyRotation: { ...state.rotation } } : {}) };
}

/** The timing `SHOAL_GOSSIP_KEY_ROTATION` asks for, if set (tests use e.g. `2s`). */
export function gossipKeyTimingFromEnv(env: Record<string, string | undefined>): GossipKeyTiming | undefined {
  const text = env['SHOAL_GOSSIP_KEY_ROTATION'];
  return text === undefined || text === '' ? undefined : parseGossipKeyTiming(text);
}

/**
 * `<interval>[,<propagation>[,<grace>]]`, e.g. `12h`, `2s`, `1h,5m,10m`. Phases left out default
 * to the smaller of 5 minutes and a quarter of the interval.
 */
export function parseGossipKeyTiming(text: string): GossipKeyTiming {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length > 3) throw new InvalidArgumentError(`invalid gossip key rotation ${JSON.stringify(text)}: at most <interval>,<propagation>,<grace>`);
  const [intervalMs, propagationMs, graceMs] = parts.map((p) => durationMs(p, text));
  if (intervalMs === undefined) throw new InvalidArgumentError(`invalid gossip key rotation ${JSON.stringify(text)}`);
  const phase = Math.min(DEFAULT_GOSSIP_KEY_TIMING.propagationMs, Math.floor(intervalMs / 4));
  return { intervalMs, propagationMs: propagationMs ?? phase, graceMs: graceMs ?? phase };
}

/** A positive duration such as `500ms`, `2s`, `1h30m`. */
function durationMs(part: string, whole: string): number {
  const ms = parseDurationMs(part);
  if (ms === undefined) {
    throw new InvalidArgumentError(`invalid gossip key rotation ${JSON.stringify(whole)}: ${JSON.stringify(part)} is not a duration like 2s, 5m or 12h`);
  }
  return ms;
}

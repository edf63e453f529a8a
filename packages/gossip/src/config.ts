// Gossip timing profiles (after memberlist's DefaultLANConfig) and their validation.
import { GossipConfigError } from './errors';

/** The well-known gossip port (UDP + TCP), as in Docker swarm. */
export const GOSSIP_PORT = 7946;

export interface GossipConfig {
  /** Time between failure probes of one member (round-robin over a shuffled list). */
  readonly probeIntervalMs: number;
  /** Wait for a direct ack before asking `indirectChecks` helpers. */
  readonly probeTimeoutMs: number;
  readonly indirectChecks: number;
  /** Minimum suspicion time = suspicionMult · max(1, log10 n) · probeInterval. */
  readonly suspicionMult: number;
  /** Maximum suspicion time (no confirmations) = this · minimum. */
  readonly suspicionMaxTimeoutMult: number;
  /** Local health score cap: probe timeouts stretch up to this factor. */
  readonly awarenessMaxMultiplier: number;
  readonly gossipIntervalMs: number;
  /** Random members each gossip round sends piggybacked broadcasts to. */
  readonly gossipNodes: number;
  /** Dead members still get gossip (so a falsely-dead node can refute) and are reaped after this. */
  readonly gossipToTheDeadMs: number;
  /** Full-state anti-entropy with one random member (scaled up past 32 members). */
  readonly pushPullIntervalMs: number;
  /** Each broadcast is sent retransmitMult · ceil(log10(n+1)) times. */
  readonly retransmitMult: number;
  /** A failed (not left) member is retried by push-pull this long, so partitions heal. */
  readonly reconnectTimeoutMs: number;
  /** Largest UDP datagram, sealing overhead included. */
  readonly maxPacketBytes: number;
  /** Replicated-table tombstones (and forgotten dead owners) are dropped after this. */
  readonly tombstoneTtlMs: number;
  readonly joinTimeoutMs: number;
  /** `leave()` waits at most this long for the leave broadcast to go out. */
  readonly leaveTimeoutMs: number;
  /** Connect/idle timeout of a TCP stream. */
  readonly streamTimeoutMs: number;
}

const LAN: GossipConfig = {
  probeIntervalMs: 1000,
  probeTimeoutMs: 500,
  indirectChecks: 3,
  suspicionMult: 4,
  suspicionMaxTimeoutMult: 6,
  awarenessMaxMultiplier: 8,
  gossipIntervalMs: 200,
  gossipNodes: 3,
  gossipToTheDeadMs: 30_000,
  pushPullIntervalMs: 30_000,
  retransmitMult: 4,
  reconnectTimeoutMs: 24 * 3600_000,
  maxPacketBytes: 1400,
  tombstoneTtlMs: 10 * 60_000,
  joinTimeoutMs: 10_000,
  leaveTimeoutMs: 5_000,
  streamTimeoutMs: 10_000,
};

const LOCAL: GossipConfig = {
  ...LAN,
  probeIntervalMs: 100,
  probeTimeoutMs: 50,
  suspicionMult: 3,
  suspicionMaxTimeoutMult: 4,
  gossipIntervalMs: 20,
  gossipToTheDeadMs: 5_000,
  pushPullIntervalMs: 2_000,
  reconnectTimeoutMs: 60_000,
  tombstoneTtlMs: 30_000,
  joinTimeoutMs: 2_000,
  leaveTimeoutMs: 1_000,
  streamTimeoutMs: 2_000,
};

/** memberlist's DefaultLANConfig timings. */
export function lanConfig(overrides: Partial<GossipConfig> = {}): GossipConfig {
  return validateConfig({ ...LAN, ...overrides });
}

/** Short timeouts for tests and single-host clusters on loopback. */
export function localConfig(overrides: Partial<GossipConfig> = {}): GossipConfig {
  return validateConfig({ ...LOCAL, ...overrides });
}

export function validateConfig(c: GossipConfig): GossipConfig {
  for (const [name, value] of Object.entries(c)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new GossipConfigError(`${name} must be a non-negative number, got ${String(value)}`);
    }
  }
  if (c.probeIntervalMs <= 0 || c.gossipIntervalMs <= 0 || c.pushPullIntervalMs <= 0) {
    throw new GossipConfigError('probe, gossip and push-pull intervals must be positive');
  }
  if (c.probeTimeoutMs <= 0 || c.probeTimeoutMs >= c.probeIntervalMs) {
    throw new GossipConfigError('probeTimeoutMs must be positive and shorter than probeIntervalMs');
  }
  if (c.awarenessMaxMultiplier < 1 || c.suspicionMult < 1 || c.suspicionMaxTimeoutMult < 1) {
    throw new GossipConfigError('awareness and suspicion multipliers must be at least 1');
  }
  if (c.maxPacketBytes < 512) throw new GossipConfigError('maxPacketBytes must be at least 512');
  return c;
}

/** Push-pull gets rarer past 32 members so the cluster-wide TCP load stays flat (memberlist pushPullScale). */
export function pushPullScaleMs(intervalMs: number, numNodes: number): number {
  if (numNodes <= 32) return intervalMs;
  const multiplier = Math.ceil(Math.log2(numNodes) - Math.log2(32)) + 1;
  return intervalMs * multiplier;
}

import { describe, expect, it } from 'vitest';
import { Awareness } from './awareness';
import { retransmitLimit } from './broadcast-queue';
import { lanConfig, localConfig, pushPullScaleMs } from './config';
import { GossipConfigError } from './errors';
import { Suspicion, remainingSuspicionMs, suspicionTimeoutMs } from './suspicion';

describe('Lifeguard suspicion', () => {
  it('scales the minimum timeout with log10 of the cluster size', () => {
    expect(suspicionTimeoutMs(4, 1, 1000)).toBe(4000);
    expect(suspicionTimeoutMs(4, 10, 1000)).toBe(4000);
    expect(suspicionTimeoutMs(4, 100, 1000)).toBe(8000);
    expect(suspicionTimeoutMs(4, 1000, 1000)).toBe(12000);
  });

  it('follows max − (max − min)·log(n+1)/log(k+1), never below min', () => {
    expect(remainingSuspicionMs(0, 3, 0, 2000, 30000)).toBe(30000);
    expect(remainingSuspicionMs(1, 3, 0, 2000, 30000)).toBe(16000);
    expect(remainingSuspicionMs(2, 3, 0, 2000, 30000)).toBe(7810);
    expect(remainingSuspicionMs(3, 3, 0, 2000, 30000)).toBe(2000);
    expect(remainingSuspicionMs(4, 3, 0, 2000, 30000)).toBe(2000);
    expect(remainingSuspicionMs(3, 3, 5000, 2000, 30000)).toBe(-3000);
  });

  it('starts at max, shrinks per independent confirmation, ignores duplicates and the accuser', () => {
    const s = new Suspicion({ from: 'a', k: 3, minMs: 2000, maxMs: 30000, startMs: 100 });
    expect(s.deadlineMs).toBe(30100);
    expect(s.confirm('a', 200)).toBe(false);
    expect(s.confirm('b', 200)).toBe(true);
    expect(s.deadlineMs).toBe(16100);
    expect(s.confirm('b', 300)).toBe(false);
    expect(s.confirm('c', 300)).toBe(true);
    expect(s.confirm('d', 400)).toBe(true);
    expect(s.deadlineMs).toBe(2100);
    expect(s.confirm('e', 500)).toBe(false);
    expect(s.confirmations).toBe(3);
  });

  it('uses min straight away when no confirmations are expected', () => {
    expect(new Suspicion({ from: 'a', k: 0, minMs: 500, maxMs: 3000, startMs: 0 }).deadlineMs).toBe(500);
  });
});

describe('awareness, retransmits, profiles', () => {
  it('stretches timeouts by (score + 1) and caps the score', () => {
    const a = new Awareness(8);
    a.applyDelta(-1);
    expect(a.scaleMs(500)).toBe(500);
    a.applyDelta(3);
    expect(a.scaleMs(500)).toBe(2000);
    a.applyDelta(100);
    expect(a.score).toBe(7);
    expect(a.scaleMs(500)).toBe(4000);
  });

  it('retransmits retransmitMult · ceil(log10(n+1)) times', () => {
    expect(retransmitLimit(4, 1)).toBe(4);
    expect(retransmitLimit(4, 9)).toBe(4);
    expect(retransmitLimit(4, 10)).toBe(8);
    expect(retransmitLimit(4, 100)).toBe(12);
  });

  it('LAN profile matches memberlist DefaultLANConfig', () => {
    expect(lanConfig()).toMatchObject({
      probeIntervalMs: 1000,
      probeTimeoutMs: 500,
      indirectChecks: 3,
      suspicionMult: 4,
      suspicionMaxTimeoutMult: 6,
      gossipIntervalMs: 200,
      gossipNodes: 3,
      pushPullIntervalMs: 30_000,
      retransmitMult: 4,
      maxPacketBytes: 1400,
    });
  });

  it('rejects nonsense and scales push-pull past 32 nodes', () => {
    expect(() => localConfig({ probeTimeoutMs: 500 })).toThrow(GossipConfigError);
    expect(() => lanConfig({ gossipNodes: -1 })).toThrow(GossipConfigError);
    expect(pushPullScaleMs(30_000, 32)).toBe(30_000);
    expect(pushPullScaleMs(30_000, 33)).toBe(60_000);
    expect(pushPullScaleMs(30_000, 128)).toBe(90_000);
  });
});

// The leader's rotation shell on a fake clock: it commits each phase through the store, sleeps until
// the next one, stops with leadership, and a new leader carries on from the stored state.
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ClusterStore, MemoryStore, createOp, resultToEvents, type ClusterObject, type Proposer } from '@shoal/store';
import { GossipKeyRotator } from './gossip-key-rotator';
import type { GossipKeyTiming } from './gossip-keys';
import { DEFAULT_CLUSTER_SPEC } from './manager';

const logger = pino({ level: 'silent' });
const timing: GossipKeyTiming = { intervalMs: 10_000, propagationMs: 1_000, graceMs: 2_000 };

function localStore(): { store: ClusterStore; writes: () => number } {
  const memory = new MemoryStore();
  let index = 0;
  const proposer: Proposer = { propose: async (command) => resultToEvents(memory.apply(++index, command)) };
  return { store: new ClusterStore(memory, proposer), writes: () => index };
}

async function createCluster(store: ClusterStore, keys: Partial<Pick<ClusterObject, 'gossipKeys' | 'gossipKeyRotation'>>): Promise<void> {
  await store.commit([
    createOp('cluster', {
      id: 'c1',
      spec: DEFAULT_CLUSTER_SPEC,
      rootCA: { certPem: '', keyPem: '' },
      joinTokens: { worker: '', manager: '' },
      revokedNodes: [],
      ...keys,
    }),
  ]);
}

function keysOf(store: ClusterStore): { keys: string[] | undefined; phase: string | undefined } {
  const c = store.memory.list('cluster')[0];
  return { keys: c?.gossipKeys, phase: c?.gossipKeyRotation?.phase };
}

function rotator(store: ClusterStore): GossipKeyRotator {
  let n = 0;
  return new GossipKeyRotator({ store, logger, timing, newKey: () => `k${++n}` });
}

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('GossipKeyRotator', () => {
  it('runs the three phases at their times while leading', async () => {
    const { store } = localStore();
    await createCluster(store, { gossipKeys: ['k0'], gossipKeyRotation: { phase: 'steady', sinceMs: 0 } });
    const r = rotator(store);
    r.start();
    await vi.advanceTimersByTimeAsync(9_999);
    expect(keysOf(store)).toEqual({ keys: ['k0'], phase: 'steady' });
    await vi.advanceTimersByTimeAsync(1);
    expect(keysOf(store)).toEqual({ keys: ['k0', 'k1'], phase: 'installed' });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(keysOf(store)).toEqual({ keys: ['k1', 'k0'], phase: 'promoted' });
    await vi.advanceTimersByTimeAsync(2_000);
    expect(keysOf(store)).toEqual({ keys: ['k1'], phase: 'steady' });
    // The next interval runs from the promotion (11 s), not from the removal.
    await vi.advanceTimersByTimeAsync(7_999);
    expect(keysOf(store)).toEqual({ keys: ['k1'], phase: 'steady' });
    await vi.advanceTimersByTimeAsync(1);
    expect(keysOf(store)).toEqual({ keys: ['k1', 'k2'], phase: 'installed' });
    r.stop();
  });

  it('does nothing after losing leadership; the next leader resumes mid-rotation', async () => {
    const { store, writes } = localStore();
    await createCluster(store, { gossipKeys: ['k0'], gossipKeyRotation: { phase: 'steady', sinceMs: 0 } });
    const first = rotator(store);
    first.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(keysOf(store).phase).toBe('installed');
    first.stop();
    const before = writes();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(writes()).toBe(before);
    // The new leader is late: the propagation delay is long past, so it promotes at once.
    const next = new GossipKeyRotator({ store, logger, timing, newKey: () => 'never' });
    next.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(keysOf(store)).toEqual({ keys: ['k1', 'k0'], phase: 'promoted' });
    await vi.advanceTimersByTimeAsync(2_000);
    expect(keysOf(store)).toEqual({ keys: ['k1'], phase: 'steady' });
    next.stop();
  });

  it('waits for swarm init to create the cluster, and adopts a data dir from before rotation', async () => {
    const { store } = localStore();
    const r = rotator(store);
    r.start();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(store.memory.list('cluster')).toHaveLength(0);
    await createCluster(store, { gossipKeys: ['old'] });
    await vi.advanceTimersByTimeAsync(0);
    expect(store.memory.list('cluster')[0]?.gossipKeyRotation).toEqual({ phase: 'steady', sinceMs: 5_000 });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(keysOf(store)).toEqual({ keys: ['old', 'k1'], phase: 'installed' });
    r.stop();
  });

  it('keeps the rest of the cluster object as it is', async () => {
    const { store } = localStore();
    await createCluster(store, { gossipKeys: ['k0'], gossipKeyRotation: { phase: 'steady', sinceMs: 0 } });
    const before = store.memory.list('cluster')[0] as ClusterObject;
    const r = rotator(store);
    r.start();
    await vi.advanceTimersByTimeAsync(10_000);
    r.stop();
    const after = store.memory.list('cluster')[0] as ClusterObject;
    const strip = ({ version: _v, updatedAt: _u, gossipKeys: _k, gossipKeyRotation: _r, ...rest }: ClusterObject) => rest;
    expect(strip(after)).toEqual(strip(before));
  });
});

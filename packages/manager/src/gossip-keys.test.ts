import { describe, expect, it } from 'vitest';
import {
  DEFAULT_GOSSIP_KEY_TIMING,
  gossipKeyTimingFromEnv,
  parseGossipKeyTiming,
  planGossipKeys,
  requestGossipKeyRotation,
  type GossipKeyDecision,
  type GossipKeyState,
  type GossipKeyTiming,
} from './gossip-keys';

const timing: GossipKeyTiming = { intervalMs: 10_000, propagationMs: 1_000, graceMs: 2_000 };

/** Fresh keys k1, k2, … in order, so tests can name them. */
function keySource(): () => string {
  let n = 0;
  return () => `k${++n}`;
}

function written(d: GossipKeyDecision): GossipKeyState {
  if (d.kind !== 'write') throw new Error(`expected a write, got ${JSON.stringify(d)}`);
  return d.next;
}

describe('planGossipKeys', () => {
  it('waits out the interval, then installs a new key that opens but does not seal', () => {
    const newKey = keySource();
    const start: GossipKeyState = { keys: ['k0'], rotation: { phase: 'steady', sinceMs: 0 } };
    expect(planGossipKeys(start, 9_999, timing, newKey)).toEqual({ kind: 'wait', untilMs: 10_000 });
    const d = planGossipKeys(start, 10_000, timing, newKey);
    expect(d).toMatchObject({ kind: 'write', action: 'install' });
    expect(written(d)).toEqual({ keys: ['k0', 'k1'], rotation: { phase: 'installed', sinceMs: 10_000 } });
  });

  it('makes the new key primary after the propagation delay, keeping the old one to open', () => {
    const s: GossipKeyState = { keys: ['k0', 'k1'], rotation: { phase: 'installed', sinceMs: 10_000 } };
    expect(planGossipKeys(s, 10_999, timing, keySource())).toEqual({ kind: 'wait', untilMs: 11_000 });
    const d = planGossipKeys(s, 11_000, timing, keySource());
    expect(d).toMatchObject({ action: 'promote' });
    expect(written(d)).toEqual({ keys: ['k1', 'k0'], rotation: { phase: 'promoted', sinceMs: 11_000 } });
  });

  it('removes the old key after the grace period; the interval runs from the promotion', () => {
    const s: GossipKeyState = { keys: ['k1', 'k0'], rotation: { phase: 'promoted', sinceMs: 11_000 } };
    expect(planGossipKeys(s, 12_999, timing, keySource())).toEqual({ kind: 'wait', untilMs: 13_000 });
    const d = planGossipKeys(s, 13_000, timing, keySource());
    expect(d).toMatchObject({ action: 'retire' });
    const steady = written(d);
    expect(steady).toEqual({ keys: ['k1'], rotation: { phase: 'steady', sinceMs: 11_000 } });
    expect(planGossipKeys(steady, 13_000, timing, keySource())).toEqual({ kind: 'wait', untilMs: 21_000 });
  });

  it('rotates at once when asked (a node was removed), also when asked during a rotation', () => {
    const steady: GossipKeyState = { keys: ['k0'], rotation: { phase: 'steady', sinceMs: 0 } };
    const asked = { ...steady, rotation: requestGossipKeyRotation(steady.rotation, 500) };
    const d = planGossipKeys(asked, 500, timing, keySource());
    expect(d).toMatchObject({ action: 'install' });
    expect(written(d).rotation).toEqual({ phase: 'installed', sinceMs: 500 }); // the request is consumed
    // Asked while a rotation is under way: the removed node may hold the key being installed,
    // so another rotation follows this one straight away.
    const midway: GossipKeyState = { keys: ['k0', 'k1'], rotation: requestGossipKeyRotation({ phase: 'installed', sinceMs: 0 }, 200) };
    const promoted = written(planGossipKeys(midway, 1_000, timing, keySource()));
    const retired = written(planGossipKeys(promoted, 3_000, timing, keySource()));
    expect(retired).toEqual({ keys: ['k1'], rotation: { phase: 'steady', sinceMs: 1_000, requestedMs: 200 } });
    expect(planGossipKeys(retired, 3_000, timing, keySource())).toMatchObject({ action: 'install' });
    expect(requestGossipKeyRotation(undefined, 5)).toBeUndefined();
  });

  it('runs rotation after rotation on a fake clock, never sealing with a key some node lacks', () => {
    const newKey = keySource();
    let state: GossipKeyState = { keys: ['k0'], rotation: { phase: 'steady', sinceMs: 0 } };
    const actions: string[] = [];
    let now = 0;
    while (now < 40_000) {
      const d = planGossipKeys(state, now, timing, newKey);
      if (d.kind === 'wait') now = d.untilMs;
      else if (d.kind === 'write') {
        // Safety: the sealing key was installed in an earlier step (nodes already open with it).
        if (d.action === 'promote') expect(state.keys).toContain(d.next.keys[0]);
        // A key is removed only once a different key has sealed for a whole grace period.
        if (d.action === 'retire') expect(state.rotation?.phase).toBe('promoted');
        actions.push(`${now}:${d.action}`);
        state = d.next;
      } else throw new Error('idle');
    }
    expect(actions).toEqual([
      '10000:install', '11000:promote', '13000:retire',
      '21000:install', '22000:promote', '24000:retire',
      '32000:install', '33000:promote', '35000:retire',
    ]);
    expect(state.keys).toEqual(['k3']);
  });

  it('resumes a rotation interrupted mid-phase (leader restart or failover), from the stored state alone', () => {
    const newKey = keySource();
    let state: GossipKeyState = { keys: ['k0'], rotation: { phase: 'steady', sinceMs: 0 } };
    state = written(planGossipKeys(state, 10_000, timing, newKey));
    // The leader stops here; the state travels through Raft (JSON-safe) to the next leader.
    const stored = JSON.parse(JSON.stringify(state)) as GossipKeyState;
    // The next leader comes up well after the propagation delay: it promotes at once, without a second new key.
    const promoted = planGossipKeys(stored, 15_000, timing, newKey);
    expect(promoted).toMatchObject({ action: 'promote' });
    expect(written(promoted).keys).toEqual(['k1', 'k0']);
    // Interrupted again in the grace period: the old key stays until the grace period ends.
    const again = JSON.parse(JSON.stringify(written(promoted))) as GossipKeyState;
    expect(planGossipKeys(again, 16_000, timing, newKey)).toEqual({ kind: 'wait', untilMs: 17_000 });
    expect(written(planGossipKeys(again, 17_000, timing, newKey)).keys).toEqual(['k1']);
  });

  it('adopts the key list of a data dir from before rotation', () => {
    const one = planGossipKeys({ keys: ['old'] }, 5_000, timing, keySource());
    expect(one).toMatchObject({ action: 'adopt' });
    expect(written(one)).toEqual({ keys: ['old'], rotation: { phase: 'steady', sinceMs: 5_000 } });
    // Several keys: the first kept sealing; the others are retired after a grace period.
    const two = written(planGossipKeys({ keys: ['a', 'b'] }, 5_000, timing, keySource()));
    expect(two).toEqual({ keys: ['a', 'b'], rotation: { phase: 'promoted', sinceMs: 5_000 } });
    expect(written(planGossipKeys(two, 7_000, timing, keySource())).keys).toEqual(['a']);
  });

  it('leaves a cluster without keys alone and repairs states that do not match their phase', () => {
    expect(planGossipKeys({ keys: [] }, 0, timing, keySource())).toEqual({ kind: 'idle' });
    const steadyTwo = planGossipKeys({ keys: ['a', 'b'], rotation: { phase: 'steady', sinceMs: 0 } }, 100, timing, keySource());
    expect(steadyTwo).toMatchObject({ action: 'repair', next: { keys: ['a', 'b'], rotation: { phase: 'promoted', sinceMs: 100 } } });
    const installedOne = planGossipKeys({ keys: ['a'], rotation: { phase: 'installed', sinceMs: 0 } }, 100, timing, keySource());
    expect(installedOne).toMatchObject({ action: 'repair', next: { keys: ['a'], rotation: { phase: 'steady', sinceMs: 100 } } });
  });
});

describe('gossip key timing', () => {
  it('defaults to a 12 h interval', () => {
    expect(DEFAULT_GOSSIP_KEY_TIMING.intervalMs).toBe(12 * 3600_000);
    expect(gossipKeyTimingFromEnv({})).toBeUndefined();
  });

  it('parses SHOAL_GOSSIP_KEY_ROTATION: an interval, optionally the two phase delays', () => {
    expect(gossipKeyTimingFromEnv({ SHOAL_GOSSIP_KEY_ROTATION: '2s' })).toEqual({ intervalMs: 2000, propagationMs: 500, graceMs: 500 });
    expect(parseGossipKeyTiming('12h')).toEqual({ intervalMs: 43_200_000, propagationMs: 300_000, graceMs: 300_000 });
    expect(parseGossipKeyTiming('1h30m, 250ms, 1.5s')).toEqual({ intervalMs: 5_400_000, propagationMs: 250, graceMs: 1500 });
  });

  it('refuses what is not a positive duration list', () => {
    for (const bad of ['2', 'soon', '2s,', '-1s', '0s', '1s,2s,3s,4s', '2 s']) {
      expect(() => parseGossipKeyTiming(bad), bad).toThrow(/invalid gossip key rotation/);
    }
  });
});

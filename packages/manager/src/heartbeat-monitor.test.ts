import { describe, expect, it } from 'vitest';
import { HeartbeatMonitor } from './heartbeat-monitor';

describe('HeartbeatMonitor', () => {
  it('declares a node down after three missed periods, once', () => {
    const m = new HeartbeatMonitor({ periodMs: 1000 });
    m.beat('a', 0);
    m.beat('b', 0);
    expect(m.expired(2999)).toEqual([]);
    m.beat('b', 2500);
    expect(m.expired(3001)).toEqual(['a']);
    expect(m.expired(3500)).toEqual([]);
    expect(m.expired(5501)).toEqual(['b']);
  });

  it('tracks a node again after it returns and follows period changes', () => {
    const m = new HeartbeatMonitor({ periodMs: 1000 });
    m.beat('a', 0);
    expect(m.expired(4000)).toEqual(['a']);
    m.beat('a', 4100);
    m.setPeriod(200);
    // Told 1 s at its last beat, it keeps that window until its next beat tells it 200 ms.
    expect(m.expired(4701)).toEqual([]);
    expect(m.expired(7099)).toEqual([]);
    m.beat('a', 7000);
    expect(m.expired(7599)).toEqual([]);
    expect(m.expired(7601)).toEqual(['a']);
    m.beat('a', 8000);
    m.forget('a');
    expect(m.expired(99999)).toEqual([]);
  });

  it('does not expire nodes beating at a longer period when the period is shortened (swarm update --dispatcher-heartbeat)', () => {
    const m = new HeartbeatMonitor({ periodMs: 10_000 });
    for (const id of ['a', 'b', 'c']) m.beat(id, 0);
    m.setPeriod(1000);
    // Each learns the new period from the answer to its next beat, up to 10 s away.
    expect(m.expired(9_999)).toEqual([]);
    m.beat('a', 9_000);
    m.beat('b', 10_000);
    expect(m.expired(11_999)).toEqual([]);
    expect(m.expired(12_001)).toEqual(['a']); // 3 of its new 1 s periods since its beat at 9 s
    expect(m.expired(13_001)).toEqual(['b']);
    expect(m.expired(29_999)).toEqual([]); // c never beat again: still inside 3 × 10 s
    expect(m.expired(30_001)).toEqual(['c']);
  });

  it('declares a node gossip suspects down once it has also missed a beat', () => {
    const m = new HeartbeatMonitor({ periodMs: 1000 });
    m.beat('a', 0);
    m.beat('b', 0);
    m.suspect('a');
    m.suspect('b');
    m.beat('b', 900); // b is alive: the suspicion is dropped
    expect(m.expired(1900)).toEqual([]); // one late beat is not enough
    expect(m.expired(2001)).toEqual(['a']); // 2 periods, not 3
    expect(m.expired(2401)).toEqual([]);
    expect(m.expired(3901)).toEqual(['b']); // b only by the full grace window
  });

  it("gives nodes a new leader has not heard from twice the grace window, unless gossip suspects them (swarmkit's unknown nodes)", () => {
    const m = new HeartbeatMonitor({ periodMs: 1000 });
    m.unknown('slow', 0);
    m.unknown('dead', 0);
    m.unknown('back', 0);
    m.suspect('dead');
    m.beat('back', 5000); // its agent found the new leader: ordinary grace from then on
    expect(m.expired(2001)).toEqual(['dead']); // gossip's suspicion works as for any node
    expect(m.expired(5999)).toEqual([]); // past 3 periods, inside 6
    expect(m.expired(6001)).toEqual(['slow']);
    expect(m.expired(7999)).toEqual([]);
    expect(m.expired(8001)).toEqual(['back']);
  });

  it('ignores suspicion of nodes it does not track', () => {
    const m = new HeartbeatMonitor({ periodMs: 1000 });
    m.suspect('ghost');
    m.beat('ghost', 10_000);
    expect(m.expired(12_100)).toEqual([]);
  });
});

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
    expect(m.expired(4600)).toEqual([]);
    expect(m.expired(4701)).toEqual(['a']);
    m.beat('a', 5000);
    m.forget('a');
    expect(m.expired(99999)).toEqual([]);
  });
});

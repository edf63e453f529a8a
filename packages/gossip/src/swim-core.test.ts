// The pure core driven by hand: no network, no shell, explicit time.
import { describe, expect, it } from 'vitest';
import { localConfig } from './config';
import type { MemberEvent } from './member';
import type { AliveMessage, GossipMessage, SingleMessage } from './messages';
import { SeededRng } from './prng';
import { SwimCore } from './swim-core';

const config = localConfig();

function core(id = 'a', port = 1): SwimCore {
  return new SwimCore({ self: { id, addr: '10.0.0.1', port, meta: {} }, config, rng: new SeededRng(42), nowMs: 0 });
}

const alive = (node: string, incarnation: number, port = 2): AliveMessage => ({
  type: 'alive',
  node,
  incarnation,
  addr: '10.0.0.2',
  port,
  meta: {},
});

/** Every message the core sent, compounds flattened. */
function sent(c: SwimCore): SingleMessage[] {
  return c.takeOutbound().flatMap((o) => flatten(o.message));
}
function flatten(m: GossipMessage): SingleMessage[] {
  if (m.type === 'compound') return [...m.parts];
  if (m.type === 'push-pull') return [];
  return [m];
}
const types = (evs: MemberEvent[]): string[] => evs.map((e) => `${e.type}:${e.member.id}`);

describe('SwimCore', () => {
  it('learns a member from an alive message and only accepts higher incarnations', () => {
    const c = core();
    c.receive(1, 'x', alive('b', 1));
    expect(types(c.takeEvents())).toEqual(['join:b']);
    c.receive(2, 'x', { type: 'suspect', node: 'b', incarnation: 1, from: 'c' });
    expect(c.member('b')?.state).toBe('suspect');
    c.receive(3, 'x', alive('b', 1));
    expect(c.member('b')?.state).toBe('suspect');
    c.receive(4, 'x', alive('b', 2));
    expect(c.member('b')).toMatchObject({ state: 'alive', incarnation: 2 });
    expect(types(c.takeEvents())).toEqual(['suspect:b', 'update:b']);
  });

  it('refutes a suspicion about itself with a higher incarnation', () => {
    const c = core();
    c.receive(1, 'x', alive('b', 0));
    sent(c);
    c.receive(2, 'x', { type: 'suspect', node: 'a', incarnation: 0, from: 'b' });
    expect(c.incarnation).toBe(1);
    expect(c.awarenessScore).toBe(1);
    c.receive(3, 'x', { type: 'dead', node: 'a', incarnation: 5, from: 'b' });
    expect(c.incarnation).toBe(6);
    expect(c.localMember().state).toBe('alive');
    c.tick(config.gossipIntervalMs * 2);
    const refutations = sent(c).filter((m) => m.type === 'alive' && m.node === 'a');
    expect(refutations.map((m) => (m as AliveMessage).incarnation)).toContain(6);
  });

  it('answers pings for itself only, piggybacking broadcasts on the ack', () => {
    const c = core();
    c.receive(1, 'x', alive('b', 0));
    sent(c);
    c.receive(2, 'x', { type: 'ping', seq: 7, target: 'a', src: '10.0.0.2:2' });
    c.receive(2, 'x', { type: 'ping', seq: 8, target: 'zz', src: '10.0.0.2:2' });
    const out = c.takeOutbound();
    expect(out).toHaveLength(1);
    expect(out[0]?.to).toBe('10.0.0.2:2');
    expect(flatten(out[0]!.message)).toContainEqual({ type: 'ack', seq: 7 });
  });

  /** a probes b (silent) with c as helper; returns when b is dead: [ms from suspicion to death, events]. */
  function detect(confirmFromC: boolean): { suspectAt: number; deadAt: number; seen: Set<string>; c: SwimCore } {
    const c = core();
    c.receive(0, 'x', alive('b', 0, 2));
    c.receive(0, 'x', alive('c', 0, 3));
    c.takeEvents();
    let t = 0;
    let suspectAt = -1;
    const seen = new Set<string>();
    while (c.member('b')?.state !== 'dead' && t < 10_000) {
      t += 1;
      c.tick(t);
      if (suspectAt < 0 && c.member('b')?.state === 'suspect') {
        suspectAt = t;
        if (confirmFromC) c.receive(t, 'c', { type: 'suspect', node: 'b', incarnation: 0, from: 'c' });
      }
      for (const o of c.takeOutbound()) {
        for (const m of flatten(o.message)) {
          seen.add(m.type);
          // c answers everything, b nothing: c acks its own pings and nacks requests about b.
          if (m.type === 'ping' && m.target === 'c') c.receive(t, 'c', { type: 'ack', seq: m.seq });
          if (m.type === 'indirect-ping') c.receive(t, 'c', { type: 'nack', seq: m.seq });
        }
      }
    }
    return { suspectAt, deadAt: t, seen, c };
  }

  it('probes, goes indirect, suspects, and declares a silent member dead after the max suspicion time', () => {
    const { suspectAt, deadAt, seen, c } = detect(false);
    expect(seen.has('indirect-ping')).toBe(true);
    expect(types(c.takeEvents())).toEqual(['suspect:b', 'dead:b']);
    expect(c.member('c')?.state).toBe('alive');
    // n = 3 → k = 1 wanted confirmation, none came: max = suspicionMaxTimeoutMult · min = 4 · 300 ms.
    expect(deadAt - suspectAt).toBeGreaterThanOrEqual(1200);
    expect(deadAt - suspectAt).toBeLessThanOrEqual(1201);
    expect(c.awarenessScore).toBe(0);
  });

  it('an independent confirmation drives the suspicion down to its minimum (Lifeguard)', () => {
    const { suspectAt, deadAt } = detect(true);
    expect(deadAt - suspectAt).toBeGreaterThanOrEqual(300);
    expect(deadAt - suspectAt).toBeLessThanOrEqual(301);
  });

  it('stretches its probe interval when helpers stay silent (local health)', () => {
    const c = core();
    c.receive(0, 'x', alive('b', 0, 2));
    c.receive(0, 'x', alive('c', 0, 3));
    for (let t = 1; t <= config.probeIntervalMs * 4; t++) {
      c.tick(t);
      c.takeOutbound(); // nobody ever answers: not even nacks arrive
    }
    expect(c.awarenessScore).toBeGreaterThan(0);
  });

  it('leaves gracefully: broadcasts its own death and stops refuting', () => {
    const c = core();
    c.receive(0, 'x', alive('b', 0));
    c.leave(1);
    expect(c.localMember().state).toBe('left');
    expect(c.leaveSent).toBe(false);
    c.tick(config.gossipIntervalMs + 1);
    expect(sent(c)).toContainEqual({ type: 'dead', node: 'a', incarnation: 0, from: 'a' });
    expect(c.leaveSent).toBe(true);
    c.receive(200, 'x', { type: 'suspect', node: 'a', incarnation: 0, from: 'b' });
    expect(c.incarnation).toBe(0);
  });

  it('answers a join push-pull with its own state and merges a remote "dead" as a suspicion', () => {
    const c = core();
    c.receive(0, 'x', alive('b', 3));
    c.takeOutbound();
    c.receive(1, '10.0.0.9:5555', {
      type: 'push-pull',
      join: true,
      reply: false,
      src: '10.0.0.9:9',
      nodes: [
        { id: 'j', addr: '10.0.0.9', port: 9, meta: {}, incarnation: 0, state: 'alive' },
        { id: 'b', addr: '10.0.0.2', port: 2, meta: {}, incarnation: 3, state: 'dead' },
      ],
      user: null,
    });
    expect(c.member('j')?.state).toBe('alive');
    expect(c.member('b')?.state).toBe('suspect');
    const reply = c.takeOutbound().find((o) => o.reliable);
    expect(reply?.to).toBe('10.0.0.9:9');
    expect(reply?.message).toMatchObject({ type: 'push-pull', join: true, reply: true });
  });

  it('is deterministic for a given seed', () => {
    const run = (): string => {
      const c = core();
      for (let i = 0; i < 5; i++) c.receive(0, 'x', alive(`n${i}`, 0, 10 + i));
      const log: string[] = [];
      for (let t = 0; t < 500; t += 5) {
        c.tick(t);
        for (const o of c.takeOutbound()) log.push(`${t}:${o.to}:${o.message.type}`);
      }
      return log.join('\n');
    };
    expect(run()).toBe(run());
  });
});

import { describe, expect, it } from 'vitest';
import { LoadBalancer } from './load-balancer';
import { endpoint, ingressPort } from './test-support/endpoints';

function setup(penaltyMs = 1000): { lb: LoadBalancer; clock: { t: number; now(): number } } {
  const clock = { t: 0, now: () => clock.t };
  return { lb: new LoadBalancer({ clock, failurePenaltyMs: penaltyMs }), clock };
}

const picks = (lb: LoadBalancer, port: number, n: number, exclude?: ReadonlySet<string>): string[] =>
  Array.from({ length: n }, () => lb.pick(port, exclude)?.endpoint.taskId ?? '-');

describe('LoadBalancer', () => {
  it('round-robins over every running endpoint of a port, cluster-wide', () => {
    const { lb } = setup();
    lb.setEndpoints([
      endpoint('t3', { port: 3, nodeId: 'node-b' }),
      endpoint('t1', { port: 1 }),
      endpoint('t2', { port: 2, nodeId: 'node-c' }),
    ]);
    expect(picks(lb, 8080, 7)).toEqual(['t1', 't2', 't3', 't1', 't2', 't3', 't1']);
    expect(lb.pick(9999)).toBeUndefined();
  });

  it('keeps reserve members out of the rotation and falls back on them when nothing else is left', () => {
    const { lb } = setup();
    // t1 is this node's task on a port the kernel serves: userspace takes no share of it.
    lb.setEndpoints([endpoint('t1', { port: 1 }), endpoint('t2', { port: 2, nodeId: 'node-b' }), endpoint('t3', { port: 3, nodeId: 'node-c' })], new Set(['8080/t1']));
    expect(picks(lb, 8080, 4)).toEqual(['t2', 't3', 't2', 't3']);
    // Both remote tasks failed for this client connection: the local one still answers.
    expect(lb.pick(8080, new Set(['t2', 't3']))?.endpoint.taskId).toBe('t1');
    lb.reportFailure('t2');
    lb.reportFailure('t3');
    expect(lb.pick(8080)?.endpoint.taskId).toBe('t1');
  });

  it('picks a draining endpoint only when no running one is left, and keeps its port open', () => {
    const { lb } = setup();
    lb.setEndpoints([endpoint('t1', { port: 1 }), endpoint('t2', { port: 2, state: 'draining' })]);
    expect(picks(lb, 8080, 3)).toEqual(['t1', 't1', 't1']);
    // A rolling update: the replacement has not reached this table yet; the old task still serves.
    expect(lb.pick(8080, new Set(['t1']))?.endpoint.taskId).toBe('t2');
    lb.setEndpoints([endpoint('t2', { port: 2, state: 'draining' })]);
    expect(lb.pick(8080)?.endpoint.taskId).toBe('t2');
    expect(lb.pick(8080, new Set(['t2']))).toBeUndefined();
    lb.reportFailure('t2');
    expect(lb.pick(8080)).toBeUndefined(); // draining and its connect just failed: refuse
    expect(lb.ports()).toEqual([8080]);
  });

  it('passes over a failed endpoint for the penalty window, then takes it back', () => {
    const { lb, clock } = setup(1000);
    lb.setEndpoints([endpoint('t1', { port: 1 }), endpoint('t2', { port: 2 }), endpoint('t3', { port: 3 })]);
    lb.reportFailure('t2');
    expect(picks(lb, 8080, 4)).toEqual(['t1', 't3', 't1', 't3']);
    clock.t = 999;
    expect(lb.isPenalised('t2')).toBe(true);
    clock.t = 1000;
    expect(picks(lb, 8080, 3)).toEqual(['t1', 't2', 't3']);
  });

  it('tries the endpoint whose penalty ends first when every one is penalised', () => {
    const { lb, clock } = setup(1000);
    lb.setEndpoints([endpoint('t1', { port: 1 }), endpoint('t2', { port: 2 })]);
    lb.reportFailure('t1');
    clock.t = 10;
    lb.reportFailure('t2');
    expect(lb.pick(8080)?.endpoint.taskId).toBe('t1');
    lb.reportSuccess('t1');
    expect(lb.isPenalised('t1')).toBe(false);
  });

  it('skips the endpoints already tried for this client connection', () => {
    const { lb } = setup();
    lb.setEndpoints([endpoint('t1', { port: 1 }), endpoint('t2', { port: 2 })]);
    expect(picks(lb, 8080, 2, new Set(['t1']))).toEqual(['t2', 't2']);
    expect(lb.pick(8080, new Set(['t1', 't2']))).toBeUndefined();
  });

  it('keeps its round-robin position and forgets penalties of vanished tasks across table updates', () => {
    const { lb } = setup();
    const t = [endpoint('t1', { port: 1 }), endpoint('t2', { port: 2 }), endpoint('t3', { port: 3 })];
    lb.setEndpoints(t);
    expect(picks(lb, 8080, 2)).toEqual(['t1', 't2']);
    lb.reportFailure('t1');
    lb.setEndpoints([...t, endpoint('t4', { port: 4 })]);
    expect(picks(lb, 8080, 3)).toEqual(['t3', 't4', 't2']);
    lb.setEndpoints([endpoint('t2', { port: 2 })]);
    expect(lb.isPenalised('t1')).toBe(false);
  });

  it('serves the ingress ports of its own protocol only: host-mode ports are not the mesh’s', () => {
    const { lb } = setup();
    const table = [
      endpoint('t1', {
        port: 1,
        publishedPorts: [ingressPort(80), ingressPort(81, { mode: 'host' }), ingressPort(53, { protocol: 'udp' }), ingressPort(80, { protocol: 'udp' })],
      }),
      endpoint('t2', { port: 2, publishedPorts: [ingressPort(53, { protocol: 'udp', mode: 'host' }), ingressPort(54, { protocol: 'sctp' })] }),
    ];
    lb.setEndpoints(table);
    expect(lb.ports()).toEqual([80]);
    expect(lb.pick(81)).toBeUndefined();
    const udp = new LoadBalancer({ clock: { now: () => 0 }, protocol: 'udp' });
    udp.setEndpoints(table);
    expect(udp.ports().sort()).toEqual([53, 80]);
    expect(udp.pick(53)?.port.protocol).toBe('udp');
  });

  it('returns the chosen endpoint’s own port config', () => {
    const { lb } = setup();
    lb.setEndpoints([
      endpoint('t1', { port: 1, publishedPorts: [ingressPort(80, { proxyProtocol: true })] }),
      endpoint('t2', { port: 2, publishedPorts: [ingressPort(80)] }),
    ]);
    expect(lb.pick(80)?.port.proxyProtocol).toBe(true);
    expect(lb.pick(80)?.port.proxyProtocol).toBeUndefined();
  });
});

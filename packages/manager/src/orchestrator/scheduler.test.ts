import { describe, expect, it } from 'vitest';
import { runScheduler } from './orchestrator';
import { makeNode, makeService, makeSpec, makeTask, SimCluster, type NodeFixture } from './testing';
import type { PortConfig, ServiceSpec } from '@shoal/store';

function cluster(nodes: Record<string, NodeFixture>, spec: Partial<ServiceSpec>, tasks: number): SimCluster {
  const sim = new SimCluster();
  const service = makeService('svc', makeSpec('web', spec));
  sim.seed({
    nodes: Object.entries(nodes).map(([id, f]) => makeNode(id, f)),
    services: [service],
    tasks: Array.from({ length: tasks }, (_, i) => makeTask(`t${i + 1}`, service, { slot: i + 1 })),
  });
  return sim;
}

const placement = (sim: SimCluster) => Object.fromEntries(sim.tasks().map((t) => [t.id, t.nodeId]));
const perNode = (sim: SimCluster) => {
  const counts: Record<string, number> = {};
  for (const t of sim.tasks()) if (t.nodeId) counts[t.nodeId] = (counts[t.nodeId] ?? 0) + 1;
  return counts;
};
const task = (sim: SimCluster, id: string) => sim.store.get('task', id);
const withTask = (patch: Partial<ServiceSpec['task']>): Partial<ServiceSpec> => ({ task: { ...makeSpec('x').task, ...patch } });

describe('scheduler', () => {
  it('spreads over the values of a placement preference first, then over the nodes within each', () => {
    const zones = { n1: { labels: { zone: 'a' } }, n2: { labels: { zone: 'a' } }, n3: { labels: { zone: 'b' } } };
    const base = makeSpec('x').task;
    const spread = cluster(zones, withTask({ placement: { ...base.placement, preferences: ['node.labels.zone'] } }), 6);
    spread.step(runScheduler);
    expect(perNode(spread)).toEqual({ n1: 2, n2: 1, n3: 3 }); // zone a 3, zone b 3
    const plain = cluster(zones, {}, 6);
    plain.step(runScheduler);
    expect(perNode(plain)).toEqual({ n1: 2, n2: 2, n3: 2 });
  });

  it('skips a spread descriptor other than node.labels.* or engine.labels.*, as swarmkit does (the API accepts any)', () => {
    const zones = { n1: { labels: { zone: 'a' } }, n2: { labels: { zone: 'a' } }, n3: { labels: { zone: 'b' } } };
    const base = makeSpec('x').task;
    const sim = cluster(zones, withTask({ placement: { ...base.placement, preferences: ['node.id', '', 'node.labels.zone'] } }), 6);
    sim.step(runScheduler);
    expect(perNode(sim)).toEqual({ n1: 2, n2: 1, n3: 3 }); // by zone only
    const none = cluster(zones, withTask({ placement: { ...base.placement, preferences: ['node.hostname'] } }), 6);
    none.step(runScheduler);
    expect(perNode(none)).toEqual({ n1: 2, n2: 2, n3: 2 }); // as without preferences
  });

  it('puts nodes without the label in a group of their own, and nests several preferences', () => {
    const nodes = {
      n1: { labels: { dc: 'east', rack: '1' } },
      n2: { labels: { dc: 'east', rack: '2' } },
      n3: { labels: { dc: 'west', rack: '1' } },
      n4: {},
    };
    const base = makeSpec('x').task;
    const sim = cluster(nodes, withTask({ placement: { ...base.placement, preferences: ['node.labels.dc', 'node.labels.rack'] } }), 6);
    sim.step(runScheduler);
    // dc: "" (n4) 2, east 2 (one per rack), west 2.
    expect(perNode(sim)).toEqual({ n1: 1, n2: 1, n3: 2, n4: 2 });
  });

  it("counts a group's tasks on all its nodes, also those that take no new task (paused)", () => {
    const base = makeSpec('x').task;
    const spec = makeSpec('web', { task: { ...base, placement: { ...base.placement, preferences: ['node.labels.zone'] } } });
    const service = makeService('svc', spec);
    const sim = new SimCluster();
    sim.seed({
      nodes: [makeNode('a1', { labels: { zone: 'a' }, availability: 'pause' }), makeNode('a2', { labels: { zone: 'a' } }), makeNode('b1', { labels: { zone: 'b' } })],
      services: [service],
      tasks: [
        makeTask('t1', service, { slot: 1, nodeId: 'a1', state: 'running', desired: 'running' }),
        makeTask('t2', service, { slot: 2, nodeId: 'a1', state: 'running', desired: 'running' }),
        makeTask('t3', service, { slot: 3, nodeId: 'b1', state: 'running', desired: 'running' }),
        makeTask('t4', service, { slot: 4 }),
        makeTask('t5', service, { slot: 5 }),
      ],
    });
    sim.step(runScheduler);
    // Zone a holds 2 (on the paused a1), zone b 1: the first new task goes to b, the second to a (a tie, a < b).
    expect(perNode(sim)).toEqual({ a1: 2, a2: 1, b1: 2 });
  });

  it('spreads a service evenly, ties broken by total tasks then node id', () => {
    const sim = cluster({ n1: {}, n2: {}, n3: {} }, {}, 7);
    sim.step(runScheduler);
    expect(perNode(sim)).toEqual({ n1: 3, n2: 2, n3: 2 });
    const t1 = task(sim, 't1');
    expect(t1?.status.state).toBe('assigned');
    expect(t1?.status.message).toBe('scheduler assigned task to node');
    expect(placement(sim)).toMatchObject({ t1: 'n1', t2: 'n2', t3: 'n3', t4: 'n1' });
  });

  it('prefers nodes with fewer tasks of the service, then fewer tasks overall', () => {
    const sim = new SimCluster();
    const web = makeService('web', makeSpec('web'));
    const db = makeService('db', makeSpec('db'));
    sim.seed({
      nodes: [makeNode('n1'), makeNode('n2'), makeNode('n3')],
      services: [web, db],
      tasks: [
        makeTask('w1', web, { slot: 1, nodeId: 'n1', state: 'running' }),
        makeTask('d1', db, { slot: 1, nodeId: 'n2', state: 'running' }),
        makeTask('d2', db, { slot: 2, nodeId: 'n2', state: 'running' }),
        makeTask('w2', web, { slot: 2 }),
        makeTask('w3', web, { slot: 3 }),
      ],
    });
    sim.step(runScheduler);
    // n3 is empty; then n2 (no web task, but 2 db tasks) beats n1 (a web task already).
    expect(task(sim, 'w2')?.nodeId).toBe('n3');
    expect(task(sim, 'w3')?.nodeId).toBe('n2');
  });

  it('skips nodes that are down, paused or drained, and explains', () => {
    const sim = cluster({ n1: { state: 'down' }, n2: { availability: 'pause' }, n3: { availability: 'drain' } }, {}, 1);
    sim.step(runScheduler);
    const t = task(sim, 't1');
    expect(t?.status.state).toBe('pending');
    expect(t?.status.err).toBe('no suitable node (3 nodes not available for new tasks)');
  });

  it("places a task only on a node of one of the image's platforms (swarmkit's PlatformFilter)", () => {
    const nodes = { n1: {}, n2: { arch: 'aarch64' }, n3: { arch: 'x86_64' } };
    const base = makeSpec('x').task;
    const on = (platforms: Array<{ architecture: string; os: string }>) => {
      const sim = cluster(nodes, withTask({ placement: { ...base.placement, platforms } }), 1);
      sim.step(runScheduler);
      return task(sim, 't1');
    };
    expect(on([{ architecture: 'arm64', os: 'linux' }])?.nodeId).toBe('n2'); // aarch64 is arm64
    expect(['n1', 'n3']).toContain(on([{ architecture: 'amd64', os: 'linux' }])?.nodeId); // x86_64 is amd64
    expect(on([{ architecture: '', os: 'linux' }])?.nodeId).not.toBe(''); // an empty field matches anything
    const none = on([{ architecture: 's390x', os: 'linux' }, { architecture: 'amd64', os: 'windows' }]);
    expect(none).toMatchObject({ nodeId: '', status: { state: 'pending', err: 'no suitable node (unsupported platform on 3 nodes)' } });
  });

  it('tries last a node where this version of the service failed 5 times, but not one where an older version did', () => {
    const place = (failedVersion: number) => {
      const sim = new SimCluster();
      const service = makeService('svc', makeSpec('web'), 3);
      const failed = Array.from({ length: 5 }, (_, i) => makeTask(`f${i}`, { ...service, version: failedVersion }, { slot: 1, nodeId: 'n1', state: 'rejected', desired: 'shutdown' }));
      sim.seed({ nodes: [makeNode('n1'), makeNode('n2')], services: [service], tasks: [...failed, makeTask('t1', service, { slot: 1 })] });
      sim.step(runScheduler);
      return task(sim, 't1')?.nodeId;
    };
    expect(place(3)).toBe('n2');
    // An update may have fixed what failed (swarmkit counts failures per service spec version).
    expect(place(2)).toBe('n1');
  });

  it('aggregates explanations, most failures first', () => {
    const sim = cluster(
      { n1: { availability: 'drain', role: 'manager' }, n2: {}, n3: {} },
      withTask({ placement: { constraints: ['node.role==manager'], maxReplicas: 0 } }),
      1,
    );
    sim.step(runScheduler);
    expect(task(sim, 't1')?.status.err).toBe(
      'no suitable node (scheduling constraints not satisfied on 2 nodes; 1 node not available for new tasks)',
    );
  });

  it('does not rewrite a task whose explanation did not change', () => {
    const sim = cluster({ n1: { state: 'down' } }, {}, 1);
    expect(sim.step(runScheduler).ops).toHaveLength(1);
    expect(sim.step(runScheduler).ops).toHaveLength(0);
    sim.setNodeState('n1', 'ready');
    sim.step(runScheduler);
    expect(task(sim, 't1')?.status).toMatchObject({ state: 'assigned' });
    expect(task(sim, 't1')?.status.err).toBeUndefined();
  });

  it('honours max replicas per node', () => {
    const sim = cluster({ n1: {}, n2: {}, n3: {} }, withTask({ placement: { constraints: [], maxReplicas: 1 } }), 4);
    sim.step(runScheduler);
    expect(perNode(sim)).toEqual({ n1: 1, n2: 1, n3: 1 });
    expect(task(sim, 't4')?.status.err).toBe('no suitable node (max replicas per node limit exceed)');
  });

  it('honours resource reservations against node capacity', () => {
    const sim = cluster({ n1: { nanoCpus: 4e9 }, n2: { nanoCpus: 2e9 } }, withTask({ resources: { reservations: { nanoCpus: 3e9 } } }), 2);
    sim.step(runScheduler);
    expect(task(sim, 't1')?.nodeId).toBe('n1');
    expect(task(sim, 't2')?.status.err).toBe('no suitable node (insufficient resources on 2 nodes)');
  });

  it('keeps a task asking for a generic resource pending: no Shoal node offers any', () => {
    const sim = cluster({ n1: {}, n2: {} }, withTask({ resources: { reservations: { generic: [{ DiscreteResourceSpec: { Kind: 'gpu', Value: 1 } }] } } }), 1);
    sim.step(runScheduler);
    expect(task(sim, 't1')?.nodeId).toBeFalsy();
    expect(task(sim, 't1')?.status.err).toBe('no suitable node (insufficient resources on 2 nodes)');
  });

  it('keeps host-mode published ports unique per node', () => {
    const ports: PortConfig[] = [{ protocol: 'tcp', targetPort: 80, publishedPort: 8080, publishMode: 'host' }];
    const sim = cluster({ n1: {}, n2: {} }, { endpoint: { mode: 'vip', ports } }, 3);
    sim.step(runScheduler);
    expect(perNode(sim)).toEqual({ n1: 1, n2: 1 });
    expect(task(sim, 't3')?.status.err).toBe('no suitable node (host-mode port already in use on 2 nodes)');
  });

  it('says just "no suitable node" when there are no nodes', () => {
    const sim = cluster({}, {}, 1);
    sim.step(runScheduler);
    expect(task(sim, 't1')?.status.err).toBe('no suitable node');
  });

  it('schedules tasks desired ready (delayed restarts) too', () => {
    const sim = new SimCluster();
    const s = makeService('svc', makeSpec('web'));
    sim.seed({ nodes: [makeNode('n1')], services: [s], tasks: [makeTask('t1', s, { desired: 'ready' })] });
    sim.step(runScheduler);
    expect(task(sim, 't1')?.status.state).toBe('assigned');
  });

  it('confirms preassigned (global) tasks or explains without the prefix', () => {
    const sim = new SimCluster();
    const s = makeService('svc', makeSpec('agent', { mode: { type: 'global' } }));
    sim.seed({
      nodes: [makeNode('n1'), makeNode('n2', { availability: 'pause' })],
      services: [s],
      tasks: [makeTask('g1', s, { slot: 0, nodeId: 'n1' }), makeTask('g2', s, { slot: 0, nodeId: 'n2' })],
    });
    sim.step(runScheduler);
    expect(task(sim, 'g1')?.status).toMatchObject({ state: 'assigned', message: 'scheduler confirmed task can run on preassigned node' });
    expect(task(sim, 'g2')?.status).toMatchObject({ state: 'pending', err: '1 node not available for new tasks' });
  });

  it('marks a pending task that is no longer wanted as shut down', () => {
    const sim = new SimCluster();
    const s = makeService('svc', makeSpec('web'));
    sim.seed({ nodes: [makeNode('n1')], services: [s], tasks: [makeTask('t1', s, { desired: 'shutdown' })] });
    sim.step(runScheduler);
    expect(task(sim, 't1')?.status.state).toBe('shutdown');
    expect(task(sim, 't1')?.nodeId).toBe('');
  });

  it('places 10,000 tasks over 1,000 nodes in one batch', () => {
    const sim = new SimCluster();
    const s = makeService('svc', makeSpec('web', { mode: { type: 'replicated', replicas: 10_000 } }));
    sim.seed({
      nodes: Array.from({ length: 1000 }, (_, i) => makeNode(`n${String(i).padStart(4, '0')}`)),
      services: [s],
      tasks: Array.from({ length: 10_000 }, (_, i) => makeTask(`t${i}`, s, { slot: i + 1 })),
    });
    const result = sim.step(runScheduler);
    expect(result.ops).toHaveLength(10_000);
    expect(new Set(Object.values(perNode(sim)))).toEqual(new Set([10]));
  });
});

// Randomised end-to-end check of the cores against an in-memory store: nodes die,
// come back and drain, tasks crash, services scale and update; once the faults stop
// the cluster must converge to exactly the desired tasks, spread evenly, and then stay quiet.
import { describe, expect, it } from 'vitest';
import type { ServiceSpec, TaskObject } from '@shoal/store';
import { makeSpec, SimCluster } from './testing';

/** mulberry32: a small seeded generator, so every failure replays. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NODES = Array.from({ length: 8 }, (_, i) => `n${i + 1}`);
const isLive = (t: TaskObject) => t.desiredState === 'running' || t.desiredState === 'ready';

/** What must hold after every reconcile, faults or not. */
function checkInvariants(sim: SimCluster, step: number): void {
  const bySlot = new Map<string, TaskObject[]>();
  for (const t of sim.tasks()) {
    if (!isLive(t)) continue;
    if (t.nodeId !== '' && sim.store.get('node', t.nodeId)?.status.state === 'down') {
      throw new Error(`step ${step}: ${t.id} still desired ${t.desiredState} on a down node`);
    }
    if (t.slot > 0) {
      const key = `${t.serviceId}.${t.slot}`;
      bySlot.set(key, [...(bySlot.get(key) ?? []), t]);
    }
  }
  for (const [slot, tasks] of bySlot) {
    // Two live tasks in a slot only during a hand-over (drain, start-first update).
    const handOver = tasks.length === 2 && tasks.some((a) => tasks.some((b) => a.replaces?.taskId === b.id));
    if (tasks.length > 1 && !handOver) throw new Error(`step ${step}: slot ${slot} has ${tasks.length} live tasks`);
  }
}

function chaos(seed: number): SimCluster {
  const random = seeded(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const sim = new SimCluster();
  for (const n of NODES) sim.addNode(n);
  // Crashes during an update must not pause it here (pausing is covered in updater.test.ts).
  const web = makeSpec('web', { mode: { type: 'replicated', replicas: 12 } });
  sim.addService('web', { ...web, update: { ...web.update, failureAction: 'continue' } });
  const api = makeSpec('api', { mode: { type: 'replicated', replicas: 5 } });
  sim.addService('api', { ...api, update: { ...api.update, order: 'start-first', parallelism: 2, failureAction: 'continue' } });
  sim.addService('agent', makeSpec('agent', { mode: { type: 'global' } }));

  const down = new Set<string>();
  for (let step = 0; step < 400; step++) {
    sim.advance(1000);
    const roll = random();
    if (roll < 0.08) {
      const victims = sim.tasks().filter((t) => t.status.state === 'running');
      if (victims.length > 0) sim.setTaskState(pick(victims).id, pick(['failed', 'complete'] as const));
    } else if (roll < 0.11 && down.size < 3) {
      const n = pick(NODES.filter((x) => !down.has(x)));
      down.add(n);
      sim.deadAgents.add(n);
      sim.setNodeState(n, 'down');
    } else if (roll < 0.14 && down.size > 0) {
      const n = pick([...down]);
      down.delete(n);
      sim.deadAgents.delete(n);
      sim.setNodeState(n, 'ready');
    } else if (roll < 0.16) {
      sim.setAvailability(pick(NODES), pick(['active', 'active', 'drain', 'pause'] as const));
    } else if (roll < 0.18) {
      const replicas = 1 + Math.floor(random() * 15);
      sim.updateService('web', (s: ServiceSpec) => ({ ...s, mode: { type: 'replicated', replicas } }));
    } else if (roll < 0.2) {
      const image = `nginx:${step}`;
      sim.updateService(pick(['web', 'api', 'agent']), (s: ServiceSpec) => ({ ...s, task: { ...s.task, container: { image } } }));
    }
    sim.agents();
    sim.reconcile();
    checkInvariants(sim, step);
  }

  // Faults stop; every node comes back as an active worker.
  for (const n of down) {
    sim.deadAgents.delete(n);
    sim.setNodeState(n, 'ready');
  }
  for (const n of NODES) sim.setAvailability(n, 'active');
  // Long enough for the restarts and then for rebalancing, one move per service every 10 s.
  for (let step = 0; step < 300; step++) {
    sim.advance(1000);
    sim.agents();
    sim.reconcile();
  }
  return sim;
}

describe('simulation: convergence after random failures', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`seed ${seed}`, () => {
      const sim = chaos(seed);
      for (const id of ['web', 'api']) {
        const service = sim.store.get('service', id);
        const replicas = service?.spec.mode.type === 'replicated' ? service.spec.mode.replicas : -1;
        const live = sim.tasks(id).filter(isLive);
        // One live task per slot; slot numbers need not be 1..n after scale-downs (as in swarmkit).
        expect(live).toHaveLength(replicas);
        expect(new Set(live.map((t) => t.slot)).size).toBe(replicas);
        expect(live.every((t) => t.status.state === 'running' && t.spec === service?.spec.task)).toBe(true);
        expect(sim.tasks(id).filter((t) => t.status.state === 'running')).toHaveLength(replicas);
        expect(service?.updateStatus?.state ?? 'completed').not.toBe('updating');
        // Rebalanced: every node is up and active again, so no node holds two more than another.
        const perNode = NODES.map((n) => live.filter((t) => t.nodeId === n).length);
        expect(Math.max(...perNode) - Math.min(...perNode)).toBeLessThanOrEqual(1);
      }
      const agents = sim.tasks('agent').filter(isLive);
      expect(agents.map((t) => t.nodeId).sort()).toEqual([...NODES].sort());
      expect(agents.every((t) => t.status.state === 'running')).toBe(true);

      // History stays bounded: at most 5 tasks per slot / per node.
      const perSlot = new Map<string, number>();
      for (const t of sim.tasks()) {
        const key = `${t.serviceId}/${t.slot || t.nodeId}`;
        perSlot.set(key, (perSlot.get(key) ?? 0) + 1);
      }
      expect(Math.max(...perSlot.values())).toBeLessThanOrEqual(5);

      // Converged means quiet: no writes, nothing to wake up for.
      const settled = sim.reconcile();
      expect(settled.rounds).toBe(1);
      expect(settled.wakeAt).toBeNull();
    });
  }
});

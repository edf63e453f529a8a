import { describe, expect, it } from 'vitest';
import type { ServiceObject, TaskObject } from '@shoal/store';
import { runTaskReaper } from './orchestrator';
import { makeNode, makeService, makeSpec, makeTask, SimCluster, T0 } from './testing';

/** One running task plus `stopped` older stopped ones in slot 1 (or on node n1 for global). */
function history(service: ServiceObject, stopped: number): TaskObject[] {
  const global = service.spec.mode.type === 'global';
  const where = { slot: global ? 0 : 1, nodeId: 'n1' };
  const old = Array.from({ length: stopped }, (_, i) =>
    makeTask(`old${i}`, service, { ...where, state: i % 2 ? 'failed' : 'shutdown', desired: 'shutdown', at: T0 + i * 1000 }),
  );
  return [...old, makeTask('current', service, { ...where, state: 'running', at: T0 + stopped * 1000 })];
}

function reap(service: ServiceObject, tasks: TaskObject[], options = {}): string[] {
  const sim = new SimCluster(options);
  sim.seed({ nodes: [makeNode('n1')], services: [service], tasks });
  sim.step(runTaskReaper);
  return sim.tasks().map((t) => t.id).sort();
}

describe('task reaper', () => {
  it('keeps 5 tasks per slot, deleting the oldest stopped ones', () => {
    const s = makeService('web', makeSpec('web'));
    expect(reap(s, history(s, 6))).toEqual(['current', 'old2', 'old3', 'old4', 'old5']);
  });

  it('uses the cluster retention limit; negative keeps everything', () => {
    const s = makeService('web', makeSpec('web'));
    expect(reap(s, history(s, 4), { taskHistoryRetentionLimit: 2 })).toEqual(['current', 'old3']);
    expect(reap(s, history(s, 8), { taskHistoryRetentionLimit: -1 })).toHaveLength(9);
  });

  it('keeps MaxAttempts + 1 tasks when a restart limit is set', () => {
    const spec = makeSpec('web');
    const s = makeService('web', { ...spec, task: { ...spec.task, restart: { ...spec.task.restart, maxAttempts: 2 } } });
    expect(reap(s, history(s, 6))).toEqual(['current', 'old4', 'old5']);
  });

  it('counts global history per node', () => {
    const s = makeService('agent', makeSpec('agent', { mode: { type: 'global' } }));
    expect(reap(s, history(s, 6), { taskHistoryRetentionLimit: 1 })).toEqual(['current']);
  });

  it('deletes tasks desired remove once stopped or if they never reached a node', () => {
    const s = makeService('web', makeSpec('web'));
    const tasks = [
      makeTask('stopped', s, { slot: 2, nodeId: 'n1', state: 'shutdown', desired: 'remove' }),
      makeTask('unscheduled', s, { slot: 3, state: 'pending', desired: 'remove' }),
      makeTask('stopping', s, { slot: 4, nodeId: 'n1', state: 'running', desired: 'remove' }),
    ];
    expect(reap(s, tasks)).toEqual(['stopping']);
  });
});

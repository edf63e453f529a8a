import { describe, expect, it } from 'vitest';
// The counting lives in @shoal/store (shared with the Engine API); tested here with the cores' fixtures.
import { serviceStatus, serviceStatuses } from '@shoal/store';
import { makeService, makeSpec, makeTask } from './testing';

describe('serviceStatus', () => {
  it('replicated: desired = replicas, running = tasks observed running', () => {
    const s = makeService('web', makeSpec('web', { mode: { type: 'replicated', replicas: 3 } }));
    const tasks = [
      makeTask('a', s, { state: 'running' }),
      makeTask('b', s, { state: 'running', desired: 'shutdown' }),
      makeTask('c', s, { state: 'pending' }),
      makeTask('d', s, { state: 'failed', desired: 'shutdown' }),
    ];
    expect(serviceStatus(s, tasks, [])).toEqual({ runningTasks: 2, desiredTasks: 3, completedTasks: 0 });
  });

  it('global: desired = tasks desired running', () => {
    const g = makeService('agent', makeSpec('agent', { mode: { type: 'global' } }));
    const other = makeService('web', makeSpec('web'));
    const tasks = [
      makeTask('a', g, { slot: 0, nodeId: 'n1', state: 'running' }),
      makeTask('b', g, { slot: 0, nodeId: 'n2', state: 'pending' }),
      makeTask('c', g, { slot: 0, nodeId: 'n3', state: 'running', desired: 'shutdown' }),
      makeTask('x', other, { state: 'running' }),
    ];
    expect(serviceStatuses([g, other], tasks).get('agent')).toEqual({ runningTasks: 2, desiredTasks: 2, completedTasks: 0 });
  });
});

import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { ClusterStore, MemoryStore, createOp, resultToEvents, type Proposer, type TaskState } from '@shoal/store';
import { makeService, makeSpec, makeTask } from './orchestrator/testing';
import { TaskStatusWriter, nodeAssignments } from './task-dispatch';

/** A store holding task t1 on node n1 (desired shutdown), and a status writer on it. */
function writerWithTask(service: string, state: TaskState) {
  const memory = new MemoryStore();
  const proposer: Proposer = { propose: async (command) => resultToEvents(memory.apply(memory.appliedIndex + 1, command)) };
  const svc = makeService('s1', makeSpec(service));
  const { version: _v, createdAt: _c, updatedAt: _u, ...task } = makeTask('t1', svc, { nodeId: 'n1', state, desired: 'shutdown' });
  memory.apply(1, { type: 'batch', at: new Date().toISOString(), ops: [createOp('task', task)] });
  const writer = new TaskStatusWriter(new ClusterStore(memory, proposer), pino({ level: 'silent' }), 1);
  const settle = () => new Promise((r) => setTimeout(r, 20));
  return { memory, writer, settle };
}

describe('TaskStatusWriter', () => {
  it('writes how a task ended once: a later report (an agent that adopted the dead process) changes nothing', async () => {
    const { memory, writer, settle } = writerWithTask('web', 'running');
    writer.add('n1', [{ taskId: 't1', state: 'shutdown', message: 'shutdown', timestamp: '2026-11-27T10:00:00.000Z' }]);
    await settle();
    expect(memory.get('task', 't1')?.status).toMatchObject({ state: 'shutdown', timestamp: '2026-11-27T10:00:00.000Z' });
    writer.add('n1', [{ taskId: 't1', state: 'failed', message: 'started', err: 'task: non-zero exit (143)', exitCode: 143, timestamp: '2026-11-27T10:05:00.000Z' }]);
    await settle();
    expect(memory.get('task', 't1')?.status).toMatchObject({ state: 'shutdown', timestamp: '2026-11-27T10:00:00.000Z' });
    writer.stop();
  });

  it('lets the task\'s own node say how an orphaned task really ended (a job task that completed while its node was cut off), once', async () => {
    const { memory, writer, settle } = writerWithTask('job', 'orphaned');
    writer.add('n2', [{ taskId: 't1', state: 'complete', message: 'finished', exitCode: 0, timestamp: '2026-11-27T10:00:00.000Z' }]);
    await settle();
    expect(memory.get('task', 't1')?.status.state).toBe('orphaned'); // another node cannot
    writer.add('n1', [{ taskId: 't1', state: 'shutdown', message: 'shutdown', timestamp: '2026-11-27T10:00:00.000Z' }]);
    await settle();
    expect(memory.get('task', 't1')?.status.state).toBe('orphaned'); // a stop says nothing of how it ended
    writer.add('n1', [{ taskId: 't1', state: 'complete', message: 'finished', exitCode: 0, timestamp: '2026-11-27T10:00:01.000Z' }]);
    await settle();
    expect(memory.get('task', 't1')?.status).toMatchObject({ state: 'complete', exitCode: 0 });
    writer.add('n1', [{ taskId: 't1', state: 'failed', message: 'started', exitCode: 1, timestamp: '2026-11-27T10:00:02.000Z' }]);
    await settle();
    expect(memory.get('task', 't1')?.status.state).toBe('complete');
    writer.stop();
  });
});

describe('nodeAssignments', () => {
  it('tells a node only the tasks placed on it (from assigned on), not one pinned to it but still pending', () => {
    const memory = new MemoryStore();
    const proposer: Proposer = { propose: async (command) => resultToEvents(memory.apply(memory.appliedIndex + 1, command)) };
    const svc = makeService('s1', makeSpec('agent'));
    const task = (id: string, state: 'pending' | 'assigned' | 'running') => {
      const { version: _v, createdAt: _c, updatedAt: _u, ...t } = makeTask(id, svc, { nodeId: 'n1', slot: 0, state });
      return createOp('task', t);
    };
    memory.apply(1, { type: 'batch', at: new Date().toISOString(), ops: [task('short', 'pending'), task('placed', 'assigned'), task('up', 'running')] });
    const { tasks } = nodeAssignments(new ClusterStore(memory, proposer), 'n1');
    expect(tasks.map((t) => t.taskId).sort()).toEqual(['placed', 'up']);
  });
});

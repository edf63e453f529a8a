// The control API on a local store: node removal.
import { describe, expect, it } from 'vitest';
import { ClusterStore, MemoryStore, createOp, resultToEvents, type Proposer } from '@shoal/store';
import { ControlApi } from './control-api';
import { DEFAULT_CLUSTER_SPEC } from './manager';
import type { RaftView } from './raft-view';
import { makeNode, makeService, makeSpec, makeTask } from './orchestrator/testing';

function localControl(): { api: ControlApi; memory: MemoryStore } {
  const memory = new MemoryStore();
  const proposer: Proposer = { propose: async (command) => resultToEvents(memory.apply(memory.appliedIndex + 1, command)) };
  const raft: RaftView = { selfId: 'm', leader: 'm', status: () => ({}) as never, members: () => ({ voters: ['m'], learners: [], addrs: new Map() }) };
  return { api: new ControlApi(new ClusterStore(memory, proposer), raft), memory };
}

const strip = <T extends { version: number; createdAt: string; updatedAt: string }>({ version: _v, createdAt: _c, updatedAt: _u, ...rest }: T) => rest;

describe('ControlApi.removeNode', () => {
  it("orphans the removed node's tasks that had not stopped, as swarmkit does, and leaves stopped ones alone", async () => {
    const { api, memory } = localControl();
    const down = makeNode('w2', { state: 'down' });
    const svc = makeService('s', makeSpec('web'));
    const running = makeTask('t1', svc, { nodeId: 'w2', slot: 1, state: 'running', desired: 'shutdown' });
    const failed = makeTask('t2', svc, { nodeId: 'w2', slot: 2, state: 'failed', desired: 'shutdown' });
    memory.apply(1, {
      type: 'batch',
      at: new Date().toISOString(),
      ops: [
        createOp('cluster', { id: 'c', spec: DEFAULT_CLUSTER_SPEC, rootCA: { certPem: '', keyPem: '' }, joinTokens: { worker: '', manager: '' }, revokedNodes: [] }),
        createOp('node', strip(down)),
        createOp('task', strip(running)),
        createOp('task', strip(failed)),
      ],
    });
    await api.removeNode('w2', false);
    expect(memory.get('node', 'w2')).toBeUndefined();
    expect(memory.get('task', 't1')?.status).toMatchObject({ state: 'orphaned', message: 'Task belonged to a node that has been deleted' });
    expect(memory.get('task', 't2')?.status.state).toBe('failed');
  });
});

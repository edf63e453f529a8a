import { describe, expect, it } from 'vitest';
import type { StoreCommand, StoreEvent } from './commands';
import { MemoryStore } from './memory-store';
import { ClusterStore, resultToEvents, type Proposer } from './proposer';
import type { NetworkObject } from './service-objects';

describe('ClusterStore', () => {
  it('freezes what is committed under the test suites (SHOAL_CHECK_WRITES), so a change after the commit throws where it is made', async () => {
    expect(process.env.SHOAL_CHECK_WRITES).toBe('1'); // set for every tier by vitest.config.mts
    const memory = new MemoryStore();
    const proposer: Proposer = { propose: (command: StoreCommand): Promise<StoreEvent[]> => Promise.resolve(resultToEvents(memory.apply(memory.appliedIndex + 1, command))) };
    const store = new ClusterStore(memory, proposer);
    const network = { id: 'n1', name: 'net', driver: 'overlay', ingress: false, attachable: false, labels: { a: 'b' } } as unknown as NetworkObject;
    await store.commit([{ op: 'create', kind: 'network', object: network }]);
    expect(() => {
      (network.labels as Record<string, string>).a = 'changed';
    }).toThrow(TypeError);
    expect(memory.get('network', 'n1')?.labels).toEqual({ a: 'b' });
  });
});

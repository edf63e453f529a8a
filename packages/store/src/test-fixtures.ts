import type { NodeObject } from './objects';
import type { Unversioned } from './commands';

/** A minimal valid node for tests. */
export function sampleNode(id: string, hostname = id): Unversioned<NodeObject> {
  return {
    id,
    spec: { name: '', labels: {}, role: 'worker', availability: 'active' },
    role: 'worker',
    description: {
      hostname,
      addr: '127.0.0.1',
      platform: { os: 'linux', architecture: 'x86_64' },
      resources: { nanoCpus: 2e9, memoryBytes: 1 << 30 },
      engineVersion: '0.1.0',
    },
    status: { state: 'ready', message: '', addr: '127.0.0.1' },
    certificate: { serial: '01', notAfter: '2030-01-01T00:00:00.000Z' },
  };
}

// Services, tasks and networks for tests, shaped like docker/cli's internal/test/builders.
import type { Network, Service, Task } from '@shoal/api';

export function buildService(patch: (s: Service) => void = () => undefined): Service {
  const service: Service = {
    ID: 'serviceID',
    Version: { Index: 10 },
    CreatedAt: '2009-11-10T23:00:00Z',
    UpdatedAt: '2009-11-10T23:00:00Z',
    Spec: {
      Name: 'defaultServiceName',
      Labels: {},
      TaskTemplate: { ContainerSpec: { Image: 'busybox:latest' }, ForceUpdate: 0 },
      Mode: { Replicated: { Replicas: 1 } },
      EndpointSpec: { Mode: 'vip' },
    },
    Endpoint: { Spec: { Mode: 'vip' } },
  };
  patch(service);
  return service;
}

export function buildTask(patch: (t: Task) => void = () => undefined): Task {
  const task: Task = {
    ID: 'taskID',
    Version: { Index: 1 },
    CreatedAt: '2009-11-10T23:00:00Z',
    UpdatedAt: '2009-11-10T23:00:00Z',
    Spec: { ContainerSpec: { Image: 'myimage:mytag' } },
    ServiceID: 'serviceID',
    Slot: 1,
    NodeID: 'nodeID',
    Status: { Timestamp: '2009-11-10T23:00:00Z', State: 'running', Message: 'started' },
    DesiredState: 'running',
  };
  patch(task);
  return task;
}

export function buildNetwork(patch: (n: Network) => void = () => undefined): Network {
  const network: Network = {
    Name: 'ingress',
    Id: 'n1etw0rk1d00000000000000a',
    Created: '2009-11-10T23:00:00Z',
    Scope: 'swarm',
    Driver: 'overlay',
    EnableIPv4: true,
    EnableIPv6: false,
    IPAM: { Driver: 'default', Config: [{ Subnet: '10.0.0.0/24', Gateway: '10.0.0.1' }] },
    Internal: false,
    Attachable: false,
    Ingress: true,
    Labels: {},
  };
  patch(network);
  return network;
}

/** A clock that only moves when slept on, so progress tests run instantly. */
export class FakeClock {
  constructor(public time = Date.parse('2009-11-10T23:00:00Z')) {}
  now(): number {
    return this.time;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted !== true) this.time += ms;
  }
}

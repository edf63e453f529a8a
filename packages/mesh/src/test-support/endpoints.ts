// Endpoint-table builders for tests.
import type { MeshEndpoint, PublishedPort } from '../endpoints';

export function ingressPort(published: number, extra: Partial<PublishedPort> = {}): PublishedPort {
  return { published, target: 80, protocol: 'tcp', mode: 'ingress', ...extra };
}

export function endpoint(taskId: string, fields: Partial<MeshEndpoint> & { port: number }): MeshEndpoint {
  return {
    serviceId: 'svc-1',
    serviceName: 'web',
    taskId,
    nodeId: 'node-a',
    nodeAddr: '127.0.0.1',
    publishedPorts: [ingressPort(8080)],
    state: 'running',
    ...fields,
  };
}

export function udpPort(published: number, extra: Partial<PublishedPort> = {}): PublishedPort {
  return { published, target: 53, protocol: 'udp', mode: 'ingress', ...extra };
}

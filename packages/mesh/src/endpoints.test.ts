import { describe, expect, it } from 'vitest';
import { LocalEndpoints } from './endpoints';
import { endpoint, ingressPort, udpPort } from './test-support/endpoints';

describe('LocalEndpoints', () => {
  const local = new LocalEndpoints('node-a');
  local.setEndpoints([
    endpoint('tcp-only', { nodeAddr: '10.0.0.1', port: 30001, publishedPorts: [ingressPort(80)] }),
    endpoint('both', { nodeAddr: '10.0.0.1', port: 30002, publishedPorts: [ingressPort(53), udpPort(53)] }),
    endpoint('udp-host', { nodeAddr: '10.0.0.1', port: 30003, publishedPorts: [udpPort(54, { mode: 'host' })] }),
    endpoint('elsewhere', { nodeId: 'node-b', nodeAddr: '10.0.0.2', port: 30004, publishedPorts: [udpPort(55)] }),
    endpoint('draining', { nodeAddr: '10.0.0.1', port: 30005, state: 'draining', publishedPorts: [ingressPort(81)] }),
  ]);

  it('lets byte streams reach any endpoint of this node, a draining one too (it serves until it stops)', () => {
    expect(local.resolve({ taskId: 'tcp-only' })).toEqual({ host: '10.0.0.1', port: 30001 });
    expect(local.resolve({ taskId: 'draining' })).toEqual({ host: '10.0.0.1', port: 30005 });
    expect(local.resolve({ taskId: 'udp-host' })).toEqual({ host: '10.0.0.1', port: 30003 });
    expect(local.resolve({ addr: '10.0.0.1', port: 30002 })).toEqual({ host: '10.0.0.1', port: 30002 });
    expect(local.resolve({ taskId: 'elsewhere' })).toBeUndefined();
  });

  it('lets datagram streams reach only endpoints that publish a UDP ingress port', () => {
    expect(local.resolve({ taskId: 'both' }, 'udp')).toEqual({ host: '10.0.0.1', port: 30002 });
    expect(local.resolve({ addr: '10.0.0.1', port: 30002 }, 'udp')).toEqual({ host: '10.0.0.1', port: 30002 });
    expect(local.resolve({ taskId: 'tcp-only' }, 'udp')).toBeUndefined();
    expect(local.resolve({ taskId: 'udp-host' }, 'udp')).toBeUndefined();
    expect(local.resolve({ addr: '10.0.0.1', port: 30001 }, 'udp')).toBeUndefined();
    expect(local.resolve({ taskId: 'elsewhere' }, 'udp')).toBeUndefined();
  });
});

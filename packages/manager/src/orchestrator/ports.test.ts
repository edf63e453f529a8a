import { describe, expect, it } from 'vitest';
import type { PortConfig } from '@shoal/store';
import { allocatePorts } from './ports';
import { makeService, makeSpec } from './testing';

const ingress = (targetPort: number, publishedPort = 0, protocol: PortConfig['protocol'] = 'tcp'): PortConfig => ({
  protocol,
  targetPort,
  publishedPort,
  publishMode: 'ingress',
});
const host = (targetPort: number, publishedPort: number): PortConfig => ({ protocol: 'tcp', targetPort, publishedPort, publishMode: 'host' });
const withPorts = (id: string, name: string, ports: PortConfig[]) =>
  makeService(id, makeSpec(name, { endpoint: { mode: 'vip', ports } }));

describe('allocatePorts', () => {
  it('keeps explicit ports and fills unspecified ingress ports from 30000 up', () => {
    expect(allocatePorts([ingress(80, 8080), ingress(443)], [])).toEqual([ingress(80, 8080), ingress(443, 30000)]);
  });

  it('skips ports other services hold, per protocol', () => {
    const other = withPorts('s1', 'other', [ingress(80, 30000), ingress(81, 30001, 'udp')]);
    expect(allocatePorts([ingress(80), ingress(53, 0, 'udp')], [other])).toEqual([ingress(80, 30001), ingress(53, 30000, 'udp')]);
  });

  it('lets a UDP and a TCP port of the same number coexist, in one service or across two (as Docker does)', () => {
    expect(allocatePorts([ingress(53, 53), ingress(53, 53, 'udp')], [])).toEqual([ingress(53, 53), ingress(53, 53, 'udp')]);
    const dnsTcp = withPorts('s1', 'dns-tcp', [ingress(53, 53)]);
    expect(allocatePorts([ingress(53, 53, 'udp')], [dnsTcp])).toEqual([ingress(53, 53, 'udp')]);
    expect(allocatePorts([ingress(54, 53)], [dnsTcp])).toBe("port '53' is already in use by service 'dns-tcp' (s1) as an ingress port");
  });

  it('keeps a previously allocated port across updates', () => {
    expect(allocatePorts([ingress(80)], [], [ingress(80, 31000)])).toEqual([ingress(80, 31000)]);
  });

  it('leaves host-mode ports without a published port alone', () => {
    expect(allocatePorts([host(80, 0)], [])).toEqual([host(80, 0)]);
  });

  it('rejects an ingress port another service publishes, in swarmkit words', () => {
    const other = withPorts('s1id', 'web', [ingress(80, 8080)]);
    expect(allocatePorts([ingress(81, 8080)], [other])).toBe("port '8080' is already in use by service 'web' (s1id) as an ingress port");
    expect(allocatePorts([host(81, 8080)], [other])).toBe("port '8080' is already in use by service 'web' (s1id) as an ingress port");
  });

  it('rejects an ingress port another service publishes in host mode', () => {
    const other = withPorts('s2id', 'edge', [host(80, 8080)]);
    expect(allocatePorts([ingress(81, 8080)], [other])).toBe("port '8080' is already in use by service 'edge' (s2id) as a host-published port");
    // Host ports may repeat across services; the scheduler keeps them apart per node.
    expect(allocatePorts([host(81, 8080)], [other])).toEqual([host(81, 8080)]);
  });

  it('counts the other services\' allocated ports, not only their specs', () => {
    const other = { ...withPorts('s1', 'other', [ingress(80)]), endpoint: { ports: [ingress(80, 30000)] } };
    expect(allocatePorts([ingress(80, 30000)], [other])).toBe("port '30000' is already in use by service 'other' (s1) as an ingress port");
  });

  it('validates the range with Docker\'s texts', () => {
    expect(allocatePorts([ingress(80, 70000)], [])).toBe('invalid published port (70000): value must be an integer: value out of range');
    expect(allocatePorts([ingress(70000, 80)], [])).toBe('invalid target port (70000): value must be an integer: value out of range');
    expect(allocatePorts([ingress(0, 80)], [])).toBe("missing mandatory field 'target'");
    // The docker CLI's `-p 9060:0` arrives without TargetPort (Go omits a zero): the same text, no "undefined".
    const { targetPort: _omitted, ...noTarget } = ingress(0, 9060);
    expect(allocatePorts([noTarget as PortConfig], [])).toBe("missing mandatory field 'target'");
    expect(allocatePorts([ingress(80, 9185, 'sctp')], [])).toBe('port 80/sctp: SCTP ports are not supported by Shoal (TCP and UDP are)');
  });

  it('reports an exhausted dynamic range', () => {
    const taken = Array.from({ length: 32767 - 30000 + 1 }, (_, i) => ingress(1, 30000 + i));
    const other = withPorts('s1', 'hog', taken);
    expect(allocatePorts([ingress(80)], [other])).toMatch(/no free port/);
  });
});

import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@shoal/store';
import { enableIPv6, ipamConfigs, ipamProblem } from './network-ipam';

const single = (problem: string) => `invalid network config:\n${problem}`;

describe('ipamProblem (moby ValidateIPAM)', () => {
  it('accepts valid configs, none at all, and IPv6 ones while IPv6 is off', () => {
    expect(ipamProblem([], false)).toBeUndefined();
    expect(ipamProblem([{ Subnet: '10.30.0.0/24', Gateway: '10.30.0.254', IPRange: '10.30.0.128/25' }], false)).toBeUndefined();
    expect(ipamProblem([{ Subnet: '2001:db8::1/32' }], false)).toBeUndefined();
    expect(ipamProblem([{ Subnet: '2001:db8::/32', Gateway: '2001:db8::1' }], true)).toBeUndefined();
  });

  it("words each problem as moby does", () => {
    const cases: Array<[Parameters<typeof ipamProblem>[0], string]> = [
      [[{ Subnet: '10.30.0.0/33' }], 'invalid subnet 10.30.0.0/33: invalid CIDR block notation'],
      [[{ Subnet: 'foobar' }], 'invalid subnet foobar: invalid CIDR block notation'],
      [[{ Subnet: '10.30.0.0' }], 'invalid subnet 10.30.0.0: invalid CIDR block notation'],
      [[{ Subnet: '010.30.0.0/16' }], 'invalid subnet 010.30.0.0/16: invalid CIDR block notation'],
      [[{ Subnet: '10.30.0.7/24' }], 'invalid subnet 10.30.0.7/24: it should be 10.30.0.0/24'],
      [[{ Subnet: '10.30.0.0/24', Gateway: '10.31.0.1' }], "invalid gateway 10.31.0.1: parent subnet 10.30.0.0/24 doesn't contain this address"],
      [[{ Subnet: '10.30.0.0/24', Gateway: 'nope' }], 'invalid gateway nope: invalid address'],
      [[{ Subnet: '10.30.0.0/24', IPRange: '10.0.0.0/8' }], "invalid ip-range 10.0.0.0/8: CIDR block is bigger than its parent subnet 10.30.0.0/24"],
      [[{ Subnet: '10.30.0.0/24', AuxiliaryAddresses: { DefaultGatewayIPv4: '2001:db8::1' } }], 'invalid auxiliary address DefaultGatewayIPv4: parent subnet is an IPv4 block'],
      [[{ Subnet: '2001:db8::1/32' }], 'invalid subnet 2001:db8::1/32: it should be 2001:db8::/32'],
    ];
    for (const [configs, problem] of cases) expect(ipamProblem(configs, true), problem).toBe(single(problem));
  });

  it('lists every problem of every config when there are several', () => {
    expect(ipamProblem([{ Subnet: '10.10.10.0/24', IPRange: 'foobar', Gateway: '1001.10.5.3' }, { Subnet: 'bad' }], false)).toBe(
      'invalid network config:\n' +
        '* invalid ip-range foobar: invalid CIDR block notation\n' +
        '* invalid gateway 1001.10.5.3: invalid address\n' +
        '* invalid subnet bad: invalid CIDR block notation',
    );
  });
});

describe('ipamConfigs and enableIPv6 (the request body, as Go decodes it)', () => {
  it('reads IPAM.Config, refusing wrong types with a 400 instead of failing later', () => {
    expect(ipamConfigs(undefined)).toEqual([]);
    expect(ipamConfigs({ Config: null })).toEqual([]);
    expect(ipamConfigs({ Config: [{ Subnet: '10.1.0.0/16' }, null] })).toEqual([{ Subnet: '10.1.0.0/16' }, {}]);
    expect(() => ipamConfigs({ Config: [{ Subnet: 7 }] })).toThrow('json: cannot unmarshal number into Go struct field IPAMConfig.IPAM.Config.Subnet of type string');
    expect(() => ipamConfigs({ Config: 'x' })).toThrow('json: cannot unmarshal string into Go struct field IPAM.IPAM.Config of type []network.IPAMConfig');
    expect(() => ipamConfigs([])).toThrow(InvalidArgumentError);
  });

  it('takes EnableIPv6, or else the enable_ipv6 driver option as a Go bool', () => {
    expect(enableIPv6(undefined, undefined)).toBe(false);
    expect(enableIPv6(true, { 'com.docker.network.enable_ipv6': 'false' })).toBe(true);
    expect(enableIPv6(undefined, { 'com.docker.network.enable_ipv6': 'T' })).toBe(true);
    expect(() => enableIPv6(undefined, { 'com.docker.network.enable_ipv6': 'yes' })).toThrow('driver-opt "com.docker.network.enable_ipv6" is not a valid bool');
  });
});

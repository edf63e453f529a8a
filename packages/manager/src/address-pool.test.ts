import { describe, expect, it } from 'vitest';
import { addrPoolProblem, allocateSubnet, dataPathPortProblem } from './address-pool';

describe('the default address pool and data path port (swarm init)', () => {
  it("refuses what moby's daemon refuses, with its texts", () => {
    expect(addrPoolProblem(undefined, 40)).toBeUndefined(); // no pool: the size is not looked at
    expect(addrPoolProblem(['10.20.0.0/16'], 26)).toBeUndefined();
    expect(addrPoolProblem(['10.20.0.0/16'], 30)).toBe('subnet size is out of range: 30');
    expect(addrPoolProblem(['10.20.0.0/16'], 12)).toBe('invalid CIDR: "10.20.0.0/16". Subnet size is too small for pool: 12');
    expect(addrPoolProblem(['10.20.0.0/28'], 0)).toBe('invalid CIDR: "10.20.0.0/28". Subnet size is too small for pool: 24');
    expect(dataPathPortProblem(0)).toBeUndefined();
    expect(dataPathPortProblem(7789)).toBeUndefined();
    expect(dataPathPortProblem(80)).toBe('Datapath port number is not in valid range (1024-49151) : 80');
    expect(dataPathPortProblem(50000)).toBe('Datapath port number is not in valid range (1024-49151) : 50000');
  });

  it('carves subnets of the pool size, in pool order, around the ones taken', () => {
    expect(allocateSubnet(['10.0.0.0/8'], 24, [])).toEqual({ subnet: '10.0.0.0/24', gateway: '10.0.0.1' });
    expect(allocateSubnet(['10.0.0.0/8'], 24, ['10.0.0.0/24', '10.0.1.0/24'])).toEqual({ subnet: '10.0.2.0/24', gateway: '10.0.2.1' });
    expect(allocateSubnet(['10.20.0.0/16'], 26, ['10.20.0.0/26'])).toEqual({ subnet: '10.20.0.64/26', gateway: '10.20.0.65' });
    // A user's subnet that overlaps several candidates pushes past all of them.
    expect(allocateSubnet(['10.20.0.0/16'], 26, ['10.20.0.0/25'])?.subnet).toBe('10.20.0.128/26');
    // A full pool moves on to the next one; all full: nothing.
    expect(allocateSubnet(['10.20.0.0/25', '10.30.0.0/16'], 26, ['10.20.0.0/26', '10.20.0.64/26'])?.subnet).toBe('10.30.0.0/26');
    expect(allocateSubnet(['10.20.0.0/25'], 26, ['10.20.0.0/25'])).toBeUndefined();
    expect(allocateSubnet(['10.0.0.0/8'], 40, [])).toBeUndefined(); // never a subnet of an impossible size
  });
});

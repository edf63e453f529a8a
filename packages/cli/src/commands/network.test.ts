import { describe, expect, it } from 'vitest';
import { FakeEngine, run, runWithIo } from '../test-support/fake-engine';
import { buildNetwork } from '../test-support/swarm-builders';
import { ipamConfig } from './network';

function withNetworks(): FakeEngine {
  const engine = new FakeEngine();
  engine.networks = [
    buildNetwork((n) => ((n.Name = 'net10'), (n.Id = 'zzz10000000000000000000000'), (n.Ingress = false), (n.Labels = { b: '2', a: '1' }))),
    buildNetwork(),
    buildNetwork((n) => ((n.Name = 'net2'), (n.Id = 'aaa20000000000000000000000'), (n.Ingress = false))),
  ];
  return engine;
}

describe('network ls', () => {
  it('prints 12-character IDs sorted by name', async () => {
    const engine = withNetworks();
    const r = await run(engine, 'network', 'ls', '-f', 'driver=overlay');
    expect(r.out).toBe(
      'NETWORK ID     NAME      DRIVER    SCOPE\n' +
        'n1etw0rk1d00   ingress   overlay   swarm\n' +
        'aaa200000000   net2      overlay   swarm\n' +
        'zzz100000000   net10     overlay   swarm\n',
    );
    expect(engine.calls).toEqual(['networkList({"driver":{"overlay":true}})']);
  });

  it('supports -q, --no-trunc and --format', async () => {
    expect((await run(withNetworks(), 'network', 'ls', '-q', '--no-trunc')).out).toBe(
      'n1etw0rk1d00000000000000a\naaa20000000000000000000000\nzzz10000000000000000000000\n',
    );
    expect((await run(withNetworks(), 'network', 'ls', '--format', '{{.Name}} {{.Labels}} {{.Internal}} {{.CreatedAt}}')).out.split('\n')[2]).toBe(
      'net10 a=1,b=2 false 2009-11-10 23:00:00 +0000 UTC',
    );
    // docker's networkContext.Label method (QA: "can't give argument to non-function").
    expect((await run(withNetworks(), 'network', 'ls', '--format', '{{.Name}}={{.Label "b"}}{{.Label "zz"}};')).out.split('\n')[2]).toBe('net10=2;');
  });
});

describe('network inspect, create, rm', () => {
  it('inspects as JSON and reports daemon errors', async () => {
    const r = await run(withNetworks(), 'network', 'inspect', '--format', '{{.Name}} {{.Driver}}', 'net2', 'ghost');
    expect(r).toEqual({ code: 1, out: 'net2 overlay\n', err: 'Error response from daemon: network ghost not found\n' });
    const none = await run(withNetworks(), 'network', 'inspect', 'ghost');
    expect(none.out).toBe('[]\n');
  });

  it('fails on a key the network JSON does not have (docker runs the template on it with missingkey=error)', async () => {
    // Nothing printed: docker's Flush prints an empty line.
    expect(await run(withNetworks(), 'network', 'inspect', '--format', '{{.Nope}}', 'net2')).toEqual({
      code: 1,
      out: '\n',
      err: 'template parsing error: template: :1:2: executing "" at <.Nope>: map has no entry for key "Nope"\n',
    });
    // A field of docker's network.Inspect the JSON leaves out (omitempty) is its zero value; Go's
    // field ID is the JSON's "Id".
    expect((await run(withNetworks(), 'network', 'inspect', '--format', '{{.Name}}{{.Peers}} {{.ID}}', 'net2')).out).toBe('net2[] aaa20000000000000000000000\n');
    // network.Inspect's Options is a map[string]string: a missing key is "".
    const engine = withNetworks();
    engine.networks.forEach((n) => (n.Options = { 'com.docker.network.driver.overlay.vxlanid_list': '4097' }));
    expect((await run(engine, 'network', 'inspect', '--format', '[{{index .Options "nope"}}]', 'net2')).out).toBe('[]\n');
  });

  it("creates with docker's request body and prints the ID", async () => {
    const engine = withNetworks();
    const r = await run(engine, 'network', 'create', '-d', 'overlay', '--attachable', '--subnet', '10.1.0.0/24', '--gateway', '10.1.0.1', '--label', 'x=y', '-o', 'encrypted', 'backend');
    expect(r).toEqual({ code: 0, out: 'net-new-id\n', err: '' });
    expect(engine.networkCreates[0]).toEqual({
      Name: 'backend',
      Driver: 'overlay',
      Scope: '',
      IPAM: { Driver: 'default', Config: [{ Subnet: '10.1.0.0/24', Gateway: '10.1.0.1' }], Options: {} },
      Internal: false,
      Attachable: true,
      Ingress: false,
      ConfigOnly: false,
      Options: { encrypted: '' },
      Labels: { x: 'y' },
    });
  });

  it('sends --aux-address, --ipam-opt, --ipv4/--ipv6, --config-only and --config-from as docker does', async () => {
    const engine = withNetworks();
    const r = await run(
      engine,
      ...['network', 'create', '-d', 'overlay', '--subnet', '10.2.0.0/24,fd00:2::/64', '--ip-range', '10.2.0.128/25', '--ipam-driver', 'default'],
      ...['--aux-address', 'router=10.2.0.2', '--aux-address', 'v6host=fd00:2::5', '--ipam-opt', 'foo=bar', '--ipv4=false', '--ipv6', 'dual'],
    );
    expect(r).toEqual({ code: 0, out: 'net-new-id\n', err: '' });
    expect(engine.networkCreates[0]).toEqual({
      Name: 'dual',
      Driver: 'overlay',
      Scope: '',
      EnableIPv4: false,
      EnableIPv6: true,
      IPAM: {
        Driver: 'default',
        Config: [
          { Subnet: '10.2.0.0/24', IPRange: '10.2.0.128/25', AuxiliaryAddresses: { router: '10.2.0.2' } },
          { Subnet: 'fd00:2::/64', AuxiliaryAddresses: { v6host: 'fd00:2::5' } },
        ],
        Options: { foo: 'bar' },
      },
      Internal: false,
      Attachable: false,
      Ingress: false,
      ConfigOnly: false,
      Options: {},
      Labels: {},
    });
    expect((await run(engine, 'network', 'create', '--config-only', '--ipv6=true', 'cfg')).code).toBe(0);
    expect(engine.networkCreates[1]).toMatchObject({ Name: 'cfg', ConfigOnly: true, EnableIPv6: true });
    expect(engine.networkCreates[1]).not.toHaveProperty('EnableIPv4');
    expect(engine.networkCreates[1]).not.toHaveProperty('ConfigFrom');
    expect((await run(engine, 'network', 'create', '--config-from', 'cfg', '-d', 'macvlan', 'real')).code).toBe(0);
    expect(engine.networkCreates[2]).toMatchObject({ Name: 'real', Driver: 'macvlan', ConfigFrom: { Network: 'cfg' }, ConfigOnly: false });
  });

  it("refuses an aux-address outside every subnet, and a bad --ipv6 value, with docker's texts", async () => {
    const engine = withNetworks();
    expect(await run(engine, 'network', 'create', '--subnet', '10.3.0.0/24', '--aux-address', 'a=10.4.0.1', 'n')).toEqual({
      code: 1,
      out: '',
      err: 'no matching subnet for aux-address 10.4.0.1\n',
    });
    expect(await run(engine, 'network', 'create', '--ipv6=maybe', 'n')).toEqual({
      code: 125,
      out: '',
      err:
        'invalid argument "maybe" for "--ipv6" flag: strconv.ParseBool: parsing "maybe": invalid syntax\n\n' +
        "Usage:  shoal network create [OPTIONS] NETWORK\n\nRun 'shoal network create --help' for more information\n",
    });
    expect(engine.calls).toEqual([]);
  });

  it('matches gateways and ranges to subnets as docker does', () => {
    expect(() => ipamConfig('default', [], [], ['10.0.0.1'])).toThrow('every ip-range or gateway must have a corresponding subnet');
    expect(() => ipamConfig('default', ['10.0.0.0/24'], [], ['10.0.1.1'])).toThrow('no matching subnet for gateway 10.0.1.1');
    expect(() => ipamConfig('default', ['10.0.0.0/16', '10.0.1.0/24'], [], [])).toThrow('multiple overlapping subnet configuration is not supported');
    expect(() => ipamConfig('default', ['nope'], [], ['10.0.0.1'])).toThrow('invalid subnet: invalid CIDR address: nope');
    expect(ipamConfig('default', ['10.0.0.0/16', 'fd00::/64'], ['10.0.1.0/24'], ['fd00::1']).Config).toEqual([
      { Subnet: '10.0.0.0/16', IPRange: '10.0.1.0/24' },
      { Subnet: 'fd00::/64', Gateway: 'fd00::1' },
    ]);
  });

  it('removes each network, printing failures to stderr and exiting 1', async () => {
    const r = await run(withNetworks(), 'network', 'rm', 'net2', 'ghost');
    expect(r).toEqual({ code: 1, out: 'net2\n', err: 'Error response from daemon: network ghost not found\nexit status 1\n' });
    expect(await run(withNetworks(), 'network', 'rm', '-f', 'ghost')).toEqual({ code: 0, out: '', err: '' });
  });

  it('asks before removing the routing-mesh network, as docker does; anything but y skips it', async () => {
    const PROMPT =
      'WARNING! Before removing the routing-mesh network, make sure all the nodes in your swarm run the same docker engine version. ' +
      'Otherwise, removal may not be effective and functionality of newly create ingress networks will be impaired.\nAre you sure you want to continue? [y/N] ';
    for (const answer of ['', 'n', 'yes']) {
      const engine = withNetworks();
      expect(await runWithIo(engine, { readLine: async () => answer }, 'network', 'rm', '-f', 'ingress', 'net2')).toEqual({ code: 0, out: `${PROMPT}net2\n`, err: '' });
      expect(engine.calls.filter((call) => call.startsWith('networkRemove'))).toEqual(['networkRemove(net2)']);
    }
    const engine = withNetworks();
    expect(await runWithIo(engine, { readLine: async () => ' y ' }, 'network', 'rm', 'ingress')).toEqual({ code: 0, out: `${PROMPT}ingress\n`, err: '' });
    expect(engine.calls.filter((call) => call.startsWith('networkRemove'))).toEqual(['networkRemove(ingress)']);
  });
});

describe('network prune', () => {
  const PROMPT = 'WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] ';

  it('asks first; only y or Y goes ahead, anything else ends quietly', async () => {
    for (const answer of ['', 'n', 'yes', 'no']) {
      const engine = new FakeEngine();
      const r = await runWithIo(engine, { readLine: async () => answer }, 'network', 'prune');
      expect(r).toEqual({ code: 0, out: PROMPT, err: '' });
      expect(engine.calls).toEqual([]);
    }
    const engine = new FakeEngine();
    engine.pruned = ['a', 'b'];
    const r = await runWithIo(engine, { readLine: async () => ' Y ' }, 'network', 'prune');
    expect(r).toEqual({ code: 0, out: `${PROMPT}Deleted Networks:\na\nb\n\n`, err: '' });
  });

  it('with -f prunes at once, passing the filters; prints nothing when nothing was removed', async () => {
    const engine = new FakeEngine();
    expect(await run(engine, 'network', 'prune', '-f', '--filter', 'label!=keep', '--filter', 'until=24h')).toEqual({ code: 0, out: '', err: '' });
    expect(engine.calls).toEqual(['networksPrune({"label!":{"keep":true},"until":{"24h":true}})']);
  });
});

// The unmodified docker CLI against shoald sockets: swarm-scoped overlay networks (create, IPAM,
// prune, rm, and what a worker lists), as Docker's daemon answers them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCleanup, startCluster, waitFor, type Cluster } from '@shoal/testkit';

registerCleanup();

let cluster: Cluster;

describe('docker CLI compatibility: networks', () => {
  beforeAll(async () => {
    cluster = await startCluster({ size: 2, baseIp: '127.0.20.' });
  });
  afterAll(async () => {
    await cluster?.stopAll();
  });

  it('network create keeps the subnet, gateway, --internal and driver options; a second ingress network or a taken name is refused', async () => {
    const m = cluster.manager;
    await m.dockerOk(['network', 'create', '-d', 'overlay', '--subnet', '10.20.0.0/24', '--gateway', '10.20.0.254', '--internal', '-o', 'encrypted', '-o', 'com.docker.network.driver.mtu=1400', 'opts']);
    const net = JSON.parse((await m.dockerOk(['network', 'inspect', '--format', '{{json .}}', 'opts'])).stdout) as {
      IPAM: { Config: Array<{ Subnet: string; Gateway: string }> };
      Internal: boolean;
      Options: Record<string, string>;
    };
    expect(net.IPAM.Config).toEqual([{ Subnet: '10.20.0.0/24', Gateway: '10.20.0.254' }]);
    expect(net.Internal).toBe(true);
    expect(net.Options).toMatchObject({ encrypted: '', 'com.docker.network.driver.mtu': '1400' });
    const ingress = await m.docker(['network', 'create', '-d', 'overlay', '--ingress', 'ingress2']);
    expect(ingress.code).toBe(1);
    expect(ingress.stderr).toMatch(/AlreadyExists desc = ingress network \([a-z0-9]+\) is already present/);
    const overlap = await m.docker(['network', 'create', '-d', 'overlay', '--subnet', '10.20.0.0/16', 'wide']);
    expect(overlap.stderr).toContain('Pool overlaps with other one on this address space');
    // moby's ValidateIPAM, before swarmkit: every problem, under "invalid network config:".
    const badSubnet = await m.docker(['network', 'create', '-d', 'overlay', '--subnet', '10.30.0.0/33', 'bad']);
    expect(badSubnet.stderr).toBe('Error response from daemon: invalid network config:\ninvalid subnet 10.30.0.0/33: invalid CIDR block notation\n');
    const hostBits = await m.docker(['network', 'create', '-d', 'overlay', '--subnet', '10.30.0.7/24', '--gateway', '10.30.0.1', 'bad']);
    expect(hostBits.stderr).toBe('Error response from daemon: invalid network config:\ninvalid subnet 10.30.0.7/24: it should be 10.30.0.0/24\n');
    const dup = await m.docker(['network', 'create', '-d', 'overlay', 'opts']);
    expect(dup.code).toBe(1);
    expect(dup.stderr.trim()).toBe('Error response from daemon: network with name opts already exists');
    // moby's router looks the name up before the daemon validates the IPAM.
    const dupBad = await m.docker(['network', 'create', '-d', 'overlay', '--subnet', '10.30.0.7/24', 'opts']);
    expect(dupBad.stderr.trim()).toBe('Error response from daemon: network with name opts already exists');
    // An ID prefix two networks share names neither (random IDs: 20 networks share a first character all but surely).
    const ids: string[] = [];
    let prefix: string | undefined;
    for (let i = 0; i < 20 && prefix === undefined; i++) {
      const id = (await m.dockerOk(['network', 'create', '-d', 'overlay', `amb${i}`])).stdout.trim();
      prefix = ids.find((other) => other[0] === id[0])?.[0];
      ids.push(id);
    }
    expect(prefix).toBeDefined();
    const all = (await m.dockerOk(['network', 'ls', '-q', '--no-trunc'])).stdout.trim().split('\n');
    const sharing = all.filter((id) => id[0] === prefix).length;
    expect((await m.docker(['network', 'inspect', prefix!])).stderr).toContain(`Error response from daemon: ${sharing} matches found based on ID prefix: network ${prefix} is ambiguous`);
    expect((await m.docker(['network', 'rm', prefix!])).stderr).toContain(`Error response from daemon: network ${prefix} is ambiguous (${sharing} matches found based on ID prefix)`);
    await m.dockerOk(['network', 'rm', ...ids]);
    await m.dockerOk(['network', 'rm', 'opts']);
  });

  it('network create keeps every IPAM setting asked for and refuses what swarmkit and moby refuse, changing nothing', async () => {
    const m = cluster.manager;
    await m.dockerOk([
      'network', 'create', '-d', 'overlay', '--subnet', '10.88.0.0/24', '--ip-range', '10.88.0.128/25', '--aux-address', 'host1=10.88.0.5',
      '--subnet', '10.87.0.0/24', '--gateway', '10.88.0.1', '--gateway', '10.87.0.254', '--ipam-opt', 'x=y', '--ipv6', '--subnet', 'fd00:88::/64', 'ipamnet',
    ]);
    const net = JSON.parse((await m.dockerOk(['network', 'inspect', '--format', '{{json .}}', 'ipamnet'])).stdout) as {
      IPAM: { Config: Array<{ Subnet: string }> };
      EnableIPv6: boolean;
    };
    expect(net.EnableIPv6).toBe(true);
    // The docker CLI gathers the pools in a Go map (consolidateIpam), so it sends them in random order;
    // the daemon keeps the order it got.
    const asked = ['10.88.0.0/24', '10.87.0.0/24', 'fd00:88::/64'];
    net.IPAM.Config.sort((a, b) => asked.indexOf(a.Subnet) - asked.indexOf(b.Subnet));
    expect(net.IPAM).toEqual({
      Driver: 'default',
      Options: { x: 'y' },
      Config: [
        { Subnet: '10.88.0.0/24', IPRange: '10.88.0.128/25', Gateway: '10.88.0.1', AuxiliaryAddresses: { host1: '10.88.0.5' } },
        { Subnet: '10.87.0.0/24', Gateway: '10.87.0.254' },
        { Subnet: 'fd00:88::/64' },
      ],
    });
    // The second subnet is taken too.
    expect((await m.docker(['network', 'create', '-d', 'overlay', '--subnet', '10.87.0.0/16', 'wide87'])).stderr).toContain('Pool overlaps with other one on this address space');
    const before = (await m.dockerOk(['network', 'ls', '-q'])).stdout;
    const refused: Array<[string[], string]> = [
      [['--ipam-driver', 'bogus', 'n1'], 'rpc error: code = InvalidArgument desc = error during lookup of plugin bogus'],
      [['Bad.Net'], 'rpc error: code = InvalidArgument desc = name must be valid as a DNS name component'],
      [['x'.repeat(64)], 'rpc error: code = InvalidArgument desc = name must be 63 characters or fewer'],
      // moby's text ends with a space, which the docker CLI trims.
      [['bridge'], 'operation is not permitted on predefined bridge network'],
      [['--label', 'com.docker.swarm.predefined=1', 'n2'], 'rpc error: code = PermissionDenied desc = label com.docker.swarm.predefined is for internally created predefined networks and cannot be applied by users'],
      [['--scope', 'local', 'n3'], 'cannot downgrade network scope for overlay networks'],
      [['--ingress', '--attachable', 'n4'], 'rpc error: code = InvalidArgument desc = ingress network cannot be attachable'],
      // libnetwork's checks (QA: these flags were accepted and ignored).
      [['--ipv4=false', 'n5'], 'IPv4 cannot be disabled in a Swarm scoped network'],
      [['--config-from', 'nosuch', 'n6'], 'configuration network "nosuch" does not exist'],
      [['--config-only', 'n7'], 'configuration-only networks (--config-only) are not supported by Shoal: its networks are swarm-scoped overlays; no network was created'],
      [[' '], 'invalid name: name is empty'],
      // Its Raft entries' decoder would rename the key, so it is refused rather than changed.
      [['--label', '__proto__=x', 'n8'], 'invalid key "__proto__": Shoal cannot store it (its Raft entries would rename it)'],
    ];
    for (const [args, message] of refused) {
      const res = await m.docker(['network', 'create', '-d', 'overlay', ...args]);
      expect({ args, code: res.code, stderr: res.stderr }).toEqual({ args, code: 1, stderr: `Error response from daemon: ${message}\n` });
    }
    expect((await m.dockerOk(['network', 'ls', '-q'])).stdout).toBe(before);
    // No containers to attach by hand: a plain refusal (was a bare 404 "page not found").
    const connect = await m.docker(['network', 'connect', 'ipamnet', 'some-container']);
    expect(connect.code).toBe(1);
    expect(connect.stderr).toContain('network connect is not supported by Shoal');
    await m.dockerOk(['network', 'rm', 'ipamnet']);
  });

  it('network prune removes only networks no service uses; network rm refuses one in use', async () => {
    const m = cluster.manager;
    await m.dockerOk(['network', 'create', '-d', 'overlay', 'unused']);
    await m.dockerOk(['network', 'create', '-d', 'overlay', '--label', 'keep=1', 'kept']);
    const usedId = (await m.dockerOk(['network', 'create', '-d', 'overlay', 'used'])).stdout.trim();
    const svc = (await m.dockerOk(['service', 'create', '-d', '-q', '--name', 'netuser', '--replicas', '0', '--network', 'used', 'shoal/whoami'])).stdout.trim();
    expect(JSON.parse((await m.dockerOk(['service', 'inspect', '--format', '{{json .Spec.TaskTemplate.Networks}}', 'netuser'])).stdout)).toEqual([
      { Target: usedId },
    ]);
    // `docker service inspect` asks for insertDefaults: swarmkit's stop grace period and DNS config show.
    const inspected = await m.dockerOk(['service', 'inspect', '--format', '{{.Spec.TaskTemplate.ContainerSpec.StopGracePeriod}} {{json .Spec.TaskTemplate.ContainerSpec.DNSConfig}}', 'netuser']);
    expect(inspected.stdout).toBe('10s {}\n');
    // Durations print as Go's time.Duration (json: nanoseconds), times as time.Time, in both CLIs.
    const durations = '{{.Spec.TaskTemplate.ContainerSpec.StopGracePeriod}} {{.Spec.UpdateConfig.Monitor}} {{json .Spec.UpdateConfig.Monitor}} {{.Spec.TaskTemplate.RestartPolicy.Delay}} {{gt .Spec.UpdateConfig.Monitor 0}} {{.CreatedAt}}';
    const byDocker = (await m.dockerOk(['service', 'inspect', '--format', durations, 'netuser'])).stdout;
    expect(byDocker).toMatch(/^10s 5s 5000000000 5s true \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \+0000 UTC\n$/);
    expect((await m.cliOk(['service', 'inspect', '--format', durations, 'netuser'])).stdout).toBe(byDocker);
    const heartbeat = '{{.Swarm.Cluster.Spec.Dispatcher.HeartbeatPeriod}} {{.Swarm.Cluster.Spec.CAConfig.NodeCertExpiry}}';
    const infoByDocker = (await m.dockerOk(['info', '--format', heartbeat])).stdout;
    expect(infoByDocker).toMatch(/^\d+m?s 2160h0m0s\n$/); // the tests' fast profile sets its own heartbeat period
    expect((await m.cliOk(['info', '--format', heartbeat])).stdout).toBe(infoByDocker);
    const ls = async (filter: string) => (await m.dockerOk(['network', 'ls', '-f', filter, '--format', '{{.Name}}'])).stdout.trim().split('\n').sort();
    expect(await ls('dangling=true')).toEqual(['kept', 'unused']);
    expect(await ls('dangling=false')).toEqual(['ingress', 'used']);
    // moby's FilterNetworks: one dangling value of four spellings; a type is builtin or custom, and
    // every swarm network (ingress too) is custom.
    expect((await m.docker(['network', 'ls', '-f', 'dangling=maybe'])).stderr).toBe(
      'Error response from daemon: invalid value for filter \'dangling\', must be "true" (or "1"), or "false" (or "0")\n',
    );
    expect((await m.docker(['network', 'ls', '-f', 'dangling=true', '-f', 'dangling=false'])).stderr).toBe('Error response from daemon: got more than one value for filter key "dangling"\n');
    expect((await m.docker(['network', 'ls', '-f', 'type=bogus'])).stderr).toBe("Error response from daemon: invalid filter: 'type'='bogus'\n");
    expect(await ls('type=custom')).toEqual(['ingress', 'kept', 'unused', 'used']);
    expect((await m.dockerOk(['network', 'ls', '-q', '-f', 'type=builtin'])).stdout).toBe('');
    // On a worker there is nothing to prune (moby prunes the swarm's networks on a manager only).
    expect(await cluster.byName('worker1').dockerOk(['network', 'prune', '-f'])).toMatchObject({ stdout: '' });
    const rm = await m.docker(['network', 'rm', 'used']);
    expect(rm.code).toBe(1);
    expect(rm.stderr).toContain(`Error response from daemon: rpc error: code = FailedPrecondition desc = network ${usedId} is in use by service ${svc}`);
    // The shoal CLI asks first, as docker does: anything but y leaves everything in place.
    const declined = await m.cli(['network', 'prune'], { input: 'n\n' });
    expect(declined).toMatchObject({ code: 0, stdout: 'WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] ' });
    const pruned = await m.dockerOk(['network', 'prune', '-f', '--filter', 'label!=keep']);
    expect(pruned.stdout).toBe('Deleted Networks:\nunused\n\n');
    await m.dockerOk(['service', 'rm', 'netuser']);
    const rest = await m.cliOk(['network', 'prune', '-f']);
    expect(rest.stdout.split('\n').slice(1, -2).sort()).toEqual(['kept', 'used']);
    const names = (await m.dockerOk(['network', 'ls', '--format', '{{.Name}}'])).stdout.trim().split('\n');
    expect(names).toEqual(['ingress']);
    expect((await m.cliOk(['network', 'prune', '-f'])).stdout).toBe('');
  });

  it("a worker's network ls and inspect show the swarm networks it is on: ingress, and its tasks' networks", async () => {
    const m = cluster.manager;
    const w = cluster.byName('worker1');
    const names = async () => (await w.dockerOk(['network', 'ls', '--format', '{{.Name}} {{.Driver}} {{.Scope}}'])).stdout.trim().split('\n').sort();
    expect(await names()).toEqual(['ingress overlay swarm']);
    const ingress = JSON.parse((await w.dockerOk(['network', 'inspect', 'ingress'])).stdout) as Array<{ Name: string; Ingress: boolean }>;
    expect(ingress).toMatchObject([{ Name: 'ingress', Ingress: true }]);
    await m.dockerOk(['network', 'create', '-d', 'overlay', 'backend']);
    expect(await names()).toEqual(['ingress overlay swarm']); // no task of this node uses it yet
    await m.dockerOk(['service', 'create', '-d', '--name', 'onworker', '--constraint', 'node.hostname==worker1', '--network', 'backend', 'shoal/whoami']);
    await waitFor(async () => ((await names()).length === 2 ? true : undefined), { timeoutMs: 10_000, what: 'backend listed on worker1' });
    expect(await names()).toEqual(['backend overlay swarm', 'ingress overlay swarm']);
    // What a worker lists is in use there: nothing is dangling (the managers' view of services is not needed).
    expect((await w.dockerOk(['network', 'ls', '-q', '-f', 'dangling=true'])).stdout).toBe('');
    expect((await w.dockerOk(['network', 'ls', '-f', 'dangling=false', '--format', '{{.Name}}'])).stdout.trim().split('\n').sort()).toEqual(['backend', 'ingress']);
    await m.dockerOk(['service', 'rm', 'onworker']);
    await waitFor(async () => ((await names()).length === 1 ? true : undefined), { timeoutMs: 10_000, what: 'backend gone from worker1' });
    await m.dockerOk(['network', 'rm', 'backend']);
  });
});

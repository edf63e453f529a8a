// The ContainerSpec flags of `service create/update` (--mount, --secret, --config, --dns*, --host,
// --group, --sysctl, --ulimit, --cap-*, --generic-resource, --isolation, --oom-score-adj,
// --credential-spec, --env-file): the request body docker/cli builds, and its error texts.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeEngine, run, runWithIo } from '../test-support/fake-engine';
import { buildService } from '../test-support/swarm-builders';
import { normalizeIp, parseGenericResources, parseMount } from './service-container-parse';

const usage = (cmd: 'create' | 'update'): string =>
  `\n\nUsage:  shoal service ${cmd} ${cmd === 'create' ? '[OPTIONS] IMAGE [COMMAND] [ARG...]' : '[OPTIONS] SERVICE'}\n\nRun 'shoal service ${cmd} --help' for more information\n`;

describe('service create: container flags', () => {
  it("puts each flag where docker's ToService does", async () => {
    const engine = new FakeEngine();
    const r = await run(
      engine,
      ...['service', 'create', '-d', '--mount', 'type=bind,src=/srv/data,dst=/data,readonly,bind-propagation=RSLAVE'],
      ...['--mount', 'source=vol,target=/v,volume-driver=local,volume-opt=o=size=1g,volume-label=a=b,volume-nocopy'],
      ...['--mount', 'type=tmpfs,dst=/tmp,tmpfs-size=64m,tmpfs-mode=1777', '--mount', 'type=image,src=alpine,dst=/img,image-subpath=etc'],
      ...['--dns', '8.8.8.8', '--dns', ' 2001:DB8:0:0:0:0:0:1 ', '--dns-search', 'example.com.', '--dns-option', 'ndots:2'],
      ...['--host', 'db:10.0.0.5', '--host', 'v6=[::1]', '--group', 'wheel', '--group', '100', '--sysctl', 'net.core.somaxconn=1024'],
      ...['--ulimit', 'nofile=1024:2048', '--ulimit', 'core=0', '--ulimit', 'nofile=512', '--cap-add', 'net_admin', '--cap-add', 'CAP_SYS_TIME'],
      ...['--cap-drop', 'mknod', '--cap-drop', 'NET_ADMIN', '--isolation', 'process', '--oom-score-adj', '-500'],
      ...['--generic-resource', 'gpu=2', '--generic-resource', 'fpga = 1', '--credential-spec', 'file://spec.json', 'nginx'],
    );
    expect(r).toEqual({ code: 0, out: 'svc-new-id-0000000000000\n', err: '' });
    expect(engine.calls).toEqual(['serviceCreate']);
    const spec = engine.created[0]!;
    expect(spec.TaskTemplate.ContainerSpec).toEqual({
      Image: 'nginx:latest',
      Groups: ['wheel', '100'],
      Privileges: { CredentialSpec: { Config: '', File: 'spec.json', Registry: '' }, SELinuxContext: null, NoNewPrivileges: false },
      Init: false,
      Mounts: [
        { Type: 'bind', Source: '/srv/data', Target: '/data', ReadOnly: true, BindOptions: { Propagation: 'rslave' } },
        {
          Type: 'volume',
          Source: 'vol',
          Target: '/v',
          VolumeOptions: { NoCopy: true, Labels: { a: 'b' }, DriverConfig: { Name: 'local', Options: { o: 'size=1g' } } },
        },
        { Type: 'tmpfs', Target: '/tmp', TmpfsOptions: { SizeBytes: 64 * 1024 * 1024, Mode: 0o1777 } },
        { Type: 'image', Source: 'alpine', Target: '/img', ImageOptions: { Subpath: 'etc' } },
      ],
      Hosts: ['10.0.0.5 db', '::1 v6'],
      DNSConfig: { Nameservers: ['8.8.8.8', '2001:db8::1'], Search: ['example.com'], Options: ['ndots:2'] },
      Isolation: 'process',
      Sysctls: { 'net.core.somaxconn': '1024' },
      CapabilityAdd: ['CAP_NET_ADMIN', 'CAP_SYS_TIME'],
      CapabilityDrop: ['CAP_MKNOD'],
      Ulimits: [
        { Name: 'core', Hard: 0, Soft: 0 },
        { Name: 'nofile', Hard: 512, Soft: 512 },
      ],
      OomScoreAdj: -500,
    });
    expect(spec.TaskTemplate.Resources).toEqual({
      Limits: {},
      Reservations: { GenericResources: [{ DiscreteResourceSpec: { Kind: 'gpu', Value: 2 } }, { DiscreteResourceSpec: { Kind: 'fpga', Value: 1 } }] },
    });
  });

  it('reads --env-file before --env, as makeEnv does; a bare KEY comes from the environment or is left out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shoal-env-'));
    const file = join(dir, 'app.env');
    writeFileSync(file, '\uFEFF# comment\n  A=1\nB= spaced \r\nHOME\nMISSING\n\nC=3\n');
    const engine = new FakeEngine();
    const r = await runWithIo(engine, { env: { HOME: '/root' } }, 'service', 'create', '-d', '--env-file', file, '-e', 'C=30', 'nginx');
    expect(r.code).toBe(0);
    expect(engine.created[0]?.TaskTemplate.ContainerSpec?.Env).toEqual(['A=1', 'B= spaced ', 'HOME=/root', 'C=30']);

    const missing = await run(engine, 'service', 'create', '-d', '--env-file', join(dir, 'nope'), 'nginx');
    expect(missing).toEqual({ code: 1, out: '', err: `open ${join(dir, 'nope')}: no such file or directory\n` });
    const bad = join(dir, 'bad.env');
    writeFileSync(bad, 'OK=1\nMY VAR=2\n');
    expect((await run(engine, 'service', 'create', '-d', '--env-file', bad, 'nginx')).err).toBe(`invalid env file (${bad}): variable 'MY VAR' contains whitespaces\n`);
    writeFileSync(bad, '=x\n');
    expect((await run(engine, 'service', 'create', '-d', '--env-file', bad, 'nginx')).err).toBe(`invalid env file (${bad}): no variable name on line '=x'\n`);
    expect(engine.calls).toEqual(['serviceCreate']);
  });

  it('resolves --secret and --config names with GET /secrets and GET /configs, as ParseSecrets/ParseConfigs do', async () => {
    const engine = new FakeEngine();
    engine.secrets = [{ ID: 'secretid1', Spec: { Name: 'db_pass' } }];
    engine.configs = [
      { ID: 'configid1', Spec: { Name: 'nginx.conf' } },
      { ID: 'credid1', Spec: { Name: 'cred' } },
    ];
    const r = await run(
      engine,
      ...['service', 'create', '-d', '--secret', 'db_pass', '--secret', 'source=db_pass,target=/run/pw,uid=33,gid=33,mode=0400'],
      ...['--config', 'src=nginx.conf,target=/etc/nginx/nginx.conf,mode=0x1a4', '--credential-spec', 'config://cred', 'nginx'],
    );
    expect(r).toEqual({ code: 0, out: 'svc-new-id-0000000000000\n', err: '' });
    expect(engine.calls).toEqual(['secretList({"name":{"db_pass":true}})', 'configList({"name":{"cred":true,"nginx.conf":true}})', 'serviceCreate']);
    const c = engine.created[0]?.TaskTemplate.ContainerSpec as Record<string, unknown>;
    expect(c.Secrets).toEqual([
      { File: { Name: 'db_pass', UID: '0', GID: '0', Mode: 0o444 }, SecretID: 'secretid1', SecretName: 'db_pass' },
      { File: { Name: '/run/pw', UID: '33', GID: '33', Mode: 0o400 }, SecretID: 'secretid1', SecretName: 'db_pass' },
    ]);
    expect(c.Configs).toEqual([
      { File: { Name: '/etc/nginx/nginx.conf', UID: '0', GID: '0', Mode: 0o644 }, ConfigID: 'configid1', ConfigName: 'nginx.conf' },
      { Runtime: {}, ConfigID: 'credid1', ConfigName: 'cred' },
    ]);
    // The credential spec names its config by ID once resolved.
    expect(c.Privileges).toEqual({ CredentialSpec: { Config: 'credid1', File: '', Registry: '' }, SELinuxContext: null, NoNewPrivileges: false });
  });

  it("fails as docker does when a secret or config does not exist (Shoal's daemon lists none)", async () => {
    const engine = new FakeEngine();
    expect(await run(engine, 'service', 'create', '-d', '--secret', 'db_pass', 'nginx')).toEqual({ code: 1, out: '', err: 'secret not found: db_pass\n' });
    expect(await run(engine, 'service', 'create', '-d', '--config', 'app', 'nginx')).toEqual({ code: 1, out: '', err: 'config not found: app\n' });
    expect(await run(engine, 'service', 'create', '-d', '--credential-spec', 'config://cs', 'nginx')).toEqual({ code: 1, out: '', err: 'config not found: cs\n' });
    expect(await run(engine, 'service', 'create', '-d', '--secret', 'a', '--secret', 'source=b,target=a', 'nginx')).toEqual({
      code: 1,
      out: '',
      err: 'duplicate secret target for b not allowed\n',
    });
    expect(engine.calls).toEqual(['secretList({"name":{"db_pass":true}})', 'configList({"name":{"app":true}})', 'configList({"name":{"cs":true}})']);
  });

  it('rejects bad values while parsing, with the texts of docker/cli, exit 125', async () => {
    const cases: Array<[string[], string]> = [
      [['--mount', 'type=bind,target'], `invalid argument "type=bind,target" for "--mount" flag: invalid field 'target' must be a key=value pair`],
      [['--mount', 'src=/x'], 'invalid argument "src=/x" for "--mount" flag: target is required'],
      [['--mount', 'type=,dst=/x'], 'invalid argument "type=,dst=/x" for "--mount" flag: type is required'],
      [['--mount', 'type=bind,dst=/x,volume-nocopy'], `invalid argument "type=bind,dst=/x,volume-nocopy" for "--mount" flag: cannot mix 'volume-*' options with mount type 'bind'`],
      [['--mount', 'dst=/x,foo=bar'], `invalid argument "dst=/x,foo=bar" for "--mount" flag: unexpected key 'foo' in 'foo=bar'`],
      [['--mount', 'dst=/x,ro=maybe'], 'invalid argument "dst=/x,ro=maybe" for "--mount" flag: invalid value for ro: maybe'],
      [['--mount', 'type=tmpfs,dst=/x,tmpfs-mode=9'], 'invalid argument "type=tmpfs,dst=/x,tmpfs-mode=9" for "--mount" flag: invalid value for tmpfs-mode: 9'],
      [
        ['--mount', 'type=bind,src=/a,dst=/b,bind-recursive=readonly'],
        `invalid argument "type=bind,src=/a,dst=/b,bind-recursive=readonly" for "--mount" flag: option 'bind-recursive=readonly' requires 'readonly' to be specified in conjunction`,
      ],
      [['--mount', ''], 'invalid argument "" for "--mount" flag: EOF'],
      [['--secret', 'target=/x'], 'invalid argument "target=/x" for "--secret" flag: source is required'],
      [['--secret', 'source=a,mode=rw'], 'invalid argument "source=a,mode=rw" for "--secret" flag: invalid mode specified: strconv.ParseUint: parsing "rw": invalid syntax'],
      [['--secret', 'source=a,Owner=1'], 'invalid argument "source=a,Owner=1" for "--secret" flag: invalid field in secret request: Owner'],
      [['--config', 'a,b'], `invalid argument "a,b" for "--config" flag: invalid field 'a' must be a key=value pair`],
      [['--config', 'source=a,x=1'], 'invalid argument "source=a,x=1" for "--config" flag: invalid field in config request: x'],
      [['--dns', '8.8.8'], 'invalid argument "8.8.8" for "--dns" flag: IP address is not correctly formatted: 8.8.8'],
      [['--dns-search', '-bad-'], 'invalid argument "-bad-" for "--dns-search" flag: -bad- is not a valid domain'],
      [['--host', 'db'], 'invalid argument "db" for "--host" flag: bad format for add-host: "db"'],
      [['--host', 'db:10.0.0.300'], 'invalid argument "db:10.0.0.300" for "--host" flag: invalid IP address in add-host: "10.0.0.300"'],
      [['--ulimit', 'nofile'], 'invalid argument "nofile" for "--ulimit" flag: invalid ulimit argument: nofile'],
      [['--ulimit', 'files=1'], 'invalid argument "files=1" for "--ulimit" flag: invalid ulimit type: files'],
      [['--ulimit', 'nofile=2:1'], 'invalid argument "nofile=2:1" for "--ulimit" flag: ulimit soft limit must be less than or equal to hard limit: 2 > 1'],
      [['--ulimit', 'nofile=x'], 'invalid argument "nofile=x" for "--ulimit" flag: strconv.ParseInt: parsing "x": invalid syntax'],
      [['--generic-resource', 'gpu'], 'invalid argument "gpu" for "--generic-resource" flag: invalid generic-resource format `gpu` expected `name=value`'],
      [
        ['--credential-spec', 'spec.json'],
        'invalid argument "spec.json" for "--credential-spec" flag: invalid credential spec: value must be prefixed with "config://", "file://", or "registry://"',
      ],
      [['--oom-score-adj', 'high'], 'invalid argument "high" for "--oom-score-adj" flag: strconv.ParseInt: parsing "high": invalid syntax'],
    ];
    const engine = new FakeEngine();
    for (const [args, text] of cases) {
      expect(await run(engine, 'service', 'create', ...args, 'nginx'), args.join(' ')).toEqual({ code: 125, out: '', err: `${text}${usage('create')}` });
    }
    expect(engine.calls).toEqual([]);
  });

  it('refuses named generic resources once the flags are parsed, exit 1', async () => {
    const engine = new FakeEngine();
    expect(await run(engine, 'service', 'create', '--generic-resource', 'gpu=UUID1', 'nginx')).toEqual({
      code: 1,
      out: '',
      err: 'invalid generic-resource request `gpu=UUID1`, Named Generic Resources is not supported for service create or update\n',
    });
    expect(await run(engine, 'service', 'create', '--generic-resource', 'gpu=-1', 'nginx')).toMatchObject({
      err: 'invalid generic resource specification: could not parse GenericResource: cannot ask for negative resource gpu\n',
    });
    expect(engine.calls).toEqual([]);
  });
});

function engineWithDetailedWeb(): FakeEngine {
  const engine = new FakeEngine();
  engine.services = [
    buildService((s) => {
      s.ID = 'webid0000000000000000000';
      s.Version = { Index: 7 };
      s.Spec.Name = 'web';
      s.Spec.Mode = { Replicated: { Replicas: 1 } };
      s.Spec.TaskTemplate = {
        ContainerSpec: {
          Image: 'nginx:latest',
          Groups: ['wheel', 'adm'],
          Mounts: [
            { Type: 'volume', Source: 'b', Target: '/b' },
            { Type: 'volume', Source: 'a', Target: '/a' },
          ],
          Hosts: ['127.0.0.2 host3 host1 host2', '127.0.0.1 host1 host4', '127.0.0.3 host1'],
          DNSConfig: { Nameservers: ['9.9.9.9', '1.1.1.1'], Search: ['a.example'], Options: ['ndots:2'] },
          Sysctls: { 'net.a': '1', 'net.b': '2' },
          Ulimits: [
            { Name: 'nproc', Soft: 10, Hard: 10 },
            { Name: 'core', Soft: 0, Hard: 0 },
          ],
          CapabilityAdd: ['CAP_NET_ADMIN'],
          CapabilityDrop: ['CAP_MKNOD'],
          Secrets: [{ File: { Name: 'old', UID: '0', GID: '0', Mode: 0o444 }, SecretID: 'oldid', SecretName: 'old' }],
          Configs: [{ File: { Name: 'c1', UID: '0', GID: '0', Mode: 0o444 }, ConfigID: 'c1id', ConfigName: 'c1' }],
        },
        Resources: { Reservations: { GenericResources: [{ DiscreteResourceSpec: { Kind: 'gpu', Value: 1 } }, { DiscreteResourceSpec: { Kind: 'ssd', Value: 2 } }] } },
        ForceUpdate: 0,
      };
    }),
  ];
  engine.secrets = [{ ID: 'newid', Spec: { Name: 'new' } }];
  engine.configs = [{ ID: 'c2id', Spec: { Name: 'c2' } }];
  return engine;
}

describe('service update: container flags', () => {
  it("changes the current spec as docker's updateService does", async () => {
    const engine = engineWithDetailedWeb();
    const r = await run(
      engine,
      ...['service', 'update', '-d', '--mount-add', 'type=bind,src=/srv,dst=/a', '--mount-rm', '/b', '--group-add', 'users', '--group-rm', 'adm'],
      ...['--host-add', 'db:10.0.0.5', '--host-rm', 'host1:127.0.0.1', '--host-rm', 'host3', '--dns-add', '8.8.8.8', '--dns-rm', '9.9.9.9'],
      ...['--dns-search-add', 'b.example', '--dns-option-rm', 'ndots:2', '--sysctl-add', 'net.c=3', '--sysctl-rm', 'net.a'],
      ...['--ulimit-add', 'nofile=100:200', '--ulimit-rm', 'core', '--cap-add', 'mknod', '--cap-drop', 'net_admin', '--cap-drop', 'sys_time'],
      ...['--generic-resource-add', 'fpga=3', '--generic-resource-add', 'gpu=4', '--generic-resource-rm', 'ssd'],
      ...['--secret-add', 'source=new,target=n', '--secret-rm', 'old', '--config-add', 'c2', '--config-rm', 'c1'],
      ...['--isolation', 'hyperv', '--oom-score-adj', '100', '--credential-spec', 'registry://key', 'web'],
    );
    expect(r).toEqual({ code: 0, out: 'web\n', err: '' });
    expect(engine.calls).toEqual([
      'serviceInspect(web)',
      'secretList({"name":{"new":true}})',
      'configList({"name":{"c2":true}})',
      'serviceUpdate(webid0000000000000000000,7)',
    ]);
    const spec = engine.serviceUpdates[0]!.spec;
    expect(spec.TaskTemplate.ContainerSpec).toEqual({
      Image: 'nginx:latest',
      Groups: ['users', 'wheel'],
      Mounts: [{ Type: 'bind', Source: '/srv', Target: '/a' }],
      Hosts: ['127.0.0.2 host1 host2', '127.0.0.1 host4', '127.0.0.3 host1', '10.0.0.5 db'],
      DNSConfig: { Nameservers: ['1.1.1.1', '8.8.8.8'], Search: ['a.example', 'b.example'] },
      Sysctls: { 'net.b': '2', 'net.c': '3' },
      Ulimits: [
        { Name: 'nofile', Hard: 200, Soft: 100 },
        { Name: 'nproc', Soft: 10, Hard: 10 },
      ],
      // Dropping an added capability only removes it; adding a dropped one likewise.
      CapabilityDrop: ['CAP_SYS_TIME'],
      Secrets: [{ File: { Name: 'n', UID: '0', GID: '0', Mode: 0o444 }, SecretID: 'newid', SecretName: 'new' }],
      Configs: [{ File: { Name: 'c2', UID: '0', GID: '0', Mode: 0o444 }, ConfigID: 'c2id', ConfigName: 'c2' }],
      Isolation: 'hyperv',
      OomScoreAdj: 100,
      Privileges: { CredentialSpec: { Config: '', File: '', Registry: 'key' }, SELinuxContext: null, NoNewPrivileges: false },
    });
    expect(spec.TaskTemplate.Resources?.Reservations?.GenericResources).toEqual([
      { DiscreteResourceSpec: { Kind: 'gpu', Value: 4 } },
      { DiscreteResourceSpec: { Kind: 'fpga', Value: 3 } },
    ]);
  });

  it('sorts mounts and ulimits on every update, and RESET clears a capability list', async () => {
    const engine = engineWithDetailedWeb();
    expect((await run(engine, 'service', 'update', '-d', '--cap-add', 'RESET', '--cap-drop', 'ALL', '--credential-spec', '', 'web')).code).toBe(0);
    const c = engine.serviceUpdates[0]!.spec.TaskTemplate.ContainerSpec as Record<string, unknown>;
    expect(c.Mounts).toEqual([
      { Type: 'volume', Source: 'a', Target: '/a' },
      { Type: 'volume', Source: 'b', Target: '/b' },
    ]);
    expect(c.Ulimits).toEqual([
      { Name: 'core', Soft: 0, Hard: 0 },
      { Name: 'nproc', Soft: 10, Hard: 10 },
    ]);
    expect(c.CapabilityAdd).toBeUndefined();
    expect(c.CapabilityDrop).toEqual(['ALL']);
    expect(c.Privileges).toBeUndefined();
  });

  it("fails with docker's texts", async () => {
    const engine = engineWithDetailedWeb();
    expect(await run(engine, 'service', 'update', '--generic-resource-rm', 'tpu', 'web')).toEqual({
      code: 1,
      out: '',
      err: 'could not find generic-resource `tpu` to remove it\n',
    });
    expect((await run(engine, 'service', 'update', '--mount-add', 'dst=/x', '--mount-add', 'src=v,dst=/x', 'web')).err).toBe('duplicate mount target\n');
    expect((await run(engine, 'service', 'update', '--secret-add', 'nope', 'web')).err).toBe('secret not found: nope\n');
    expect((await run(engine, 'service', 'update', '--config-add', 'nope', 'web')).err).toBe('config not found: nope\n');
    expect(await run(engine, 'service', 'update', '--dns-add', 'x', 'web')).toEqual({
      code: 125,
      out: '',
      err: `invalid argument "x" for "--dns-add" flag: IP address is not correctly formatted: x${usage('update')}`,
    });
    expect(engine.serviceUpdates).toEqual([]);
  });

  it('has no --env-file, as docker has none on update', async () => {
    const r = await run(engineWithDetailedWeb(), 'service', 'update', '--env-file', 'x', 'web');
    expect(r).toEqual({ code: 125, out: '', err: `unknown flag: --env-file${usage('update')}` });
  });
});

describe('container flag parsers', () => {
  it("normalizes addresses as Go's net.ParseIP(s).String() does", () => {
    expect(normalizeIp('2001:0db8:0000:0000:0001:0000:0000:0001')).toBe('2001:db8::1:0:0:1');
    expect(normalizeIp('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(normalizeIp('0:0:0:0:0:0:0:1')).toBe('::1');
    expect(normalizeIp('1:0:2:3:4:5:6:7')).toBe('1:0:2:3:4:5:6:7');
    expect(normalizeIp('::')).toBe('::');
    for (const bad of ['010.0.0.1', '1.2.3', '1::2::3', '1:2:3:4:5:6:7:8::', 'fe80::1%eth0', '[::1]', '']) expect(normalizeIp(bad), bad).toBeUndefined();
  });

  it('resolves a relative mount source that starts with a dot against the working directory', () => {
    expect(parseMount('type=bind,src=./data,dst=/d', '/home/me').Source).toBe('/home/me/data');
    expect(parseMount('type=bind,src=data,dst=/d', '/home/me').Source).toBe('data');
    // bind-recursive=enabled is the default: no BindOptions, so no clash with a volume mount.
    expect(parseMount('type=volume,dst=/x,bind-recursive=enabled')).toEqual({ Type: 'volume', Target: '/x' });
  });

  it('parses generic resources as swarmkit does', () => {
    expect(parseGenericResources(['gpu=0'])).toEqual([{ DiscreteResourceSpec: { Kind: 'gpu' } }]);
    expect(() => parseGenericResources(['gpu=1', 'gpu=a'])).toThrow(
      "invalid generic resource specification: could not parse GenericResource: mixed discrete and named resources in expression 'gpu=[1 a]'",
    );
    expect(() => parseGenericResources(['gpu=1=2'])).toThrow("could not parse GenericResource: incorrect term gpu=1=2, missing '=' or malformed expression");
  });
});

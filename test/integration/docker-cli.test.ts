// The unmodified docker CLI against a shoald socket prints what it prints against Docker.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCleanup, startCluster, startDaemon, waitFor, type Cluster } from '@shoal/testkit';

registerCleanup();

let cluster: Cluster;

describe('docker CLI compatibility', () => {
  beforeAll(async () => {
    cluster = await startCluster({ size: 2, baseIp: '127.0.13.' });
  });
  afterAll(async () => {
    await cluster?.stopAll();
  });

  it('docker node ls', async () => {
    const out = (await cluster.manager.dockerOk(['node', 'ls'])).stdout;
    const [header, ...rows] = out.trimEnd().split('\n');
    expect(header).toMatch(/^ID +HOSTNAME +STATUS +AVAILABILITY +MANAGER STATUS +ENGINE VERSION$/);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/^[a-z0-9]{25} \* +manager +Ready +Active +Leader +0\.1\.0$/);
    expect(rows[1]).toMatch(/^[a-z0-9]{25}   +worker1 +Ready +Active +0\.1\.0$/);
    // Both CLIs print the same table.
    expect((await cluster.manager.cliOk(['node', 'ls'])).stdout).toBe(out);
  });

  it('docker swarm join-token', async () => {
    const out = (await cluster.manager.dockerOk(['swarm', 'join-token', 'worker'])).stdout;
    expect(out).toMatch(
      /^To add a worker to this swarm, run the following command:\n\n {4}docker swarm join --token SWMTKN-1-[a-z0-9]{50}-[a-z0-9]{25} 127\.0\.13\.1:2377\n\n$/,
    );
    const q = (await cluster.manager.dockerOk(['swarm', 'join-token', '-q', 'manager'])).stdout.trim();
    expect(q).toMatch(/^SWMTKN-1-[a-z0-9]{50}-[a-z0-9]{25}$/);
  });

  it('docker node inspect and --pretty', async () => {
    const json = JSON.parse((await cluster.manager.dockerOk(['node', 'inspect', 'self'])).stdout) as Array<{
      Description: { TLSInfo: { TrustRoot: string } };
    }>;
    expect(json).toHaveLength(1);
    expect(json[0]).toMatchObject({
      Spec: { Role: 'manager', Availability: 'active' },
      Description: { Hostname: 'manager', Engine: { EngineVersion: '0.1.0' } },
      Status: { State: 'ready', Addr: '127.0.13.1' },
      ManagerStatus: { Leader: true, Reachability: 'reachable', Addr: '127.0.13.1:2377' },
    });
    expect(json[0]?.Description.TLSInfo.TrustRoot).toContain('BEGIN CERTIFICATE');
    const pretty = (await cluster.manager.dockerOk(['node', 'inspect', '--pretty', 'worker1'])).stdout;
    expect(pretty).toMatch(/^ID:\s+[a-z0-9]{25}\nHostname:\s+worker1\n/);
    expect(pretty).toMatch(/Status:\n State:\s+Ready\n Availability:\s+Active\n Address:\s+127\.0\.13\.2\n/);
  });

  it('docker inspect and shoal inspect find a task, a service, a network and a node by reference, and agree', async () => {
    const m = cluster.manager;
    await m.dockerOk(['service', 'create', '-d', '--name', 'looked', '--constraint', 'node.role==manager', 'shoal/whoami']);
    const taskId = await waitFor(
      async () => {
        const [id = '', state] = (await m.dockerOk(['service', 'ps', '--no-trunc', '--format', '{{.ID}} {{.CurrentState}}', 'looked'])).stdout.trim().split(' ');
        return state === 'Running' ? id : undefined;
      },
      { timeoutMs: 10_000, what: 'the looked task running' },
    );
    const format = '{{.ID}}|{{.Status.State}}|{{.Slot}}|{{.Volumes}}|{{.JobIteration}}';
    const both = async (args: string[]) => {
      const [docker, shoal] = [await m.docker(args), await m.cli(args)];
      expect({ code: shoal.code, stdout: shoal.stdout, stderr: shoal.stderr }).toEqual({ code: docker.code, stdout: docker.stdout, stderr: docker.stderr });
      return docker;
    };
    const task = await both(['inspect', '-f', format, taskId]);
    expect(task.stdout).toBe(`${taskId}|running|1|[]|<nil>\n`);
    await both(['inspect', taskId, 'looked', 'ingress', 'self']); // self is a node reference only to `node inspect`
    await both(['inspect', '-f', '{{.ID}} {{.Id}}', 'ingress']);
    await both(['inspect', '-f', '{{.ID}}', 'looked', 'nosuch', 'worker1']);
    await both(['inspect', '--type', 'task', '-f', '{{.ServiceID}}', 'looked']);
    await both(['inspect', '--type', 'secret', 'x']);
    await both(['inspect', '-s', '-f', '{{.Name}}', 'ingress']);
    // A worker: the swarm kinds are skipped, a network is found.
    const w = cluster.byName('worker1');
    for (const args of [['inspect', 'looked'], ['inspect', '-f', '{{.Name}}', 'ingress']]) {
      const [docker, shoal] = [await w.docker(args), await w.cli(args)];
      expect(shoal).toMatchObject({ code: docker.code, stdout: docker.stdout, stderr: docker.stderr });
    }
    await m.dockerOk(['service', 'rm', 'looked']);
  });

  it('docker node update and a worker refusing cluster commands', async () => {
    await cluster.manager.dockerOk(['node', 'update', '--label-add', 'tier=web', 'worker1']);
    // An unknown availability or role: the daemon's text, through either CLI.
    for (const [flag, value, text] of [['--availability', 'bogus', 'invalid Availability: "bogus"'], ['--role', 'boss', 'invalid Role: "boss"']] as const) {
      for (const out of [await cluster.manager.docker(['node', 'update', flag, value, 'worker1']), await cluster.manager.cli(['node', 'update', flag, value, 'worker1'])]) {
        expect(out.code).toBe(1);
        expect(out.stderr).toBe(`Error response from daemon: ${text}\n`);
      }
    }
    // Any case, as moby's NodeSpecToGRPC (the shoal CLI lower-cases first; the docker CLI sends it as typed).
    await cluster.manager.dockerOk(['node', 'update', '--availability', 'Pause', '--role', 'WORKER', 'worker1']);
    expect((await cluster.manager.dockerOk(['node', 'inspect', '--format', '{{.Spec.Availability}} {{.Spec.Role}}', 'worker1'])).stdout).toBe('pause worker\n');
    await cluster.manager.dockerOk(['node', 'update', '--availability', 'active', 'worker1']);
    const ls = (await cluster.manager.dockerOk(['node', 'ls', '--filter', 'node.label=tier=web', '-q'])).stdout.trim().split('\n');
    expect(ls).toHaveLength(1);
    // Role filters as moby reads them: any case, an empty value ignored, an unknown one refused up front.
    expect((await cluster.manager.dockerOk(['node', 'ls', '-q', '-f', 'role=Manager'])).stdout.trim().split('\n')).toHaveLength(1);
    expect((await cluster.manager.dockerOk(['node', 'ls', '-q', '-f', 'role='])).stdout.trim().split('\n')).toHaveLength(2);
    for (const out of [await cluster.manager.docker(['node', 'ls', '-f', 'name=zzz', '-f', 'role=bogus']), await cluster.manager.cli(['node', 'ls', '-f', 'name=zzz', '-f', 'role=bogus'])]) {
      expect(out.stderr).toBe("Error response from daemon: Invalid role filter: 'bogus'\n");
    }
    // network ls: a name filter is an unanchored regular expression, as moby's filters.Args.Match.
    expect((await cluster.manager.dockerOk(['network', 'ls', '-f', 'name=^ingress$', '--format', '{{.Name}}'])).stdout).toBe('ingress\n');
    expect((await cluster.manager.dockerOk(['network', 'ls', '-f', 'name=gres', '--format', '{{.Name}}'])).stdout).toBe('ingress\n');
    const res = await cluster.byName('worker1').docker(['node', 'ls']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state.");
    // An overlay network is refused by moby's daemon itself on a worker, with its own text (403).
    const net = await cluster.byName('worker1').docker(['network', 'create', '-d', 'overlay', 'x']);
    expect(net.stderr).toBe('Error response from daemon: This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.\n');
    // A task filter naming an unknown node or service is the lookup's error, not an empty list.
    await cluster.manager.dockerOk(['service', 'create', '-d', '--name', 'psf', '--constraint', 'node.role==manager', 'shoal/whoami']);
    const ps = await cluster.manager.docker(['service', 'ps', '-f', 'node=nosuch', 'psf']);
    expect(ps.code).toBe(1);
    expect(ps.stderr).toBe('Error response from daemon: node nosuch not found\n');
    const onNode = async (node: string) => (await cluster.manager.dockerOk(['service', 'ps', '-q', '-f', `node=${node}`, 'psf'])).stdout.trim();
    await waitFor(async () => ((await onNode(cluster.manager.name)) !== '' ? true : undefined), { timeoutMs: 10_000, what: 'the psf task on the manager' });
    expect(await onNode('worker1')).toBe('');
    await cluster.manager.dockerOk(['service', 'rm', 'psf']);
    // A node in no swarm: moby's errNoManager for cluster commands, errNoSwarm for leave, and an
    // empty network list (no local networks on a process runtime).
    const lone = await startDaemon({ name: 'lone', ip: '127.0.13.9' });
    for (const args of [['node', 'ls'], ['service', 'ls'], ['swarm', 'join-token', 'worker'], ['network', 'create', '-d', 'overlay', 'x']]) {
      const out = await lone.docker(args);
      expect(out.code, args.join(' ')).toBe(1);
      expect(out.stderr).toBe('Error response from daemon: This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.\n');
    }
    expect((await lone.docker(['swarm', 'leave'])).stderr).toBe('Error response from daemon: This node is not part of a swarm\n');
    expect((await lone.dockerOk(['network', 'ls'])).stdout).toBe('NETWORK ID   NAME      DRIVER    SCOPE\n');
    await lone.stop();
    // Outside the swarm subset: a plain reason, not "page not found".
    for (const args of [['ps'], ['image', 'ls']]) {
      const out = await cluster.manager.docker(args);
      expect(out.code, args.join(' ')).toBe(1);
      expect(out.stderr).toMatch(/\/(containers|images) is not supported by Shoal: it runs swarm services' tasks as host processes/);
    }
    // No secrets or configs: they list empty (docker stack rm lists them), and creating one is refused.
    expect((await cluster.manager.dockerOk(['secret', 'ls'])).stdout).toBe('ID        NAME      DRIVER    CREATED   UPDATED\n');
    const secret = await cluster.manager.docker(['secret', 'create', 'pw', '/etc/hostname']);
    expect(secret.code).toBe(1);
    expect(secret.stderr).toContain('secrets are not supported by Shoal yet');
    expect((await cluster.manager.docker(['secret', 'rm', 'pw'])).stderr).toBe('Error response from daemon: secret pw not found\n');
    expect((await cluster.manager.docker(['config', 'rm', 'c1'])).stderr).toBe('Error response from daemon: config c1 not found\n');
  });

  it("rejects a task whose node stops meeting its constraints (swarmkit's constraint enforcer); a mode change is refused", async () => {
    const m = cluster.manager;
    await m.dockerOk(['node', 'update', '--label-add', 'zone=x', 'worker1']);
    await m.dockerOk(['service', 'create', '-d', '--name', 'zoned', '--restart-delay', '0s', '--constraint', 'node.labels.zone==x', 'shoal/whoami']);
    const ps = async () => (await m.dockerOk(['service', 'ps', '--no-trunc', '--format', '{{.Node}}|{{.CurrentState}}|{{.Error}}', 'zoned'])).stdout.trim().split('\n');
    await waitFor(async () => ((await ps()).some((l) => l.startsWith('worker1|Running')) ? true : undefined), { timeoutMs: 10_000, what: 'zoned running on worker1' });
    await m.dockerOk(['node', 'update', '--label-rm', 'zone', 'worker1']);
    const after = await waitFor(async () => {
      const lines = await ps();
      // The CLI quotes the error column.
      return lines.some((l) => l.startsWith('worker1|Rejected') && l.endsWith('|"assigned node no longer meets constraints"')) && lines.some((l) => l.startsWith('|Pending')) ? lines : undefined;
    }, { timeoutMs: 10_000, what: 'the task rejected and its replacement pending' });
    expect(after.find((l) => l.startsWith('|Pending'))).toContain('no suitable node (scheduling constraints not satisfied on 2 nodes)');
    // No CLI flag changes a mode; a stack redeploy (or any API client) sends the spec with another one.
    const svc = await m.api.get<{ ID: string; Version: { Index: number }; Spec: Record<string, unknown> }>('/v1.41/services/zoned');
    await expect(m.api.post(`/v1.41/services/${svc.ID}/update?version=${svc.Version.Index}`, { ...svc.Spec, Mode: { Global: {} } })).rejects.toThrow(
      'rpc error: code = Unimplemented desc = service mode change is not allowed',
    );
    await m.dockerOk(['service', 'rm', 'zoned']);
  });

  it('pauses a rolling update whose new task crashes, also when the service publishes a port (the task never listens)', async () => {
    const m = cluster.manager;
    await m.dockerOk(['service', 'create', '-d', '--name', 'crashy', '--replicas', '2', '-p', '8095:80', 'shoal/whoami']);
    const state = async () => (await m.dockerOk(['service', 'inspect', '--format', '{{if .UpdateStatus}}{{.UpdateStatus.State}}|{{.UpdateStatus.Message}}{{end}}', 'crashy'])).stdout.trim();
    await waitFor(async () => ((await m.dockerOk(['service', 'ls', '--format', '{{.Replicas}}', '-f', 'name=crashy'])).stdout.trim() === '2/2' ? true : undefined), {
      timeoutMs: 15_000,
      what: 'crashy running',
    });
    await m.dockerOk(['service', 'update', '-d', '--entrypoint', "sh -c 'exit 3'", 'crashy']);
    const paused = await waitFor(async () => ((await state()).startsWith('paused|') ? await state() : undefined), { timeoutMs: 15_000, what: 'the update paused' });
    expect(paused).toMatch(/^paused\|update paused due to failure or early termination of task [a-z0-9]+$/);
    await m.dockerOk(['service', 'rm', 'crashy']);
  });

  it('swarm ca prints the root CA; an external CA is refused and changes nothing; no unlock key without autolock', async () => {
    const root = (await cluster.manager.dockerOk(['swarm', 'ca'])).stdout;
    expect(root).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n$/);
    expect((await cluster.manager.cliOk(['swarm', 'ca'])).stdout).toBe(root);
    const before = (await cluster.manager.dockerOk(['swarm', 'join-token', '-q', 'worker'])).stdout;
    for (const tool of ['docker', 'shoal'] as const) {
      const run = (args: string[]) => (tool === 'docker' ? cluster.manager.docker(args) : cluster.manager.cli(args));
      const external = await run(['swarm', 'update', '--external-ca', 'protocol=cfssl,url=https://ca.example.com']);
      expect(external.code).toBe(1);
      expect(external.stderr).toContain('external CAs are not supported by Shoal');
      expect((await run(['swarm', 'unlock-key'])).stderr.trim()).toBe('no unlock key is set');
      expect((await run(['swarm', 'unlock-key', '--rotate'])).stderr.trim()).toBe('cannot rotate because autolock is not turned on');
      expect((await run(['swarm', 'unlock'])).stderr.trim()).toBe('Error: swarm is not locked');
    }
    // Straight to the API, as the CLI refuses before asking: moby's 409.
    const unlock = await cluster.manager.api.request('POST', '/swarm/unlock', { UnlockKey: 'SWMKEY-1-AAAA' });
    expect(unlock.status).toBe(409);
    expect(JSON.parse(unlock.body)).toEqual({ message: 'swarm is not locked' });
    const info = JSON.parse((await cluster.manager.dockerOk(['info', '--format', '{{json .Swarm.Cluster.Spec.EncryptionConfig}}'])).stdout) as { AutoLockManagers: boolean };
    expect(info.AutoLockManagers).toBe(false);
    expect((await cluster.manager.dockerOk(['swarm', 'ca'])).stdout).toBe(root);
    expect((await cluster.manager.dockerOk(['swarm', 'join-token', '-q', 'worker'])).stdout).toBe(before);
  });

  it('service update --publish-add and service rollback show the progress Docker shows, rollback states included', async () => {
    const m = cluster.manager;
    const monitor = ['--update-monitor', '1s', '--rollback-monitor', '1s'];
    await m.dockerOk(['service', 'create', '-d', '--name', 'ru', '--replicas', '2', ...monitor, 'shoal/whoami']);
    // Ports count for "up to date" as they do for the orchestrator: no false "task failure".
    const update = await m.dockerOk(['service', 'update', '--publish-add', '8093:80', 'ru'], { timeoutMs: 60_000 });
    expect(update.stdout).toContain('verify: Service ru converged');
    expect(update.stdout).not.toContain('Detected task failure');
    const rollback = await m.dockerOk(['service', 'rollback', 'ru'], { timeoutMs: 60_000 });
    expect(rollback.stdout).toContain('rollback: manually requested rollback');
    expect(rollback.stdout).toContain('rolling back update: 2 out of 2 tasks');
    expect(rollback.stdout).toContain('verify: Service ru converged');
    const status = JSON.parse((await m.dockerOk(['service', 'inspect', '--format', '{{json .UpdateStatus}}', 'ru'])).stdout) as { State: string; Message: string };
    expect(status).toMatchObject({ State: 'rollback_completed', Message: 'rollback completed' });
    // Scaling clears the last update's status (swarmkit) and waits for the new task.
    const scale = await m.dockerOk(['service', 'scale', 'ru=3'], { timeoutMs: 60_000 });
    expect(scale.stdout).toContain('verify: Service ru converged');
    expect((await m.dockerOk(['service', 'inspect', '--format', '{{json .UpdateStatus}}', 'ru'])).stdout.trim()).toBe('null');
    await m.dockerOk(['service', 'rm', 'ru']);
  });

  it('health checks: a task runs once a probe passes, and one that turns unhealthy fails and is replaced', async () => {
    const m = cluster.manager;
    const flag = `/tmp/shoal-health-${process.pid}-${Date.now()}`;
    writeFileSync(flag, '');
    // docker prints the error quoted (%q), as it does against Docker.
    const tasks = async () =>
      (
        JSON.parse(`[${(await m.dockerOk(['service', 'ps', '--no-trunc', '--format', '{{json .}}', 'hc'])).stdout.trim().split('\n').join(',')}]`) as Array<{
          CurrentState: string;
          DesiredState: string;
          Error: string;
        }>
      ).map((t) => ({ ...t, Error: t.Error === '' ? '' : (JSON.parse(t.Error) as string) }));
    try {
      await m.dockerOk([
        ...['service', 'create', '-d', '--name', 'hc', '--restart-delay', '100ms'],
        ...['--health-cmd', `test -f ${flag}`, '--health-interval', '200ms', '--health-retries', '2', '--health-timeout', '2s'],
        ...['busybox', 'sh', '-c', 'sleep 600'],
      ]);
      await waitFor(async () => (await tasks()).some((t) => t.CurrentState.startsWith('Running')), { timeoutMs: 15_000, what: 'a healthy task running' });
      rmSync(flag);
      // Two failed probes in a row: the task is stopped and fails as unhealthy; its replacement
      // never gets past Starting while the probe fails.
      await waitFor(async () => (await tasks()).some((t) => t.Error === 'task: non-zero exit (143): dockerexec: unhealthy container'), {
        timeoutMs: 15_000,
        what: 'the task failing as unhealthy',
      });
      await waitFor(async () => (await tasks()).some((t) => t.Error === 'dockerexec: unhealthy container'), {
        timeoutMs: 15_000,
        what: 'a replacement failing its health check before it ran',
      });
      expect((await tasks()).filter((t) => t.CurrentState.startsWith('Running'))).toEqual([]);
      writeFileSync(flag, '');
      await waitFor(async () => (await tasks()).some((t) => t.DesiredState === 'Running' && t.CurrentState.startsWith('Running')), {
        timeoutMs: 15_000,
        what: 'a healthy replacement running',
      });
    } finally {
      rmSync(flag, { force: true });
      await m.docker(['service', 'rm', 'hc']);
    }
  });

  it('docker stack deploy, ls, services, ps and rm work; a redeploy of the same file replaces no task', async () => {
    const m = cluster.manager;
    const dir = mkdtempSync(join(tmpdir(), 'shoal-stack-'));
    const file = join(dir, 'compose.yml');
    writeFileSync(
      file,
      ['services:', '  web:', '    image: shoal/whoami', '    ports: ["8098:80"]', '    networks: [front]', 'networks:', '  front:', '    driver: overlay', ''].join('\n'),
    );
    try {
      const deploy = await m.dockerOk(['stack', 'deploy', '-c', file, 'st'], { timeoutMs: 60_000 });
      expect(deploy.stdout).toContain('Creating network st_front');
      expect(deploy.stdout).toContain('Creating service st_web');
      expect((await m.dockerOk(['stack', 'ls'])).stdout).toMatch(/^NAME +SERVICES\nst +1\n/);
      const running = async () => (await m.dockerOk(['stack', 'ps', '-q', '--filter', 'desired-state=running', 'st'])).stdout.trim();
      const first = await waitFor(async () => {
        const ps = (await m.dockerOk(['stack', 'ps', '--format', '{{.Name}} {{.CurrentState}}', 'st'])).stdout;
        return /^st_web\.1 Running/m.test(ps) ? running() : undefined;
      }, { timeoutMs: 20_000, what: 'the stack task running' });
      expect((await m.dockerOk(['stack', 'services', '--format', '{{.Name}} {{.Ports}}', 'st'])).stdout).toBe('st_web *:8098->80/tcp\n');
      expect((await m.dockerOk(['stack', 'deploy', '-c', file, 'st'], { timeoutMs: 60_000 })).stdout).toContain('Updating service st_web');
      await new Promise((r) => setTimeout(r, 1_000));
      expect(await running()).toBe(first);
      const rm = await m.dockerOk(['stack', 'rm', 'st'], { timeoutMs: 60_000 });
      expect(rm.stdout).toContain('Removing service st_web');
      expect(rm.stdout).toContain('Removing network st_front');
      expect((await m.dockerOk(['service', 'ls', '-q', '--filter', 'name=st_'])).stdout).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('service --user, --stop-signal, --placement-pref and the container-only options are kept and shown; a bad signal is refused', async () => {
    const m = cluster.manager;
    const created = await m.dockerOk([
      ...['service', 'create', '-d', '--name', 'asuser', '--replicas', '0'],
      ...['--user', 'nobody', '--stop-signal', 'SIGINT', '--placement-pref', 'spread=node.labels.zone'],
      ...['--tty', '--read-only', '--init', '--log-driver', 'json-file', '--log-opt', 'max-size=10m', '--limit-pids', '100'],
      ...['--mount', 'type=bind,source=/tmp,target=/data', '--host', 'db:10.0.0.9', '--dns', '10.0.0.53', '--cap-add', 'NET_ADMIN', 'shoal/whoami'],
    ]);
    // The CLI prints the response's warnings: a mount a host process cannot have.
    expect(created.stderr).toContain("mounts are kept but not applied (/data): Shoal runs each task as a host process, which sees the host's own files");
    const spec = JSON.parse((await m.dockerOk(['service', 'inspect', '--format', '{{json .Spec.TaskTemplate}}', 'asuser'])).stdout) as {
      ContainerSpec: Record<string, unknown>;
      Placement: Record<string, unknown>;
      LogDriver: unknown;
      Resources: { Limits: Record<string, unknown> };
    };
    expect(spec.ContainerSpec).toMatchObject({
      User: 'nobody',
      StopSignal: 'SIGINT',
      TTY: true,
      ReadOnly: true,
      Init: true,
      Mounts: [{ Type: 'bind', Source: '/tmp', Target: '/data' }],
      Hosts: ['10.0.0.9 db'],
      DNSConfig: { Nameservers: ['10.0.0.53'] },
      CapabilityAdd: ['CAP_NET_ADMIN'],
    });
    expect(spec.LogDriver).toEqual({ Name: 'json-file', Options: { 'max-size': '10m' } });
    expect(spec.Resources.Limits).toEqual({ Pids: 100 });
    expect(spec.Placement['Preferences']).toEqual([{ Spread: { SpreadDescriptor: 'node.labels.zone' } }]);
    const bad = await m.docker(['service', 'create', '-d', '--name', 'badsig', '--stop-signal', 'SIGNOPE', 'shoal/whoami']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('Invalid signal: SIGNOPE');
    expect((await m.docker(['service', 'inspect', 'badsig'])).code).toBe(1);
    // Any spread descriptor is accepted, as by Docker (swarmkit's scheduler skips one that names no label).
    await m.dockerOk(['service', 'create', '-d', '--name', 'anypref', '--replicas', '0', '--placement-pref', 'spread=node.id', 'shoal/whoami']);
    const prefs = (await m.dockerOk(['service', 'inspect', '--format', '{{json .Spec.TaskTemplate.Placement.Preferences}}', 'anypref'])).stdout;
    expect(JSON.parse(prefs)).toEqual([{ Spread: { SpreadDescriptor: 'node.id' } }]);
    await m.dockerOk(['service', 'rm', 'anypref']);
    await m.dockerOk(['service', 'rm', 'asuser']);
  });

  it("reads task filters and update options as moby does: full task names, any desired state in any case, bad options refused before anything changes", async () => {
    const m = cluster.manager;
    await m.dockerOk(['service', 'create', '-d', '--name', 'flt', '--label', 'a=1', '--label', 'b', 'shoal/whoami']);
    // Label filters must all match (swarmkit's filterMatchLabels); runtime is a service filter too.
    const ls = async (...filter: string[]) => (await m.dockerOk(['service', 'ls', '--format', '{{.Name}}', ...filter.flatMap((f) => ['-f', f])])).stdout.trim();
    expect(await ls('label=a', 'label=b=')).toBe('flt');
    expect(await ls('label=a=1', 'label=nosuch')).toBe('');
    expect(await ls('runtime=container', 'name=flt')).toBe('flt');
    expect(await ls('runtime=plugin')).toBe('');
    const task = await waitFor(
      async () => {
        const tasks = JSON.parse((await m.dockerOk(['service', 'ps', '--no-trunc', '--format', '{{json .}}', 'flt'])).stdout.trim() || 'null');
        return tasks?.CurrentState?.startsWith('Running') ? (tasks as { ID: string }) : undefined;
      },
      { timeoutMs: 15_000, what: 'the running task' },
    );
    const ps = async (...filter: string[]) => (await m.dockerOk(['service', 'ps', '-q', ...filter.flatMap((f) => ['-f', f]), 'flt'])).stdout.trim();
    expect(await ps(`name=flt.1.${task.ID.slice(0, 6)}`)).toBe(task.ID);
    expect(await ps('name=flt.1.zzz')).toBe('');
    expect(await ps('desired-state=RUNNING')).toBe(task.ID);
    expect(await ps('desired-state=ready')).toBe('');
    expect(await ps('label=a=1', 'label=b')).toBe(task.ID);
    expect(await ps('label=a=1', 'label=nosuch')).toBe('');
    const bad = await m.docker(['service', 'ps', '-f', 'desired-state=bogus', 'flt']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("Invalid desired-state filter: 'bogus'");
    const tasks = async (filters: object) => m.api.request('GET', `/v1.41/tasks?filters=${encodeURIComponent(JSON.stringify(filters))}`);
    // Every value is checked, also when no task would be compared; an empty one is no filter.
    expect((await tasks({ 'desired-state': { bogus: true }, name: { nomatch: true } })).status).toBe(500);
    expect(JSON.parse((await tasks({ 'desired-state': { '': true, shutdown: true }, service: { flt: true } })).body)).toEqual([]);
    const [svc] = JSON.parse((await m.dockerOk(['service', 'inspect', 'flt'])).stdout);
    const update = (query: string) => m.api.request('POST', `/v1.41/services/flt/update?version=${svc.Version.Index}&${query}`, svc.Spec);
    const authFrom = await update('registryAuthFrom=bad');
    expect([authFrom.status, JSON.parse(authFrom.body).message]).toEqual([400, "invalid registryAuthFrom 'bad'"]);
    const rollback = await update('rollback=bogus');
    expect([rollback.status, JSON.parse(rollback.body).message]).toEqual([500, 'unrecognized rollback option bogus']);
    // Counts Go's decoder cannot read into a uint64 get its text; 2^63 and more swarmkit's.
    const create = (mode: string) =>
      m.api.request('POST', '/v1.41/services/create', JSON.parse(`{"Name":"cnt","TaskTemplate":{"ContainerSpec":{"Image":"busybox"}},"Mode":${mode}}`));
    const negative = await create('{"ReplicatedJob":{"MaxConcurrent":-1}}');
    expect([negative.status, JSON.parse(negative.body).message]).toEqual([400, 'json: cannot unmarshal number -1 into Go struct field ReplicatedJob.Mode.ReplicatedJob.MaxConcurrent of type uint64']);
    expect((await create('{"Replicated":{"Replicas":18446744073709551616}}')).status).toBe(400);
    const huge = await create('{"Replicated":{"Replicas":9223372036854775808}}');
    expect(JSON.parse(huge.body).message).toBe('rpc error: code = InvalidArgument desc = Number of replicas must be non-negative');
    expect((await m.docker(['service', 'inspect', 'cnt'])).code).toBe(1);
    const [after] = JSON.parse((await m.dockerOk(['service', 'inspect', 'flt'])).stdout);
    expect(after.Version).toEqual(svc.Version);
    expect(after.PreviousSpec).toBeUndefined();
    await m.dockerOk(['service', 'rm', 'flt']);
  });

  it('runs swarm jobs to completion: create waits for them, ls/ps/inspect show them as Docker does, an update runs them again', async () => {
    const m = cluster.manager;
    // 3 completions, at most 2 at a time; docker waits (no -d) until the job completes.
    const created = await m.dockerOk(['service', 'create', '--name', 'batch', '--mode', 'replicated-job', '--replicas', '3', '--max-concurrent', '2', 'busybox', 'sh', '-c', 'sleep 0.3']);
    // Off a terminal docker prints the lines without a bar: the active tasks, then the end.
    expect(created.stdout).toMatch(/^[a-z0-9]{25}\nactive tasks: 0 out of 2 tasks\n1\/3: +\n2\/3: +\n3\/3: +\n/);
    expect(created.stdout).toContain('active tasks: 2 out of 2 tasks\n');
    expect(created.stdout.trimEnd()).toMatch(/active tasks: 0 out of 0 tasks\njob complete$/);
    const ls = (await m.dockerOk(['service', 'ls', '--filter', 'name=batch'])).stdout;
    expect(ls).toMatch(/\n[a-z0-9]{12} +batch +replicated job +0\/2 \(3\/3 completed\) +busybox:latest/);
    const ps = (await m.dockerOk(['service', 'ps', 'batch', '--format', '{{.Name}} {{.DesiredState}} {{.CurrentState}}'])).stdout.trim().split('\n');
    expect(ps).toHaveLength(3);
    for (const row of ps) expect(row).toMatch(/^batch\.\S+ Complete Complete .* ago$/);
    const [svc] = JSON.parse((await m.dockerOk(['service', 'inspect', 'batch'])).stdout);
    expect(svc.Spec.Mode).toEqual({ ReplicatedJob: { MaxConcurrent: 2, TotalCompletions: 3 } });
    // docker inspects with insertDefaults, which fills a job's update and rollback configs too
    // (swarmkit's InterpolateService); the stored spec has neither.
    expect(svc.Spec.UpdateConfig).toEqual({ Parallelism: 1, FailureAction: 'pause', Monitor: 5e9, MaxFailureRatio: 0, Order: 'stop-first' });
    expect(svc.Spec.RollbackConfig).toEqual(svc.Spec.UpdateConfig);
    const raw = await m.api.get<{ Spec: Record<string, unknown> }>('/v1.41/services/batch');
    expect(raw.Spec).not.toHaveProperty('UpdateConfig');
    expect(raw.Spec).not.toHaveProperty('RollbackConfig');
    expect(svc.JobStatus.JobIteration).toEqual({}); // Index 0: docker's Version omits an empty index
    expect(Date.parse(svc.JobStatus.LastExecution)).toBeGreaterThan(Date.now() - 60_000);
    // A scale changes the completions wanted and runs the whole job again, as its next iteration.
    const scaled = await m.dockerOk(['service', 'scale', 'batch=4']);
    expect(scaled.stdout.trimEnd()).toMatch(/job complete$/);
    const [again] = JSON.parse((await m.dockerOk(['service', 'inspect', 'batch'])).stdout);
    expect(again.JobStatus.JobIteration).toEqual({ Index: 1 });
    expect((await m.dockerOk(['service', 'ls', '--filter', 'name=batch'])).stdout).toContain('0/2 (4/4 completed)');
    // A global job runs once on each node; Shoal's own CLI waits for it the same way.
    const global = await m.cliOk(['service', 'create', '--name', 'everywhere', '--mode', 'global-job', 'busybox', 'true']);
    expect(global.stdout.trimEnd()).toMatch(/job complete$/);
    expect((await m.dockerOk(['service', 'ls', '--filter', 'name=everywhere'])).stdout).toMatch(/everywhere +global job +0\/0 \(2\/2 completed\)/);
    // A failing task is restarted under the restart policy; with none, the job ends unfinished.
    await m.dockerOk(['service', 'create', '-d', '--name', 'broken', '--mode', 'replicated-job', '--restart-condition', 'none', 'busybox', 'sh', '-c', 'exit 3']);
    await waitFor(async () => (await m.dockerOk(['service', 'ps', 'broken', '--format', '{{.CurrentState}} {{.Error}}'])).stdout.includes('Failed'), {
      timeoutMs: 15_000,
      what: 'the failed job task',
    });
    expect((await m.dockerOk(['service', 'ps', 'broken', '--format', '{{.Error}}'])).stdout.trim()).toBe('"task: non-zero exit (3)"');
    expect((await m.dockerOk(['service', 'ls', '--filter', 'name=broken'])).stdout).toContain('0/1 (0/1 completed)');
    // Bad input changes nothing.
    const bad = await m.docker(['service', 'create', '-d', '--name', 'badjob', '--mode', 'global-job', '--max-concurrent', '2', 'busybox', 'true']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('max-concurrent can only be used with replicated-job mode');
    // A job takes a rollback config (kept and shown) but no update config (swarmkit's text).
    await m.dockerOk(['service', 'update', '-d', '--rollback-parallelism', '2', 'everywhere']);
    expect(JSON.parse((await m.dockerOk(['service', 'inspect', 'everywhere', '--format', '{{json .Spec.RollbackConfig}}'])).stdout)).toMatchObject({ Parallelism: 2 });
    const updateConfig = await m.docker(['service', 'update', '-d', '--update-parallelism', '2', 'everywhere']);
    expect(updateConfig.code).toBe(1);
    expect(updateConfig.stderr).toContain('rpc error: code = InvalidArgument desc = Jobs may not have an update config');
    for (const name of ['batch', 'everywhere', 'broken']) await m.dockerOk(['service', 'rm', name]);
  });
});

import { EngineApiError } from '@shoal/api';
import { describe, expect, it } from 'vitest';
import { buildNode } from '../test-support/builders';
import { FakeEngine, run, runWithIo } from '../test-support/fake-engine';
import { buildNetwork, buildService, buildTask } from '../test-support/swarm-builders';

const HOUR = 3600_000;
const ago = (ms: number): string => new Date(Date.now() - ms).toISOString();

describe('service create', () => {
  it("sends docker's ServiceSpec and prints the new ID", async () => {
    const engine = new FakeEngine();
    const r = await run(
      engine,
      ...['service', 'create', '-d', '--name', 'web', '--replicas', '2', '-p', '8080:80', '--publish', 'published=53,target=53,protocol=udp'],
      ...['-e', 'A=1', '--env', 'B=2', '-e', 'A=3', '--constraint', 'node.role==worker', '--constraint', 'node.labels.zone==east'],
      ...['--label', 'tier=front', '--container-label', 'c=1', '-w', '/srv', '--hostname', 'h', '--restart-condition', 'on-failure'],
      ...['--update-parallelism', '2', '--update-delay', '10s', '--limit-cpu', '0.5', '--limit-memory', '64m', '--stop-grace-period', '3s'],
      ...['--health-cmd', 'curl -f localhost', '--replicas-max-per-node', '1', '--endpoint-mode', 'VIP', 'nginx'],
    );
    expect(r).toEqual({ code: 0, out: 'svc-new-id-0000000000000\n', err: '' });
    expect(engine.calls).toEqual(['serviceCreate']);
    expect(engine.created[0]).toEqual({
      Name: 'web',
      Labels: { tier: 'front' },
      TaskTemplate: {
        ContainerSpec: {
          Image: 'nginx:latest',
          Labels: { c: '1' },
          Hostname: 'h',
          Env: ['B=2', 'A=3'],
          Dir: '/srv',
          Init: false,
          StopGracePeriod: 3e9,
          Healthcheck: { Test: ['CMD-SHELL', 'curl -f localhost'] },
          DNSConfig: {},
        },
        Resources: { Limits: { NanoCPUs: 5e8, MemoryBytes: 64 * 1024 * 1024 }, Reservations: {} },
        RestartPolicy: { Condition: 'on-failure', Delay: 5e9, MaxAttempts: 0 },
        Placement: { Constraints: ['node.role==worker', 'node.labels.zone==east'], MaxReplicas: 1 },
        ForceUpdate: 0,
      },
      Mode: { Replicated: { Replicas: 2 } },
      UpdateConfig: { Parallelism: 2, Delay: 10e9, FailureAction: 'pause', Monitor: 5e9, MaxFailureRatio: 0, Order: 'stop-first' },
      EndpointSpec: {
        Mode: 'vip',
        Ports: [
          { Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' },
          { Protocol: 'udp', TargetPort: 53, PublishedPort: 53, PublishMode: 'ingress' },
        ],
      },
    });
  });

  it('puts COMMAND ARG... in Args and --entrypoint in Command; flags after IMAGE are arguments', async () => {
    const engine = new FakeEngine();
    await run(engine, 'service', 'create', '-d', '--entrypoint', 'sh -c', 'alpine', 'ping', '-c', '3', '--name', 'x');
    const c = engine.created[0]?.TaskTemplate.ContainerSpec;
    expect(c?.Command).toEqual(['sh', '-c']);
    expect(c?.Args).toEqual(['ping', '-c', '3', '--name', 'x']);
    expect(engine.created[0]?.Name).toBe('');
    expect(engine.created[0]?.Mode).toEqual({ Replicated: {} });
  });

  it('takes a bare -e KEY from the environment and attaches networks by ID', async () => {
    const engine = new FakeEngine();
    engine.networks = [buildNetwork((n) => ((n.Name = 'backend'), (n.Id = 'net-backend-id'), (n.Ingress = false)))];
    const r = await runWithIo(engine, { env: { FOO: 'bar' } }, 'service', 'create', '-d', '-e', 'FOO', '-e', 'NOPE', '--network', 'backend', '--mode', 'global', 'nginx:1.25');
    expect(r.code).toBe(0);
    const spec = engine.created[0];
    expect(spec?.TaskTemplate.ContainerSpec?.Env).toEqual(['FOO=bar', 'NOPE']);
    expect(spec?.TaskTemplate.Networks).toEqual([{ Target: 'net-backend-id' }]);
    expect(spec?.Mode).toEqual({ Global: {} });
    expect(engine.calls).toEqual(['networkInspect(backend,swarm)', 'serviceCreate']);
  });

  it("refuses what docker's client refuses, before any call", async () => {
    const engine = new FakeEngine();
    const global = await run(engine, 'service', 'create', '--replicas', '2', '--mode', 'global', 'nginx');
    expect(global).toEqual({ code: 1, out: '', err: 'replicas can only be used with replicated or replicated-job mode\n' });
    const mode = await run(engine, 'service', 'create', '--mode', 'daemon', 'nginx');
    expect(mode.err).toBe('Unknown mode: daemon, only replicated and global supported\n');
    const health = await run(engine, 'service', 'create', '--no-healthcheck', '--health-cmd', 'x', 'nginx');
    expect(health.code).toBe(1);
    expect(health.err).toBe('--no-healthcheck conflicts with --health-* options\n');
    expect(engine.calls).toEqual([]);
  });

  it("reports bad flag values as pflag does, exit 125", async () => {
    const engine = new FakeEngine();
    const replicas = await run(engine, 'service', 'create', '--replicas', 'x', 'nginx');
    expect(replicas.code).toBe(125);
    expect(replicas.err).toBe(
      'invalid argument "x" for "--replicas" flag: strconv.ParseUint: parsing "x": invalid syntax\n\n' +
        "Usage:  shoal service create [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun 'shoal service create --help' for more information\n",
    );
    const publish = await run(engine, 'service', 'create', '-p', '80:abc', 'nginx');
    expect(publish.err.split('\n')[0]).toBe('invalid argument "80:abc" for "-p, --publish" flag: invalid containerPort: abc');
    const delay = await run(engine, 'service', 'create', '--restart-delay', '5', 'nginx');
    expect(delay.err.split('\n')[0]).toBe('invalid argument "5" for "--restart-delay" flag: time: missing unit in duration "5"');
    const label = await run(engine, 'service', 'create', '--label', '=x', 'nginx');
    expect(label.err.split('\n')[0]).toBe('invalid argument "=x" for "-l, --label" flag: invalid label \'=x\': empty name');
    expect(engine.calls).toEqual([]);
  });

  it('needs an image', async () => {
    const r = await run(new FakeEngine(), 'service', 'create');
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      "shoal: 'shoal service create' requires at least 1 argument\n\nUsage:  shoal service create [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nSee 'shoal service create --help' for more information\n",
    );
  });
});

function withServices(): FakeEngine {
  const engine = new FakeEngine();
  engine.services = [
    buildService((s) => {
      s.ID = 'w3bs3rv1c3id0000000000000';
      s.Spec.Name = 'web';
      s.Spec.Mode = { Replicated: { Replicas: 3 } };
      s.Spec.TaskTemplate.ContainerSpec = { Image: 'nginx:latest@sha256:0123456789abcdef0123456789abcdef' };
      s.Endpoint = { Spec: {}, Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' }] };
      s.ServiceStatus = { RunningTasks: 2, DesiredTasks: 3, CompletedTasks: 0 };
    }),
    buildService((s) => {
      s.ID = 'ag3nts3rv1c3id00000000000';
      s.Spec.Name = 'agent';
      s.Spec.Mode = { Global: {} };
      s.Spec.TaskTemplate.ContainerSpec = { Image: 'shoal/whoami:latest' };
      s.ServiceStatus = { RunningTasks: 2, DesiredTasks: 2, CompletedTasks: 0 };
    }),
  ];
  engine.nodes = [
    buildNode((n) => ((n.ID = 'node1id'), (n.Description.Hostname = 'manager1'), (n.Spec.Name = ''))),
    buildNode((n) => ((n.ID = 'node2id'), (n.Description.Hostname = 'worker1'), (n.Spec.Name = ''))),
  ];
  return engine;
}

describe('service ls', () => {
  it('lists with running/desired counts from ?status=true, sorted by name', async () => {
    const engine = withServices();
    const r = await run(engine, 'service', 'ls');
    expect(r.out).toBe(
      'ID             NAME      MODE         REPLICAS   IMAGE                 PORTS\n' +
        'ag3nts3rv1c3   agent     global       2/2        shoal/whoami:latest   \n' +
        'w3bs3rv1c3id   web       replicated   2/3        nginx:latest          *:8080->80/tcp\n',
    );
    expect(engine.calls).toEqual(['serviceList(,status)']);
  });

  it('sends filters and skips the status with -q', async () => {
    const engine = withServices();
    const r = await run(engine, 'service', 'ls', '-q', '-f', 'mode=global', '--filter', 'label=a=b');
    expect(r.out).toBe('ag3nts3rv1c3\nw3bs3rv1c3id\n');
    expect(engine.calls).toEqual(['serviceList({"label":{"a=b":true},"mode":{"global":true}})']);
  });
});

describe('service ps', () => {
  function withTasks(): FakeEngine {
    const engine = withServices();
    engine.tasks = [
      buildTask((t) => {
        t.ID = 'newtask00000000000000000a';
        t.ServiceID = 'w3bs3rv1c3id0000000000000';
        t.NodeID = 'node1id';
        t.CreatedAt = ago(HOUR);
        t.Spec.ContainerSpec = { Image: 'nginx:latest@sha256:0123456789abcdef0123456789abcdef' };
        t.Status = { State: 'running', Timestamp: ago(2 * 60_000), Message: 'started' };
      }),
      buildTask((t) => {
        t.ID = 'oldtask00000000000000000b';
        t.ServiceID = 'w3bs3rv1c3id0000000000000';
        t.NodeID = 'node2id';
        t.CreatedAt = ago(2 * HOUR);
        t.Spec.ContainerSpec = { Image: 'nginx:1.24' };
        t.DesiredState = 'shutdown';
        t.Status = { State: 'failed', Timestamp: ago(HOUR + 60_000), Message: 'failed', Err: 'task: non-zero exit (137): killed by the OOM killer' };
      }),
      buildTask((t) => {
        t.ID = 'slot2task000000000000000c';
        t.ServiceID = 'w3bs3rv1c3id0000000000000';
        t.Slot = 2;
        t.NodeID = '';
        t.CreatedAt = ago(HOUR);
        t.Spec.ContainerSpec = { Image: 'nginx:latest' };
        t.Status = { State: 'pending', Timestamp: ago(30_000), Message: 'pending', Err: 'no suitable node (insufficient resources on 2 nodes)' };
      }),
    ];
    return engine;
  }

  it('prints history under its slot, resolves names and truncates errors', async () => {
    const engine = withTasks();
    const r = await run(engine, 'service', 'ps', 'web');
    expect(r.out).toBe(
      'ID             NAME        IMAGE          NODE       DESIRED STATE   CURRENT STATE              ERROR                              PORTS\n' +
        'newtask00000   web.1       nginx:latest   manager1   Running         Running 2 minutes ago                                         \n' +
        'oldtask00000    \\_ web.1   nginx:1.24     worker1    Shutdown        Failed about an hour ago   "task: non-zero exit (137): ki…"   \n' +
        'slot2task000   web.2       nginx:latest              Running         Pending 30 seconds ago     "no suitable node (insufficien…"   \n',
    );
    expect(engine.calls).toEqual([
      'serviceList({"id":{"web":true}})',
      'serviceList({"name":{"web":true}})',
      'taskList({"service":{"w3bs3rv1c3id0000000000000":true}})',
      'serviceInspect(w3bs3rv1c3id0000000000000)',
      'nodeInspect(node1id)',
      'nodeInspect(node2id)',
    ]);
  });

  it('prints full IDs with -q and full errors with --no-trunc', async () => {
    const q = await run(withTasks(), 'service', 'ps', '-q', 'web');
    expect(q.out).toBe('newtask00000000000000000a\noldtask00000000000000000b\nslot2task000000000000000c\n');
    const full = await run(withTasks(), 'service', 'ps', '--no-trunc', '--format', '{{.Error}}', 'web');
    expect(full.out).toContain('"task: non-zero exit (137): killed by the OOM killer"');
  });

  it('resolves the node filter and reports services it could not find', async () => {
    const engine = withTasks();
    engine.infoData.Swarm.NodeID = 'node1id';
    const r = await run(engine, 'service', 'ps', '-q', '-f', 'node=self', '-f', 'desired-state=running', 'web', 'nope');
    expect(r.code).toBe(1);
    expect(r.err).toBe('no such service: nope\n');
    expect(engine.calls).toContain(
      'taskList({"desired-state":{"running":true},"node":{"node1id":true},"service":{"w3bs3rv1c3id0000000000000":true}})',
    );
    const none = await run(withTasks(), 'service', 'ps', 'x', 'y');
    expect(none).toEqual({ code: 1, out: '', err: 'no such service: x\nno such service: y\n' });
  });
});

describe('node ps', () => {
  it('lists the tasks of this node by default', async () => {
    const engine = withServices();
    engine.infoData.Swarm.NodeID = 'node1id';
    engine.tasks = [buildTask((t) => ((t.ID = 'task1id000000000000000000'), (t.ServiceID = 'ag3nts3rv1c3id00000000000'), (t.Slot = 0), (t.NodeID = 'node1id')))];
    const r = await run(engine, 'node', 'ps', '--format', '{{.ID}} {{.Name}} {{.Node}}');
    expect(r.out).toBe('task1id00000 agent.node1id manager1\n');
    expect(engine.calls.slice(0, 3)).toEqual(['info', 'nodeInspect(node1id)', 'taskList({"node":{"node1id":true}})']);
  });

  it('prints what it found, then the errors', async () => {
    const engine = withServices();
    engine.tasks = [buildTask((t) => ((t.ID = 'task1id000000000000000000'), (t.ServiceID = 'ag3nts3rv1c3id00000000000')))];
    const r = await run(engine, 'node', 'ps', '-q', 'node1id', 'ghost');
    expect(r).toEqual({ code: 1, out: 'task1id00000\n', err: 'Error response from daemon: node ghost not found\n' });
  });
});

describe('service inspect', () => {
  it('prints JSON with defaults inserted, then docker-worded errors', async () => {
    const engine = withServices();
    const r = await run(engine, 'service', 'inspect', '--format', '{{.Spec.Name}}', 'web', 'nope');
    expect(r).toEqual({ code: 1, out: 'web\n', err: 'Error: no such service: nope\n' });
    expect(engine.calls).toEqual(['serviceInspect(web,defaults)', 'serviceInspect(nope,defaults)']);
    const json = await run(withServices(), 'service', 'inspect', 'agent');
    expect(json.out.startsWith('[\n    {\n        "ID": "ag3nts3rv1c3id00000000000",')).toBe(true);
  });

  it('fails on a field the Go types do not have, as docker does, and prints an empty one as before', async () => {
    expect(await run(withServices(), 'service', 'inspect', '--format', '{{.ID}} {{.Nope}}', 'web')).toEqual({
      code: 1,
      out: '\n', // docker's TemplateInspector.Flush: nothing printed is an empty line
      err: 'template parsing error: template: :1:10: executing "" at <.Nope>: can\'t evaluate field Nope in type swarm.Service\n',
    });
    // A nil pointer of swarm.Service prints <nil>; a map's missing key is no value, but `index`
    // on a map[string]string gives its zero value, "" (Go's text/template).
    expect((await run(withServices(), 'service', 'inspect', '--format', '{{.Spec.Name}} {{.JobStatus}} {{.Spec.Labels.none}}', 'web')).out).toBe('web <nil> <no value>\n');
    expect((await run(withServices(), 'service', 'inspect', '--format', '[{{index .Spec.Labels "none"}}] {{json .UpdateStatus}} {{if .PreviousSpec}}prev{{else}}none{{end}}', 'web')).out).toBe(
      '[] null none\n',
    );
  });

  it("prints a version through swarm.Version's String(), and keeps its fields for .Index and json", async () => {
    const engine = withServices();
    const web = engine.services.find((s) => s.Spec.Name === 'web')!;
    web.Version = { Index: 461 };
    expect((await run(engine, 'service', 'inspect', '--format', '{{.Version}} {{.Version.Index}} {{json .Version}}', 'web')).out).toBe('461 461 {"Index":461}\n');
  });

  it('prints times as Go prints a time.Time, and json keeps the API text', async () => {
    const engine = withServices();
    const web = engine.services.find((s) => s.Spec.Name === 'web')!;
    web.CreatedAt = '2026-11-27T19:26:23.034Z';
    web.UpdatedAt = '2026-11-27T19:26:23.000000000Z';
    expect((await run(engine, 'service', 'inspect', '--format', '{{.CreatedAt}}|{{.UpdatedAt}}|{{json .CreatedAt}}|{{.Spec.Name}}', 'web')).out).toBe(
      '2026-11-27 19:26:23.034 +0000 UTC|2026-11-27 19:26:23 +0000 UTC|"2026-11-27T19:26:23.034Z"|web\n',
    );
  });

  it('prints the pretty format and refuses mixing it with --format', async () => {
    const r = await run(withServices(), 'service', 'inspect', '--pretty', 'web');
    expect(r.out.startsWith('\nID:\t\tw3bs3rv1c3id0000000000000\nName:\t\tweb\nService Mode:\tReplicated\n Replicas:\t3\nPlacement:\n')).toBe(true);
    const both = await run(withServices(), 'service', 'inspect', '--pretty', '--format', '{{.ID}}', 'web');
    expect(both).toEqual({ code: 1, out: '', err: '--format is incompatible with human friendly format\n' });
    const missing = await run(withServices(), 'service', 'inspect', '--pretty', 'web', 'nope');
    expect(missing).toEqual({ code: 1, out: '', err: 'Error: no such service: nope\n' });
  });
});

describe('service rm', () => {
  it('prints each removed reference and the daemon errors after', async () => {
    const engine = withServices();
    const r = await run(engine, 'service', 'rm', 'web', 'nope', 'agent');
    expect(r).toEqual({ code: 1, out: 'web\nagent\n', err: 'Error response from daemon: service nope not found\n' });
  });

  it('shows the daemon error when not a manager', async () => {
    const engine = withServices();
    engine.failWith = new EngineApiError(503, 'This node is not a swarm manager.');
    expect((await run(engine, 'service', 'ls')).err).toBe('Error response from daemon: This node is not a swarm manager.\n');
  });
});

describe('service ls against a daemon without ServiceStatus', () => {
  it('counts running tasks on live nodes itself, as docker does for API < 1.41', async () => {
    const engine = withServices();
    for (const s of engine.services) delete s.ServiceStatus;
    engine.nodes[1]!.Status.State = 'down';
    engine.tasks = [
      buildTask((t) => ((t.ServiceID = 'w3bs3rv1c3id0000000000000'), (t.NodeID = 'node1id'))),
      buildTask((t) => ((t.ServiceID = 'w3bs3rv1c3id0000000000000'), (t.NodeID = 'node2id'))),
      buildTask((t) => ((t.ServiceID = 'w3bs3rv1c3id0000000000000'), (t.DesiredState = 'shutdown'), (t.Status.State = 'failed'))),
    ];
    const r = await run(engine, 'service', 'ls', '--format', '{{.Name}} {{.Replicas}}');
    expect(r.out).toBe('agent 0/0\nweb 1/2\n');
    expect(engine.calls).toEqual([
      'serviceList(,status)',
      'taskList({"service":{"ag3nts3rv1c3id00000000000":true,"w3bs3rv1c3id0000000000000":true}})',
      'nodeList({})',
    ]);
  });
});

describe('--format with a field the row does not have', () => {
  it('fails as docker does (the context is a Go struct), in lists of services, nodes, tasks and networks', async () => {
    const at = (type: string, field: string, col: number) =>
      `template parsing error: template: :1:${col}: executing "" at <.${field}>: can't evaluate field ${field} in type ${type}\n`;
    expect(await run(withServices(), 'service', 'ls', '--format', '{{.Name}}\t{{.Nope}}')).toEqual({ code: 1, out: '', err: at('*service.serviceContext', 'Nope', 12) });
    expect(await run(withServices(), 'service', 'ls', '--format', 'table {{.Name}}\n{{.Bad}}')).toMatchObject({ code: 1, err: at('*service.serviceContext', 'Bad', 2).replace(':1:2:', ':2:2:') });
    const nodes = new FakeEngine();
    nodes.nodes = [buildNode((n) => (n.ID = 'node1id'))];
    expect(await run(nodes, 'node', 'ls', '--format', '{{if .Self}}x{{else}}{{.Host}}{{end}}')).toMatchObject({ code: 1, err: at('*node.nodeContext', 'Host', 23) });
    const tasks = withServices();
    tasks.tasks = [buildTask((t) => (t.ID = 'task1id000000000000000000'))];
    expect(await run(tasks, 'service', 'ps', '--format', '{{.Slot}}', 'web')).toMatchObject({ code: 1, err: at('*task.taskContext', 'Slot', 2) });
    const networks = new FakeEngine();
    networks.networks = [buildNetwork()];
    expect(await run(networks, 'network', 'ls', '--format', '{{.Nope}}')).toMatchObject({ code: 1, err: at('*network.networkContext', 'Nope', 2) });
    expect((await run(withServices(), 'service', 'ls', '--format', '{{.Name}} {{.Replicas}}')).code).toBe(0);
  });
});


import { describe, expect, it } from 'vitest';
import { goTime } from './mapping';
import { fromEngineServiceSpec, toEnginePort, toEngineService, toEngineServiceSpec, toEngineTask } from './service-mapping';

const spec = { Name: 'web', TaskTemplate: { ContainerSpec: { Image: 'nginx' } } };

describe('fromEngineServiceSpec: the values moby itself refuses', () => {
  it("refuses unknown restart conditions, update/rollback failure actions and orders, and endpoint modes with moby's texts", () => {
    const cases: Array<[object, string]> = [
      [{ TaskTemplate: { ContainerSpec: { Image: 'nginx' }, RestartPolicy: { Condition: 'bogus' } } }, 'invalid RestartCondition: "bogus"'],
      [{ UpdateConfig: { FailureAction: 'bogus' } }, 'unrecognized update failure action bogus'],
      [{ RollbackConfig: { FailureAction: 'explode' } }, 'unrecognized update failure action explode'],
      [{ UpdateConfig: { Order: 'sideways' } }, 'unrecognized update order sideways'],
      [{ EndpointSpec: { Mode: 'bogus' } }, 'invalid resolution mode: "bogus"'],
    ];
    for (const [patch, message] of cases) expect(() => fromEngineServiceSpec({ ...spec, ...patch })).toThrow(message);
  });

  it('reads empty values as the defaults', () => {
    const s = fromEngineServiceSpec({
      ...spec,
      TaskTemplate: { ContainerSpec: { Image: 'nginx' }, RestartPolicy: { Condition: '' } },
      UpdateConfig: { FailureAction: '', Order: '' },
      EndpointSpec: { Mode: '' },
    } as never);
    expect(s.task.restart.condition).toBe('any');
    expect(s.update).toMatchObject({ failureAction: 'pause', order: 'stop-first' });
    expect(s.endpoint.mode).toBe('vip');
  });
});

describe('the spec as the API gives it back', () => {
  it('keeps the platforms a client sent, and adds none when it sent none', () => {
    const platforms = [{ Architecture: 'amd64', OS: 'linux' }, { Architecture: 'arm64', OS: 'linux' }];
    const withPlatforms = fromEngineServiceSpec({ ...spec, TaskTemplate: { ContainerSpec: { Image: 'nginx' }, Placement: { Platforms: platforms } } });
    expect(toEngineServiceSpec(withPlatforms).TaskTemplate?.Placement?.Platforms).toEqual(platforms);
    expect(toEngineServiceSpec(fromEngineServiceSpec(spec)).TaskTemplate?.Placement).not.toHaveProperty('Platforms');
  });

  it("leaves out a zero update Delay, as moby's omitempty does", () => {
    const out = toEngineServiceSpec(fromEngineServiceSpec(spec));
    expect(out.UpdateConfig).not.toHaveProperty('Delay');
    expect(out.RollbackConfig).toMatchObject({ Parallelism: 1, FailureAction: 'pause', Order: 'stop-first' });
    expect(toEngineServiceSpec(fromEngineServiceSpec({ ...spec, UpdateConfig: { Delay: 2e9 } })).UpdateConfig?.Delay).toBe(2e9);
  });
});

describe('health checks through the API', () => {
  it('keeps settings without a test and sub-millisecond durations exactly, StartInterval included', () => {
    const s = fromEngineServiceSpec({
      ...spec,
      TaskTemplate: { ContainerSpec: { Image: 'nginx', Healthcheck: { Interval: 2_000_000_000, Retries: 3, StartInterval: 1_500_000, Timeout: 100_000 } } },
    });
    expect(s.task.container.healthcheck).toEqual({ test: [], intervalMs: 2000, retries: 3, startIntervalMs: 1.5, timeoutMs: 0.1 });
    expect(toEngineServiceSpec(s).TaskTemplate.ContainerSpec?.Healthcheck).toEqual({ Interval: 2_000_000_000, Retries: 3, StartInterval: 1_500_000, Timeout: 100_000 });
    expect(fromEngineServiceSpec(spec).task.container.healthcheck).toBeUndefined();
  });
});

describe('endpoint and port status', () => {
  const port = { protocol: 'tcp' as const, targetPort: 80, publishedPort: 8080, publishMode: 'ingress' as const };
  const hostPort = { ...port, publishedPort: 8102, publishMode: 'host' as const };
  const meta = { version: 1, createdAt: '2026-11-27T00:00:00Z', updatedAt: '2026-11-27T00:00:00Z' };

  it("gives a service's VIP inside the ingress subnet (the swarm's address pool)", () => {
    const s = { ...meta, id: 'svc1', spec: fromEngineServiceSpec(spec), endpoint: { ports: [port] } } as never;
    const vip = toEngineService(s, { id: 'ing', subnet: '10.20.0.0/26' }).Endpoint?.VirtualIPs?.[0];
    expect(vip?.NetworkID).toBe('ing');
    const [addr, bits] = (vip?.Addr ?? '').split('/');
    expect(bits).toBe('26');
    const last = Number(addr?.split('.')[3]);
    expect(addr?.startsWith('10.20.0.')).toBe(true);
    expect(last).toBeGreaterThanOrEqual(2);
    expect(last).toBeLessThanOrEqual(62);
  });

  it('shows host-mode ports only for a task its node started, not one still pending', () => {
    const task = (nodeId: string, state: string) =>
      ({ ...meta, id: 't', serviceId: 'svc1', slot: 1, nodeId, spec: fromEngineServiceSpec(spec).task, endpointPorts: [hostPort], labels: {}, desiredState: 'running', status: { state, timestamp: meta.createdAt, message: '' } }) as never;
    expect(toEngineTask(task('', 'pending')).Status.PortStatus).toEqual({});
    expect(toEngineTask(task('n1', 'running')).Status.PortStatus?.Ports).toEqual([{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8102, PublishMode: 'host' }]);
    expect(toEngineTask(task('n1', 'complete')).Status.PortStatus).toEqual({}); // released when it stopped
  });

  it("writes a task as moby does: no Name, a container status only once its container exists (all three fields), Volumes null, Go's times", () => {
    const task = (nodeId: string, state: string, extra: object = {}) =>
      ({ ...meta, createdAt: '2026-11-27T00:00:00.470Z', id: 't', serviceId: 'svc1', slot: 1, nodeId, spec: fromEngineServiceSpec(spec).task, endpointPorts: [], labels: {}, desiredState: 'running', status: { state, timestamp: '2026-11-27T00:00:01.000Z', message: '', ...extra } }) as never;
    const pending = toEngineTask(task('', 'pending'));
    expect(pending).not.toHaveProperty('Name');
    expect(pending.Status).not.toHaveProperty('ContainerStatus');
    expect(pending).toMatchObject({ Volumes: null, CreatedAt: '2026-11-27T00:00:00.47Z', Status: { Timestamp: '2026-11-27T00:00:01Z' } });
    expect(toEngineTask(task('n1', 'running', { pid: 42 })).Status.ContainerStatus).toEqual({ ContainerID: 't', PID: 42, ExitCode: 0 });
    expect(toEngineTask(task('n1', 'failed', { exitCode: 3 })).Status.ContainerStatus).toEqual({ ContainerID: 't', PID: 0, ExitCode: 3 });
  });

  it('leaves out a published port of 0 (omitempty), and keeps Init only when it was given, false included', () => {
    const s = (init: boolean | undefined) =>
      ({ ...meta, id: 'svc1', spec: fromEngineServiceSpec({ ...spec, TaskTemplate: { ContainerSpec: { Image: 'x', ...(init === undefined ? {} : { Init: init }) } } }), endpoint: { ports: [] } }) as never;
    expect(toEngineService(s(undefined), undefined).Spec.TaskTemplate.ContainerSpec).not.toHaveProperty('Init');
    expect(toEngineService(s(false), undefined).Spec.TaskTemplate.ContainerSpec?.Init).toBe(false);
    expect(toEngineService(s(true), undefined).Spec.TaskTemplate.ContainerSpec?.Init).toBe(true);
    expect(toEnginePort({ ...port, publishedPort: 0 })).toEqual({ Protocol: 'tcp', TargetPort: 80, PublishMode: 'ingress' });
  });
});

describe("moby's ServiceSpecToGRPC checks", () => {
  const withTemplate = (template: object) => fromEngineServiceSpec({ Name: 'x', TaskTemplate: template } as never);

  it('needs a ContainerSpec for the container runtime, refuses plugins and unknown runtimes', () => {
    expect(() => withTemplate({})).toThrow('mismatched Runtime and *Spec fields');
    expect(() => withTemplate({ Runtime: 'container' })).toThrow('mismatched Runtime and *Spec fields');
    expect(() => withTemplate({ Runtime: 'plugin', ContainerSpec: { Image: 'x' } })).toThrow('mismatched Runtime and *Spec fields');
    expect(() => withTemplate({ Runtime: 'plugin', PluginSpec: { Name: 'p' } })).toThrow('plugin services are not supported by Shoal');
    expect(() => withTemplate({ Runtime: 'bogus', ContainerSpec: { Image: 'x' } })).toThrow('unsupported runtime');
    expect(() => withTemplate({ Runtime: 'attachment', ContainerSpec: { Image: 'x' } })).toThrow('unsupported runtime');
    expect(withTemplate({ Runtime: 'container', ContainerSpec: { Image: 'x' } }).task.container.image).toBe('x');
  });

  it('refuses a mount type or bind propagation swarmkit has no name for, and reads known ones in any case', () => {
    const mounts = (m: object) => withTemplate({ ContainerSpec: { Image: 'x', Mounts: [m] } }).task.container.containerOnly?.['Mounts'];
    expect(() => mounts({ Type: 'bogus', Target: '/x' })).toThrow('invalid MountType: "bogus"');
    expect(() => mounts({ Type: 'image', Source: 'alpine', Target: '/x' })).toThrow('invalid MountType: "image"');
    expect(() => mounts({ Type: 'bind', Source: '/tmp', Target: '/y', BindOptions: { Propagation: 'bogus' } })).toThrow('invalid MountPropagation: "bogus"');
    expect(mounts({ Type: 'BIND', Source: '/tmp', Target: '/y', BindOptions: { Propagation: 'RShared' } })).toEqual([{ Type: 'bind', Source: '/tmp', Target: '/y', BindOptions: { Propagation: 'rshared' } }]);
  });

  it('reads an unknown port protocol or publish mode as the enum zero value (tcp, ingress)', () => {
    const spec = fromEngineServiceSpec({ Name: 'x', TaskTemplate: { ContainerSpec: { Image: 'x' } }, EndpointSpec: { Ports: [{ Protocol: 'bogus', TargetPort: 80, PublishedPort: 7171, PublishMode: 'weird' }, { Protocol: 'UDP', TargetPort: 53, PublishMode: 'Host' }] } } as never);
    expect(spec.endpoint.ports.map((p) => [p.protocol, p.publishMode])).toEqual([['tcp', 'ingress'], ['udp', 'host']]);
  });
});

describe('options a host process has no use for, kept and shown', () => {
  it('keeps OomScoreAdj, Privileges, Isolation (process or hyperv, else default) and a network attachment\'s DriverOpts', () => {
    const back = (container: object, networks: object[] = []) =>
      toEngineServiceSpec(fromEngineServiceSpec({ Name: 'x', TaskTemplate: { ContainerSpec: { Image: 'x', ...container }, Networks: networks } } as never)).TaskTemplate;
    const privileges = { CredentialSpec: { File: 'x.json' }, NoNewPrivileges: true };
    expect(back({ OomScoreAdj: 5, Privileges: privileges, Isolation: 'Process' }).ContainerSpec).toMatchObject({ OomScoreAdj: 5, Privileges: privileges, Isolation: 'process' });
    expect(back({ OomScoreAdj: 0, Isolation: 'bogus' }).ContainerSpec).toMatchObject({ Isolation: 'default' });
    expect(back({ OomScoreAdj: 0 }).ContainerSpec).not.toHaveProperty('OomScoreAdj');
    expect(back({}, [{ Target: 'n1', DriverOpts: { 'com.docker.network.driver.mtu': '1400' } }]).Networks).toEqual([{ Target: 'n1', DriverOpts: { 'com.docker.network.driver.mtu': '1400' } }]);
    expect(() => back({ OomScoreAdj: 'x' })).toThrow('ContainerSpec.OomScoreAdj must be a number');
    const gpu = [{ DiscreteResourceSpec: { Kind: 'gpu', Value: 1 } }];
    const withGpu = fromEngineServiceSpec({ Name: 'x', TaskTemplate: { ContainerSpec: { Image: 'x' }, Resources: { Reservations: { GenericResources: gpu } } } } as never);
    expect(toEngineServiceSpec(withGpu).TaskTemplate.Resources?.Reservations).toEqual({ GenericResources: gpu });
  });
});

describe('durations', () => {
  it('read back to the nanosecond, as moby keeps a time.Duration', () => {
    const spec = fromEngineServiceSpec({
      Name: 'x',
      TaskTemplate: { ContainerSpec: { Image: 'x', StopGracePeriod: 1_500_000 }, RestartPolicy: { Condition: 'any', Delay: 2_500_000, Window: 7 } },
      UpdateConfig: { Parallelism: 1, Delay: 1, Monitor: 1_000_000_001 },
    } as never);
    const back = toEngineServiceSpec(spec);
    expect(back.TaskTemplate.ContainerSpec?.StopGracePeriod).toBe(1_500_000);
    expect(back.TaskTemplate.RestartPolicy).toMatchObject({ Delay: 2_500_000, Window: 7 });
    expect(back.UpdateConfig).toMatchObject({ Delay: 1, Monitor: 1_000_000_001 });
  });
});

describe("goTime (Go's time.Time in JSON)", () => {
  it('cuts the trailing zeros of the fraction, and the point with them', () => {
    expect(goTime('2026-11-28T12:02:07.470Z')).toBe('2026-11-28T12:02:07.47Z');
    expect(goTime('2026-11-28T12:02:07.000Z')).toBe('2026-11-28T12:02:07Z');
    expect(goTime('2026-11-28T12:02:07.123Z')).toBe('2026-11-28T12:02:07.123Z');
    expect(goTime('2026-11-28T12:02:07Z')).toBe('2026-11-28T12:02:07Z');
    expect(goTime('not a time')).toBe('not a time');
  });
});

describe('insertDefaults (swarmkit defaults.InterpolateService)', () => {
  const meta = { version: 1, createdAt: '2026-11-28T00:00:00Z', updatedAt: '2026-11-28T00:00:00Z', endpoint: { ports: [] } };

  it('adds the stop grace period and an empty DNS config to Spec only, keeping what was given', () => {
    const plain = fromEngineServiceSpec(spec);
    const given = fromEngineServiceSpec({ ...spec, TaskTemplate: { ContainerSpec: { Image: 'nginx', StopGracePeriod: 3e9, DNSConfig: { Nameservers: ['10.0.0.53'] } } } } as never);
    const s = { ...meta, id: 'svc1', spec: plain, previousSpec: plain } as never;
    const withDefaults = toEngineService(s, undefined, undefined, { insertDefaults: true });
    expect(withDefaults.Spec.TaskTemplate.ContainerSpec).toMatchObject({ StopGracePeriod: 10e9, DNSConfig: {} });
    expect(withDefaults.PreviousSpec?.TaskTemplate.ContainerSpec).not.toHaveProperty('StopGracePeriod');
    expect(withDefaults.PreviousSpec?.TaskTemplate.ContainerSpec).not.toHaveProperty('DNSConfig');
    const stored = toEngineService(s, undefined).Spec.TaskTemplate.ContainerSpec;
    expect(stored).not.toHaveProperty('StopGracePeriod');
    expect(stored).not.toHaveProperty('DNSConfig');
    const kept = toEngineService({ ...meta, id: 'svc2', spec: given } as never, undefined, undefined, { insertDefaults: true });
    expect(kept.Spec.TaskTemplate.ContainerSpec).toMatchObject({ StopGracePeriod: 3e9, DNSConfig: { Nameservers: ['10.0.0.53'] } });
  });

  it("fills a job's update and rollback configs with swarmkit's defaults, which its stored spec has not", () => {
    const job = fromEngineServiceSpec({ ...spec, Mode: { ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } } } as never);
    const s = { ...meta, id: 'job1', spec: job } as never;
    const defaults = { Parallelism: 1, FailureAction: 'pause', Monitor: 5e9, MaxFailureRatio: 0, Order: 'stop-first' };
    const filled = toEngineService(s, undefined, undefined, { insertDefaults: true }).Spec;
    expect(filled.UpdateConfig).toEqual(defaults);
    expect(filled.RollbackConfig).toEqual(defaults);
    const stored = toEngineService(s, undefined).Spec;
    expect(stored).not.toHaveProperty('UpdateConfig');
    expect(stored).not.toHaveProperty('RollbackConfig');
  });
});

describe('field order', () => {
  it("writes ContainerSpec and TaskTemplate fields in the order of moby's Go structs", () => {
    const spec = fromEngineServiceSpec({
      Name: 'x',
      TaskTemplate: {
        LogDriver: { Name: 'json-file' },
        ContainerSpec: { Image: 'x', Init: true, User: 'u', Env: ['A=1'], TTY: true, StopGracePeriod: 1e9, Hosts: ['h'], Groups: ['g'], Healthcheck: { Test: ['CMD', 'true'] } },
      },
    } as never);
    const t = toEngineServiceSpec(spec).TaskTemplate;
    expect(Object.keys(t.ContainerSpec ?? {})).toEqual(['Image', 'Env', 'User', 'Groups', 'Init', 'TTY', 'StopGracePeriod', 'Healthcheck', 'Hosts', 'Isolation']);
    expect(Object.keys(t)).toEqual(['ContainerSpec', 'Resources', 'RestartPolicy', 'Placement', 'LogDriver', 'ForceUpdate', 'Runtime']);
  });

  it('shows Limits and Reservations only as given (a stack file gives neither, the docker CLI both)', () => {
    const resources = (r?: object) => toEngineServiceSpec(fromEngineServiceSpec({ Name: 'x', TaskTemplate: { ContainerSpec: { Image: 'x' }, ...(r && { Resources: r }) } } as never)).TaskTemplate.Resources;
    expect(resources()).toEqual({});
    expect(resources({ Limits: {}, Reservations: {} })).toEqual({ Limits: {}, Reservations: {} });
    expect(resources({ Limits: { Pids: 5 } })).toEqual({ Limits: { Pids: 5 } });
  });
});

describe('a spec read back and sent again', () => {
  it('is the stored spec (else a docker service scale would roll every task)', () => {
    // What the docker CLI sends for `service create --replicas 2 --update-monitor 1s shoal/whoami`, and more.
    const sent = {
      Name: 'ru',
      Labels: {},
      TaskTemplate: {
        ContainerSpec: { Image: 'shoal/whoami', Init: false, OomScoreAdj: 0, StopGracePeriod: 1_500_000, Privileges: null, TTY: false },
        Resources: { Limits: {}, Reservations: {} },
        RestartPolicy: { Condition: 'any', Delay: 5_000_000_000, MaxAttempts: 0 },
        Placement: {},
        Networks: [{ Target: 'n1', DriverOpts: { a: 'b' } }],
        ForceUpdate: 0,
        Runtime: 'container',
      },
      Mode: { Replicated: { Replicas: 2 } },
      UpdateConfig: { Parallelism: 1, FailureAction: 'pause', Monitor: 1e9, MaxFailureRatio: 0, Order: 'stop-first' },
      RollbackConfig: { Parallelism: 1, FailureAction: 'pause', Monitor: 1e9, MaxFailureRatio: 0, Order: 'stop-first' },
      EndpointSpec: { Mode: 'vip', Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8093, PublishMode: 'ingress' }] },
    };
    const stored = fromEngineServiceSpec(sent as never);
    const again = fromEngineServiceSpec(JSON.parse(JSON.stringify(toEngineServiceSpec(stored))) as never);
    expect(again).toEqual(stored);
    const withInsertDefaults = fromEngineServiceSpec(JSON.parse(JSON.stringify(toEngineServiceSpec(stored, { insertDefaults: true }))) as never);
    expect(withInsertDefaults.task.container.containerOnly).toEqual(stored.task.container.containerOnly);
  });
});

// Docker's ServiceSpec/Service/Task/Network JSON ↔ the store's objects. Defaults are
// swarmkit's (api/defaults/service.go), filled in so inspect shows them as Docker does.
import { InvalidArgumentError, isJobMode, rpcText } from '@shoal/store';
import { containerOnlyOf } from './container-only';
import { goTime } from './mapping';
import type {
  NetworkObject,
  PortConfig,
  ServiceObject,
  ServiceSpec,
  TaskObject,
  TaskSpec,
  UpdateConfig,
} from '@shoal/store';
import type {
  GenericResource,
  Network,
  NetworkAttachmentConfig,
  PortConfig as EnginePort,
  Service,
  ServiceSpec as EngineServiceSpec,
  ServiceStatus,
  Task,
  TaskSpec as EngineTaskSpec,
  UpdateConfig as EngineUpdateConfig,
} from '../engine/types';

const MS = 1_000_000; // ns per ms
/** Nanoseconds (the API's time.Duration) as the store's milliseconds, fractions kept: `1500us` and `1ns` read back as sent. */
const ms = (ns: number | undefined, dflt: number): number => (ns === undefined ? dflt : ns / MS);
/** The store's milliseconds as the API's nanoseconds. */
const ns = (millis: number): number => Math.round(millis * MS);


/** Label that opts published ports into the PROXY protocol v2 ("true" = all, or "80,443"). */
export const PROXY_PROTOCOL_LABEL = 'com.shoal.proxy-protocol';

const DEFAULT_UPDATE: UpdateConfig = {
  parallelism: 1,
  delayMs: 0,
  failureAction: 'pause',
  monitorMs: 5000,
  maxFailureRatio: 0,
  order: 'stop-first',
};

function fromUpdate(u: EngineUpdateConfig | undefined): UpdateConfig {
  // moby's updateConfigToGRPC: an empty value is the default, anything unknown is refused.
  const action = u?.FailureAction || DEFAULT_UPDATE.failureAction;
  if (!(['pause', 'continue', 'rollback'] as string[]).includes(action)) throw new InvalidArgumentError(`unrecognized update failure action ${action}`);
  const order = u?.Order || 'stop-first';
  if (order !== 'stop-first' && order !== 'start-first') throw new InvalidArgumentError(`unrecognized update order ${order}`);
  return {
    parallelism: u?.Parallelism ?? DEFAULT_UPDATE.parallelism,
    delayMs: ms(u?.Delay, DEFAULT_UPDATE.delayMs),
    failureAction: action as UpdateConfig['failureAction'],
    monitorMs: u?.Monitor ? ms(u.Monitor, DEFAULT_UPDATE.monitorMs) : DEFAULT_UPDATE.monitorMs,
    maxFailureRatio: u?.MaxFailureRatio ?? 0,
    order,
  };
}

/** As moby's UpdateConfig encodes: Delay, FailureAction and Monitor are omitempty. */
function toUpdate(u: UpdateConfig): EngineUpdateConfig {
  return {
    Parallelism: u.parallelism,
    ...(u.delayMs ? { Delay: ns(u.delayMs) } : {}),
    ...(u.failureAction ? { FailureAction: u.failureAction } : {}),
    ...(u.monitorMs ? { Monitor: ns(u.monitorMs) } : {}),
    MaxFailureRatio: u.maxFailureRatio,
    Order: u.order,
  };
}

export function fromEngineTaskSpec(t: EngineTaskSpec | undefined, legacyNetworks?: NetworkAttachmentConfig[]): TaskSpec {
  const c = t?.ContainerSpec;
  const r = t?.RestartPolicy;
  const hc = c?.Healthcheck ?? c?.HealthCheck;
  // The service-level Networks field is deprecated (API 1.44) but still read, as Docker does.
  const networks = t?.Networks?.length ? t.Networks : (legacyNetworks ?? []);
  const log = t?.LogDriver;
  return {
    ...(log?.Name ? { logDriver: { name: log.Name, ...(log.Options && Object.keys(log.Options).length ? { options: { ...log.Options } } : {}) } } : {}),
    ...(networks.length
      ? {
          networks: networks.map((n) => ({
            target: n.Target,
            ...(n.Aliases?.length ? { aliases: [...n.Aliases] } : {}),
            ...(n.DriverOpts && Object.keys(n.DriverOpts).length ? { driverOpts: { ...n.DriverOpts } } : {}),
          })),
        }
      : {}),
    container: {
      image: c?.Image ?? '',
      ...(c?.Command?.length ? { command: [...c.Command] } : {}),
      ...(c?.Args?.length ? { args: [...c.Args] } : {}),
      ...(c?.Env?.length ? { env: [...c.Env] } : {}),
      ...(c?.Dir ? { dir: c.Dir } : {}),
      ...(c?.Hostname ? { hostname: c.Hostname } : {}),
      ...(c?.Labels ? { labels: { ...c.Labels } } : {}),
      ...(c?.StopGracePeriod !== undefined ? { stopGracePeriodMs: ms(c.StopGracePeriod, 10_000) } : {}),
      ...(c?.StopSignal ? { stopSignal: c.StopSignal } : {}),
      ...(c?.User ? { user: c.User } : {}),
      ...containerOnlyOf(c),
      ...(hc && (hc.Test?.length || hc.Interval || hc.Timeout || hc.Retries || hc.StartPeriod || hc.StartInterval)
        ? {
            // Durations exactly (fractions of a millisecond too): the manager refuses non-zero ones under 1 ms.
            healthcheck: {
              test: [...(hc.Test ?? [])],
              ...(hc.Interval ? { intervalMs: ms(hc.Interval, 0) } : {}),
              ...(hc.Timeout ? { timeoutMs: ms(hc.Timeout, 0) } : {}),
              ...(hc.Retries ? { retries: hc.Retries } : {}),
              ...(hc.StartPeriod ? { startPeriodMs: ms(hc.StartPeriod, 0) } : {}),
              ...(hc.StartInterval ? { startIntervalMs: ms(hc.StartInterval, 0) } : {}),
            },
          }
        : {}),
    },
    restart: {
      condition: restartCondition(r?.Condition),
      delayMs: ms(r?.Delay, 5000),
      maxAttempts: r?.MaxAttempts ?? 0,
      windowMs: ms(r?.Window, 0),
    },
    placement: {
      constraints: [...(t?.Placement?.Constraints ?? [])],
      ...(t?.Placement?.Preferences?.length
        ? { preferences: t.Placement.Preferences.map((p) => String((p as { Spread?: { SpreadDescriptor?: unknown } } | null)?.Spread?.SpreadDescriptor ?? '')) }
        : {}),
      maxReplicas: t?.Placement?.MaxReplicas ?? 0,
      ...(t?.Placement?.Platforms?.length
        ? { platforms: t.Placement.Platforms.map((p) => ({ architecture: p?.Architecture ?? '', os: p?.OS ?? '' })) }
        : {}),
    },
    resources: {
      ...(t?.Resources?.Limits
        ? {
            limits: {
              nanoCpus: t.Resources.Limits.NanoCPUs ?? 0,
              memoryBytes: t.Resources.Limits.MemoryBytes ?? 0,
              ...(t.Resources.Limits.Pids ? { pids: t.Resources.Limits.Pids } : {}),
            },
          }
        : {}),
      ...(t?.Resources?.Reservations
        ? {
            reservations: {
              nanoCpus: t.Resources.Reservations.NanoCPUs ?? 0,
              memoryBytes: t.Resources.Reservations.MemoryBytes ?? 0,
              ...(t.Resources.Reservations.GenericResources?.length ? { generic: t.Resources.Reservations.GenericResources.map((g) => structuredClone(g) as Record<string, unknown>) } : {}),
            },
          }
        : {}),
    },
    forceUpdate: t?.ForceUpdate ?? 0,
  };
}

/**
 * swarmkit's defaults.InterpolateService (GET /services/{id}?insertDefaults=true, which
 * `docker service inspect` asks for) for the fields Shoal renders only when given: the stop grace
 * period (10 s) and an empty DNS config. The rest of its defaults Shoal keeps in every spec.
 */
export interface RenderOptions {
  readonly insertDefaults?: boolean;
}
const DEFAULT_STOP_GRACE_PERIOD_MS = 10_000;

/** Field order of moby's swarm.ContainerSpec and swarm.TaskSpec: Go's encoding/json writes a struct's fields so. */
const CONTAINER_SPEC_ORDER = [
  'Image', 'Labels', 'Command', 'Args', 'Hostname', 'Env', 'Dir', 'User', 'Groups', 'Privileges', 'Init', 'StopSignal', 'TTY', 'OpenStdin',
  'ReadOnly', 'Mounts', 'StopGracePeriod', 'Healthcheck', 'Hosts', 'DNSConfig', 'Secrets', 'Configs', 'Isolation', 'Sysctls',
  'CapabilityAdd', 'CapabilityDrop', 'Ulimits', 'OomScoreAdj',
]; // prettier-ignore
const TASK_SPEC_ORDER = ['ContainerSpec', 'PluginSpec', 'NetworkAttachmentSpec', 'Resources', 'RestartPolicy', 'Placement', 'Networks', 'LogDriver', 'ForceUpdate', 'Runtime'];

/** `o`'s keys in `order`, then any others as they came. */
function inGoOrder<T extends object>(o: T, order: readonly string[]): T {
  const rank = (k: string): number => {
    const i = order.indexOf(k);
    return i < 0 ? order.length : i;
  };
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => rank(a) - rank(b))) as T;
}

export function toEngineTaskSpec(t: TaskSpec, opts: RenderOptions = {}): EngineTaskSpec {
  return inGoOrder(taskSpecOf(t, opts), TASK_SPEC_ORDER);
}

function taskSpecOf(t: TaskSpec, opts: RenderOptions): EngineTaskSpec {
  const c = t.container;
  const stopGracePeriodMs = c.stopGracePeriodMs ?? (opts.insertDefaults ? DEFAULT_STOP_GRACE_PERIOD_MS : undefined);
  return {
    ContainerSpec: inGoOrder({
      Image: c.image,
      ...(c.labels ? { Labels: { ...c.labels } } : {}),
      ...(c.command ? { Command: [...c.command] } : {}),
      ...(c.args ? { Args: [...c.args] } : {}),
      ...(c.hostname ? { Hostname: c.hostname } : {}),
      ...(c.env ? { Env: [...c.env] } : {}),
      ...(c.dir ? { Dir: c.dir } : {}),
      ...(stopGracePeriodMs !== undefined ? { StopGracePeriod: ns(stopGracePeriodMs) } : {}),
      ...(c.stopSignal ? { StopSignal: c.stopSignal } : {}),
      ...(c.user ? { User: c.user } : {}),
      ...(opts.insertDefaults && c.containerOnly?.['DNSConfig'] === undefined ? { DNSConfig: {} } : {}),
      ...(c.containerOnly ?? {}),
      ...(c.healthcheck
        ? {
            Healthcheck: {
              ...(c.healthcheck.test.length ? { Test: [...c.healthcheck.test] } : {}),
              ...(c.healthcheck.intervalMs ? { Interval: ns(c.healthcheck.intervalMs) } : {}),
              ...(c.healthcheck.timeoutMs ? { Timeout: ns(c.healthcheck.timeoutMs) } : {}),
              ...(c.healthcheck.retries ? { Retries: c.healthcheck.retries } : {}),
              ...(c.healthcheck.startPeriodMs ? { StartPeriod: ns(c.healthcheck.startPeriodMs) } : {}),
              ...(c.healthcheck.startIntervalMs ? { StartInterval: ns(c.healthcheck.startIntervalMs) } : {}),
            },
          }
        : {}),
      Isolation: (c.containerOnly?.['Isolation'] as string | undefined) ?? 'default', // process or hyperv when given (containerOnlyOf)
    }, CONTAINER_SPEC_ORDER),
    // Limits and Reservations as given (moby's resourcesFromGRPC: the docker CLI sends both, a
    // stack file neither).
    Resources: {
      ...(t.resources.limits
        ? {
            Limits: {
              ...(t.resources.limits.nanoCpus ? { NanoCPUs: t.resources.limits.nanoCpus } : {}),
              ...(t.resources.limits.memoryBytes ? { MemoryBytes: t.resources.limits.memoryBytes } : {}),
              ...(t.resources.limits.pids ? { Pids: t.resources.limits.pids } : {}),
            },
          }
        : {}),
      ...(t.resources.reservations
        ? {
            Reservations: {
              ...(t.resources.reservations.nanoCpus ? { NanoCPUs: t.resources.reservations.nanoCpus } : {}),
              ...(t.resources.reservations.memoryBytes ? { MemoryBytes: t.resources.reservations.memoryBytes } : {}),
              ...(t.resources.reservations.generic ? { GenericResources: structuredClone(t.resources.reservations.generic) as GenericResource[] } : {}),
            },
          }
        : {}),
    },
    RestartPolicy: {
      Condition: t.restart.condition,
      Delay: ns(t.restart.delayMs),
      MaxAttempts: t.restart.maxAttempts,
      ...(t.restart.windowMs ? { Window: ns(t.restart.windowMs) } : {}),
    },
    Placement: {
      ...(t.placement.constraints.length ? { Constraints: [...t.placement.constraints] } : {}),
      ...(t.placement.preferences?.length ? { Preferences: t.placement.preferences.map((d) => ({ Spread: { SpreadDescriptor: d } })) } : {}),
      ...(t.placement.maxReplicas ? { MaxReplicas: t.placement.maxReplicas } : {}),
      ...(t.placement.platforms?.length ? { Platforms: t.placement.platforms.map((p) => ({ Architecture: p.architecture, OS: p.os })) } : {}),
    },
    ForceUpdate: t.forceUpdate,
    Runtime: 'container',
    ...(t.networks?.length
      ? {
          Networks: t.networks.map((n) => ({
            Target: n.target,
            ...(n.aliases?.length ? { Aliases: [...n.aliases] } : {}),
            ...(n.driverOpts ? { DriverOpts: { ...n.driverOpts } } : {}),
          })),
        }
      : {}),
    ...(t.logDriver ? { LogDriver: { Name: t.logDriver.name, ...(t.logDriver.options ? { Options: { ...t.logDriver.options } } : {}) } } : {}),
  };
}

function fromPort(p: EnginePort, proxied: (published: number) => boolean): PortConfig {
  const publishedPort = p.PublishedPort ?? 0;
  return {
    ...(p.Name ? { name: p.Name } : {}),
    // moby maps these through swarmkit's enums (in any case): anything else is the zero value.
    protocol: oneOf(p.Protocol, ['tcp', 'udp', 'sctp'] as const, 'tcp'),
    targetPort: p.TargetPort ?? 0, // Go leaves a zero port out of the JSON
    publishedPort,
    publishMode: oneOf(p.PublishMode, ['ingress', 'host'] as const, 'ingress'),
    ...(p.ProxyProtocol || proxied(publishedPort) ? { proxyProtocol: true } : {}),
  };
}

function oneOf<T extends string>(value: string | undefined, known: readonly T[], zero: T): T {
  const v = (value ?? '').toLowerCase();
  return (known as readonly string[]).includes(v) ? (v as T) : zero;
}

export function toEnginePort(p: PortConfig): EnginePort {
  return {
    ...(p.name ? { Name: p.name } : {}),
    Protocol: p.protocol,
    TargetPort: p.targetPort,
    ...(p.publishedPort ? { PublishedPort: p.publishedPort } : {}), // omitempty in moby's PortConfig
    PublishMode: p.publishMode,
    ...(p.proxyProtocol ? { ProxyProtocol: true } : {}),
  };
}

/**
 * moby's ServiceSpecToGRPC: a container service (the default runtime) needs a ContainerSpec, and
 * a plugin service a PluginSpec; Shoal runs no plugins. Any other runtime is unsupported.
 */
function runtimeCheck(spec: EngineServiceSpec): void {
  const template = spec.TaskTemplate as (EngineTaskSpec & { PluginSpec?: unknown }) | undefined;
  const runtime = template?.Runtime ?? '';
  if (runtime === '' || runtime === 'container') {
    if (!template?.ContainerSpec) throw new InvalidArgumentError('mismatched Runtime and *Spec fields');
    return;
  }
  if (runtime === 'plugin') {
    if (!template?.PluginSpec) throw new InvalidArgumentError('mismatched Runtime and *Spec fields');
    throw new InvalidArgumentError('plugin services are not supported by Shoal: its tasks are host processes; no service was changed');
  }
  throw new InvalidArgumentError('unsupported runtime');
}

export function fromEngineServiceSpec(spec: EngineServiceSpec): ServiceSpec {
  const labels = { ...(spec.Labels ?? {}) };
  const proxyLabel = labels[PROXY_PROTOCOL_LABEL];
  const proxied = (published: number) =>
    proxyLabel !== undefined && (proxyLabel === 'true' || proxyLabel.split(',').map((s) => s.trim()).includes(String(published)));
  runtimeCheck(spec);
  const mode = fromMode(spec.Mode);
  // swarmkit's validateJob (jobs are never rolled out, so an update config has no meaning).
  if (isJobMode(mode) && spec.UpdateConfig) {
    throw new InvalidArgumentError(rpcText('InvalidArgument', 'Jobs may not have an update config'));
  }
  return {
    name: spec.Name ?? '',
    labels,
    task: fromEngineTaskSpec(spec.TaskTemplate, spec.Networks),
    mode,
    update: fromUpdate(spec.UpdateConfig),
    rollback: fromUpdate(spec.RollbackConfig),
    // A job shows a RollbackConfig only when it was given one (swarmkit keeps it as given).
    ...(isJobMode(mode) && spec.RollbackConfig ? { rollbackGiven: true } : {}),
    endpoint: { mode: resolutionMode(spec.EndpointSpec?.Mode), ports: (spec.EndpointSpec?.Ports ?? []).map((p) => fromPort(p, proxied)) },
  };
}

/** moby's ServiceSpecToGRPC: one mode at most (replicated with 1 replica when none); a replicated job's MaxConcurrent defaults to 1 and its TotalCompletions to MaxConcurrent. */
function fromMode(m: EngineServiceSpec['Mode']): ServiceSpec['mode'] {
  const given = [m?.Global, m?.Replicated, m?.ReplicatedJob, m?.GlobalJob].filter((x) => x !== undefined && x !== null).length;
  if (given > 1) throw new InvalidArgumentError('must specify only one service mode');
  if (m?.Global) return { type: 'global' };
  if (m?.GlobalJob) return { type: 'global-job' };
  if (m?.ReplicatedJob) {
    const maxConcurrent = m.ReplicatedJob.MaxConcurrent ?? 1;
    return { type: 'replicated-job', maxConcurrent, totalCompletions: m.ReplicatedJob.TotalCompletions ?? maxConcurrent };
  }
  return { type: 'replicated', replicas: m?.Replicated?.Replicas ?? 1 };
}

function toMode(mode: ServiceSpec['mode']): NonNullable<EngineServiceSpec['Mode']> {
  switch (mode.type) {
    case 'global':
      return { Global: {} };
    case 'global-job':
      return { GlobalJob: {} };
    case 'replicated-job':
      return { ReplicatedJob: { MaxConcurrent: mode.maxConcurrent, TotalCompletions: mode.totalCompletions } };
    case 'replicated':
      return { Replicated: { Replicas: mode.replicas } };
  }
}

/** moby's restartPolicyToGRPC: an empty condition is "any", anything unknown is refused. */
function restartCondition(c: string | undefined): ServiceSpec['task']['restart']['condition'] {
  if (c === undefined || c === '' || c === 'any') return 'any';
  if (c === 'none' || c === 'on-failure') return c;
  throw new InvalidArgumentError(`invalid RestartCondition: ${JSON.stringify(c)}`);
}

/** moby's ServiceSpecToGRPC: vip (the default) or dnsrr. */
function resolutionMode(m: string | undefined): ServiceSpec['endpoint']['mode'] {
  if (m === undefined || m === '' || m === 'vip') return 'vip';
  if (m === 'dnsrr') return m;
  throw new InvalidArgumentError(`invalid resolution mode: ${JSON.stringify(m)}`);
}

export function toEngineServiceSpec(spec: ServiceSpec, opts: RenderOptions = {}): EngineServiceSpec {
  return {
    Name: spec.name,
    Labels: { ...spec.labels },
    TaskTemplate: toEngineTaskSpec(spec.task, opts),
    Mode: toMode(spec.mode),
    // A job has no update config (swarmkit refuses one), and a rollback config only if given;
    // swarmkit's InterpolateService (insertDefaults) fills both, whatever the mode.
    ...(isJobMode(spec.mode) && !opts.insertDefaults ? {} : { UpdateConfig: toUpdate(spec.update) }),
    ...(isJobMode(spec.mode) && !spec.rollbackGiven && !opts.insertDefaults ? {} : { RollbackConfig: toUpdate(spec.rollback) }),
    EndpointSpec: { Mode: spec.endpoint.mode, ...(spec.endpoint.ports.length ? { Ports: spec.endpoint.ports.map(toEnginePort) } : {}) },
  };
}

/** `opts` applies to Spec only: swarmkit interpolates the current spec, not PreviousSpec. */
export function toEngineService(
  s: ServiceObject,
  ingress: { id: string; subnet: string } | undefined,
  status?: ServiceStatus,
  opts: RenderOptions = {},
): Service {
  const out: Service = {
    ID: s.id,
    Version: { Index: s.version },
    CreatedAt: goTime(s.createdAt),
    UpdatedAt: goTime(s.updatedAt),
    Spec: toEngineServiceSpec(s.spec, opts),
    // moby's field order: Spec, PreviousSpec, Endpoint, UpdateStatus, ServiceStatus.
    ...(s.previousSpec ? { PreviousSpec: toEngineServiceSpec(s.previousSpec) } : {}),
    Endpoint: {
      Spec: { Mode: s.spec.endpoint.mode, ...(s.spec.endpoint.ports.length ? { Ports: s.spec.endpoint.ports.map(toEnginePort) } : {}) },
      ...(s.endpoint.ports.length ? { Ports: s.endpoint.ports.map(toEnginePort) } : {}),
      ...(ingress && s.endpoint.ports.some((p) => p.publishMode === 'ingress')
        ? { VirtualIPs: [{ NetworkID: ingress.id, Addr: virtualIp(s.id, ingress.subnet) }] }
        : {}),
    },
  };
  if (s.updateStatus) {
    // A rollback's states are rollback_started / rollback_paused / rollback_completed (swarmkit's).
    const rollback = s.updateStatus.rollback === true || s.updateStatus.message === 'rollback started';
    out.UpdateStatus = {
      State: rollback ? ROLLBACK_STATES[s.updateStatus.state] : s.updateStatus.state,
      ...(s.updateStatus.startedAt ? { StartedAt: goTime(s.updateStatus.startedAt) } : {}),
      ...(s.updateStatus.completedAt ? { CompletedAt: goTime(s.updateStatus.completedAt) } : {}),
      Message: s.updateStatus.message,
    };
  }
  if (status) out.ServiceStatus = status;
  if (s.jobStatus) out.JobStatus = { JobIteration: jobVersion(s.jobStatus.iteration), LastExecution: goTime(s.jobStatus.lastExecution) };
  return out;
}

/** moby's Version: the index is omitempty, so a job's first iteration is `{}`. */
function jobVersion(index: number): { Index?: number } {
  return index === 0 ? {} : { Index: index };
}

const ROLLBACK_STATES = { updating: 'rollback_started', paused: 'rollback_paused', completed: 'rollback_completed' } as const;

/** A stable address in the ingress subnet (an IPv4 CIDR) for display (Shoal's mesh needs no VIP). */
function virtualIp(serviceId: string, subnet: string): string {
  let h = 0;
  for (const ch of serviceId) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  const [addr = '10.0.0.0', bitsText = '24'] = subnet.split('/');
  const bits = Number(bitsText);
  const base = addr.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  // Past the network address and the gateway, short of the broadcast address (a tiny subnet: its first host).
  const size = 2 ** (32 - bits);
  const ip = size >= 4 ? base + 2 + (h % Math.max(1, size - 3)) : base + (size > 1 ? 1 : 0);
  return `${[24, 16, 8, 0].map((shift) => Math.floor(ip / 2 ** shift) % 256).join('.')}/${bits}`;
}

export function toEngineTask(t: TaskObject): Task {
  return {
    ID: t.id,
    Version: { Index: t.version },
    CreatedAt: goTime(t.createdAt),
    UpdatedAt: goTime(t.updatedAt),
    Labels: { ...t.labels },
    Spec: toEngineTaskSpec(t.spec),
    ServiceID: t.serviceId,
    ...(t.slot ? { Slot: t.slot } : {}),
    ...(t.nodeId ? { NodeID: t.nodeId } : {}),
    Status: {
      Timestamp: goTime(t.status.timestamp),
      State: t.status.state,
      Message: t.status.message,
      ...(t.status.err ? { Err: t.status.err } : {}),
      // What the agent reports once the task's container exists (moby's TaskFromGRPC: absent
      // before; when present, all three fields).
      ...(t.nodeId && CONTAINER_STATES.has(t.status.state) ? { ContainerStatus: { ContainerID: t.id, PID: t.status.pid ?? 0, ExitCode: t.status.exitCode ?? 0 } } : {}),
      // Host-mode ports are bound while the task runs (moby reports them from the running
      // container; a stopped one has released them).
      PortStatus: {
        ...(t.nodeId && t.status.state === 'running' && t.endpointPorts.some((p) => p.publishMode === 'host')
          ? { Ports: hostPortStatus(t) }
          : {}),
      },
    },
    DesiredState: t.desiredState,
    ...(t.jobIteration !== undefined ? { JobIteration: jobVersion(t.jobIteration) } : {}),
    Volumes: null, // no omitempty in moby's Task; Shoal attaches no cluster volumes
  };
}

/** Task states in which its container has been created (from ready on), so the agent reports its status. */
const CONTAINER_STATES = new Set(['ready', 'starting', 'running', 'complete', 'shutdown', 'failed']);

/** A running task's host-mode ports: as its node bound them (a published 0 has the kernel's choice), else as asked. */
function hostPortStatus(t: TaskObject): EnginePort[] {
  const asked = t.endpointPorts.filter((p) => p.publishMode === 'host');
  const bound = t.status.hostPorts;
  if (!bound) return asked.map(toEnginePort);
  const used = new Set<number>();
  return asked.map((p) => {
    const i = bound.findIndex((b, j) => !used.has(j) && b.protocol === p.protocol && b.targetPort === p.targetPort && (p.publishedPort === 0 || b.publishedPort === p.publishedPort));
    if (i < 0) return toEnginePort(p);
    used.add(i);
    return toEnginePort({ ...p, publishedPort: (bound[i] as { publishedPort: number }).publishedPort });
  });
}

export function toEngineNetwork(n: NetworkObject): Network {
  return {
    Name: n.name,
    Id: n.id,
    Created: goTime(n.createdAt),
    Scope: 'swarm',
    Driver: n.driver,
    EnableIPv4: true,
    EnableIPv6: n.enableIPv6 === true,
    IPAM: {
      Driver: n.ipamDriver?.name ?? 'default',
      Options: n.ipamDriver?.options ? { ...n.ipamDriver.options } : null,
      Config: (n.ipamConfigs ?? [{ subnet: n.subnet, gateway: n.gateway }]).map((c) => ({
        Subnet: c.subnet,
        ...(c.ipRange ? { IPRange: c.ipRange } : {}),
        ...(c.gateway ? { Gateway: c.gateway } : {}),
        ...(c.auxAddresses ? { AuxiliaryAddresses: { ...c.auxAddresses } } : {}),
      })),
    },
    Internal: n.internal ?? false,
    Attachable: n.attachable,
    Ingress: n.ingress,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: {},
    Options: { 'com.docker.network.driver.overlay.vxlanid_list': String(n.vxlanId ?? 4096), ...n.options },
    Labels: { ...n.labels },
  };
}

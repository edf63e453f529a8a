// Flags shared by `service create` and `service update`, and create's mapping of
// them to a ServiceSpec (docker/cli cli/command/service/opts.go ToService).
import type {
  EndpointMode,
  FailureAction,
  HealthConfig,
  NetworkAttachmentConfig,
  PortConfig,
  ResourceRequirements,
  RestartCondition,
  RestartPolicy,
  ServiceMode,
  ServiceSpec,
  UpdateConfig,
  UpdateOrder,
} from '@shoal/api';
import type { Flags, FlagSpec } from '../command-kit';
import { parseGoDuration } from '../format/go-duration';
import {
  kvToMap,
  parseFloat32,
  parseNanoCpus,
  parseNetworkAttachment,
  parsePlacementPref,
  parsePublish,
  parseRamInBytes,
  parseUint64,
  shlexSplit,
  validateEnv,
  validateLabel,
} from './service-parse';

/** swarmkit's api/defaults/service.go, which docker fills in when a group of flags is used. */
export const DEFAULT_UPDATE_CONFIG: Readonly<UpdateConfig> = {
  Parallelism: 1,
  Delay: 0,
  FailureAction: 'pause',
  Monitor: 5e9,
  MaxFailureRatio: 0,
  Order: 'stop-first',
};
export const DEFAULT_RESTART_POLICY: Readonly<RestartPolicy> = { Condition: 'any', Delay: 5e9, MaxAttempts: 0 };

const positiveDuration = (v: string): number => {
  const d = parseGoDuration(v);
  if (d < 0) throw new Error('duration cannot be negative');
  return d;
};
const shlex = (v: string): string => {
  shlexSplit(v);
  return v;
};

const flag = (name: string, kind: FlagSpec['kind'], description: string, extra: Partial<FlagSpec> = {}): FlagSpec => ({
  name,
  kind,
  description,
  ...extra,
});

/** Flags of both commands (addServiceFlags); `withDefaults` adds create's "(default …)" texts. */
export function commonServiceFlags(withDefaults: boolean): FlagSpec[] {
  const d = (text: string): Partial<FlagSpec> => (withDefaults ? { defaultText: text } : {});
  const uint = { parse: parseUint64 };
  const updateFlags = (prefix: 'update' | 'rollback', noun: string, verb: string): FlagSpec[] => [
    flag(`${prefix}-parallelism`, 'uint', `Maximum number of tasks ${verb} simultaneously (0 to ${prefix === 'update' ? 'update' : 'roll back'} all at once)`, { ...uint, ...d('1') }),
    flag(`${prefix}-delay`, 'duration', `Delay between ${noun} (ns|us|ms|s|m|h)`, d('0s')),
    flag(`${prefix}-monitor`, 'duration', `Duration after each task ${prefix === 'update' ? 'update' : 'rollback'} to monitor for failure (ns|us|ms|s|m|h)`, d('5s')),
    flag(
      `${prefix}-failure-action`,
      'string',
      prefix === 'update' ? 'Action on update failure ("pause", "continue", "rollback")' : 'Action on rollback failure ("pause", "continue")',
      d('"pause"'),
    ),
    flag(`${prefix}-max-failure-ratio`, 'string', `Failure rate to tolerate during ${prefix === 'update' ? 'an update' : 'a rollback'}`, {
      parse: parseFloat32,
      ...d('0'),
    }),
    flag(`${prefix}-order`, 'string', `${prefix === 'update' ? 'Update' : 'Rollback'} order ("start-first", "stop-first")`, d('"stop-first"')),
  ];
  return [
    flag('detach', 'bool', 'Exit immediately instead of waiting for the service to converge', { short: 'd' }),
    flag('quiet', 'bool', 'Suppress progress output', { short: 'q' }),
    flag('workdir', 'string', 'Working directory inside the container', { short: 'w' }),
    flag('user', 'string', 'Username or UID (format: <name|uid>[:<group|gid>])', { short: 'u' }),
    flag('hostname', 'string', 'Container hostname'),
    flag('entrypoint', 'string', 'Overwrite the default ENTRYPOINT of the image', { parse: shlex }),
    flag('limit-cpu', 'string', 'Limit CPUs', { parse: parseNanoCpus }),
    flag('limit-memory', 'string', 'Limit Memory', { parse: parseRamInBytes }),
    flag('limit-pids', 'int', 'Limit maximum number of processes (default 0 = unlimited)'),
    flag('reserve-cpu', 'string', 'Reserve CPUs', { parse: parseNanoCpus }),
    flag('reserve-memory', 'string', 'Reserve Memory', { parse: parseRamInBytes }),
    flag('stop-grace-period', 'duration', 'Time to wait before force killing a container (ns|us|ms|s|m|h)', d('10s')),
    flag('stop-signal', 'string', 'Signal to stop the container'),
    flag('replicas', 'uint', 'Number of tasks', uint),
    flag('max-concurrent', 'uint', 'Number of job tasks to run concurrently (default equal to --replicas)', uint),
    flag('replicas-max-per-node', 'uint', 'Maximum number of tasks per node (default 0 = unlimited)', uint),
    flag('restart-condition', 'string', 'Restart when condition is met ("none", "on-failure", "any")', d('"any"')),
    flag('restart-delay', 'duration', 'Delay between restart attempts (ns|us|ms|s|m|h)', d('5s')),
    flag('restart-max-attempts', 'uint', 'Maximum number of restarts before giving up', uint),
    flag('restart-window', 'duration', 'Window used to evaluate the restart policy (ns|us|ms|s|m|h)'),
    ...updateFlags('update', 'updates', 'updated'),
    ...updateFlags('rollback', 'task rollbacks', 'rolled back'),
    flag('endpoint-mode', 'string', 'Endpoint mode (vip or dnsrr)', d('"vip"')),
    flag('with-registry-auth', 'bool', 'Send registry authentication details to swarm agents'),
    flag('no-resolve-image', 'bool', 'Do not query the registry to resolve image digest and supported platforms'),
    flag('log-driver', 'string', 'Logging driver for service'),
    flag('log-opt', 'list', 'Logging driver options', { parse: validateEnv }),
    flag('health-cmd', 'string', 'Command to run to check health'),
    flag('health-interval', 'string', 'Time between running the check (ms|s|m|h)', { parse: positiveDuration }),
    flag('health-timeout', 'string', 'Maximum time to allow one check to run (ms|s|m|h)', { parse: positiveDuration }),
    flag('health-retries', 'int', 'Consecutive failures needed to report unhealthy'),
    flag('health-start-period', 'string', 'Start period for the container to initialize before counting retries towards unstable (ms|s|m|h)', {
      parse: positiveDuration,
    }),
    flag('health-start-interval', 'string', 'Time between running the check during the start period (ms|s|m|h)', { parse: positiveDuration }),
    flag('no-healthcheck', 'bool', 'Disable any container-specified HEALTHCHECK'),
    flag('tty', 'bool', 'Allocate a pseudo-TTY', { short: 't' }),
    flag('read-only', 'bool', "Mount the container's root filesystem as read only"),
  ];
}

/** Flags only `service create` has. */
export const CREATE_ONLY_FLAGS: FlagSpec[] = [
  flag('mode', 'string', 'Service mode ("replicated", "global", "replicated-job", "global-job")', { defaultText: '"replicated"' }),
  flag('name', 'string', 'Service name'),
  flag('label', 'list', 'Service labels', { short: 'l', parse: validateLabel }),
  flag('container-label', 'list', 'Container labels', { parse: validateLabel }),
  flag('env', 'list', 'Set environment variables', { short: 'e', parse: validateEnv }),
  flag('constraint', 'list', 'Placement constraints'),
  flag('placement-pref', 'list', 'Add a placement preference', { parse: parsePlacementPref }),
  flag('network', 'list', 'Network attachments', { parse: parseNetworkAttachment }),
  flag('publish', 'list', 'Publish a port as a node port', { short: 'p', parse: parsePublish }),
  flag('init', 'bool', 'Use an init inside each service container to forward signals and reap processes'),
];

const anyChanged = (flags: Flags, ...names: string[]): boolean => names.some((n) => flags.changed(n));

/** opts.ValidateEnv's lookup: a bare `KEY` takes its value from the CLI's environment when set there. */
export function resolveEnv(items: readonly string[], env: Readonly<Record<string, string | undefined>>): string[] {
  return items.map((item) => {
    if (item.includes('=')) return item;
    const value = env[item];
    return value === undefined ? item : `${item}=${value}`;
  });
}

/** serviceOptions.makeEnv: in order, a later value of a variable replacing earlier ones. */
export function dedupeEnv(items: readonly string[]): string[] {
  const out: string[] = [];
  for (const item of items) {
    const key = item.split('=', 1)[0] ?? '';
    for (let i = out.length - 1; i >= 0; i--) {
      if (out[i] !== item && (out[i] ?? '').startsWith(`${key}=`)) out.splice(i, 1);
    }
    out.push(item);
  }
  return out;
}

/** updateOptions.updateConfig: nil unless a flag of the group was given, then defaults plus the flags. */
export function updateConfigFromFlags(flags: Flags, prefix: 'update' | 'rollback', base?: UpdateConfig): UpdateConfig | undefined {
  const names = ['parallelism', 'delay', 'monitor', 'failure-action', 'max-failure-ratio', 'order'].map((n) => `${prefix}-${n}`);
  if (!anyChanged(flags, ...names)) return base;
  const c: UpdateConfig = { ...(base ?? DEFAULT_UPDATE_CONFIG) };
  if (flags.changed(`${prefix}-parallelism`)) c.Parallelism = flags.number(`${prefix}-parallelism`) ?? 0;
  if (flags.changed(`${prefix}-delay`)) c.Delay = flags.number(`${prefix}-delay`) ?? 0;
  if (flags.changed(`${prefix}-monitor`)) c.Monitor = flags.number(`${prefix}-monitor`) ?? 0;
  if (flags.changed(`${prefix}-failure-action`)) c.FailureAction = (flags.string(`${prefix}-failure-action`) ?? '') as FailureAction;
  if (flags.changed(`${prefix}-max-failure-ratio`)) c.MaxFailureRatio = flags.number(`${prefix}-max-failure-ratio`) ?? 0;
  if (flags.changed(`${prefix}-order`)) c.Order = (flags.string(`${prefix}-order`) ?? '') as UpdateOrder;
  return c;
}

/** restartPolicyOptions.ToRestartPolicy, or the update of an existing policy. */
export function restartPolicyFromFlags(flags: Flags, base?: RestartPolicy): RestartPolicy | undefined {
  if (!anyChanged(flags, 'restart-condition', 'restart-delay', 'restart-max-attempts', 'restart-window')) return base;
  const p: RestartPolicy = { ...(base ?? DEFAULT_RESTART_POLICY) };
  if (flags.changed('restart-condition')) p.Condition = flags.string('restart-condition') as RestartCondition;
  if (flags.changed('restart-delay')) p.Delay = flags.number('restart-delay') ?? 0;
  if (flags.changed('restart-max-attempts')) p.MaxAttempts = flags.number('restart-max-attempts') ?? 0;
  if (flags.changed('restart-window')) p.Window = flags.number('restart-window') ?? 0;
  return p;
}

/** healthCheckOptions.toHealthConfig for create. */
function healthFromFlags(flags: Flags): HealthConfig | undefined {
  const cmd = flags.string('health-cmd') ?? '';
  const durations = ['health-interval', 'health-timeout', 'health-start-period', 'health-start-interval'];
  const have = cmd !== '' || durations.some((n) => flags.changed(n)) || (flags.number('health-retries') ?? 0) !== 0;
  if (flags.bool('no-healthcheck')) {
    if (have) throw new Error('--no-healthcheck conflicts with --health-* options');
    return { Test: ['NONE'] };
  }
  if (!have) return undefined;
  const h: HealthConfig = {};
  if (cmd !== '') h.Test = ['CMD-SHELL', cmd];
  const set = (name: string, key: 'Interval' | 'Timeout' | 'StartPeriod' | 'StartInterval'): void => {
    const v = flags.number(name) ?? 0;
    if (v !== 0) h[key] = v;
  };
  set('health-interval', 'Interval');
  set('health-timeout', 'Timeout');
  set('health-start-period', 'StartPeriod');
  set('health-start-interval', 'StartInterval');
  const retries = flags.number('health-retries') ?? 0;
  if (retries !== 0) h.Retries = retries;
  return h;
}

/** serviceOptions.ToServiceMode, with docker's refusals. */
export function serviceModeFromFlags(flags: Flags): ServiceMode {
  const mode = flags.string('mode') ?? 'replicated';
  const replicas = flags.number('replicas');
  const maxPerNode = flags.number('replicas-max-per-node') ?? 0;
  const concurrent = flags.number('max-concurrent');
  const notJob = (): void => {
    if (concurrent !== undefined) throw new Error('max-concurrent can only be used with replicated-job mode');
  };
  switch (mode) {
    case 'global':
      if (replicas !== undefined) throw new Error('replicas can only be used with replicated or replicated-job mode');
      if (maxPerNode > 0) throw new Error('replicas-max-per-node can only be used with replicated or replicated-job mode');
      notJob();
      return { Global: {} };
    case 'replicated':
      notJob();
      return { Replicated: replicas === undefined ? {} : { Replicas: replicas } };
    case 'replicated-job': {
      // docker: MaxConcurrent defaults to --replicas; both unset leave the daemon's defaults (1 and 1).
      const maxConcurrent = concurrent ?? replicas;
      return { ReplicatedJob: { ...(maxConcurrent !== undefined ? { MaxConcurrent: maxConcurrent } : {}), ...(replicas !== undefined ? { TotalCompletions: replicas } : {}) } };
    }
    case 'global-job':
      if (maxPerNode > 0) throw new Error('replicas-max-per-node can only be used with replicated or replicated-job mode');
      if (concurrent !== undefined) throw new Error('max-concurrent can only be used with replicated-job mode');
      if (replicas !== undefined) throw new Error('replicas can only be used with replicated or replicated-job mode');
      return { GlobalJob: {} };
    default:
      throw new Error(`Unknown mode: ${mode}, only replicated and global supported`);
  }
}

function resourcesFromFlags(flags: Flags): ResourceRequirements {
  const nonZero = <K extends string>(key: K, v: number | undefined): Partial<Record<K, number>> =>
    v === undefined || v === 0 ? {} : ({ [key]: v } as Record<K, number>);
  return {
    Limits: {
      ...nonZero('NanoCPUs', flags.number('limit-cpu')),
      ...nonZero('MemoryBytes', flags.number('limit-memory')),
      ...nonZero('Pids', flags.number('limit-pids')),
    },
    Reservations: { ...nonZero('NanoCPUs', flags.number('reserve-cpu')), ...nonZero('MemoryBytes', flags.number('reserve-memory')) },
  };
}

/** The values list flags parsed into arrays (ports, networks, preferences) are flattened. */
export const parsedList = <T>(flags: Flags, name: string): T[] => (flags.get(name) as T[] | undefined) ?? [];

export interface CreateInput {
  image: string;
  args: string[];
  flags: Flags;
  env: Readonly<Record<string, string | undefined>>;
  /** Network names or IDs already resolved to IDs (docker resolves them with GET /networks/{name}). */
  networks: NetworkAttachmentConfig[];
}

/** serviceOptions.ToService: the spec POST /services/create receives, shaped like docker's JSON. */
export function buildServiceSpec({ image, args, flags, env, networks }: CreateInput): ServiceSpec {
  const envList = dedupeEnv(resolveEnv(flags.list('env'), env));
  const health = healthFromFlags(flags);
  const mode = serviceModeFromFlags(flags);
  const updateConfig = updateConfigFromFlags(flags, 'update');
  const rollbackConfig = updateConfigFromFlags(flags, 'rollback');
  if ((mode.ReplicatedJob !== undefined || mode.GlobalJob !== undefined) && (updateConfig !== undefined || rollbackConfig !== undefined)) {
    throw new Error('update and rollback configuration is not supported for jobs');
  }
  const containerLabels = kvToMap(flags.list('container-label'));
  const entrypoint = flags.string('entrypoint');
  const command = entrypoint === undefined ? [] : shlexSplit(entrypoint);
  const str = (name: string): string => flags.string(name) ?? '';
  const restart = restartPolicyFromFlags(flags);
  const prefs = parsedList<{ Spread: { SpreadDescriptor: string } }>(flags, 'placement-pref');
  const constraints = flags.list('constraint');
  const maxReplicas = flags.number('replicas-max-per-node') ?? 0;
  const logDriver = str('log-driver');
  const ports = parsedList<PortConfig>(flags, 'publish');
  const spec: ServiceSpec = {
    Name: str('name'),
    Labels: kvToMap(flags.list('label')),
    TaskTemplate: {
      ContainerSpec: {
        Image: image,
        ...(Object.keys(containerLabels).length > 0 ? { Labels: containerLabels } : {}),
        ...(command.length > 0 ? { Command: command } : {}),
        ...(args.length > 0 ? { Args: args } : {}),
        ...(str('hostname') === '' ? {} : { Hostname: str('hostname') }),
        ...(envList.length > 0 ? { Env: envList } : {}),
        ...(str('workdir') === '' ? {} : { Dir: str('workdir') }),
        ...(str('user') === '' ? {} : { User: str('user') }),
        Init: flags.bool('init'),
        ...(str('stop-signal') === '' ? {} : { StopSignal: str('stop-signal') }),
        ...(flags.bool('tty') ? { TTY: true } : {}),
        ...(flags.bool('read-only') ? { ReadOnly: true } : {}),
        ...(flags.changed('stop-grace-period') ? { StopGracePeriod: flags.number('stop-grace-period') ?? 0 } : {}),
        ...(health === undefined ? {} : { Healthcheck: health }),
        DNSConfig: {},
      },
      ...(networks.length > 0 ? { Networks: [...networks].sort((a, b) => (a.Target < b.Target ? -1 : a.Target > b.Target ? 1 : 0)) } : {}),
      Resources: resourcesFromFlags(flags),
      ...(restart === undefined ? {} : { RestartPolicy: restart }),
      Placement: {
        ...(constraints.length > 0 ? { Constraints: constraints } : {}),
        ...(prefs.length > 0 ? { Preferences: prefs } : {}),
        ...(maxReplicas > 0 ? { MaxReplicas: maxReplicas } : {}),
      },
      ...(logDriver === '' ? {} : { LogDriver: { Name: logDriver, Options: kvToMap(flags.list('log-opt')) } }),
      ForceUpdate: 0,
    },
    Mode: mode,
    ...(updateConfig === undefined ? {} : { UpdateConfig: updateConfig }),
    ...(rollbackConfig === undefined ? {} : { RollbackConfig: rollbackConfig }),
    EndpointSpec: {
      Mode: (flags.string('endpoint-mode') ?? 'vip').toLowerCase() as EndpointMode,
      ...(ports.length > 0 ? { Ports: ports } : {}),
    },
  };
  return spec;
}

// Flags shared by `service create` and `service update`, and create's mapping of
// them to a ServiceSpec (docker/cli cli/command/service/opts.go ToService).
import type {
  ContainerSpec,
  EndpointMode,
  FailureAction,
  GenericResource,
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
import { readFileGo } from '../format/go-fs';
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
import {
  type CredentialSpec,
  type MountConfig,
  type Ulimit,
  effectiveCapabilities,
  parseConfigRef,
  parseCredentialSpec,
  parseGenericResources,
  parseMount,
  parseSecretRef,
  parseUlimit,
  swarmHosts,
  validateDnsSearch,
  validateExtraHost,
  validateGenericResource,
  validateIpAddress,
} from './service-container-parse';

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
    flag('credential-spec', 'string', 'Credential spec for managed service account (Windows only)', {
      parse: (v): CredentialSpecFlag => ({ source: v, value: parseCredentialSpec(v) }),
    }),
    flag('hostname', 'string', 'Container hostname'),
    flag('entrypoint', 'string', 'Overwrite the default ENTRYPOINT of the image', { parse: shlex }),
    flag('cap-add', 'list', 'Add Linux capabilities'),
    flag('cap-drop', 'list', 'Drop Linux capabilities'),
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
    flag('isolation', 'string', 'Service container isolation mode'),
  ];
}

/** Value parsers of the ContainerSpec flags; `service update`'s -add flags use the same ones. */
export const CONTAINER_FLAG_PARSERS = {
  mount: (v: string): MountConfig => parseMount(v),
  secret: parseSecretRef,
  config: parseConfigRef,
  dns: validateIpAddress,
  dnsSearch: validateDnsSearch,
  host: validateExtraHost,
  ulimit: parseUlimit,
  genericResource: validateGenericResource,
} as const;

/** Flags only `service create` has. */
export const CREATE_ONLY_FLAGS: FlagSpec[] = [
  flag('mode', 'string', 'Service mode ("replicated", "global", "replicated-job", "global-job")', { defaultText: '"replicated"' }),
  flag('name', 'string', 'Service name'),
  flag('label', 'list', 'Service labels', { short: 'l', parse: validateLabel }),
  flag('container-label', 'list', 'Container labels', { parse: validateLabel }),
  flag('env', 'list', 'Set environment variables', { short: 'e', parse: validateEnv }),
  flag('env-file', 'list', 'Read in a file of environment variables'),
  flag('mount', 'list', 'Attach a filesystem mount to the service', { parse: CONTAINER_FLAG_PARSERS.mount }),
  flag('constraint', 'list', 'Placement constraints'),
  flag('placement-pref', 'list', 'Add a placement preference', { parse: parsePlacementPref }),
  flag('network', 'list', 'Network attachments', { parse: parseNetworkAttachment }),
  flag('secret', 'list', 'Specify secrets to expose to the service', { parse: CONTAINER_FLAG_PARSERS.secret }),
  flag('config', 'list', 'Specify configurations to expose to the service', { parse: CONTAINER_FLAG_PARSERS.config }),
  flag('publish', 'list', 'Publish a port as a node port', { short: 'p', parse: parsePublish }),
  flag('group', 'list', 'Set one or more supplementary user groups for the container'),
  flag('dns', 'list', 'Set custom DNS servers', { parse: CONTAINER_FLAG_PARSERS.dns }),
  flag('dns-option', 'list', 'Set DNS options'),
  flag('dns-search', 'list', 'Set custom DNS search domains', { parse: CONTAINER_FLAG_PARSERS.dnsSearch }),
  flag('host', 'list', 'Set one or more custom host-to-IP mappings (host:ip)', { parse: CONTAINER_FLAG_PARSERS.host }),
  flag('init', 'bool', 'Use an init inside each service container to forward signals and reap processes'),
  flag('sysctl', 'list', 'Sysctl options'),
  flag('ulimit', 'list', 'Ulimit options', { parse: CONTAINER_FLAG_PARSERS.ulimit }),
  flag('oom-score-adj', 'int', "Tune host's OOM preferences (-1000 to 1000) "),
  flag('generic-resource', 'list', 'User defined resources', { parse: CONTAINER_FLAG_PARSERS.genericResource }),
];

/** swarm.Privileges as docker marshals it (no omitempty on these three). */
export interface Privileges {
  CredentialSpec: CredentialSpec | null;
  SELinuxContext: null;
  NoNewPrivileges: boolean;
  [key: string]: unknown;
}

/** ContainerSpec with the fields docker sends that @shoal/api's type leaves out (or types more narrowly). */
export type ContainerSpecX = Omit<ContainerSpec, 'Mounts'> & { Mounts?: MountConfig[]; Privileges?: Privileges; OomScoreAdj?: number };

/** UlimitOpt.GetList: one per name (the last given wins), sorted by name. */
export function ulimitList(values: readonly Ulimit[]): Ulimit[] {
  const byName = new Map<string, Ulimit>();
  for (const u of values) byName.set(u.Name, u);
  return [...byName.values()].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
}

/** kvfile.Parse for --env-file: `KEY=VALUE` lines; a bare KEY takes the CLI's value, or is left out. */
export function readEnvFile(path: string, env: Readonly<Record<string, string | undefined>>): string[] {
  const bytes = readFileGo(path);
  const out: string[] = [];
  const fail = (text: string): never => {
    throw new Error(`invalid env file (${path}): ${text}`);
  };
  const lines = bytes.toString('latin1').split('\n');
  if (lines.at(-1) === '') lines.pop();
  let offset = 0;
  lines.forEach((raw, i) => {
    const lineBytes = bytes.subarray(offset, offset + raw.length);
    offset += raw.length + 1;
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(lineBytes);
    } catch {
      return fail(`invalid utf8 bytes at line ${i + 1}: [${[...lineBytes].join(' ')}]`);
    }
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (i === 0 && text.startsWith('\uFEFF')) text = text.slice(1);
    const line = text.trimStart();
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const key = eq < 0 ? line : line.slice(0, eq);
    if (key === '') fail(`no variable name on line '${line}'`);
    if (/[ \t]/.test(key)) fail(`variable '${key}' contains whitespaces`);
    if (eq >= 0) out.push(line);
    else if (env[line] !== undefined) out.push(`${key}=${env[line] ?? ''}`);
  });
  return out;
}

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

/** credentialSpecOpt: the value as given (String()) and as parsed (Value()). */
export interface CredentialSpecFlag {
  source: string;
  value: CredentialSpec;
}
export const credentialSpecFlag = (flags: Flags): CredentialSpecFlag | undefined => flags.get('credential-spec') as CredentialSpecFlag | undefined;

/** resourceOptions.ToResourceRequirements' GenericResources (create parses them after resolving networks). */
export function genericResourcesFromFlags(flags: Flags): GenericResource[] {
  return parseGenericResources(flags.list('generic-resource'));
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
  // makeEnv: --env-file contents first, then --env, a later value replacing an earlier one.
  const envList = dedupeEnv([...flags.list('env-file').flatMap((file) => readEnvFile(file, env)), ...resolveEnv(flags.list('env'), env)]);
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
  const caps = effectiveCapabilities(flags.list('cap-add'), flags.list('cap-drop'));
  const credentialSpec = credentialSpecFlag(flags);
  const groups = flags.list('group');
  const mounts = parsedList<MountConfig>(flags, 'mount');
  const hosts = swarmHosts(flags.list('host'));
  const sysctls = kvToMap(flags.list('sysctl'));
  const ulimits = ulimitList(parsedList<Ulimit>(flags, 'ulimit'));
  const oomScoreAdj = flags.number('oom-score-adj') ?? 0;
  const nonEmpty = <K extends string, V>(key: K, list: readonly V[]): Partial<Record<K, V[]>> =>
    list.length > 0 ? ({ [key]: [...list] } as Record<K, V[]>) : {};
  const container: ContainerSpecX = {
    Image: image,
    ...(Object.keys(containerLabels).length > 0 ? { Labels: containerLabels } : {}),
    ...(command.length > 0 ? { Command: command } : {}),
    ...(args.length > 0 ? { Args: args } : {}),
    ...(str('hostname') === '' ? {} : { Hostname: str('hostname') }),
    ...(envList.length > 0 ? { Env: envList } : {}),
    ...(str('workdir') === '' ? {} : { Dir: str('workdir') }),
    ...(str('user') === '' ? {} : { User: str('user') }),
    ...nonEmpty('Groups', groups),
    ...(credentialSpec === undefined || credentialSpec.source === ''
      ? {}
      : { Privileges: { CredentialSpec: credentialSpec.value, SELinuxContext: null, NoNewPrivileges: false } }),
    Init: flags.bool('init'),
    ...(str('stop-signal') === '' ? {} : { StopSignal: str('stop-signal') }),
    ...(flags.bool('tty') ? { TTY: true } : {}),
    ...(flags.bool('read-only') ? { ReadOnly: true } : {}),
    ...nonEmpty('Mounts', mounts),
    ...(flags.changed('stop-grace-period') ? { StopGracePeriod: flags.number('stop-grace-period') ?? 0 } : {}),
    ...(health === undefined ? {} : { Healthcheck: health }),
    ...nonEmpty('Hosts', hosts),
    DNSConfig: {
      ...nonEmpty('Nameservers', flags.list('dns')),
      ...nonEmpty('Search', flags.list('dns-search')),
      ...nonEmpty('Options', flags.list('dns-option')),
    },
    ...(str('isolation') === '' ? {} : { Isolation: str('isolation') }),
    ...(Object.keys(sysctls).length > 0 ? { Sysctls: sysctls } : {}),
    ...nonEmpty('CapabilityAdd', caps.add),
    ...nonEmpty('CapabilityDrop', caps.drop),
    ...nonEmpty('Ulimits', ulimits),
    ...(oomScoreAdj === 0 ? {} : { OomScoreAdj: oomScoreAdj }),
  };
  const spec: ServiceSpec = {
    Name: str('name'),
    Labels: kvToMap(flags.list('label')),
    TaskTemplate: {
      ContainerSpec: container as ContainerSpec,
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

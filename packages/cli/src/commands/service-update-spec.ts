// `service update`'s flags and how they change a service's current spec
// (docker/cli cli/command/service/update.go updateService), with no I/O.
import type { EndpointMode, GenericResource, HealthConfig, NetworkAttachmentConfig, PortConfig, ServiceSpec, TaskSpec } from '@shoal/api';
import type { Flags, FlagSpec } from '../command-kit';
import {
  kvToMap,
  parseNetworkAttachment,
  parsePlacementPref,
  parsePublish,
  shlexSplit,
  validateEnv,
  validateLabel,
} from './service-parse';
import {
  capabilitySet,
  parseGenericResources,
  swarmHosts,
  type MountConfig,
  type Ulimit,
} from './service-container-parse';
import {
  CONTAINER_FLAG_PARSERS,
  dedupeEnv,
  parsedList,
  resolveEnv,
  restartPolicyFromFlags,
  ulimitList,
  updateConfigFromFlags,
  type ContainerSpecX,
} from './service-opts';

const list = (name: string, description: string, parse?: (v: string) => unknown): FlagSpec => ({
  name,
  kind: 'list',
  description,
  ...(parse === undefined ? {} : { parse }),
});

/** Flags only `service update` has. */
export const UPDATE_ONLY_FLAGS: FlagSpec[] = [
  { name: 'image', kind: 'string', description: 'Service image tag' },
  {
    name: 'args',
    kind: 'string',
    description: 'Service command args',
    parse: (v) => {
      shlexSplit(v);
      return v;
    },
  },
  { name: 'rollback', kind: 'bool', description: 'Rollback to previous specification' },
  { name: 'force', kind: 'bool', description: 'Force update even if no changes require it' },
  { name: 'init', kind: 'bool', description: 'Use an init inside each service container to forward signals and reap processes' },
  list('env-add', 'Add or update an environment variable', validateEnv),
  list('env-rm', 'Remove an environment variable'),
  list('label-add', 'Add or update a service label', validateLabel),
  list('label-rm', 'Remove a label by its key'),
  list('container-label-add', 'Add or update a container label', validateLabel),
  list('container-label-rm', 'Remove a container label by its key'),
  list('constraint-add', 'Add or update a placement constraint'),
  list('constraint-rm', 'Remove a constraint'),
  list('placement-pref-add', 'Add a placement preference', parsePlacementPref),
  list('placement-pref-rm', 'Remove a placement preference', parsePlacementPref),
  list('publish-add', 'Add or update a published port', parsePublish),
  list('publish-rm', 'Remove a published port by its target port', parsePublish),
  list('network-add', 'Add a network', parseNetworkAttachment),
  list('network-rm', 'Remove a network'),
  list('mount-add', 'Add or update a mount on a service', CONTAINER_FLAG_PARSERS.mount),
  list('mount-rm', 'Remove a mount by its target path'),
  list('secret-add', 'Add or update a secret on a service', CONTAINER_FLAG_PARSERS.secret),
  list('secret-rm', 'Remove a secret'),
  list('config-add', 'Add or update a config file on a service', CONTAINER_FLAG_PARSERS.config),
  list('config-rm', 'Remove a configuration file'),
  list('group-add', 'Add an additional supplementary user group to the container'),
  list('group-rm', 'Remove a previously added supplementary user group from the container'),
  list('dns-add', 'Add or update a custom DNS server', CONTAINER_FLAG_PARSERS.dns),
  list('dns-rm', 'Remove a custom DNS server'),
  list('dns-option-add', 'Add or update a DNS option'),
  list('dns-option-rm', 'Remove a DNS option'),
  list('dns-search-add', 'Add or update a custom DNS search domain', CONTAINER_FLAG_PARSERS.dnsSearch),
  list('dns-search-rm', 'Remove a DNS search domain'),
  list('host-add', 'Add a custom host-to-IP mapping ("host:ip")', CONTAINER_FLAG_PARSERS.host),
  list('host-rm', 'Remove a custom host-to-IP mapping ("host:ip")'),
  list('sysctl-add', 'Add or update a Sysctl option'),
  list('sysctl-rm', 'Remove a Sysctl option'),
  list('ulimit-add', 'Add or update a ulimit option', CONTAINER_FLAG_PARSERS.ulimit),
  list('ulimit-rm', 'Remove a ulimit option'),
  { name: 'oom-score-adj', kind: 'int', description: "Tune host's OOM preferences (-1000 to 1000) " },
  list('generic-resource-add', 'Add a Generic resource', CONTAINER_FLAG_PARSERS.genericResource),
  list('generic-resource-rm', 'Remove a Generic resource'),
];

export interface UpdateContext {
  /** The CLI's environment, for `--env-add KEY` without a value. */
  env: Readonly<Record<string, string | undefined>>;
  /** Network references of --network-add/--network-rm resolved to IDs. */
  networkIds: ReadonlyMap<string, string>;
}

const anyChanged = (flags: Flags, ...names: string[]): boolean => names.some((n) => flags.changed(n));

function updateMap(flags: Flags, current: Record<string, string> | undefined, add: string, rm: string): Record<string, string> | undefined {
  let out = current;
  if (out !== undefined && flags.changed(rm)) for (const key of flags.list(rm)) delete out[key];
  if (flags.changed(add)) {
    out ??= {};
    Object.assign(out, kvToMap(flags.list(add)));
  }
  return out;
}

/** updateEnvironment; a replaced variable keeps its place, new ones go last. */
function updateEnv(flags: Flags, current: readonly string[], env: UpdateContext['env']): string[] {
  const key = (v: string): string => v.split('=', 1)[0] ?? '';
  const remove = new Set(flags.list('env-rm'));
  const out = current.filter((v) => !remove.has(key(v)));
  if (!flags.changed('env-add')) return out;
  for (const v of dedupeEnv(resolveEnv(flags.list('env-add'), env))) {
    const i = out.findIndex((e) => key(e) === key(v));
    if (i >= 0) out[i] = v;
    else out.push(v);
  }
  return out;
}

const portKey = (p: PortConfig): string => `${p.PublishedPort ?? 0}:${p.TargetPort}/${p.Protocol ?? ''}/${p.PublishMode ?? ''}`;
const sameProtocol = (a: string | undefined, b: string | undefined): boolean => (a ?? 'tcp') === (b ?? 'tcp');
const sameMode = (a: string | undefined, b: string | undefined): boolean => (a ?? 'ingress') === (b ?? 'ingress');

/** updatePorts: removal by target port, protocol and mode; additions deduplicated; sorted by key. */
function updatePorts(flags: Flags, current: readonly PortConfig[]): PortConfig[] {
  const byKey = new Map<string, PortConfig>();
  for (const p of current) if (!byKey.has(portKey(p))) byKey.set(portKey(p), p);
  const remove = parsedList<PortConfig>(flags, 'publish-rm');
  const out = [...byKey.values()].filter(
    (p) => !remove.some((r) => sameProtocol(p.Protocol, r.Protocol) && p.TargetPort === r.TargetPort && sameMode(p.PublishMode, r.PublishMode)),
  );
  for (const p of parsedList<PortConfig>(flags, 'publish-add')) if (!byKey.has(portKey(p))) out.push(p);
  return out.sort((a, b) => (portKey(a) < portKey(b) ? -1 : portKey(a) > portKey(b) ? 1 : 0));
}

function updateNetworks(flags: Flags, spec: ServiceSpec, ids: UpdateContext['networkIds']): void {
  const current = spec.TaskTemplate.Networks?.length ? spec.TaskTemplate.Networks : (spec.Networks ?? []);
  delete spec.Networks;
  const removeIds = new Set(flags.list('network-rm').map((ref) => ids.get(ref) ?? ref));
  const out = current.filter((n) => !removeIds.has(n.Target));
  const existing = new Set(out.map((n) => n.Target));
  for (const n of parsedList<NetworkAttachmentConfig>(flags, 'network-add')) {
    const id = ids.get(n.Target) ?? n.Target;
    if (existing.has(id)) throw new Error(`service is already attached to network ${n.Target}`);
    out.push({ ...n, Target: id });
    existing.add(id);
  }
  spec.TaskTemplate.Networks = out.sort((a, b) => (a.Target < b.Target ? -1 : a.Target > b.Target ? 1 : 0));
}

function updateHealthcheck(flags: Flags, current: HealthConfig | undefined): HealthConfig | undefined {
  const settings = ['health-cmd', 'health-interval', 'health-retries', 'health-timeout', 'health-start-period', 'health-start-interval'];
  if (!anyChanged(flags, 'no-healthcheck', ...settings)) return current;
  if (flags.bool('no-healthcheck')) {
    if (anyChanged(flags, ...settings)) throw new Error('--no-healthcheck conflicts with --health-* options');
    return { Test: ['NONE'] };
  }
  const h: HealthConfig = { ...(current ?? {}) };
  if (h.Test?.[0] === 'NONE') delete h.Test;
  const durations = [
    ['health-interval', 'Interval'],
    ['health-timeout', 'Timeout'],
    ['health-start-period', 'StartPeriod'],
    ['health-start-interval', 'StartInterval'],
  ] as const;
  for (const [name, key] of durations) if (flags.changed(name)) h[key] = flags.number(name) ?? 0;
  if (flags.changed('health-retries')) h.Retries = flags.number('health-retries') ?? 0;
  if (flags.changed('health-cmd')) {
    const cmd = flags.string('health-cmd') ?? '';
    if (cmd === '') delete h.Test;
    else h.Test = ['CMD-SHELL', cmd];
  }
  return h;
}

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** updateMounts (on every update): --mount-add replaces mounts of the same target; --mount-rm removes by target; sorted by source, then target. */
function updateMounts(flags: Flags, current: readonly MountConfig[]): MountConfig[] {
  const byTarget = new Map<string, MountConfig>();
  for (const m of parsedList<MountConfig>(flags, 'mount-add')) {
    if (byTarget.has(m.Target)) throw new Error('duplicate mount target');
    byTarget.set(m.Target, m);
  }
  for (const m of current) if (!byTarget.has(m.Target)) byTarget.set(m.Target, m);
  const remove = new Set(flags.list('mount-rm'));
  return [...byTarget.values()]
    .filter((m) => !remove.has(m.Target))
    .sort((a, b) => ((a.Source ?? '') === (b.Source ?? '') ? byString(a.Target, b.Target) : byString(a.Source ?? '', b.Source ?? '')));
}

/** updateUlimits (on every update): one per name, removals by name, sorted by name. */
function updateUlimits(flags: Flags, current: readonly Ulimit[]): Ulimit[] {
  const byName = new Map<string, Ulimit>();
  for (const u of current) byName.set(u.Name, u);
  for (const name of Object.keys(kvToMap(flags.list('ulimit-rm')))) byName.delete(name);
  for (const u of ulimitList(parsedList<Ulimit>(flags, 'ulimit-add'))) byName.set(u.Name, u);
  return ulimitList([...byName.values()]);
}

/** buildGenericResourceMap: only discrete resources, one per kind. */
function genericResourceMap(current: readonly GenericResource[]): Map<string, GenericResource> {
  const m = new Map<string, GenericResource>();
  for (const r of current) {
    const kind = r.DiscreteResourceSpec?.Kind;
    if (r.DiscreteResourceSpec === undefined || kind === undefined) throw new Error(`invalid generic-resource \`${JSON.stringify(r)}\` for service task`);
    if (m.has(kind)) throw new Error(`duplicate generic-resource \`${kind}\` for service task`);
    m.set(kind, r);
  }
  return m;
}

/** addGenericResources and removeGenericResources. */
function updateGenericResources(flags: Flags, task: TaskSpec): void {
  for (const op of ['add', 'rm'] as const) {
    if (!flags.changed(`generic-resource-${op}`)) continue;
    const reservations = ((task.Resources ??= {}).Reservations ??= {});
    const added = op === 'add' ? parseGenericResources(flags.list('generic-resource-add')) : [];
    const m = genericResourceMap(reservations.GenericResources ?? []);
    for (const r of added) m.set(r.DiscreteResourceSpec?.Kind ?? '', r);
    for (const kind of op === 'rm' ? flags.list('generic-resource-rm') : []) {
      if (!m.has(kind)) throw new Error(`could not find generic-resource \`${kind}\` to remove it`);
      m.delete(kind);
    }
    if (m.size > 0) reservations.GenericResources = [...m.values()];
    else delete reservations.GenericResources;
  }
}

/** updateDNSConfig's lists: the -add values appended, duplicates dropped, the -rm values removed, sorted. */
function addRemoveSorted(current: readonly string[], add: readonly string[], remove: readonly string[]): string[] {
  const rm = new Set(remove);
  return [...new Set([...current, ...add])].filter((v) => !rm.has(v)).sort(byString);
}

/** updateDNSConfig */
function updateDns(flags: Flags, c: ContainerSpecX): void {
  const current = c.DNSConfig ?? {};
  const next: NonNullable<ContainerSpecX['DNSConfig']> = {};
  const fields = [
    ['Nameservers', 'dns'],
    ['Search', 'dns-search'],
    ['Options', 'dns-option'],
  ] as const;
  for (const [key, flag] of fields) {
    const list = addRemoveSorted(current[key] ?? [], flags.list(`${flag}-add`), flags.list(`${flag}-rm`));
    if (list.length > 0) next[key] = list;
  }
  c.DNSConfig = next;
}

/** updateHosts: `--host-rm host` removes the name from every entry, `host:ip` only from entries of that address; an entry left without names goes. */
function updateHosts(flags: Flags, current: readonly string[]): string[] {
  const remove = flags.list('host-rm').map((entry) => {
    const colon = entry.indexOf(':');
    return colon < 0 ? { host: entry, ip: '' } : { host: entry.slice(0, colon), ip: entry.slice(colon + 1) };
  });
  const out: string[] = [];
  for (const entry of current) {
    const parts = entry.split(/\s+/).filter((p) => p !== '');
    if (parts.length === 0) continue;
    const [ip = '', ...names] = parts;
    const kept = names.filter((h) => !remove.some((rm) => (rm.ip === '' || rm.ip === ip) && rm.host === h));
    if (kept.length > 0) out.push(`${ip} ${kept.join(' ')}`);
  }
  out.push(...swarmHosts(flags.list('host-add')));
  return [...new Set(out)];
}

/** updateCapabilities: a capability added where it was dropped (or the reverse) only leaves that list; RESET clears one. */
function updateCapabilities(flags: Flags, c: ContainerSpecX): void {
  let capAdd = capabilitySet(c.CapabilityAdd ?? []);
  let capDrop = capabilitySet(c.CapabilityDrop ?? []);
  const toAdd = capabilitySet(flags.list('cap-add'));
  const toDrop = capabilitySet(flags.list('cap-drop'));
  if (toAdd.delete('RESET')) capAdd = new Set();
  if (toDrop.delete('RESET')) capDrop = new Set();
  for (const cap of toDrop) {
    if (toAdd.has(cap)) continue;
    if (capAdd.has(cap)) capAdd.delete(cap);
    else capDrop.add(cap);
  }
  for (const cap of toAdd) {
    if (capDrop.has(cap)) capDrop.delete(cap);
    else capAdd.add(cap);
  }
  const list = (caps: Set<string>): string[] | undefined => (caps.size === 0 ? undefined : caps.has('ALL') ? ['ALL'] : [...caps].sort(byString));
  const add = list(capAdd);
  const drop = list(capDrop);
  if (drop === undefined) delete c.CapabilityDrop;
  else c.CapabilityDrop = drop;
  if (add === undefined) delete c.CapabilityAdd;
  else c.CapabilityAdd = add;
}

function updateTask(flags: Flags, spec: ServiceSpec, ctx: UpdateContext): void {
  const task = spec.TaskTemplate;
  const c = (task.ContainerSpec ??= { Image: '' });
  const labels = updateMap(flags, c.Labels, 'container-label-add', 'container-label-rm');
  if (labels !== undefined) c.Labels = labels;
  if (flags.changed('image')) c.Image = flags.string('image') ?? '';
  if (flags.changed('args')) c.Args = shlexSplit(flags.string('args') ?? '');
  if (flags.changed('entrypoint')) c.Command = shlexSplit(flags.string('entrypoint') ?? '');
  const env = updateEnv(flags, c.Env ?? [], ctx.env);
  if (env.length > 0 || c.Env !== undefined) c.Env = env;
  if (flags.changed('workdir')) c.Dir = flags.string('workdir') ?? '';
  if (flags.changed('user')) c.User = flags.string('user') ?? '';
  if (flags.changed('hostname')) c.Hostname = flags.string('hostname') ?? '';
  if (flags.changed('init')) c.Init = flags.bool('init');
  const cx = c as ContainerSpecX;
  if (flags.changed('isolation')) c.Isolation = flags.string('isolation') ?? '';
  const mounts = updateMounts(flags, cx.Mounts ?? []);
  if (mounts.length > 0) cx.Mounts = mounts;
  else delete cx.Mounts;
  if (anyChanged(flags, 'sysctl-add', 'sysctl-rm')) {
    if (c.Sysctls !== undefined) for (const key of Object.keys(kvToMap(flags.list('sysctl-rm')))) delete c.Sysctls[key];
    if (flags.changed('sysctl-add')) c.Sysctls = { ...(c.Sysctls ?? {}), ...kvToMap(flags.list('sysctl-add')) };
  }
  const ulimits = updateUlimits(flags, c.Ulimits ?? []);
  if (ulimits.length > 0) c.Ulimits = ulimits;
  else delete c.Ulimits;
  if (anyChanged(flags, 'limit-cpu', 'limit-memory', 'limit-pids')) {
    const limits = ((task.Resources ??= {}).Limits ??= {});
    if (flags.changed('limit-cpu')) limits.NanoCPUs = flags.number('limit-cpu') ?? 0;
    if (flags.changed('limit-memory')) limits.MemoryBytes = flags.number('limit-memory') ?? 0;
    if (flags.changed('limit-pids')) limits.Pids = flags.number('limit-pids') ?? 0;
  }
  if (anyChanged(flags, 'reserve-cpu', 'reserve-memory')) {
    const res = ((task.Resources ??= {}).Reservations ??= {});
    if (flags.changed('reserve-cpu')) res.NanoCPUs = flags.number('reserve-cpu') ?? 0;
    if (flags.changed('reserve-memory')) res.MemoryBytes = flags.number('reserve-memory') ?? 0;
  }
  if (flags.changed('oom-score-adj')) cx.OomScoreAdj = flags.number('oom-score-adj') ?? 0;
  updateGenericResources(flags, task);
  if (flags.changed('stop-grace-period')) c.StopGracePeriod = flags.number('stop-grace-period') ?? 0;
  const restart = restartPolicyFromFlags(flags, task.RestartPolicy);
  if (restart !== undefined) task.RestartPolicy = restart;
  if (anyChanged(flags, 'constraint-add', 'constraint-rm')) {
    const placement = (task.Placement ??= {});
    const remove = new Set(flags.list('constraint-rm'));
    placement.Constraints = [...(placement.Constraints ?? []), ...flags.list('constraint-add')].filter((x) => !remove.has(x)).sort();
  }
  if (anyChanged(flags, 'placement-pref-add', 'placement-pref-rm')) {
    const placement = (task.Placement ??= {});
    const remove = parsedList<{ Spread: { SpreadDescriptor: string } }>(flags, 'placement-pref-rm').map((p) => p.Spread.SpreadDescriptor);
    const kept = (placement.Preferences ?? []).filter((p) => !remove.includes(p.Spread.SpreadDescriptor));
    placement.Preferences = [...kept, ...parsedList<{ Spread: { SpreadDescriptor: string } }>(flags, 'placement-pref-add')];
  }
  if (anyChanged(flags, 'network-add', 'network-rm')) updateNetworks(flags, spec, ctx.networkIds);
  if (flags.changed('replicas-max-per-node')) (task.Placement ??= {}).MaxReplicas = flags.number('replicas-max-per-node') ?? 0;
  if (anyChanged(flags, 'group-add', 'group-rm')) {
    // updateGroups: appended, removed and sorted, but (unlike the DNS lists) not deduplicated.
    const remove = new Set(flags.list('group-rm'));
    const groups = [...(c.Groups ?? []), ...flags.list('group-add')].filter((g) => !remove.has(g)).sort(byString);
    if (groups.length > 0) c.Groups = groups;
    else delete c.Groups;
  }
  if (anyChanged(flags, 'dns-add', 'dns-rm', 'dns-option-add', 'dns-option-rm', 'dns-search-add', 'dns-search-rm')) updateDns(flags, cx);
  if (anyChanged(flags, 'host-add', 'host-rm')) {
    const hosts = updateHosts(flags, c.Hosts ?? []);
    if (hosts.length > 0) c.Hosts = hosts;
    else delete c.Hosts;
  }
  if (flags.changed('log-driver') && (flags.string('log-driver') ?? '') !== '') {
    task.LogDriver = { Name: flags.string('log-driver') ?? '', Options: kvToMap(flags.list('log-opt')) };
  }
  if (flags.bool('force')) task.ForceUpdate = (task.ForceUpdate ?? 0) + 1;
  const health = updateHealthcheck(flags, c.Healthcheck ?? c.HealthCheck);
  if (health !== undefined) {
    delete c.HealthCheck;
    c.Healthcheck = health;
  }
  if (flags.changed('tty')) c.TTY = flags.bool('tty');
  if (flags.changed('read-only')) c.ReadOnly = flags.bool('read-only');
  if (flags.changed('stop-signal')) c.StopSignal = flags.string('stop-signal') ?? '';
  if (anyChanged(flags, 'cap-add', 'cap-drop')) updateCapabilities(flags, cx);
}

/** Applies the flags to `spec` in place, in docker's order; throws docker's refusals. */
export function applyServiceUpdate(spec: ServiceSpec, flags: Flags, ctx: UpdateContext): void {
  const labels = updateMap(flags, spec.Labels, 'label-add', 'label-rm');
  if (labels !== undefined) spec.Labels = labels;
  updateTask(flags, spec, ctx);
  if (flags.changed('replicas')) {
    if (spec.Mode?.Replicated === undefined) throw new Error('replicas can only be used with replicated mode');
    spec.Mode.Replicated.Replicas = flags.number('replicas') ?? 0;
  }
  const update = updateConfigFromFlags(flags, 'update', spec.UpdateConfig);
  if (update !== undefined) spec.UpdateConfig = update;
  const rollback = updateConfigFromFlags(flags, 'rollback', spec.RollbackConfig);
  if (rollback !== undefined) spec.RollbackConfig = rollback;
  if (flags.changed('endpoint-mode')) (spec.EndpointSpec ??= {}).Mode = (flags.string('endpoint-mode') ?? '') as EndpointMode;
  if (anyChanged(flags, 'publish-add', 'publish-rm')) {
    const endpoint = (spec.EndpointSpec ??= {});
    endpoint.Ports = updatePorts(flags, endpoint.Ports ?? []);
  }
}

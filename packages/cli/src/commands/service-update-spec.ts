// `service update`'s flags and how they change a service's current spec
// (docker/cli cli/command/service/update.go updateService), with no I/O.
import type { EndpointMode, HealthConfig, NetworkAttachmentConfig, PortConfig, ServiceSpec } from '@shoal/api';
import type { Flags, FlagSpec } from '../command-kit';
import { kvToMap, parseNetworkAttachment, parsePlacementPref, parsePublish, shlexSplit, validateEnv, validateLabel } from './service-parse';
import { dedupeEnv, parsedList, resolveEnv, restartPolicyFromFlags, updateConfigFromFlags } from './service-opts';

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

// /services, /tasks, /networks and the logs endpoints of the Engine API.
import { ConflictError, InvalidArgumentError, NO_SWARM_NOT_MANAGER_TEXT, TASK_STATES, NotFoundError, NotManagerError, PermissionDeniedError, labelMatches, labelsMatchAll, networkMatches, serviceStatuses, type ServiceObject, type TaskObject } from '@shoal/store';
import type { ServiceSpec as EngineServiceSpec, ServiceStatus } from '../engine/types';
import { compareApiVersions } from '../client/api-version';
import type { EngineBackend } from './backend';
import { parseFilters, parseUntil, type ParsedFilters } from './filters';
import { frameLogRecord, parseLogRequest } from './logs';
import { enableIPv6, ipamConfigs, ipamProblem } from './network-ipam';
import type { Router, RouteContext } from './router';
import { fromEngineServiceSpec, toEngineNetwork, toEngineService, toEngineTask } from './service-mapping';
import { versionParam } from './version-param';

/** `network create --config-only`: libnetwork's local configuration networks, which Shoal's swarm-scoped store does not hold. */
const CONFIG_ONLY_UNSUPPORTED = 'configuration-only networks (--config-only) are not supported by Shoal: its networks are swarm-scoped overlays; no network was created';

export const NO_CONTENT = Symbol('no-content');
/** The handler wrote the response itself (streams). */
export const STREAMED = Symbol('streamed');

const SERVICE_FILTERS = ['id', 'label', 'mode', 'name', 'runtime'] as const;
const TASK_FILTERS = ['desired-state', 'id', 'label', 'name', 'node', 'runtime', 'service', '_up-to-date'] as const;
const NETWORK_FILTERS = ['driver', 'id', 'label', 'name', 'scope', 'type', 'dangling'] as const;
const NETWORK_PRUNE_FILTERS = ['label', 'label!', 'until'] as const;

/** ServiceStatus of every service, in one pass over the tasks (counted as swarmkit does, see @shoal/store). */
function engineStatuses(services: readonly ServiceObject[], tasks: readonly TaskObject[]): Map<string, ServiceStatus> {
  const out = new Map<string, ServiceStatus>();
  for (const [id, c] of serviceStatuses(services, tasks)) {
    out.set(id, { RunningTasks: c.runningTasks, DesiredTasks: c.desiredTasks, CompletedTasks: c.completedTasks });
  }
  return out;
}

/**
 * Each filter key must match (AND); within a key any value may (OR), but for the keys of `whole`,
 * which test all of a key's values at once (labels: every one must match).
 */
function matchAll<T>(
  items: T[],
  filters: ParsedFilters,
  test: (item: T, key: string, value: string) => boolean,
  whole: Record<string, (item: T, values: string[]) => boolean> = {},
): T[] {
  return items.filter((item) => [...filters].every(([k, vs]) => vs.length === 0 || (whole[k] ? whole[k](item, vs) : vs.some((v) => test(item, k, v)))));
}


export function addServiceRoutes(r: Router, backend: EngineBackend): void {
  const ingressOf = async () => (await backend.networks()).find((n) => n.ingress);

  r.add('GET', '/services', async (ctx) => {
    const filters = parseFilters(ctx.query.get('filters'), SERVICE_FILTERS);
    const [services, tasks, ingress] = await Promise.all([backend.services(), ctx.query.get('status') === 'true' ? backend.tasks() : [], ingressOf()]);
    const wanted = matchAll(services, filters, (s, k, v) => {
      if (k === 'id') return s.id.startsWith(v);
      if (k === 'name') return s.spec.name.startsWith(v);
      if (k === 'mode') return s.spec.mode.type === v;
      if (k === 'runtime') return v === 'container'; // swarmkit's naming.Runtime: every Shoal service has a container spec
      return false;
    }, { label: (s, vs) => labelsMatchAll(s.spec.labels, vs) });
    const withStatus = ctx.query.get('status') === 'true';
    const statuses = withStatus ? engineStatuses(wanted, tasks) : undefined;
    return wanted.map((s) => toEngineService(s, ingress, statuses?.get(s.id)));
  });
  r.add('POST', '/services/create', async (ctx) => {
    const body = requireSpec(await ctx.body());
    const spec = fromEngineServiceSpec(body);
    const { id } = await backend.createService(spec);
    const warnings = inertWarnings(body);
    return { ID: id, ...(warnings ? { Warnings: warnings } : {}) };
  });
  r.add('GET', '/services/{id}', async (ctx) =>
    toEngineService(await backend.service(ctx.params.id ?? ''), await ingressOf(), undefined, { insertDefaults: boolValue(ctx.query.get('insertDefaults')) }),
  );
  r.add('POST', '/services/{id}/update', async (ctx) => {
    const version = versionParam(ctx.query, 'service');
    const authFrom = ctx.query.get('registryAuthFrom') ?? '';
    if (authFrom !== '' && authFrom !== 'spec' && authFrom !== 'previous-spec') throw new InvalidArgumentError(`invalid registryAuthFrom '${authFrom}'`);
    const body = requireSpec(await ctx.body());
    const spec = fromEngineServiceSpec(body);
    const option = ctx.query.get('rollback') ?? '';
    if (option !== '' && option !== 'none' && option !== 'previous') {
      await backend.service(ctx.params.id ?? ''); // moby looks the service up first (an unknown one is a 404)
      throw new Error(`unrecognized rollback option ${option}`); // moby's plain error: HTTP 500
    }
    const rollback = option === 'previous';
    await backend.updateService(ctx.params.id ?? '', version, spec, { rollback });
    return { Warnings: rollback ? null : inertWarnings(body) }; // a rollback applies the previous spec, not this body
  });
  r.add('DELETE', '/services/{id}', async (ctx) => {
    await backend.removeService(ctx.params.id ?? '');
    return NO_CONTENT;
  });

  r.add('GET', '/tasks', async (ctx) => {
    const filters = parseFilters(ctx.query.get('filters'), TASK_FILTERS);
    // moby's filterTransform: each service and node a filter names is looked up first (an unknown
    // or ambiguous one is the lookup's error, not an empty list), then matched by its ID.
    for (const [key, lookup] of [
      ['service', (ref: string) => backend.service(ref)],
      ['node', (ref: string) => backend.node(ref)],
    ] as const) {
      const refs = filters.get(key);
      if (refs) filters.set(key, await Promise.all(refs.map(async (ref) => (await lookup(ref)).id)));
    }
    // moby's newListTasksFilters: every desired state named is checked first (any task state, in
    // any case; a bad one is its plain error, an HTTP 500), empty values are dropped.
    const desired = filters.get('desired-state');
    if (desired) {
      const states = desired.filter((v) => v !== '').map((v) => {
        if (!Object.hasOwn(TASK_STATES, v.toLowerCase())) throw new Error(`Invalid desired-state filter: '${v}'`);
        return v.toLowerCase();
      });
      if (states.length > 0) filters.set('desired-state', states);
      else filters.delete('desired-state');
    }
    const [tasks, services, nodes] = await Promise.all([
      backend.tasks(),
      backend.services(),
      filters.has('_up-to-date') ? backend.nodes() : [],
    ]);
    const byId = new Map(services.map((s) => [s.id, s]));
    // `_up-to-date` (the CLI's progress display): the orchestrator's own test, so a task it will
    // not replace (e.g. only the constraints changed and its node still meets them) counts as up to date.
    const upToDate = (t: TaskObject, service: ServiceObject | undefined) =>
      service !== undefined && !backend.isTaskDirty(service, t, nodes.find((n) => n.id === t.nodeId));
    // swarmkit matches a task's label filter against its service's labels (ServiceAnnotations):
    // `docker stack ps` finds a stack's tasks by com.docker.stack.namespace.
    const wanted = matchAll(tasks, filters, (t, k, v) => taskMatches(t, k, v, byId, upToDate), {
      label: (t, vs) => labelsMatchAll({ ...t.labels, ...byId.get(t.serviceId)?.spec.labels }, vs),
    });
    return wanted.map((t) => toEngineTask(t));
  });
  r.add('GET', '/tasks/{id}', async (ctx) => toEngineTask(await backend.task(ctx.params.id ?? '')));

  r.add('GET', '/networks', async (ctx) => {
    const filters = parseFilters(ctx.query.get('filters'), NETWORK_FILTERS);
    // dangling (moby's filterNetworkByUse): true keeps networks no service uses, ingress aside.
    // A worker lists only networks its tasks use (and ingress): none of them is dangling there.
    const listed = await backend.networks();
    const used = !filters.has('dangling')
      ? null
      : backend.swarmStatus().controlAvailable
        ? new Set((await backend.services()).flatMap((svc) => (svc.spec.task.networks ?? []).map((a) => a.target)))
        : new Set(listed.map((n) => n.id));
    // moby's FilterNetworks: one dangling value, of four spellings; then each type value is known.
    const dangling = filters.get('dangling') ?? [];
    if (dangling.length > 1) throw new InvalidArgumentError('got more than one value for filter key "dangling"');
    if (dangling[0] !== undefined && !['0', 'false', '1', 'true'].includes(dangling[0])) {
      throw new InvalidArgumentError(`invalid value for filter 'dangling', must be "true" (or "1"), or "false" (or "0")`);
    }
    const badType = (filters.get('type') ?? []).find((t) => t !== 'custom' && t !== 'builtin');
    if (badType !== undefined) throw new InvalidArgumentError(`invalid filter: 'type'='${badType}'`);
    const nets = matchAll(listed, filters, (n, k, v) => {
      if (k === 'dangling') return (v === '1' || v === 'true') === (!n.ingress && !(used?.has(n.id) ?? false));
      if (k === 'id') return argsMatch(v, n.id);
      if (k === 'name') return argsMatch(v, n.name);
      if (k === 'driver') return n.driver === v;
      if (k === 'scope') return v === 'swarm';
      // Built-in networks are a daemon's own bridge, host and none: every swarm network is custom.
      if (k === 'type') return v === 'custom';
      return false;
    }, { label: (n, vs) => vs.every((v) => labelMatches(n.labels, v)) });
    return nets.map(toEngineNetwork);
  });
  r.add('GET', '/networks/{id}', async (ctx) => {
    const input = ctx.params.id ?? '';
    const nets = await backend.networks();
    const [n, ...others] = networkMatches(nets, input);
    if (!n) throw Object.assign(new Error(`network ${input} not found`), { code: 'NOT_FOUND' });
    // moby's network router wraps its "is ambiguous" error: the count comes first.
    if (others.length > 0) throw new InvalidArgumentError(`${others.length + 1} matches found based on ID prefix: network ${input} is ambiguous`);
    return toEngineNetwork(n);
  });

  r.add('POST', '/networks/create', async (ctx) => {
    const body = (await ctx.body()) as {
      Name?: string;
      Scope?: string;
      Driver?: string;
      Attachable?: boolean;
      Internal?: boolean;
      Ingress?: boolean;
      Labels?: Record<string, string>;
      Options?: Record<string, string>;
      EnableIPv6?: boolean;
      EnableIPv4?: boolean;
      IPAM?: unknown;
      ConfigOnly?: boolean;
      ConfigFrom?: { Network?: string } | null;
    };
    const driver = body.Driver || 'overlay';
    // moby's router and daemon, before swarmkit: a taken name (409; on a worker that lookup fails
    // and is skipped), a predefined name (403), an overlay network only on a manager (403), then
    // ValidateIPAM, then libnetwork's scope check.
    const manager = backend.swarmStatus().controlAvailable;
    if (manager && (await backend.networks()).some((n) => n.name === body.Name)) throw new ConflictError(`network with name ${body.Name ?? ''} already exists`);
    if (PREDEFINED_NETWORKS.includes(body.Name ?? '')) throw new PermissionDeniedError(`operation is not permitted on predefined ${body.Name ?? ''} network `);
    if (driver === 'overlay' && !manager) throw new PermissionDeniedError(NO_SWARM_NOT_MANAGER_TEXT);
    const configs = ipamConfigs(body.IPAM);
    const ipv6 = enableIPv6(body.EnableIPv6, body.Options);
    const ipamError = ipamProblem(configs, ipv6);
    if (ipamError) throw new InvalidArgumentError(ipamError);
    // libnetwork's NewNetwork, in its order (QA: these flags were accepted and ignored).
    if ((body.Name ?? '').trim() === '') throw new InvalidArgumentError('invalid name: name is empty');
    if (body.ConfigOnly) throw new PermissionDeniedError(CONFIG_ONLY_UNSUPPORTED);
    if (body.Scope === 'local' && driver === 'overlay') throw new PermissionDeniedError(`cannot downgrade network scope for ${driver} networks`);
    // No configuration-only network exists in Shoal (none can be created), so none is found.
    if (body.ConfigFrom?.Network) throw new NotFoundError(`configuration network "${body.ConfigFrom.Network}" does not exist`);
    if (body.EnableIPv4 === false) throw new InvalidArgumentError('IPv4 cannot be disabled in a Swarm scoped network');
    const ipam = body.IPAM as { Driver?: unknown; Options?: unknown } | undefined;
    const ipamOptions = ipam?.Options && typeof ipam.Options === 'object' ? (ipam.Options as Record<string, string>) : undefined;
    const { id } = await backend.createNetwork({
      name: body.Name ?? '',
      driver,
      attachable: body.Attachable ?? false,
      labels: body.Labels ?? {},
      ...(body.Internal ? { internal: true } : {}),
      ...(body.Ingress ? { ingress: true } : {}),
      ...(body.Options && Object.keys(body.Options).length > 0 ? { options: { ...body.Options } } : {}),
      configs: configs.map((c) => ({
        ...(c.Subnet ? { subnet: c.Subnet } : {}),
        ...(c.Gateway ? { gateway: c.Gateway } : {}),
        ...(c.IPRange ? { ipRange: c.IPRange } : {}),
        ...(c.AuxiliaryAddresses ? { auxAddresses: c.AuxiliaryAddresses } : {}),
      })),
      ...(ipam ? { ipamDriver: { name: typeof ipam.Driver === 'string' ? ipam.Driver : '', ...(ipamOptions ? { options: ipamOptions } : {}) } } : {}),
      ...(ipv6 ? { enableIPv6: true } : {}),
    });
    return { Id: id, Warning: '' };
  });
  // Containers are not attached to networks by hand in Shoal: a service's tasks join its networks.
  for (const action of ['connect', 'disconnect'] as const) {
    r.add('POST', `/networks/{id}/${action}`, () => {
      const reason = `network ${action} is not supported by Shoal: it runs swarm services' tasks as host processes, not containers (attach a service with docker service update --network-add or --network-rm)`;
      throw Object.assign(new Error(reason), { code: 'UNIMPLEMENTED' });
    });
  }
  // No secrets or configs exist in Shoal: listing them answers empty (`docker stack rm` lists a
  // stack's secrets and configs before it removes anything); creating one is refused.
  for (const kind of ['secrets', 'configs'] as const) {
    const what = kind === 'secrets' ? 'secret' : 'config';
    // Manager calls, as in Docker (moby's errNoManager on a worker or outside a swarm).
    const onManager = <T>(answer: () => T): Promise<T> => {
      const { state, controlAvailable } = backend.swarmStatus();
      if (!controlAvailable) return Promise.reject(new NotManagerError(state === 'inactive' ? NO_SWARM_NOT_MANAGER_TEXT : undefined));
      return Promise.resolve().then(answer);
    };
    r.add('GET', `/${kind}`, () => onManager(() => []));
    // None exists: looking one up, removing or updating it finds nothing (moby's "not found").
    const notFound = (ctx: RouteContext) =>
      onManager(() => {
        throw Object.assign(new Error(`${what} ${ctx.params.id ?? ''} not found`), { code: 'NOT_FOUND' });
      });
    r.add('GET', `/${kind}/{id}`, notFound);
    r.add('DELETE', `/${kind}/{id}`, notFound);
    r.add('POST', `/${kind}/{id}/update`, notFound);
    r.add('POST', `/${kind}/create`, () =>
      Promise.reject(Object.assign(new Error(`${kind} are not supported by Shoal yet: a service's tasks are host processes with nowhere to mount them`), { code: 'FAILED_PRECONDITION' })),
    );
  }
  r.add('POST', '/networks/prune', async (ctx) => {
    const filters = parseFilters(ctx.query.get('filters'), NETWORK_PRUNE_FILTERS);
    const until = filters.get('until') ?? [];
    if (until.length > 1) throw new InvalidArgumentError('more than one until filter specified');
    const cutoff = until[0] !== undefined ? parseUntil(until[0], Date.now()) : undefined;
    // moby prunes its local networks, then the swarm's only on a manager: elsewhere nothing goes.
    if (!backend.swarmStatus().controlAvailable) return { NetworksDeleted: [] };
    const deleted = await backend.pruneNetworks({
      labels: filters.get('label') ?? [],
      notLabels: filters.get('label!') ?? [],
      ...(cutoff !== undefined ? { until: cutoff } : {}),
    });
    return { NetworksDeleted: deleted };
  });
  r.add('DELETE', '/networks/{id}', async (ctx) => {
    await backend.removeNetwork(ctx.params.id ?? '');
    return NO_CONTENT;
  });

  r.add('GET', '/services/{id}/logs', (ctx) => streamLogs(ctx, backend, 'service'), { streams: true });
  r.add('GET', '/tasks/{id}/logs', (ctx) => streamLogs(ctx, backend, 'task'), { streams: true });
}

/**
 * What the docker CLI prints after a service create or update (the response's Warnings): mounts
 * are kept and shown but a host process has nothing to mount them in, so a volume a task
 * expects would silently be the host's own path.
 */
function inertWarnings(spec: EngineServiceSpec): string[] | null {
  const mounts = spec.TaskTemplate?.ContainerSpec?.Mounts ?? [];
  if (mounts.length === 0) return null;
  const targets = mounts.map((m) => m.Target ?? '').join(', ');
  return [`mounts are kept but not applied (${targets}): Shoal runs each task as a host process, which sees the host's own files`];
}

function taskMatches(
  t: TaskObject,
  k: string,
  v: string,
  services: Map<string, ServiceObject>,
  upToDate: (t: TaskObject, service: ServiceObject | undefined) => boolean,
): boolean {
  const service = services.get(t.serviceId);
  switch (k) {
    case 'id':
      return t.id.startsWith(v);
    case 'desired-state':
      // Checked and lower-cased in the route; matched exactly (a delayed restart, desired
      // `ready`, is not `running`; a job's tasks are desired `complete`).
      return t.desiredState === v;
    case 'service':
      return t.serviceId === v; // an ID: looked up in the route
    case 'node':
      return t.nodeId === v;
    case 'name':
      // swarmkit prefix-matches naming.Task: <service>.<slot, or node ID>.<task ID>.
      return service !== undefined && `${service.spec.name}.${t.slot || t.nodeId}.${t.id}`.startsWith(v);
    case '_up-to-date':
      return upToDate(t, service);
    case 'runtime':
      return v === 'container'; // swarmkit's naming.Runtime: every Shoal task has a container spec
    default:
      return false;
  }
}

function requireSpec(body: unknown): EngineServiceSpec {
  if (typeof body !== 'object' || body === null) throw new InvalidArgumentError('invalid service spec');
  const spec = body as EngineServiceSpec;
  // What Go's decoder refuses for a uint64: a fraction, a negative number, 2^64 and more.
  const uint64 = (n: number | undefined, field: string): void => {
    if (n !== undefined && (!Number.isInteger(n) || n < 0 || n >= 2 ** 64)) {
      throw new InvalidArgumentError(`json: cannot unmarshal number ${String(n)} into Go struct field ${field} of type uint64`);
    }
  };
  uint64(spec.Mode?.Replicated?.Replicas, 'ReplicatedService.Mode.Replicated.Replicas');
  uint64(spec.Mode?.ReplicatedJob?.MaxConcurrent, 'ReplicatedJob.Mode.ReplicatedJob.MaxConcurrent');
  uint64(spec.Mode?.ReplicatedJob?.TotalCompletions, 'ReplicatedJob.Mode.ReplicatedJob.TotalCompletions');
  return spec;
}

/** Whether the logs' service (or task) runs with a TTY. */
async function ttyOf(backend: EngineBackend, kind: 'service' | 'task', input: string): Promise<boolean> {
  try {
    const spec = kind === 'service' ? (await backend.service(input)).spec.task.container : (await backend.task(input)).spec.container;
    return spec.containerOnly?.['TTY'] === true;
  } catch {
    return false; // found by the log broker, which resolves references its own way: no TTY known
  }
}

async function streamLogs(ctx: RouteContext, backend: EngineBackend, kind: 'service' | 'task'): Promise<typeof STREAMED> {
  const req = parseLogRequest(kind, ctx.params.id ?? '', ctx.query);
  if (!req.stdout && !req.stderr) throw new InvalidArgumentError('Bad parameters: you must choose at least one stream');
  const details = boolValue(ctx.query.get('details')); // moby: httputils.BoolValue
  const abort = new AbortController();
  const res = ctx.answer();
  res.on('close', () => abort.abort());
  const iter = backend.logs(req, abort.signal)[Symbol.asyncIterator]();
  // Resolve the target (and its errors) before committing to a 200.
  let first = await iter.next();
  // moby's swarmLogs: the logs of a TTY service or task are the bare lines (its CLI copies them
  // out as they come), and only a client of API 1.42 or later is told a stream is multiplexed.
  const tty = await ttyOf(backend, kind, ctx.params.id ?? '');
  res.statusCode = 200;
  res.setHeader('Content-Type', !tty && compareApiVersions(ctx.apiVersion, '1.42') >= 0 ? 'application/vnd.docker.multiplexed-stream' : 'application/vnd.docker.raw-stream');
  res.flushHeaders();
  while (!first.done) {
    const ok = res.write(frameLogRecord(first.value, { timestamps: req.timestamps, details, raw: tty }));
    if (!ok) await new Promise((r) => res.once('drain', r));
    first = await iter.next();
  }
  res.end();
  return STREAMED;
}

/** moby's runconfig.IsPreDefinedNetwork: names a daemon's own networks hold. */
const PREDEFINED_NETWORKS = ['bridge', 'host', 'none', 'default'];

/** moby's httputils.BoolValue: anything but empty, 0, no, false or none (any case) is true. */
function boolValue(value: string | null): boolean {
  const v = (value ?? '').trim().toLowerCase();
  return !['', '0', 'no', 'false', 'none'].includes(v);
}

/**
 * moby's filters.Args.Match (network ls's name and id filters): the value equals the field, or
 * as a regular expression (unanchored, as Go's MatchString) matches part of it; a value that is
 * not a valid expression matches only itself.
 */
function argsMatch(value: string, source: string): boolean {
  if (value === source) return true;
  try {
    return new RegExp(value).test(source);
  } catch {
    return false;
  }
}

// Services and tasks behind the Engine API's /services and /tasks endpoints, with
// swarmkit's validation and error texts. Runs on the leader.
import { randomBytes } from 'node:crypto';
import { generateNodeId } from '@shoal/pki';
import {
  AlreadyExistsError,
  InvalidArgumentError,
  UnimplementedError,
  NotFoundError,
  OutOfSequenceError,
  ShoalError,
  createOp,
  expandTemplate,
  isJobMode,
  TemplateError,
  type TemplateContext,
  deleteOp,
  rpcText,
  updateOp,
  type ClusterStore,
  type HealthCheck,
  type PortConfig,
  type ServiceObject,
  type ServiceSpec,
  type TaskObject,
  networkMatches,
  referenceMatches,
  parseSignal,
} from '@shoal/store';
import { randomServiceName } from './names';
import { allocatePorts, sameSpec, sameValue, validateConstraints } from './orchestrator';

const DNS_NAME = /^[a-zA-Z0-9](?:[-_]*[A-Za-z0-9]+)*$/;

// The image reference grammar of distribution/reference (what swarmkit's ParseNormalizedNamed
// accepts): [domain/]path[:tag][@digest], path components lowercase. A first component with a
// dot, a colon or capitals (or "localhost") is a registry domain.
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const IMAGE_REFERENCE = new RegExp(
  `^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*` +
    '(?::[\\w][\\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$',
);

export function validImageReference(ref: string): boolean {
  const name = ref.split('@')[0]?.replace(/:[\w][\w.-]{0,127}$/, '') ?? '';
  return name.length <= 255 && IMAGE_REFERENCE.test(ref);
}

/** Go's %g for the small values in swarmkit's resource errors. */
function goFloat(v: number): string {
  return v !== 0 && (Math.abs(v) < 1e-4 || Math.abs(v) >= 1e21) ? v.toExponential().replace(/e([+-])(\d)$/, 'e$10$2') : String(v);
}

/** swarmkit's validateHealthCheck: durations of 0 (the default) or at least 1 ms, retries not negative. */
function healthCheckProblem(hc: HealthCheck | undefined): string | undefined {
  if (!hc) return undefined;
  const durations: Array<[string, number | undefined]> = [
    ['Interval', hc.intervalMs],
    ['Timeout', hc.timeoutMs],
    ['StartPeriod', hc.startPeriodMs],
    ['StartInterval', hc.startIntervalMs],
  ];
  for (const [name, value] of durations) {
    if (value !== undefined && value !== 0 && value < 1) return `ContainerSpec: ${name} in HealthConfig cannot be less than 1ms`;
  }
  if ((hc.retries ?? 0) < 0) return 'ContainerSpec: Retries in HealthConfig cannot be negative';
  return undefined;
}

/** The most tasks one service may ask for (replicas, concurrent job tasks, job completions). */
export const MAX_TASKS = 100_000;

/** swarmkit's validateContainerSpec: the stand-in task its templates are expanded for. */
const STAND_IN: TemplateContext = {
  Service: { ID: 'serviceid', Name: 'servicename' },
  Node: { ID: 'nodeid', Hostname: 'nodeHostname', Platform: { OS: 'os', Architecture: 'architecture' } },
  Task: { ID: '', Name: 'taskname', Slot: '1' },
};

/** swarmkit's ExpandContainerSpec errors, for the environment and the hostname (the fields Shoal expands or keeps). */
function templateProblem(c: ServiceSpec['task']['container']): string | undefined {
  for (const e of c.env ?? []) {
    try {
      expandTemplate(e, STAND_IN);
    } catch (err) {
      if (err instanceof TemplateError) return `expanding env failed: expanding env ${JSON.stringify(e)}: ${err.message}`;
      throw err;
    }
  }
  if (c.hostname) {
    try {
      expandTemplate(c.hostname, STAND_IN);
    } catch (err) {
      if (err instanceof TemplateError) return `expanding hostname failed: ${err.message}`;
      throw err;
    }
  }
  return undefined;
}

function invalid(desc: string): InvalidArgumentError {
  return new InvalidArgumentError(rpcText('InvalidArgument', desc));
}

export class ServiceApi {
  constructor(private readonly store: ClusterStore) {}

  services(): ServiceObject[] {
    return this.store.memory.list('service');
  }

  /** Docker's lookup: full ID, then exact name, then a unique ID prefix. */
  service(input: string): ServiceObject {
    const matches = referenceMatches(this.services(), input, (s, name) => s.spec.name === name);
    if (matches.length === 0) throw new NotFoundError(`service ${input} not found`);
    if (matches.length > 1) throw new InvalidArgumentError(`service ${input} is ambiguous (${matches.length} matches found)`);
    return matches[0] as ServiceObject;
  }

  tasks(): TaskObject[] {
    return this.store.memory.list('task');
  }

  task(input: string): TaskObject {
    // A task's name is moby's naming.Task: <service name>.<slot, or node ID for a global task>.<task ID>.
    const names = new Map(this.services().map((s) => [s.id, s.spec.name]));
    const matches = referenceMatches(this.tasks(), input, (t, name) => `${names.get(t.serviceId) ?? ''}.${t.slot || t.nodeId}.${t.id}` === name);
    if (matches.length === 0) throw new NotFoundError(`task ${input} not found`);
    if (matches.length > 1) throw new InvalidArgumentError(`task ${input} is ambiguous (${matches.length} matches found)`);
    return matches[0] as TaskObject;
  }

  async createService(spec: ServiceSpec): Promise<{ id: string }> {
    const named: ServiceSpec = this.withNetworkIds({ ...spec, name: spec.name || randomServiceName() });
    this.validate(named);
    const ports = this.allocate(named, null);
    const id = generateNodeId();
    // A job's first run is iteration 0 (swarmkit's JobStatus, stamped at creation).
    const jobStatus = isJobMode(named.mode) ? { jobStatus: { iteration: 0, lastExecution: new Date().toISOString() } } : {};
    await this.commitNamed(named.name, [createOp('service', { id, spec: named, endpoint: { ports }, ...jobStatus })]);
    return { id };
  }

  async updateService(input: string, version: number, spec: ServiceSpec, options: { rollback?: boolean } = {}): Promise<void> {
    const current = this.service(input);
    if (version !== current.version) throw new OutOfSequenceError();
    let next = spec;
    if (options.rollback) {
      if (!current.previousSpec) throw new FailedRollback(current.id);
      next = current.previousSpec;
    }
    // swarmkit's UpdateService: a rename or a mode change is a new service (delete and re-add).
    if (next.name !== current.spec.name) throw new UnimplementedError('renaming services is not supported');
    if (next.mode.type !== current.spec.mode.type) throw new UnimplementedError('service mode change is not allowed');
    next = this.withNetworkIds(next);
    this.validate(next);
    const ports = this.allocate(next, current);
    // Like swarmkit, only a change to what tasks run starts a rolling update; scaling does not.
    const rolling = !sameSpec(next.task, current.spec.task) || !sameValue(next.endpoint, current.spec.endpoint);
    // As swarmkit: a rollback starts as such; any other update clears the last update's status,
    // and one that changes what tasks run starts a rolling update.
    const startedAt = new Date().toISOString();
    const { updateStatus: _last, ...rest } = current;
    // A job is not rolled out: every update (a scale, `--force`, a rollback) runs it again, as
    // its next iteration (swarmkit's UpdateService).
    const job = current.jobStatus ? { jobStatus: { iteration: current.jobStatus.iteration + 1, lastExecution: startedAt } } : undefined;
    const updated: ServiceObject = {
      ...rest,
      spec: next,
      previousSpec: current.spec,
      endpoint: { ports },
      ...(job ?? {}),
      // A manual rollback says so even for a job (as swarmkit; nothing rolls a job out, so its
      // status stays "rollback_started", as Docker's does).
      ...(options.rollback
        ? { updateStatus: { state: 'updating' as const, rollback: true, startedAt, message: 'manually requested rollback' } }
        : rolling && !job
          ? { updateStatus: { state: 'updating' as const, startedAt, message: 'update in progress' } }
          : {}),
    };
    await this.commitNamed(next.name, [updateOp('service', updated, version)]);
  }

  async removeService(input: string): Promise<void> {
    const service = this.service(input);
    await this.store.commit([deleteOp('service', service.id)]);
  }

  /**
   * The spec with each network attachment naming its network by ID, as moby resolves them (by
   * ID, name or ID prefix) before the spec reaches swarmkit; the ingress network is refused.
   */
  private withNetworkIds(spec: ServiceSpec): ServiceSpec {
    const attachments = spec.task.networks;
    if (!attachments?.length) return spec;
    const nets = this.store.memory.list('network');
    const networks = attachments.map((a) => {
      const [net, ...others] = networkMatches(nets, a.target);
      if (!net) throw new NotFoundError(`network ${a.target} not found`);
      if (others.length > 0) throw new InvalidArgumentError(`network ${a.target} is ambiguous (${others.length + 1} matches found)`);
      if (net.ingress) throw invalid(`Service cannot be explicitly attached to the ingress network "${net.name}"`);
      return { ...a, target: net.id };
    });
    return { ...spec, task: { ...spec.task, networks } };
  }

  private validate(spec: ServiceSpec): void {
    if (!DNS_NAME.test(spec.name)) throw invalid('name must be valid as a DNS name component');
    if (spec.name.length > 63) throw invalid('name must be 63 characters or fewer');
    if (!spec.task.container.image) throw invalid('ContainerSpec: image reference must be provided');
    if (!validImageReference(spec.task.container.image)) {
      throw invalid(`ContainerSpec: ${JSON.stringify(spec.task.container.image)} is not a valid repository/tag`);
    }
    // swarmkit's validateResources, for limits and reservations alike.
    for (const r of [spec.task.resources.limits, spec.task.resources.reservations]) {
      const nanoCpus = r?.nanoCpus ?? 0;
      const memory = r?.memoryBytes ?? 0;
      if (nanoCpus !== 0 && nanoCpus < 1e6) throw invalid(`invalid cpu value ${goFloat(nanoCpus / 1e9)}: Must be at least ${goFloat(1e6 / 1e9)}`);
      if (memory !== 0 && memory < 4 * 1024 * 1024) throw invalid(`invalid memory value ${memory}: Must be at least 4MiB`);
    }
    // swarmkit's validateMode casts the uint64 counts to int64: 2^63 and above read as negative.
    // Past MAX_TASKS the orchestrator would make more tasks than a manager can hold (one call
    // with 2^63 replicas used to crash every manager, again at each restart, replaying it).
    const counts: Array<[number, string, string]> =
      spec.mode.type === 'replicated'
        ? [[spec.mode.replicas, 'Number of replicas must be non-negative', 'replicas']]
        : spec.mode.type === 'replicated-job'
          ? [
              [spec.mode.maxConcurrent, 'Maximum concurrent jobs must not be negative', 'concurrent job tasks'],
              [spec.mode.totalCompletions, 'Total completed jobs must not be negative', 'job completions'],
            ]
          : [];
    for (const [n, negative, what] of counts) {
      if (!(n >= 0) || n >= 2 ** 63) throw invalid(negative);
      if (!Number.isInteger(n) || n > MAX_TASKS) throw invalid(`Number of ${what} must not exceed ${MAX_TASKS} (Shoal's limit)`);
    }
    const stopSignal = spec.task.container.stopSignal;
    if (stopSignal !== undefined && parseSignal(stopSignal) === undefined) throw invalid(`Invalid signal: ${stopSignal}`);
    const r = spec.task.restart;
    if (r.delayMs < 0) throw invalid('TaskSpec: restart-delay cannot be negative');
    if (r.windowMs < 0) throw invalid('TaskSpec: restart-window cannot be negative');
    if (spec.update.delayMs < 0) throw invalid('TaskSpec: update-delay cannot be negative');
    if (spec.update.monitorMs < 0) throw invalid('TaskSpec: update-monitor cannot be negative');
    if (spec.update.maxFailureRatio < 0 || spec.update.maxFailureRatio > 1) {
      throw invalid('TaskSpec: update-maxfailureratio cannot be less than 0 or bigger than 1');
    }
    const constraintError = validateConstraints(spec.task.placement.constraints);
    if (constraintError) throw invalid(constraintError);
    // swarmkit checks the container spec after restart policy and placement: its templates,
    // expanded for a stand-in task, its mounts, then its health check.
    const templateError = templateProblem(spec.task.container);
    if (templateError) throw invalid(templateError);
    const targets = new Set<string>();
    for (const m of (spec.task.container.containerOnly?.['Mounts'] as Array<{ Target?: string }> | undefined) ?? []) {
      const target = m.Target ?? '';
      if (targets.has(target)) throw invalid(`ContainerSpec: duplicate mount point: ${target}`);
      targets.add(target);
    }
    const healthError = healthCheckProblem(spec.task.container.healthcheck);
    if (healthError) throw invalid(healthError);
    const seen = new Set<string>();
    for (const p of spec.endpoint.ports) {
      if (spec.endpoint.mode === 'dnsrr' && p.publishMode === 'ingress' && p.publishedPort !== 0) {
        throw invalid("EndpointSpec: port published with ingress mode can't be used with dnsrr mode");
      }
      if (p.publishedPort === 0) continue;
      const key = `${p.publishedPort}/${p.protocol}`;
      if (seen.has(key)) throw invalid('EndpointSpec: duplicate published ports provided');
      seen.add(key);
    }
  }

  private allocate(spec: ServiceSpec, self: ServiceObject | null): PortConfig[] {
    if (spec.endpoint.ports.length === 0) return [];
    const others = this.services().filter((s) => s.id !== self?.id);
    const result = allocatePorts(spec.endpoint.ports, others, self?.endpoint.ports ?? []);
    if (typeof result === 'string') throw invalid(result);
    return result;
  }

  private async commitNamed(name: string, ops: Parameters<ClusterStore['commit']>[0]): Promise<void> {
    try {
      await this.store.commit(ops);
    } catch (err) {
      if (err instanceof ShoalError && err.code === 'ALREADY_EXISTS') {
        throw new AlreadyExistsError(rpcText('AlreadyExists', `name conflicts with an existing object: service ${name} already exists`));
      }
      throw err;
    }
  }
}

class FailedRollback extends ShoalError {
  constructor(serviceId: string) {
    super('FAILED_PRECONDITION', rpcText('FailedPrecondition', `service ${serviceId} does not have a previous spec`));
  }
}

/** A short random suffix (used for task ids in tests and logs). */
export function shortId(): string {
  return randomBytes(6).toString('hex');
}

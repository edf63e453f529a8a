// An in-memory EngineApi that records every call, so CLI tests need no daemon.
import {
  EmptyIdError,
  EngineApiError,
  type OtherObjectKind,
  encodeFilters,
  type Filters,
  type LogsOptions,
  type Network,
  type NetworkCreateRequest,
  type NetworkCreateResponse,
  type NetworkInspectOptions,
  type Node,
  type NodeSpec,
  type Service,
  type ServiceCreateResponse,
  type ServiceInspectOptions,
  type ServiceSpec,
  type ServiceUpdateOptions,
  type ServiceUpdateResponse,
  type PingResult,
  type Swarm,
  type SwarmInitRequest,
  type SwarmJoinRequest,
  type SwarmSpec,
  type SwarmUpdateFlags,
  type SystemInfo,
  type SystemVersion,
  type Task,
  type EngineApi,
  type SwarmObjectRef,
} from '@shoal/api';
import { runCli } from '../cli';
import type { CliIO } from '../context';
import { buildInfo, buildSwarm } from './builders';

export class FakeEngine implements EngineApi {
  readonly host = 'unix:///fake/shoald.sock';
  readonly calls: string[] = [];
  nodes: Node[] = [];
  swarm: Swarm = buildSwarm();
  infoData: SystemInfo = buildInfo('nodeID');
  initNodeId = 'nodeID';
  /** What GET /swarm/unlockkey answers ('' when autolock is off). */
  unlockKey = 'unlock-key';
  /** Set to make every call fail with this daemon error. */
  failWith: EngineApiError | undefined;
  lastInit: SwarmInitRequest | undefined;
  lastJoin: SwarmJoinRequest | undefined;
  updates: Array<{ id: string; version: number; spec: NodeSpec }> = [];
  swarmUpdates: Array<{ version: number; spec: SwarmSpec; flags: SwarmUpdateFlags }> = [];
  services: Service[] = [];
  tasks: Task[] = [];
  networks: Network[] = [];
  /** Raw stdcopy bodies returned by the logs endpoints, keyed by service or task reference. */
  logBodies = new Map<string, Buffer[]>();
  created: ServiceSpec[] = [];
  createdId = 'svc-new-id-0000000000000';
  serviceUpdates: Array<{ id: string; version: number; spec: ServiceSpec; options: ServiceUpdateOptions }> = [];
  networkCreates: NetworkCreateRequest[] = [];
  logRequests: Array<{ target: string; options: LogsOptions }> = [];
  /** Called on each GET /services/{id}, e.g. to move tasks along between progress polls. */
  onServiceInspect: ((engine: FakeEngine) => void) | undefined;

  private record(call: string): void {
    this.calls.push(call);
    if (this.failWith !== undefined) throw this.failWith;
  }

  async apiVersion(): Promise<string> {
    return '1.51';
  }
  async ping(): Promise<PingResult> {
    this.record('ping');
    return { apiVersion: '1.51', experimental: false };
  }
  async version(): Promise<SystemVersion> {
    this.record('version');
    return { Version: '0.1.0', ApiVersion: '1.51', Os: 'linux', Arch: 'amd64' };
  }
  async info(): Promise<SystemInfo> {
    this.record('info');
    return structuredClone(this.infoData);
  }
  async swarmInspect(): Promise<Swarm> {
    this.record('swarmInspect');
    return structuredClone(this.swarm);
  }
  async swarmInit(req: SwarmInitRequest): Promise<string> {
    this.record('swarmInit');
    this.lastInit = req;
    return this.initNodeId;
  }
  async swarmJoin(req: SwarmJoinRequest): Promise<void> {
    this.record('swarmJoin');
    this.lastJoin = req;
  }
  async swarmLeave(force = false): Promise<void> {
    this.record(`swarmLeave(${force})`);
  }
  async swarmUpdate(version: number, spec: SwarmSpec, flags: SwarmUpdateFlags = {}): Promise<void> {
    this.record('swarmUpdate');
    this.swarmUpdates.push({ version, spec, flags });
    if (flags.rotateWorkerToken) this.swarm.JoinTokens.Worker = 'rotated-worker-token';
    if (flags.rotateManagerToken) this.swarm.JoinTokens.Manager = 'rotated-manager-token';
    if (flags.rotateManagerUnlockKey) this.unlockKey = 'SWMKEY-1-rotated';
  }
  async swarmUnlockKey(): Promise<{ UnlockKey: string }> {
    this.record('swarmUnlockKey');
    return { UnlockKey: this.unlockKey };
  }
  async swarmUnlock(key: string): Promise<void> {
    this.record(`swarmUnlock(${key})`);
  }
  async nodeList(filters?: Filters): Promise<Node[]> {
    this.record(`nodeList(${JSON.stringify(filters ?? {})})`);
    return structuredClone(this.nodes);
  }
  async nodeInspect(id: string): Promise<Node> {
    this.record(`nodeInspect(${id})`);
    const node = this.nodes.find((n) => n.ID === id || n.Description.Hostname === id);
    if (node === undefined) throw new EngineApiError(404, `node ${id} not found`);
    return structuredClone(node);
  }
  async nodeUpdate(id: string, version: number, spec: NodeSpec): Promise<void> {
    this.record(`nodeUpdate(${id},${version})`);
    this.updates.push({ id, version, spec });
  }
  async nodeRemove(id: string, force = false): Promise<void> {
    this.record(`nodeRemove(${id},${force})`);
    if (!this.nodes.some((n) => n.ID === id)) throw new EngineApiError(404, `node ${id} not found`);
  }

  private findService(ref: string): Service {
    const s = this.services.find((x) => x.ID === ref) ?? this.services.find((x) => x.Spec.Name === ref) ?? this.services.find((x) => x.ID.startsWith(ref));
    if (s === undefined) throw new EngineApiError(404, `service ${ref} not found`);
    return s;
  }
  async serviceCreate(spec: ServiceSpec): Promise<ServiceCreateResponse> {
    this.record('serviceCreate');
    this.created.push(structuredClone(spec));
    return { ID: this.createdId };
  }
  async serviceList(filters?: Filters, status = false): Promise<Service[]> {
    this.record(`serviceList(${encodeFilters(filters) ?? ''}${status ? ',status' : ''})`);
    const ids = filters?.id;
    const names = filters?.name;
    return structuredClone(
      this.services.filter(
        (s) => (ids === undefined || ids.some((i) => s.ID.startsWith(i))) && (names === undefined || names.some((n) => s.Spec.Name.startsWith(n))),
      ),
    );
  }
  async serviceInspect(id: string, options: ServiceInspectOptions = {}): Promise<Service> {
    this.record(`serviceInspect(${id}${options.insertDefaults === true ? ',defaults' : ''})`);
    this.onServiceInspect?.(this);
    return structuredClone(this.findService(id));
  }
  async serviceUpdate(id: string, version: number, spec: ServiceSpec, options: ServiceUpdateOptions = {}): Promise<ServiceUpdateResponse> {
    this.record(`serviceUpdate(${id},${version})`);
    this.serviceUpdates.push({ id, version, spec: structuredClone(spec), options });
    return {};
  }
  async serviceRemove(id: string): Promise<void> {
    this.record(`serviceRemove(${id})`);
    this.findService(id);
  }
  async serviceLogs(id: string, options: LogsOptions): Promise<AsyncIterable<Buffer>> {
    this.record(`serviceLogs(${id})`);
    this.logRequests.push({ target: id, options });
    return this.body(id);
  }
  async taskList(filters?: Filters): Promise<Task[]> {
    this.record(`taskList(${encodeFilters(filters) ?? ''})`);
    return structuredClone(this.tasks);
  }
  async taskInspect(id: string): Promise<Task> {
    this.record(`taskInspect(${id})`);
    const task = this.tasks.find((t) => t.ID === id);
    if (task === undefined) throw new EngineApiError(404, `task ${id} not found`);
    return structuredClone(task);
  }
  async taskLogs(id: string, options: LogsOptions): Promise<AsyncIterable<Buffer>> {
    this.record(`taskLogs(${id})`);
    this.logRequests.push({ target: id, options });
    return this.body(id);
  }
  async networkList(filters?: Filters): Promise<Network[]> {
    this.record(`networkList(${encodeFilters(filters) ?? ''})`);
    return structuredClone(this.networks);
  }
  async networkInspect(id: string, options: NetworkInspectOptions = {}): Promise<Network> {
    this.record(`networkInspect(${id}${options.scope === undefined ? '' : `,${options.scope}`})`);
    const n = this.networks.find((x) => x.Id === id || x.Name === id);
    if (n === undefined) throw new EngineApiError(404, `network ${id} not found`);
    return structuredClone(n);
  }
  /** Shoal's daemon has no containers, images, volumes or plugins, and no secret or config. */
  async otherObjectInspect(kind: OtherObjectKind, id: string, options: { size?: boolean } = {}): Promise<unknown> {
    if (id.trim() === '') throw new EmptyIdError(kind);
    this.record(`otherObjectInspect(${kind},${id}${options.size === true ? ',size' : ''})`);
    if (kind === 'secret' || kind === 'config') throw new EngineApiError(404, `${kind} ${id} not found`);
    throw new EngineApiError(501, `/${kind}s is not supported by Shoal: it runs swarm services' tasks as host processes, not containers (see docker service ps and docker service logs)`);
  }
  async networkCreate(req: NetworkCreateRequest): Promise<NetworkCreateResponse> {
    this.record('networkCreate');
    this.networkCreates.push(structuredClone(req));
    return { Id: 'net-new-id' };
  }
  /** What GET /secrets and GET /configs hold (Shoal's daemon answers both with an empty list). */
  secrets: SwarmObjectRef[] = [];
  configs: SwarmObjectRef[] = [];
  async secretList(filters?: Filters): Promise<SwarmObjectRef[]> {
    this.record(`secretList(${encodeFilters(filters) ?? ''})`);
    return structuredClone(this.secrets.filter((s) => filters?.name === undefined || filters.name.includes(s.Spec.Name)));
  }
  async configList(filters?: Filters): Promise<SwarmObjectRef[]> {
    this.record(`configList(${encodeFilters(filters) ?? ''})`);
    return structuredClone(this.configs.filter((s) => filters?.name === undefined || filters.name.includes(s.Spec.Name)));
  }

  /** What POST /networks/prune answers. */
  pruned: string[] = [];
  async networksPrune(filters?: Filters): Promise<{ NetworksDeleted: string[] | null }> {
    this.record(`networksPrune(${encodeFilters(filters) ?? ''})`);
    return { NetworksDeleted: [...this.pruned] };
  }
  async networkRemove(id: string): Promise<void> {
    this.record(`networkRemove(${id})`);
    if (!this.networks.some((n) => n.Id === id || n.Name === id)) throw new EngineApiError(404, `network ${id} not found`);
  }

  private async *body(ref: string): AsyncGenerator<Buffer> {
    for (const chunk of this.logBodies.get(ref) ?? []) yield chunk;
  }
}

export interface RunResult {
  code: number;
  out: string;
  err: string;
}

/** Runs the CLI against `engine`, capturing output. */
export async function run(engine: FakeEngine, ...argv: string[]): Promise<RunResult> {
  let out = '';
  let err = '';
  const code = await runCli(argv, {
    io: { out: (s) => (out += s), err: (s) => (err += s), env: {} },
    clientFactory: () => engine,
  });
  return { code, out, err };
}

/** Like run(), with extra I/O: a fake clock, a terminal, an environment. */
export async function runWithIo(engine: FakeEngine, extra: Partial<CliIO>, ...argv: string[]): Promise<RunResult> {
  let out = '';
  let err = '';
  const code = await runCli(argv, {
    io: { out: (s) => (out += s), err: (s) => (err += s), env: {}, ...extra },
    clientFactory: () => engine,
  });
  return { code, out, err };
}

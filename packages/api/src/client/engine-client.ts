// Typed Engine API client with docker-style API version negotiation.
import type { IncomingMessage } from 'node:http';
import type {
  LocalNodeState,
  Network,
  NetworkCreateRequest,
  NetworkCreateResponse,
  Node,
  NodeSpec,
  Service,
  ServiceCreateResponse,
  ServiceSpec,
  ServiceUpdateResponse,
  Swarm,
  SwarmInitRequest,
  SwarmJoinRequest,
  SwarmSpec,
  SwarmUnlockKeyResponse,
  SwarmUpdateFlags,
  SystemInfo,
  SystemVersion,
  Task,
} from '../engine/types';
import { DEFAULT_API_VERSION, negotiateApiVersion } from './api-version';
import { EmptyIdError } from './errors';
import { encodeFilters, type Filters } from './filters';
import { parseHost, type HostAddress } from './host';
import { isSuccess, openRequest, readBody, responseError, roundTrip, type Query, type RawRequest } from './transport';

export interface EngineClientOptions {
  /** `unix:///path/to/shoald.sock`, `tcp://host:port` or `http://host:port`. */
  host: string;
  /** Pins the API version and skips negotiation (like DOCKER_API_VERSION). */
  apiVersion?: string;
  /** Highest version to negotiate; default 1.51. */
  maxApiVersion?: string;
  userAgent?: string;
}

/** Local swarm state from the `Swarm` header of /_ping, e.g. `active/manager`. */
export interface PingSwarmStatus {
  nodeState: LocalNodeState;
  controlAvailable: boolean;
}

export interface PingResult {
  apiVersion?: string;
  osType?: string;
  experimental: boolean;
  builderVersion?: string;
  swarm?: PingSwarmStatus;
}

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  headers?: Readonly<Record<string, string>>;
  signal?: AbortSignal;
}

/** The calls the CLI makes; tests substitute a fake. */
/** An entry of GET /secrets or GET /configs, as far as a client reads it. */
export interface SwarmObjectRef {
  ID: string;
  Spec: { Name: string };
}

export interface EngineApi {
  readonly host: string;
  /** The negotiated (or pinned) API version. */
  apiVersion(): Promise<string>;
  ping(): Promise<PingResult>;
  version(): Promise<SystemVersion>;
  info(): Promise<SystemInfo>;
  swarmInspect(): Promise<Swarm>;
  /** Resolves with the new node's ID. */
  swarmInit(req: SwarmInitRequest): Promise<string>;
  swarmJoin(req: SwarmJoinRequest): Promise<void>;
  swarmLeave(force?: boolean): Promise<void>;
  swarmUpdate(version: number, spec: SwarmSpec, flags?: SwarmUpdateFlags): Promise<void>;
  swarmUnlockKey(): Promise<SwarmUnlockKeyResponse>;
  /** POST /swarm/unlock. */
  swarmUnlock(key: string): Promise<void>;
  nodeList(filters?: Filters): Promise<Node[]>;
  nodeInspect(id: string): Promise<Node>;
  nodeUpdate(id: string, version: number, spec: NodeSpec): Promise<void>;
  nodeRemove(id: string, force?: boolean): Promise<void>;
  /** POST /services/create; the body is sent as given. */
  serviceCreate(spec: ServiceSpec): Promise<ServiceCreateResponse>;
  /** GET /services; `status` asks for ServiceStatus (running/desired counts). */
  serviceList(filters?: Filters, status?: boolean): Promise<Service[]>;
  /** GET /services/{id}?insertDefaults= */
  serviceInspect(id: string, options?: ServiceInspectOptions): Promise<Service>;
  /** POST /services/{id}/update?version=N */
  serviceUpdate(id: string, version: number, spec: ServiceSpec, options?: ServiceUpdateOptions): Promise<ServiceUpdateResponse>;
  serviceRemove(id: string): Promise<void>;
  /** GET /services/{id}/logs: the raw stdcopy-multiplexed body. */
  serviceLogs(id: string, options: LogsOptions): Promise<AsyncIterable<Buffer>>;
  taskList(filters?: Filters): Promise<Task[]>;
  taskInspect(id: string): Promise<Task>;
  /** GET /tasks/{id}/logs: the raw stdcopy-multiplexed body. */
  taskLogs(id: string, options: LogsOptions): Promise<AsyncIterable<Buffer>>;
  networkList(filters?: Filters): Promise<Network[]>;
  /** GET /secrets and /configs: `service create/update --secret/--config` resolve names with them. */
  secretList(filters?: Filters): Promise<SwarmObjectRef[]>;
  configList(filters?: Filters): Promise<SwarmObjectRef[]>;
  networkInspect(id: string, options?: NetworkInspectOptions): Promise<Network>;
  networkCreate(req: NetworkCreateRequest): Promise<NetworkCreateResponse>;
  networkRemove(id: string): Promise<void>;
  /** POST /networks/prune: the names of the networks removed. */
  networksPrune(filters?: Filters): Promise<{ NetworksDeleted: string[] | null }>;
  /**
   * GET of an object kind Shoal's daemon has none of (it answers that the endpoint is not
   * supported, or that the secret or config is not found): `docker inspect` asks for each kind
   * in turn, so `shoal inspect` does too. `size` asks a container's size.
   */
  otherObjectInspect(kind: OtherObjectKind, id: string, options?: { size?: boolean }): Promise<unknown>;
}

/** Docker object kinds outside the swarm subset. */
export type OtherObjectKind = 'container' | 'image' | 'volume' | 'plugin' | 'secret' | 'config';

const OTHER_OBJECT_PATHS: Record<OtherObjectKind, (ref: string) => string> = {
  container: (ref) => `/containers/${ref}/json`,
  image: (ref) => `/images/${ref}/json`,
  volume: (ref) => `/volumes/${ref}`,
  plugin: (ref) => `/plugins/${ref}/json`,
  secret: (ref) => `/secrets/${ref}`,
  config: (ref) => `/configs/${ref}`,
};

export interface ServiceInspectOptions {
  /** Ask the daemon to fill unset fields with their defaults (`service inspect` does). */
  insertDefaults?: boolean;
}

export interface ServiceUpdateOptions {
  /** `spec` or `previous-spec`: where the daemon takes registry credentials from. */
  registryAuthFrom?: 'spec' | 'previous-spec';
  /** `previous`: a server-side rollback to PreviousSpec. */
  rollback?: 'previous';
}

/** Query of the logs endpoints (docker's container.LogsOptions as the client sends it). */
export interface LogsOptions {
  stdout?: boolean;
  stderr?: boolean;
  /** Already converted to the API's `seconds[.nanoseconds]` form. */
  since?: string;
  timestamps?: boolean;
  details?: boolean;
  follow?: boolean;
  /** A line count or `all`; always sent, as docker does. */
  tail?: string;
  signal?: AbortSignal;
}

export interface NetworkInspectOptions {
  /** `swarm` restricts the lookup to swarm-scoped networks. */
  scope?: string;
  verbose?: boolean;
}

/** docker's trimID: references are trimmed, and an empty one is refused before any request. */
function objectRef(kind: string, id: string): string {
  const trimmed = id.trim();
  if (trimmed === '') throw new EmptyIdError(kind);
  return encodeURIComponent(trimmed);
}

const flag = (on: boolean | undefined): string | undefined => (on === true ? '1' : undefined);

function logsQuery(options: LogsOptions): Record<string, string | undefined> {
  return {
    stdout: flag(options.stdout),
    stderr: flag(options.stderr),
    since: options.since === '' ? undefined : options.since,
    timestamps: flag(options.timestamps),
    details: flag(options.details),
    follow: flag(options.follow),
    tail: options.tail ?? '',
  };
}

export function parsePingHeaders(headers: IncomingMessage['headers']): PingResult {
  const one = (name: string): string | undefined => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const result: PingResult = { experimental: one('docker-experimental') === 'true' };
  const apiVersion = one('api-version');
  if (apiVersion) result.apiVersion = apiVersion;
  const osType = one('ostype');
  if (osType) result.osType = osType;
  const builder = one('builder-version');
  if (builder) result.builderVersion = builder;
  const swarm = one('swarm');
  if (swarm) {
    const [state = '', role] = swarm.split('/', 2);
    result.swarm = { nodeState: state as LocalNodeState, controlAvailable: role === 'manager' };
  }
  return result;
}

export class EngineClient implements EngineApi {
  readonly host: string;
  private readonly addr: HostAddress;
  private readonly maxApiVersion: string;
  private readonly userAgent: string | undefined;
  private negotiated: Promise<string> | undefined;

  constructor(options: EngineClientOptions) {
    this.addr = parseHost(options.host);
    this.host = this.addr.display;
    this.maxApiVersion = options.maxApiVersion ?? DEFAULT_API_VERSION;
    this.userAgent = options.userAgent;
    if (options.apiVersion !== undefined) this.negotiated = Promise.resolve(options.apiVersion);
  }

  /** The version used for `/v<ver>/…` paths, negotiating on first use. */
  apiVersion(): Promise<string> {
    if (this.negotiated === undefined) {
      this.negotiated = this.ping().then((p) => negotiateApiVersion(p.apiVersion, this.maxApiVersion));
      // A failed negotiation (daemon down) must not stick: the next call retries.
      this.negotiated.catch(() => {
        this.negotiated = undefined;
      });
    }
    return this.negotiated;
  }

  /** HEAD /_ping (unversioned), falling back to GET when HEAD is refused, like docker. */
  async ping(): Promise<PingResult> {
    const req: RawRequest = { method: 'HEAD', path: '/_ping', headers: this.baseHeaders() };
    let res = await roundTrip(this.addr, req);
    if (res.statusCode !== 200 && res.statusCode !== 500) {
      req.method = 'GET';
      res = await roundTrip(this.addr, req);
    }
    if (!isSuccess(res.statusCode)) throw responseError(req, res.statusCode, res.headers, res.body);
    return parsePingHeaders(res.headers);
  }

  /** A versioned JSON call; resolves with the decoded body (undefined when empty). */
  async call<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const req = await this.versionedRequest(method, path, options);
    const res = await roundTrip(this.addr, req);
    if (!isSuccess(res.statusCode)) throw responseError(req, res.statusCode, res.headers, res.body);
    if (res.body.length === 0) return undefined as T;
    return JSON.parse(res.body.toString('utf8')) as T;
  }

  /** A versioned call whose body the caller streams (logs, events). */
  async stream(method: string, path: string, options: RequestOptions = {}): Promise<IncomingMessage> {
    const req = await this.versionedRequest(method, path, options);
    const res = await openRequest(this.addr, req);
    const statusCode = res.statusCode ?? 0;
    if (!isSuccess(statusCode)) throw responseError(req, statusCode, res.headers, await readBody(res));
    return res;
  }

  version(): Promise<SystemVersion> {
    return this.call('GET', '/version');
  }

  info(): Promise<SystemInfo> {
    return this.call('GET', '/info');
  }

  swarmInspect(): Promise<Swarm> {
    return this.call('GET', '/swarm');
  }

  swarmInit(req: SwarmInitRequest): Promise<string> {
    return this.call('POST', '/swarm/init', { body: req });
  }

  async swarmJoin(req: SwarmJoinRequest): Promise<void> {
    await this.call('POST', '/swarm/join', { body: req });
  }

  async swarmLeave(force = false): Promise<void> {
    await this.call('POST', '/swarm/leave', { query: { force: force ? '1' : undefined } });
  }

  async swarmUpdate(version: number, spec: SwarmSpec, flags: SwarmUpdateFlags = {}): Promise<void> {
    // Docker always sends all three flags, `true` or `false`.
    const query = {
      version,
      rotateWorkerToken: flags.rotateWorkerToken === true,
      rotateManagerToken: flags.rotateManagerToken === true,
      rotateManagerUnlockKey: flags.rotateManagerUnlockKey === true,
    };
    await this.call('POST', '/swarm/update', { query, body: spec });
  }

  swarmUnlockKey(): Promise<SwarmUnlockKeyResponse> {
    return this.call('GET', '/swarm/unlockkey');
  }

  async swarmUnlock(key: string): Promise<void> {
    await this.call('POST', '/swarm/unlock', { body: { UnlockKey: key } });
  }

  async nodeList(filters?: Filters): Promise<Node[]> {
    return (await this.call<Node[] | null>('GET', '/nodes', { query: { filters: encodeFilters(filters) } })) ?? [];
  }

  nodeInspect(id: string): Promise<Node> {
    return this.call('GET', `/nodes/${encodeURIComponent(id)}`);
  }

  async nodeUpdate(id: string, version: number, spec: NodeSpec): Promise<void> {
    await this.call('POST', `/nodes/${encodeURIComponent(id)}/update`, { query: { version }, body: spec });
  }

  async nodeRemove(id: string, force = false): Promise<void> {
    await this.call('DELETE', `/nodes/${encodeURIComponent(id)}`, { query: { force: force ? '1' : undefined } });
  }

  async serviceCreate(spec: ServiceSpec): Promise<ServiceCreateResponse> {
    return this.call('POST', '/services/create', { body: spec });
  }

  async serviceList(filters?: Filters, status = false): Promise<Service[]> {
    const query = { filters: encodeFilters(filters), status: status ? 'true' : undefined };
    return (await this.call<Service[] | null>('GET', '/services', { query })) ?? [];
  }

  async serviceInspect(id: string, options: ServiceInspectOptions = {}): Promise<Service> {
    const path = `/services/${objectRef('service', id)}`;
    return this.call('GET', path, { query: { insertDefaults: options.insertDefaults === true ? 'true' : 'false' } });
  }

  async serviceUpdate(id: string, version: number, spec: ServiceSpec, options: ServiceUpdateOptions = {}): Promise<ServiceUpdateResponse> {
    const query = { version, registryAuthFrom: options.registryAuthFrom, rollback: options.rollback };
    return (await this.call<ServiceUpdateResponse | undefined>('POST', `/services/${objectRef('service', id)}/update`, { query, body: spec })) ?? {};
  }

  async serviceRemove(id: string): Promise<void> {
    await this.call('DELETE', `/services/${objectRef('service', id)}`);
  }

  async serviceLogs(id: string, options: LogsOptions): Promise<AsyncIterable<Buffer>> {
    return this.logs(`/services/${objectRef('service', id)}/logs`, options);
  }

  async taskList(filters?: Filters): Promise<Task[]> {
    return (await this.call<Task[] | null>('GET', '/tasks', { query: { filters: encodeFilters(filters) } })) ?? [];
  }

  async taskInspect(id: string): Promise<Task> {
    return this.call('GET', `/tasks/${objectRef('task', id)}`);
  }

  async taskLogs(id: string, options: LogsOptions): Promise<AsyncIterable<Buffer>> {
    return this.logs(`/tasks/${objectRef('task', id)}/logs`, options);
  }

  async networkList(filters?: Filters): Promise<Network[]> {
    return (await this.call<Network[] | null>('GET', '/networks', { query: { filters: encodeFilters(filters) } })) ?? [];
  }

  async secretList(filters?: Filters): Promise<SwarmObjectRef[]> {
    return (await this.call<SwarmObjectRef[] | null>('GET', '/secrets', { query: { filters: encodeFilters(filters) } })) ?? [];
  }

  async configList(filters?: Filters): Promise<SwarmObjectRef[]> {
    return (await this.call<SwarmObjectRef[] | null>('GET', '/configs', { query: { filters: encodeFilters(filters) } })) ?? [];
  }

  async networkInspect(id: string, options: NetworkInspectOptions = {}): Promise<Network> {
    const query = { scope: options.scope === '' ? undefined : options.scope, verbose: options.verbose === true ? 'true' : undefined };
    return this.call('GET', `/networks/${objectRef('network', id)}`, { query });
  }

  async networkCreate(req: NetworkCreateRequest): Promise<NetworkCreateResponse> {
    return this.call('POST', '/networks/create', { body: req });
  }

  async networkRemove(id: string): Promise<void> {
    await this.call('DELETE', `/networks/${objectRef('network', id)}`);
  }

  async networksPrune(filters?: Filters): Promise<{ NetworksDeleted: string[] | null }> {
    return this.call('POST', '/networks/prune', { query: { filters: encodeFilters(filters) } });
  }

  otherObjectInspect(kind: OtherObjectKind, id: string, options: { size?: boolean } = {}): Promise<unknown> {
    const query = kind === 'container' && options.size === true ? { size: '1' } : undefined;
    return this.call('GET', OTHER_OBJECT_PATHS[kind](objectRef(kind, id)), query === undefined ? {} : { query });
  }

  private async logs(path: string, options: LogsOptions): Promise<AsyncIterable<Buffer>> {
    const res = await this.stream('GET', path, {
      query: logsQuery(options),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    return res as AsyncIterable<Buffer>;
  }

  private async versionedRequest(method: string, path: string, options: RequestOptions): Promise<RawRequest> {
    const version = await this.apiVersion();
    const req: RawRequest = {
      method,
      path: `/v${version}${path}`,
      headers: { ...this.baseHeaders(), ...options.headers },
    };
    if (options.query !== undefined) req.query = options.query;
    if (options.body !== undefined) req.body = options.body;
    if (options.signal !== undefined) req.signal = options.signal;
    return req;
  }

  private baseHeaders(): Record<string, string> {
    return this.userAgent === undefined ? {} : { 'User-Agent': this.userAgent };
  }
}

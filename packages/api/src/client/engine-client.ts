// Typed Engine API client with docker-style API version negotiation.
import type { IncomingMessage } from 'node:http';
import type {
  LocalNodeState,
  Node,
  NodeSpec,
  Swarm,
  SwarmInitRequest,
  SwarmJoinRequest,
  SwarmSpec,
  SwarmUnlockKeyResponse,
  SwarmUpdateFlags,
  SystemInfo,
  SystemVersion,
} from '../engine/types';
import { DEFAULT_API_VERSION, negotiateApiVersion } from './api-version';
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
  nodeList(filters?: Filters): Promise<Node[]>;
  nodeInspect(id: string): Promise<Node>;
  nodeUpdate(id: string, version: number, spec: NodeSpec): Promise<void>;
  nodeRemove(id: string, force?: boolean): Promise<void>;
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

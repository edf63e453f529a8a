// The Docker Engine API (swarm subset) over HTTP on a unix socket, so both the
// shoal CLI and the unmodified docker CLI drive a node.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import { FailedPreconditionError, InvalidArgumentError, type ShoalError } from '@shoal/store';
import type { Logger } from 'pino';
import type { SwarmInitRequest, SwarmJoinRequest, SwarmSpec, NodeSpec as EngineNodeSpec } from '../engine/types';
import { compareApiVersions } from '../client/api-version';
import type { EngineBackend } from './backend';
import { NODE_FILTERS, filterNodes, parseFilters } from './filters';
import { fromEngineNodeSpec, fromEngineSwarmSpec, toEngineNode, toEngineSwarm } from './mapping';
import { servePlain, type PlainHttpOptions, type PlainReply, type PlainRequest } from './plain-http';
import { parseJson, readJson } from './request-body';
import { splitTarget, type RequestTarget } from './request-target';
import { Router, type RouteContext, type RouteMatch } from './router';
import { NO_CONTENT, STREAMED, addServiceRoutes } from './service-routes';
import { versionParam } from './version-param';

export const API_VERSION = '1.51';
export const MIN_API_VERSION = '1.24';
export const SHOAL_VERSION = '0.1.0';

const STATUS_CODES_BY_ERROR: Record<ShoalError['code'], number> = {
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  OUT_OF_SEQUENCE: 500,
  UNAVAILABLE: 503,
  PERMISSION_DENIED: 403,
  NOT_MANAGER: 503,
  NOT_IN_SWARM: 503,
  ALREADY_IN_SWARM: 503,
  UNAUTHENTICATED: 401,
  CONFLICT: 409,
  UNIMPLEMENTED: 501,
  INTERNAL: 500,
};

export interface EngineServerOptions {
  backend: EngineBackend;
  logger: Logger;
}


/** Docker features Shoal does not have: refused with a plain reason, never accepted and ignored. */
export const EXTERNAL_CA_UNSUPPORTED = 'external CAs are not supported by Shoal (it signs node certificates itself; `swarm ca --rotate` can rotate to a CA certificate and key you give); the swarm was not changed';

/** Engine API families outside the swarm subset: refused with a reason rather than "page not found". */
const UNSUPPORTED_FAMILIES = ['containers', 'images', 'volumes', 'secrets', 'configs', 'plugins', 'events', 'exec', 'build'] as const;

function refuseUnsupported(spec: SwarmSpec): void {
  if ((spec.CAConfig?.ExternalCAs?.length ?? 0) > 0) throw new FailedPreconditionError(EXTERNAL_CA_UNSUPPORTED);
}

export function buildRouter(backend: EngineBackend): Router {
  const r = new Router();
  r.add('GET', '/_ping', async () => 'OK');
  r.add('GET', '/version', async () => backend.version());
  r.add('GET', '/info', async () => backend.info());

  r.add('POST', '/swarm/init', async (ctx) => {
    const req = (await ctx.body()) as SwarmInitRequest;
    if (req.Spec) refuseUnsupported(req.Spec);
    return backend.swarmInit(req);
  });
  r.add('POST', '/swarm/join', async (ctx) => {
    await backend.swarmJoin((await ctx.body()) as SwarmJoinRequest);
    return NO_CONTENT;
  });
  r.add('POST', '/swarm/leave', async (ctx) => {
    await backend.swarmLeave(boolParam(ctx.query, 'force'));
    return NO_CONTENT;
  });
  r.add('GET', '/swarm', async () => {
    const cluster = await backend.cluster();
    return toEngineSwarm(cluster, backend.clusterTlsInfo(cluster));
  });
  r.add('POST', '/swarm/update', async (ctx) => {
    const version = versionParam(ctx.query, 'swarm');
    const cluster = await backend.cluster();
    const body = (await ctx.body()) as SwarmSpec;
    refuseUnsupported(body);
    const spec = fromEngineSwarmSpec(body, cluster.spec);
    await backend.updateCluster(version, spec, {
      rotateWorkerToken: boolParam(ctx.query, 'rotateWorkerToken'),
      rotateManagerToken: boolParam(ctx.query, 'rotateManagerToken'),
      rotateManagerUnlockKey: boolParam(ctx.query, 'rotateManagerUnlockKey'),
      ...signingCA(body),
    });
    return NO_CONTENT;
  });

  // Empty while autolock is off (`docker swarm unlock-key` then says "no unlock key is set").
  r.add('GET', '/swarm/unlockkey', async () => ({ UnlockKey: (await backend.cluster()).unlockKey ?? '' }));
  r.add('POST', '/swarm/unlock', async (ctx) => {
    const body = (await ctx.body()) as { UnlockKey?: unknown } | null;
    await backend.swarmUnlock(typeof body?.UnlockKey === 'string' ? body.UnlockKey : '');
    return NO_CONTENT;
  });

  r.add('GET', '/nodes', async (ctx) => {
    const filters = parseFilters(ctx.query.get('filters'), NODE_FILTERS);
    const tls = backend.tlsInfo();
    return filterNodes(await backend.nodes(), filters).map((n) => toEngineNode(n, tls));
  });
  r.add('GET', '/nodes/{id}', async (ctx) => toEngineNode(await backend.node(ctx.params.id ?? ''), backend.tlsInfo()));
  r.add('POST', '/nodes/{id}/update', async (ctx) => {
    const spec = fromEngineNodeSpec((await ctx.body()) as EngineNodeSpec);
    await backend.updateNode(ctx.params.id ?? '', versionParam(ctx.query, 'node'), spec);
    return NO_CONTENT;
  });
  r.add('DELETE', '/nodes/{id}', async (ctx) => {
    await backend.removeNode(ctx.params.id ?? '', boolParam(ctx.query, 'force'));
    return NO_CONTENT;
  });
  addServiceRoutes(r, backend);
  return r;
}

/** How long a kept-alive connection may idle between requests (Node's server and the plain path alike). */
const KEEP_ALIVE_MS = 60_000;

export interface EngineServerListenOptions {
  /** Plain requests answered without Node's HTTP server (plain-http.ts); off, every request goes through it. */
  plainPath?: boolean;
}

export class EngineServer {
  /** Node's HTTP server: it never listens itself, the front hands it the connections it is to serve. */
  private readonly server: http.Server;
  private readonly front: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly router: Router;

  constructor(private readonly options: EngineServerOptions & EngineServerListenOptions) {
    this.router = buildRouter(options.backend);
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = KEEP_ALIVE_MS;
    const plain: PlainHttpOptions<Resolved> = {
      server: this.server,
      // A route that writes its answer itself (the logs' streams) is Node's server's to serve.
      resolve: (method, target) => {
        const resolved = this.resolve(method, target);
        return resolved.kind === 'route' && resolved.route.streams ? undefined : resolved;
      },
      answer: (resolved, request) => this.answerPlain(resolved, request),
      keepAliveMs: KEEP_ALIVE_MS,
    };
    // Half-open as Node's HTTP server makes its sockets: an ended request side may still get an answer (a 400).
    this.front = net.createServer({ allowHalfOpen: true }, (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      if (options.plainPath === false) this.server.emit('connection', socket);
      else servePlain(socket, plain);
    });
  }

  async listen(socketPath: string): Promise<void> {
    if (fs.existsSync(socketPath)) fs.unlinkSync(socketPath); // a stale socket from a crash
    await new Promise<void>((resolve, reject) => {
      this.front.once('error', reject);
      this.front.listen(socketPath, () => {
        this.front.off('error', reject);
        resolve();
      });
    });
    fs.chmodSync(socketPath, 0o660);
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.front.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  /** A request's target and route, found once per request whichever server reads it. */
  private resolve(method: string, rawTarget: string): Resolved {
    let target: RequestTarget;
    try {
      target = splitTarget(rawTarget);
    } catch {
      return { kind: 'answer', method, pathname: rawTarget, status: 404, message: 'page not found' }; // not a path (e.g. `//host/...`)
    }
    const pathname = target.pathname;
    let path: string;
    let version: string;
    let route: ReturnType<Router['match']>;
    try {
      ({ path, version } = splitVersion(pathname));
      route = this.router.match(method, path);
    } catch (err) {
      return { kind: 'failed', method, pathname, err }; // a version out of range, a malformed escape: reply()'s error answer
    }
    if (route === null) {
      const family = UNSUPPORTED_FAMILIES.find((f) => path === `/${f}` || path.startsWith(`/${f}/`));
      if (family) {
        const message = `/${family} is not supported by Shoal: it runs swarm services' tasks as host processes, not containers (see docker service ps and docker service logs)`;
        return { kind: 'answer', method, pathname, status: 501, message };
      }
      return { kind: 'answer', method, pathname, status: 404, message: 'page not found' };
    }
    if (route === 'method') return { kind: 'answer', method, pathname, status: 405, message: 'method not allowed' };
    return { kind: 'route', method, pathname, route, query: target.query, path, version };
  }

  private answerPlain(resolved: Resolved, request: PlainRequest): Promise<PlainReply> {
    const body = (): Promise<unknown> => Promise.resolve(parseJson(request.body));
    const noStream = (): never => {
      throw new Error('a streamed answer on the plain path'); // resolve leaves those to Node's server
    };
    return this.reply(resolved, body, noStream) as Promise<PlainReply>;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    try {
      await this.answerNode(req, res);
    } catch {
      res.destroy(); // an answer that could not be made (the server's own fault): cut, never left hanging
    }
  }

  private async answerNode(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const reply = await this.reply(this.resolve(req.method ?? 'GET', req.url ?? '/'), () => readJson(req), (headers) => {
      for (let i = 0; i < headers.length; i += 2) res.setHeader(headers[i] as string, headers[i + 1] as string);
      return res;
    });
    if (reply === STREAMED) return;
    if (reply === CUT) {
      res.destroy(); // a stream that failed midway: cut it so the client sees an error
      return;
    }
    res.writeHead(reply.status, reply.headers as string[]);
    res.end(req.method === 'HEAD' ? undefined : reply.body);
  }

  /**
   * The answer to a request, whichever server reads it: whole, or STREAMED when the route wrote it
   * to the response `stream` gave it (with the headers every answer carries set), or CUT when
   * such a stream failed after it started.
   */
  private async reply(
    resolved: Resolved,
    body: () => Promise<unknown>,
    stream: (common: string[]) => http.ServerResponse,
  ): Promise<PlainReply | typeof STREAMED | typeof CUT> {
    const common = [
      'Api-Version', API_VERSION,
      'Ostype', 'linux',
      'Server', `Shoal/${SHOAL_VERSION} (linux)`,
      'Docker-Experimental', 'false',
      'Swarm', swarmHeader(this.options.backend.swarmStatus()),
      'Cache-Control', 'no-cache, no-store, must-revalidate',
    ]; // prettier-ignore
    let streamed: http.ServerResponse | undefined;
    const { method, pathname } = resolved;
    try {
      if (resolved.kind === 'answer') return errorReply(common, resolved.status, resolved.message);
      if (resolved.kind === 'failed') throw resolved.err;
      const { route, path, version } = resolved;
      const ctx: RouteContext = {
        // A plain function, not a getter: an accessor in this literal cost the leader ~15 % more
        // CPU per write (GC) and ~40 MiB (probe A/B).
        answer: () => (streamed = stream(common)),
        params: route.params,
        query: resolved.query,
        body,
        apiVersion: version,
      };
      const result = await route.handler(ctx);
      if (path === '/_ping') {
        // moby's ping: no body for HEAD, and a length of 0 said so.
        return { status: 200, headers: [...common, 'Pragma', 'no-cache', 'Content-Type', 'text/plain; charset=utf-8', 'Content-Length', method === 'HEAD' ? '0' : '2'], body: method === 'HEAD' ? '' : 'OK' };
      }
      if (result === STREAMED) return STREAMED;
      if (result === NO_CONTENT) return { status: 200, headers: [...common, 'Content-Length', '0'], body: '' };
      return jsonReply(common, method === 'POST' && path.endsWith('/create') ? 201 : 200, result);
    } catch (err) {
      const code = err !== null && typeof err === 'object' && typeof (err as { code?: unknown }).code === 'string' ? (err as { code: string }).code : undefined;
      const statusCode = code !== undefined && Object.hasOwn(STATUS_CODES_BY_ERROR, code) ? STATUS_CODES_BY_ERROR[code as ShoalError['code']] : 500;
      if (statusCode >= 500 && code !== 'NOT_MANAGER' && code !== 'NOT_IN_SWARM' && code !== 'ALREADY_IN_SWARM') {
        this.options.logger.error({ err, method, path: pathname }, 'API call failed');
      }
      if (streamed?.headersSent) return CUT;
      return errorReply(common, statusCode, err instanceof Error ? err.message : errorText(err));
    }
  }
}

/** A request's route as resolve() found it, or the answer it gets without one. */
type Resolved =
  | { kind: 'route'; method: string; pathname: string; route: RouteMatch; query: URLSearchParams; path: string; version: string }
  | { kind: 'answer'; method: string; pathname: string; status: number; message: string }
  | { kind: 'failed'; method: string; pathname: string; err: unknown };

/** A thrown value that is no Error as text (String() throws for some, e.g. an object without a prototype). */
function errorText(err: unknown): string {
  try {
    return String(err);
  } catch {
    return 'internal error';
  }
}

/** A stream that failed after its answer started: the connection is cut so the client sees an error. */
const CUT = Symbol('cut');

function jsonReply(common: string[], status: number, value: unknown): PlainReply {
  const text = JSON.stringify(value) + '\n';
  return { status, headers: [...common, 'Content-Type', 'application/json', 'Content-Length', String(Buffer.byteLength(text))], body: text };
}

function errorReply(common: string[], status: number, message: string): PlainReply {
  return jsonReply(common, status, { message });
}

/** `swarm ca --rotate --ca-cert --ca-key`: the CA to rotate to (moby redacts it from the stored spec). */
function signingCA(spec: SwarmSpec): { signingCA?: { certPem: string; keyPem: string } } {
  const cert = spec.CAConfig?.SigningCACert ?? '';
  const key = spec.CAConfig?.SigningCAKey ?? '';
  if (cert === '' && key === '') return {};
  if (cert === '') throw new InvalidArgumentError('rpc error: code = InvalidArgument desc = if a signing CA key is provided, the signing CA cert must also be provided');
  if (key === '') throw new InvalidArgumentError('rpc error: code = InvalidArgument desc = the signing CA key must be provided with the signing CA cert (Shoal has no external CA)');
  return { signingCA: { certPem: cert, keyPem: key } };
}

function swarmHeader(status: { state: string; controlAvailable: boolean }): string {
  if (status.state !== 'active') return status.state;
  return `active/${status.controlAvailable ? 'manager' : 'worker'}`;
}

/** API versions already found in range: a client sends the same one on every request. */
const SUPPORTED_VERSIONS = new Set<string>();

function splitVersion(pathname: string): { path: string; version: string } {
  const m = /^\/v(\d+\.\d+)(\/.*)$/.exec(pathname);
  if (!m) return { path: pathname, version: API_VERSION };
  const version = m[1] as string;
  if (SUPPORTED_VERSIONS.has(version)) return { path: m[2] as string, version };
  if (compareApiVersions(version, API_VERSION) > 0) {
    throw new InvalidArgumentError(`client version ${version} is too new. Maximum supported API version is ${API_VERSION}`);
  }
  if (compareApiVersions(version, MIN_API_VERSION) < 0) {
    throw new InvalidArgumentError(
      `client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`,
    );
  }
  if (SUPPORTED_VERSIONS.size < 64) SUPPORTED_VERSIONS.add(version);
  return { path: m[2] as string, version };
}

function boolParam(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v !== null && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

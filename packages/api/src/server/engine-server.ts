// The Docker Engine API (swarm subset) over HTTP on a unix socket, so both the
// shoal CLI and the unmodified docker CLI drive a node.
import * as fs from 'node:fs';
import * as http from 'node:http';
import { FailedPreconditionError, InvalidArgumentError, type ShoalError } from '@shoal/store';
import type { Logger } from 'pino';
import type { SwarmInitRequest, SwarmJoinRequest, SwarmSpec, NodeSpec as EngineNodeSpec } from '../engine/types';
import { compareApiVersions } from '../client/api-version';
import type { EngineBackend } from './backend';
import { NODE_FILTERS, filterNodes, parseFilters } from './filters';
import { fromEngineNodeSpec, fromEngineSwarmSpec, toEngineNode, toEngineSwarm } from './mapping';
import { readJson } from './request-body';
import { splitTarget, type RequestTarget } from './request-target';
import { Router, type RouteContext } from './router';
import { NO_CONTENT, STREAMED, addServiceRoutes } from './service-routes';
import { versionParam } from './version-param';

export const API_VERSION = '1.51';
export const MIN_API_VERSION = '1.24';
export const SHOAL_VERSION = '0.1.0';

const STATUS_BY_CODE: Record<ShoalError['code'], number> = {
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

export class EngineServer {
  private readonly server: http.Server;
  private readonly router: Router;

  constructor(private readonly options: EngineServerOptions) {
    this.router = buildRouter(options.backend);
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 60_000;
  }

  async listen(socketPath: string): Promise<void> {
    if (fs.existsSync(socketPath)) fs.unlinkSync(socketPath); // a stale socket from a crash
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(socketPath, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    fs.chmodSync(socketPath, 0o660);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    // Every answer carries these. An answer the server writes whole gets them with its own in one
    // writeHead (res.setHeader checks and stores each on its own: ~7-10 µs a request here); a
    // route that writes to `res` itself gets them set first.
    const common = [
      'Api-Version', API_VERSION,
      'Ostype', 'linux',
      'Server', `Shoal/${SHOAL_VERSION} (linux)`,
      'Docker-Experimental', 'false',
      'Swarm', swarmHeader(this.options.backend.swarmStatus()),
      'Cache-Control', 'no-cache, no-store, must-revalidate',
    ]; // prettier-ignore
    const out: Answer = { res, common, set: false };
    let pathname = req.url ?? '/';
    try {
      let target: RequestTarget;
      try {
        target = splitTarget(req.url ?? '/');
      } catch {
        return sendError(out, 404, 'page not found'); // not a path (e.g. `//host/...`)
      }
      pathname = target.pathname;
      const { path, version } = splitVersion(target.pathname);
      const route = this.router.match(req.method ?? 'GET', path);
      if (route === null) {
        const family = UNSUPPORTED_FAMILIES.find((f) => path === `/${f}` || path.startsWith(`/${f}/`));
        if (family) {
          return sendError(out, 501, `/${family} is not supported by Shoal: it runs swarm services' tasks as host processes, not containers (see docker service ps and docker service logs)`);
        }
        return sendError(out, 404, 'page not found');
      }
      if (route === 'method') return sendError(out, 405, 'method not allowed');
      const ctx: RouteContext = {
        req,
        // A plain function, not a getter: an accessor in this literal cost the leader ~15 % more
        // CPU per write (GC) and ~40 MiB (probe A/B).
        answer: () => setCommon(out),
        params: route.params,
        query: target.query,
        body: () => readJson(req),
        apiVersion: version,
      };
      const result = await route.handler(ctx);
      if (path === '/_ping') {
        setCommon(out).setHeader('Content-Type', 'text/plain; charset=utf-8');
        res.end(req.method === 'HEAD' ? undefined : 'OK');
        return;
      }
      if (result === STREAMED) return;
      if (result === NO_CONTENT) {
        setCommon(out).statusCode = 200;
        res.end();
        return;
      }
      sendJson(out, req.method === 'POST' && path.endsWith('/create') ? 201 : 200, result);
    } catch (err) {
      const code = (err as { code?: string }).code as ShoalError['code'] | undefined;
      const statusCode = (code && STATUS_BY_CODE[code]) || 500;
      if (statusCode >= 500 && code !== 'NOT_MANAGER' && code !== 'NOT_IN_SWARM' && code !== 'ALREADY_IN_SWARM') {
        this.options.logger.error({ err, method: req.method, path: pathname }, 'API call failed');
      }
      if (res.headersSent) {
        res.destroy(); // a stream that failed midway: cut it so the client sees an error
        return;
      }
      sendError(out, statusCode, err instanceof Error ? err.message : String(err));
    }
  }
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

/** A response and the headers every answer carries, until they are set on it. */
interface Answer {
  res: http.ServerResponse;
  common: string[];
  set: boolean;
}

function setCommon(out: Answer): http.ServerResponse {
  if (!out.set) {
    out.set = true;
    for (let i = 0; i < out.common.length; i += 2) out.res.setHeader(out.common[i] as string, out.common[i + 1] as string);
  }
  return out.res;
}

function sendJson(out: Answer, status: number, body: unknown): void {
  const text = JSON.stringify(body) + '\n';
  const length = String(Buffer.byteLength(text));
  if (out.set) {
    out.res.statusCode = status;
    out.res.setHeader('Content-Type', 'application/json');
    out.res.setHeader('Content-Length', length);
  } else {
    out.set = true;
    out.res.writeHead(status, [...out.common, 'Content-Type', 'application/json', 'Content-Length', length]);
  }
  out.res.end(text);
}

function sendError(out: Answer, status: number, message: string): void {
  sendJson(out, status, { message });
}

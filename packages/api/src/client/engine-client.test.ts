import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compareApiVersions, negotiateApiVersion } from './api-version';
import { EngineClient } from './engine-client';
import { DaemonUnreachableError, EngineApiError } from './errors';
import { encodeFilters } from './filters';
import { parseHost } from './host';

interface Seen {
  method: string;
  url: string;
  body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

let dir: string;
let sock: string;
let server: http.Server | undefined;
let seen: Seen[];

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(value));
}

async function serve(apiVersion: string | undefined, handler: Handler): Promise<void> {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', body });
      if (apiVersion !== undefined) res.setHeader('Api-Version', apiVersion);
      if (req.url === '/_ping') {
        res.setHeader('Swarm', 'active/manager');
        res.setHeader('Ostype', 'linux');
        res.end(req.method === 'GET' ? 'OK' : undefined);
        return;
      }
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server?.listen(sock, resolve));
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'shoal-client-'));
  sock = join(dir, 'shoald.sock');
  seen = [];
});

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('version negotiation', () => {
  it('uses the server version when it is older, on versioned paths only', async () => {
    await serve('1.47', (_req, res) => json(res, 200, { Version: '0.1.0' }));
    const client = new EngineClient({ host: `unix://${sock}` });
    await client.version();
    await client.info();
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(['HEAD /_ping', 'GET /v1.47/version', 'GET /v1.47/info']);
  });

  it('caps at 1.51 when the server is newer', async () => {
    await serve('1.52', (_req, res) => json(res, 200, {}));
    await new EngineClient({ host: `unix://${sock}` }).info();
    expect(seen[1]?.url).toBe('/v1.51/info');
  });

  it('falls back to 1.24 without an Api-Version header', async () => {
    await serve(undefined, (_req, res) => json(res, 200, {}));
    await new EngineClient({ host: `unix://${sock}` }).info();
    expect(seen[1]?.url).toBe('/v1.24/info');
  });

  it('skips negotiation when the version is pinned', async () => {
    await serve('1.51', (_req, res) => json(res, 200, {}));
    await new EngineClient({ host: `unix://${sock}`, apiVersion: '1.44' }).info();
    expect(seen.map((s) => s.url)).toEqual(['/v1.44/info']);
  });

  it('parses the ping headers', async () => {
    await serve('1.51', () => undefined);
    const ping = await new EngineClient({ host: sock }).ping();
    expect(ping).toEqual({
      apiVersion: '1.51',
      osType: 'linux',
      experimental: false,
      swarm: { nodeState: 'active', controlAvailable: true },
    });
  });

  it('compares versions numerically', () => {
    expect(compareApiVersions('1.9', '1.24')).toBe(-1);
    expect(negotiateApiVersion('1.100')).toBe('1.51');
    expect(negotiateApiVersion('')).toBe('1.24');
  });
});

describe('requests', () => {
  it('encodes node filters in map form and swarm update flags as docker does', async () => {
    await serve('1.51', (_req, res) => json(res, 200, []));
    const client = new EngineClient({ host: `unix://${sock}` });
    await client.nodeList({ role: ['manager'], name: ['b', 'a'] });
    await client.swarmUpdate(7, { Name: 'default' }, { rotateWorkerToken: true });
    await client.nodeRemove('n 1', true);
    await client.swarmLeave(false);
    const [, list, update, remove, leave] = seen;
    expect(decodeURIComponent(list?.url ?? '')).toBe('/v1.51/nodes?filters={"name":{"a":true,"b":true},"role":{"manager":true}}');
    expect(update?.url).toBe(
      '/v1.51/swarm/update?rotateManagerToken=false&rotateManagerUnlockKey=false&rotateWorkerToken=true&version=7',
    );
    expect(JSON.parse(update?.body ?? '')).toEqual({ Name: 'default' });
    expect(`${remove?.method} ${remove?.url}`).toBe('DELETE /v1.51/nodes/n%201?force=1');
    expect(leave?.url).toBe('/v1.51/swarm/leave');
  });

  it('returns the node ID string from swarm init', async () => {
    await serve('1.51', (_req, res) => json(res, 200, 'abc123'));
    const id = await new EngineClient({ host: `unix://${sock}` }).swarmInit({ ListenAddr: '0.0.0.0:2377', Spec: {} });
    expect(id).toBe('abc123');
    expect(JSON.parse(seen[1]?.body ?? '')).toEqual({ ListenAddr: '0.0.0.0:2377', Spec: {} });
  });

  it('omits an empty filter', () => {
    expect(encodeFilters({})).toBeUndefined();
    expect(encodeFilters({ role: [] })).toBeUndefined();
  });
});

describe('errors', () => {
  it('maps a JSON error body to EngineApiError', async () => {
    await serve('1.51', (_req, res) => json(res, 404, { message: 'node nope not found' }));
    const err = await new EngineClient({ host: `unix://${sock}` }).nodeInspect('nope').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineApiError);
    expect(err).toMatchObject({ statusCode: 404, message: 'node nope not found' });
  });

  it('uses a plain-text body as the message', async () => {
    await serve('1.51', (_req, res) => {
      res.writeHead(503, { 'Content-Type': 'text/plain' });
      res.end('This node is not a swarm manager.\n');
    });
    await expect(new EngineClient({ host: `unix://${sock}` }).nodeList()).rejects.toMatchObject({
      statusCode: 503,
      message: 'This node is not a swarm manager.',
    });
  });

  it('reports a missing socket in docker words', async () => {
    const client = new EngineClient({ host: `unix://${sock}` });
    const err = await client.info().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DaemonUnreachableError);
    expect((err as Error).message).toBe(`Cannot connect to the Shoal daemon at unix://${sock}. Is the shoald daemon running?`);
    // Negotiation failure is not cached: once the daemon is up the same client works.
    await serve('1.51', (_req, res) => json(res, 200, {}));
    await expect(client.info()).resolves.toEqual({});
  });

  it('reports a refused TCP connection', async () => {
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    await expect(new EngineClient({ host: `tcp://127.0.0.1:${port}` }).ping()).rejects.toBeInstanceOf(DaemonUnreachableError);
  });
});

describe('parseHost', () => {
  it('accepts docker host forms', () => {
    expect(parseHost('unix:///var/lib/shoal/shoald.sock')).toMatchObject({ kind: 'unix', socketPath: '/var/lib/shoal/shoald.sock' });
    expect(parseHost('tcp://10.0.0.1:2375')).toMatchObject({ kind: 'tcp', hostname: '10.0.0.1', port: 2375 });
    expect(parseHost('http://localhost')).toMatchObject({ kind: 'tcp', hostname: 'localhost', port: 2375 });
    expect(() => parseHost('ftp://x')).toThrow('protocol not available');
  });
});

// The plain path answers what Node's HTTP server would, byte for byte (but the Date), and hands a
// connection to Node's server for anything else.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError } from '@shoal/store';
import type { EngineBackend } from './backend';
import { EngineServer } from './engine-server';
import type { LogRecordOut } from './logs';
import { parseHead } from './plain-http';

const head = (text: string): ReturnType<typeof parseHead> => parseHead(Buffer.from(text, 'latin1'));

describe('parseHead', () => {
  it('takes a plain request: its method, target, headers (lower-cased names) and the lengths of head and body', () => {
    const text = 'POST /v1.41/services/create?x=1 HTTP/1.1\r\nHost: api\r\nContent-Type:  application/json \r\nContent-Length: 12\r\n\r\n';
    expect(head(text + '{"Name":"a"}')).toEqual({
      kind: 'plain',
      method: 'POST',
      target: '/v1.41/services/create?x=1',
      headers: new Map([['host', 'api'], ['content-type', 'application/json'], ['content-length', '12']]),
      headLength: text.length,
      bodyLength: 12,
    });
    expect(head('GET /_ping HTTP/1.1\r\nHost: api\r\nConnection: Keep-Alive\r\n\r\n')).toMatchObject({ kind: 'plain', bodyLength: 0 });
    expect(head('HEAD /_ping HTTP/1.1\r\nHost: api\r\n\r\n')).toMatchObject({ kind: 'plain', method: 'HEAD' });
  });

  it('waits for the rest of a head', () => {
    expect(head('GET /_ping HTTP/1.1\r\nHost: api\r\n')).toEqual({ kind: 'partial' });
    expect(head('GET /_ping HTTP/1.1\r\nHost: api\r\n\r')).toEqual({ kind: 'partial' });
  });

  it("leaves to Node's server what it alone serves or refuses", () => {
    const node = [
      'GET /_ping HTTP/1.0\r\nHost: api\r\n\r\n',
      'OPTIONS /_ping HTTP/1.1\r\nHost: api\r\n\r\n',
      'GET /_ping HTTP/1.1\r\n\r\n', // no Host
      'GET /_ping HTTP/1.1\r\nHost: api\r\nHost: api\r\n\r\n',
      'POST /x HTTP/1.1\r\nHost: api\r\nTransfer-Encoding: chunked\r\n\r\n',
      'POST /x HTTP/1.1\r\nHost: api\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n',
      'GET /x HTTP/1.1\r\nHost: api\r\nUpgrade: tcp\r\nConnection: Upgrade\r\n\r\n',
      'GET /x HTTP/1.1\r\nHost: api\r\nConnection: close\r\n\r\n',
      'POST /x HTTP/1.1\r\nHost: api\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n',
      'POST /x HTTP/1.1\r\nHost: api\r\nContent-Length: -1\r\n\r\n',
      'POST /x HTTP/1.1\r\nHost: api\r\nContent-Length: 99999999\r\n\r\n',
      'GET /x HTTP/1.1\r\nHost: api\r\nX-Folded: a\r\n b\r\n\r\n', // obs-fold
      'GET /x HTTP/1.1\r\nHost: api\r\nBad Name: a\r\n\r\n',
      'GET /x HTTP/1.1\r\nHost: a\x01pi\r\n\r\n',
      'GET /a b HTTP/1.1\r\nHost: api\r\n\r\n',
      `GET /x HTTP/1.1\r\nHost: api\r\nX: ${'a'.repeat(17 * 1024)}\r\n\r\n`,
    ];
    for (const text of node) expect({ text: text.slice(0, 80), parse: head(text).kind }).toEqual({ text: text.slice(0, 80), parse: 'node' });
    expect(head(`GET /x HTTP/1.1\r\nX: ${'a'.repeat(17 * 1024)}`)).toEqual({ kind: 'node' }); // an endless head
  });
});

/** A backend with a few canned answers; anything else is not found. */
function fakeBackend(): EngineBackend {
  const canned: Partial<EngineBackend> = {
    swarmStatus: () => ({ state: 'active', controlAvailable: true }),
    tlsInfo: () => ({ TrustRoot: '', CertIssuerSubject: '', CertIssuerPublicKey: '' }),
    version: () => ({ Version: '0.1.0', ApiVersion: '1.51' }) as ReturnType<EngineBackend['version']>,
    nodes: async () => [],
    networks: async () => [],
    createNetwork: async () => ({ id: 'n'.repeat(25) }),
    removeNetwork: async (input) => {
      if (input === 'gone') throw new NotFoundError('network gone not found');
    },
    async *logs(): AsyncIterable<LogRecordOut> {
      yield { stream: 'stdout', time: '2026-11-28T00:00:00.000000000Z', line: 'héllo', nodeId: 'n1', serviceId: 's1', taskId: 't1' };
    },
  };
  return new Proxy(canned as EngineBackend, {
    get: (target, name) =>
      (target as unknown as Record<string | symbol, unknown>)[name] ??
      (async () => {
        throw new NotFoundError(`no ${String(name)} in this test`);
      }),
  });
}

/** Writes `chunks` (a pause between them) and returns all the connection got until the server closed it. */
function transcript(socketPath: string, chunks: string[], readAfterMs = 0): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    const got: Buffer[] = [];
    socket.on('data', (d: Buffer) => got.push(d));
    if (readAfterMs > 0) {
      socket.pause();
      setTimeout(() => socket.resume(), readAfterMs);
    }
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(got).toString('utf8').replace(/^Date: .*$/gm, 'Date: -')));
    const timer = setTimeout(() => socket.destroy(new Error(`no close within 5 s; got ${Buffer.concat(got).toString()}`)), 5000);
    socket.on('close', () => clearTimeout(timer));
    void (async () => {
      for (const c of chunks) {
        socket.write(c);
        await new Promise((r) => setTimeout(r, 30));
      }
    })();
  });
}

const req = (method: string, target: string, body?: string, extra = ''): string =>
  `${method} ${target} HTTP/1.1\r\nHost: api\r\n${extra}${body === undefined ? '' : `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`}\r\n${body ?? ''}`;
const closing = req('GET', '/_ping', undefined, 'Connection: close\r\n');

describe('the Engine API with and without the plain path', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-plain-http-'));
  const servers: EngineServer[] = [];
  const plainSocket = path.join(dir, 'plain.sock');
  const nodeSocket = path.join(dir, 'node.sock');
  beforeAll(async () => {
    const logger = pino({ level: 'silent' });
    const plain = new EngineServer({ backend: fakeBackend(), logger });
    const node = new EngineServer({ backend: fakeBackend(), logger, plainPath: false });
    servers.push(plain, node);
    await plain.listen(plainSocket);
    await node.listen(nodeSocket);
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const both = async (chunks: string[], readAfterMs = 0): Promise<string> => {
    const [viaPlain, viaNode] = await Promise.all([transcript(plainSocket, chunks, readAfterMs), transcript(nodeSocket, chunks, readAfterMs)]);
    expect(viaPlain).toEqual(viaNode);
    if (process.env['SHOW']) console.log(viaPlain);
    return viaPlain;
  };

  it('answers the same: JSON, created, no content, ping, errors (route, method, version, JSON, backend), in order', async () => {
    const out = await both([
      req('GET', '/_ping') +
        req('GET', '/v1.41/nodes') +
        req('POST', '/v1.41/networks/create', '{"Name":"web","Labels":{"k":"vé"}}') +
        req('DELETE', '/v1.41/networks/web') +
        req('DELETE', '/v1.41/networks/gone') +
        req('GET', '/v1.41/nosuch') +
        req('PUT', '/v1.41/nodes') +
        req('GET', '/v9.99/nodes') +
        req('POST', '/v1.41/networks/create', '{"Name":') +
        req('GET', '/v1.41/containers/json') +
        req('GET', '//v1.41/nodes'),
      closing,
    ]);
    expect(out.match(/HTTP\/1\.1 \d+/g)).toEqual([
      'HTTP/1.1 200', 'HTTP/1.1 200', 'HTTP/1.1 201', 'HTTP/1.1 200', 'HTTP/1.1 404', 'HTTP/1.1 404',
      'HTTP/1.1 405', 'HTTP/1.1 400', 'HTTP/1.1 400', 'HTTP/1.1 501', 'HTTP/1.1 404', 'HTTP/1.1 200',
    ]); // prettier-ignore
    expect(out).toContain('Keep-Alive: timeout=60');
    expect(out).toContain('{"message":"network gone not found"}');
  });

  it('reads a request split anywhere across writes, its body too', async () => {
    const whole = req('POST', '/v1.41/networks/create', '{"Name":"split"}') + req('GET', '/_ping');
    await both([whole.slice(0, 7), whole.slice(7, 40), whole.slice(40, whole.length - 20), whole.slice(whole.length - 20), closing]);
  });

  it('answers a flood of pipelined requests in order to a client that reads late (the answers wait for it)', async () => {
    const out = await both([req('GET', '/_ping').repeat(3000) + req('GET', '/v1.41/nodes'), closing], 300);
    expect(out.match(/HTTP\/1\.1 200/g)?.length).toBe(3002);
    expect(out.split('HTTP/1.1 ')[3001]).toMatch(/\r\n\r\n\[\]\n$/); // the nodes' answer after the 3000 pings'
  });

  it('answers HEAD as GET without the body (the ping with a length of 0, as moby)', async () => {
    const out = await both([req('HEAD', '/_ping') + req('HEAD', '/v1.41/nodes') + req('HEAD', '/v1.41/nosuch') + req('GET', '/v1.41/nodes'), closing]);
    expect(out.match(/HTTP\/1\.1 \d+/g)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 200', 'HTTP/1.1 404', 'HTTP/1.1 200', 'HTTP/1.1 200']);
    const [ping, nodes] = out.split('HTTP/1.1 ').slice(1);
    expect(ping).toMatch(/\r\nContent-Length: 0\r\n(?:.*\r\n)*\r\n$/);
    expect(nodes).toMatch(/\r\nContent-Length: 3\r\n(?:.*\r\n)*\r\n$/); // the GET's length, no body
  });

  it("hands a connection to Node's server with what it read so far: a chunked body, HTTP/1.0, no Host, a stream", async () => {
    const chunked = 'POST /v1.41/networks/create HTTP/1.1\r\nHost: api\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"Nam\r\nb\r\ne":"chunk"}\r\n0\r\n\r\n';
    const out = await both([req('GET', '/_ping') + req('HEAD', '/_ping'), req('GET', '/_ping') + chunked, closing]);
    expect(out.match(/HTTP\/1\.1 \d+/g)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 200', 'HTTP/1.1 200', 'HTTP/1.1 201', 'HTTP/1.1 200']);
    await both([req('GET', '/_ping') + 'GET /_ping HTTP/1.0\r\n\r\n']);
    await both([req('GET', '/_ping') + 'GET /_ping HTTP/1.1\r\n\r\n']); // Node: 400, closed
    const logs = await both([req('GET', '/_ping') + req('GET', '/v1.51/tasks/t1/logs?stdout=1') + closing]);
    expect(logs).toContain('Content-Type: application/vnd.docker.multiplexed-stream');
    expect(logs).toContain('héllo');
  });
});

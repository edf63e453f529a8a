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
      // Found by review, each against llhttp: targets not in origin form, a tab by a length,
      // Proxy-Connection (read as Connection), the 1,000th header line (dropped, Host with it).
      'GET x HTTP/1.1\r\nHost: api\r\n\r\n',
      'GET http://a/_ping HTTP/1.1\r\nHost: api\r\n\r\n',
      'GET * HTTP/1.1\r\nHost: api\r\n\r\n',
      'POST /x HTTP/1.1\r\nHost: api\r\nContent-Length:\t2\r\n\r\n',
      'POST /x HTTP/1.1\r\nHost: api\r\nContent-Length: 2\t\r\n\r\n',
      'GET /x HTTP/1.1\r\nHost: api\r\nProxy-Connection: close\r\n\r\n',
      `GET /x HTTP/1.1\r\n${'a:\r\n'.repeat(999)}Host: api\r\n\r\n`,
    ];
    for (const text of node) expect({ text: text.slice(0, 80), parse: head(text).kind }).toEqual({ text: text.slice(0, 80), parse: 'node' });
    expect(head(`GET /x HTTP/1.1\r\nX: ${'a'.repeat(17 * 1024)}`)).toEqual({ kind: 'node' }); // an endless head
    expect(head(`GET /x HTTP/1.1\r\n${'a:\r\n'.repeat(998)}Host: api\r\n\r\n`)).toMatchObject({ kind: 'plain' });
    expect(head('POST /x HTTP/1.1\r\nHost: api\r\ncontent-length:  2  \r\n\r\n')).toMatchObject({ kind: 'plain', bodyLength: 2 });
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
      if (input === 'slow') await new Promise((r) => setTimeout(r, 300));
      if (input === 'null') throw null; // what a careless backend might do
      if (input === 'proto') throw Object.assign(new Error('odd code'), { code: 'constructor' });
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
function transcript(socketPath: string, chunks: string[], readAfterMs = 0, gapMs = 30, halfClose = false): Promise<string> {
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
        await new Promise((r) => setTimeout(r, gapMs));
      }
      if (halfClose) socket.end();
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

  const both = async (chunks: string[], readAfterMs = 0, gapMs = 30, halfClose = false): Promise<string> => {
    const [viaPlain, viaNode] = await Promise.all([transcript(plainSocket, chunks, readAfterMs, gapMs, halfClose), transcript(nodeSocket, chunks, readAfterMs, gapMs, halfClose)]);
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
        req('GET', '//v1.41/nodes') +
        req('GET', '/v1.41/nodes/%E0%A4%A'), // an escape the router cannot decode
      closing,
    ]);
    expect(out.match(/HTTP\/1\.1 \d+/g)).toEqual([
      'HTTP/1.1 200', 'HTTP/1.1 200', 'HTTP/1.1 201', 'HTTP/1.1 200', 'HTTP/1.1 404', 'HTTP/1.1 404',
      'HTTP/1.1 405', 'HTTP/1.1 400', 'HTTP/1.1 400', 'HTTP/1.1 501', 'HTTP/1.1 404', 'HTTP/1.1 500', 'HTTP/1.1 200',
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

  it('answers a client that ends its side as Node does: a 400 for a request cut short, else the end', async () => {
    expect(await both([req('GET', '/_ping') + 'GET /_ping HTTP/1.1\r\nHo'], 0, 30, true)).toMatch(/OKHTTP\/1\.1 400 Bad Request\r\nConnection: close\r\n\r\n$/);
    expect(await both([req('POST', '/v1.41/networks/create', '{"Name":"cut"}').slice(0, -3)], 0, 30, true)).toBe('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    expect(await both([req('GET', '/_ping')], 0, 30, true)).toMatch(/\r\n\r\nOK$/);
  });

  it('reads on after a pause for a flood once it waits for the rest of a request (it stalled for good)', async () => {
    // The largest request the plain path reads (a head of 16 KiB, a body of 1 MiB), behind a slow
    // one: the socket pauses while the first is answered and still holds more than the limit then.
    const body = `{"Name":"big","Labels":{"k":"${'a'.repeat(1024 * 1024 - 32)}"}}`;
    const unpadded = req('POST', '/v1.41/networks/create', body, 'X-Pad: \r\n').indexOf('\r\n\r\n');
    const big = req('POST', '/v1.41/networks/create', body, `X-Pad: ${'p'.repeat(16 * 1024 - unpadded)}\r\n`);
    expect([big.indexOf('\r\n\r\n'), Buffer.byteLength(body)]).toEqual([16 * 1024, 1024 * 1024]);
    const out = await both([req('DELETE', '/v1.41/networks/slow') + big.slice(0, -2), big.slice(-2) + closing], 0, 600);
    expect(out.match(/HTTP\/1\.1 \d+/g)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 201', 'HTTP/1.1 200']);
  });

  it('answers a backend that throws what is no Error with a 500, never a broken status line or no answer', async () => {
    const out = await both([req('DELETE', '/v1.41/networks/null') + req('DELETE', '/v1.41/networks/proto'), closing]);
    expect(out.match(/HTTP\/1\.1 \d+/g)).toEqual(['HTTP/1.1 500', 'HTTP/1.1 500', 'HTTP/1.1 200']);
    expect(out).toContain('{"message":"null"}');
    expect(out).toContain('{"message":"odd code"}');
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

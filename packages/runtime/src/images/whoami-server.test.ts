// whoami in-process (no child process): request echo, /health, PROXY v2.
import { createSocket } from 'node:dgram';
import { get } from 'node:http';
import { connect, type AddressInfo, type Server } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeProxyV2 } from '../proxy-protocol';
import { createWhoamiServer, createWhoamiUdpSocket, whoamiDatagram, whoamiText } from './whoami-server';

const info = { hostname: 'host-a', taskId: 'task123', serviceName: 'web', slot: '2', nodeHostname: 'node-one' };

function httpGet(port: number, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: urlPath, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

/** Sends raw chunks (with a pause between, so they arrive as separate reads) and returns all that comes back. */
function rawExchange(port: number, chunks: Buffer[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let out = '';
    s.on('data', (d) => (out += d.toString()));
    s.on('close', () => resolve(out));
    s.on('error', reject);
    s.on('connect', async () => {
      for (const c of chunks) {
        s.write(c);
        await new Promise((r) => setImmediate(r));
      }
    });
  });
}

describe('whoami server', () => {
  let server: Server;
  let port: number;
  beforeEach(async () => {
    server = createWhoamiServer(info);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterEach(async () => {
    await new Promise((r) => server.close(r));
  });

  it('answers with who it is and what it received', async () => {
    const { status, body } = await httpGet(port, '/hello?x=1');
    expect(status).toBe(200);
    const lines = body.split('\n');
    expect(lines.slice(0, 5)).toEqual(['Hostname: host-a', 'Task: task123', 'Service: web', 'Slot: 2', 'Node: node-one']);
    expect(lines).toContain('IP: 127.0.0.1');
    expect(body).toMatch(/^RemoteAddr: 127\.0\.0\.1:\d+$/m);
    expect(body).not.toContain('ClientAddr');
    expect(body).toContain('GET /hello?x=1 HTTP/1.1\nHost: 127.0.0.1:');
  });

  it('answers /health with ok', async () => {
    expect(await httpGet(port, '/health')).toEqual({ status: 200, body: 'ok' });
  });

  it('reports the client named by a PROXY v2 header, even split across reads', async () => {
    const header = encodeProxyV2({ address: '203.0.113.7', port: 40000 }, { address: '10.0.0.2', port: 80 });
    const request = Buffer.from('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const out = await rawExchange(port, [header.subarray(0, 7), header.subarray(7, 20), Buffer.concat([header.subarray(20), request])]);
    expect(out).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(out).toContain('\nClientAddr: 203.0.113.7:40000\n');
    expect(out).toMatch(/\nRemoteAddr: 127\.0\.0\.1:\d+\n/);
  });

  it('reports an IPv6 client in brackets', async () => {
    const header = encodeProxyV2({ address: '2001:db8::1', port: 5555 }, { address: '::1', port: 80 });
    const out = await rawExchange(port, [Buffer.concat([header, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')])]);
    expect(out).toContain('\nClientAddr: [2001:db8::1]:5555\n');
  });

  it('closes a connection whose PROXY header is malformed', async () => {
    const header = encodeProxyV2({ address: '203.0.113.7', port: 1 }, { address: '10.0.0.2', port: 2 });
    header[12] = 0x11; // version 1 in a v2 header
    expect(await rawExchange(port, [header, Buffer.from('GET / HTTP/1.1\r\n\r\n')])).toBe('');
  });
});

describe('whoami over UDP', () => {
  it('answers each datagram to its sender, naming the task and echoing the payload', async () => {
    const server = createWhoamiUdpSocket(info);
    await new Promise<void>((r) => server.bind(0, '127.0.0.1', r));
    const client = createSocket('udp4');
    const answer = new Promise<{ text: string; from: number }>((resolve) =>
      client.once('message', (msg, rinfo) => resolve({ text: msg.toString(), from: rinfo.port })),
    );
    client.send('hello', server.address().port, '127.0.0.1');
    const { text, from } = await answer;
    expect(from).toBe(server.address().port);
    expect(text).toMatch(/^Hostname: host-a\nTask: task123\nService: web\nSlot: 2\nNode: node-one\nRemoteAddr: 127\.0\.0\.1:\d+\nProtocol: udp\n\nhello$/);
    client.close();
    server.close();
  });

  it('cuts the echoed payload to fit one datagram', () => {
    const out = whoamiDatagram({ ...info, slot: null }, '10.0.0.1:5', Buffer.alloc(70_000, 'x'));
    expect(out.length).toBe(65507);
    expect(out.toString().startsWith('Hostname: host-a\nTask: task123\nService: web\nNode: node-one\nRemoteAddr: 10.0.0.1:5\nProtocol: udp\n\nxxx')).toBe(true);
  });
});

describe('whoamiText', () => {
  it('has the traefik/whoami shape', () => {
    const text = whoamiText(
      { ...info, slot: null },
      {
        remote: '10.0.0.9:5000',
        client: '203.0.113.7:40000',
        requestLine: 'GET / HTTP/1.1',
        rawHeaders: ['Host', 'example', 'User-Agent', 'curl/8'],
        ips: ['127.0.0.1', '::1'],
      },
    );
    expect(text).toBe(
      [
        'Hostname: host-a',
        'Task: task123',
        'Service: web',
        'Node: node-one',
        'IP: 127.0.0.1',
        'IP: ::1',
        'RemoteAddr: 10.0.0.9:5000',
        'ClientAddr: 203.0.113.7:40000',
        'GET / HTTP/1.1',
        'Host: example',
        'User-Agent: curl/8',
        '',
      ].join('\n'),
    );
  });
});

// The `shoal/whoami` image: an HTTP server answering every request with who it
// is (task, service, slot, node, addresses) and what it received, like
// traefik/whoami. A connection may open with a PROXY v2 header (from the
// ingress); it is peeled off here and the client it names reported. On the same
// port number it answers UDP datagrams too (for `-p 53:53/udp` services).
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { parseProxyV2, type ProxyAddress } from '../proxy-protocol';

export interface WhoamiInfo {
  hostname: string;
  taskId: string;
  serviceName: string;
  slot: string | null;
  nodeHostname: string;
}

/** Most bytes read while telling a PROXY header from plain HTTP (the largest possible v2 header). */
const MAX_HEADER_BYTES = 16 + 0xffff;

export function createWhoamiServer(info: WhoamiInfo): Server {
  const clients = new WeakMap<Socket, ProxyAddress>();
  const http = createHttpServer((req, res) => respond(info, clients.get(req.socket) ?? null, req, res));
  return createServer((socket) => sniffProxyHeader(socket, clients, (s) => handOver(http, s)));
}

function handOver(http: ReturnType<typeof createHttpServer>, socket: Socket): void {
  http.emit('connection', socket);
  // The HTTP server reads the socket's handle directly from here on; resuming
  // first delivers the bytes we read and unshifted while sniffing.
  socket.resume();
}

/** Reads until the PROXY v2 question is settled, then hands the socket on with the payload unshifted. */
function sniffProxyHeader(socket: Socket, clients: WeakMap<Socket, ProxyAddress>, next: (s: Socket) => void): void {
  let buf = Buffer.alloc(0);
  const onData = (chunk: Buffer): void => {
    buf = Buffer.concat([buf, chunk]);
    const parsed = parseProxyV2(buf);
    if (parsed.kind === 'incomplete' && buf.length < MAX_HEADER_BYTES) return;
    socket.removeListener('data', onData);
    socket.pause();
    switch (parsed.kind) {
      case 'header':
        if (parsed.header.source) clients.set(socket, parsed.header.source);
        socket.unshift(buf.subarray(parsed.length));
        return next(socket);
      case 'none':
        socket.unshift(buf);
        return next(socket);
      default:
        // A malformed header means a misbehaving proxy: refuse rather than guess.
        socket.destroy();
    }
  };
  socket.on('data', onData);
  socket.on('error', () => socket.destroy());
}

function respond(
  info: WhoamiInfo,
  client: ProxyAddress | null,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  if (req.url === '/health') {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('ok');
    return;
  }
  const body = whoamiText(info, {
    remote: `${hostPort(req.socket.remoteAddress ?? '', req.socket.remotePort ?? 0)}`,
    client: client ? hostPort(client.address, client.port) : null,
    requestLine: `${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/${req.httpVersion}`,
    rawHeaders: req.rawHeaders,
    ips: localIps(),
  });
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(body);
}

export interface WhoamiRequest {
  remote: string;
  client: string | null;
  requestLine: string;
  rawHeaders: readonly string[];
  ips: readonly string[];
}

/** The response body; pure so its shape is pinned by a unit test. */
export function whoamiText(info: WhoamiInfo, req: WhoamiRequest): string {
  const lines = [
    ...whoAnswered(info),
    ...req.ips.map((ip) => `IP: ${ip}`),
    `RemoteAddr: ${req.remote}`,
    ...(req.client === null ? [] : [`ClientAddr: ${req.client}`]),
    req.requestLine,
  ];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
  return `${lines.join('\n')}\n`;
}

/** Largest UDP payload over IPv4. */
const MAX_DATAGRAM = 65507;

/** Answers every datagram with `whoamiDatagram`; bind it with `socket.bind(port, host)`. */
export function createWhoamiUdpSocket(info: WhoamiInfo, type: 'udp4' | 'udp6' = 'udp4'): UdpSocket {
  const socket = createSocket(type);
  socket.on('message', (msg, rinfo) => {
    socket.send(whoamiDatagram(info, hostPort(rinfo.address, rinfo.port), msg), rinfo.port, rinfo.address);
  });
  return socket;
}

/**
 * The UDP answer: who answered (as the HTTP body's first lines), who asked, then a blank line and
 * the datagram received, cut to fit one datagram. Pure so its shape is pinned by a unit test.
 */
export function whoamiDatagram(info: WhoamiInfo, remote: string, payload: Buffer): Buffer {
  const lines = [...whoAnswered(info), `RemoteAddr: ${remote}`, 'Protocol: udp'];
  const head = Buffer.from(`${lines.join('\n')}\n\n`);
  return Buffer.concat([head, payload.subarray(0, Math.max(0, MAX_DATAGRAM - head.length))]);
}

/** The first lines of every answer, HTTP or UDP: which task on which node answered. */
function whoAnswered(info: WhoamiInfo): string[] {
  return [
    `Hostname: ${info.hostname}`,
    `Task: ${info.taskId}`,
    `Service: ${info.serviceName}`,
    ...(info.slot === null ? [] : [`Slot: ${info.slot}`]),
    `Node: ${info.nodeHostname}`,
  ];
}

function hostPort(address: string, port: number): string {
  const host = address.startsWith('::ffff:') ? address.slice(7) : address;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function localIps(): string[] {
  return Object.values(networkInterfaces())
    .flatMap((addrs) => addrs ?? [])
    .map((a) => a.address);
}

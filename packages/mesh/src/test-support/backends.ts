// Loopback backends for proxy tests: a small HTTP server that names itself, a raw TCP server that
// records what it received, and a UDP server that names itself in every reply. Each tracks its
// sockets so close() leaves nothing behind.
import { createSocket as createUdpSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, request } from 'node:http';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';

export interface Backend {
  readonly host: string;
  readonly port: number;
  /** Requests (HTTP) or connections (TCP) served. */
  count: number;
  close(): Promise<void>;
}

function track(server: Server | HttpServer): () => Promise<void> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
}

function listen(server: Server | HttpServer, host: string, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

/** GET /size/<n> answers n bytes; any other path answers the backend's name. */
export async function startHttpBackend(host: string, name: string): Promise<Backend> {
  const server = createHttpServer((req, res) => {
    backend.count++;
    const m = /^\/size\/(\d+)$/.exec(req.url ?? '');
    const body = m ? Buffer.alloc(Number(m[1]), 'x') : Buffer.from(name);
    res.writeHead(200, { 'content-length': body.length, 'x-backend': name });
    res.end(body);
  });
  const close = track(server);
  const port = await listen(server, host);
  const backend: Backend = { host, port, count: 0, close };
  return backend;
}

export interface RecordingBackend extends Backend {
  /** Bytes each connection sent before it ended, in order of connection. */
  readonly received: Buffer[];
}

/** Echoes every byte back and records what each connection sent. */
export async function startEchoBackend(host: string): Promise<RecordingBackend> {
  const received: Buffer[] = [];
  const server = createNetServer({ allowHalfOpen: true }, (s) => {
    backend.count++;
    const index = received.push(Buffer.alloc(0)) - 1;
    s.on('data', (d) => {
      received[index] = Buffer.concat([received[index] as Buffer, d]);
      s.write(d);
    });
    s.on('end', () => s.end());
    s.on('error', () => undefined);
  });
  const close = track(server);
  const port = await listen(server, host);
  const backend: RecordingBackend = { host, port, count: 0, close, received };
  return backend;
}

/**
 * A port with nothing listening on it (bound, then closed). Drawn from below the kernel's
 * ephemeral range: a port the kernel picked for us could be handed to the next `listen(0)` of
 * this very test (a tunnel server started right after), which then answers on the "dead" port.
 */
export async function deadPort(host: string): Promise<number> {
  const [low] = ephemeralRange();
  for (let attempt = 0; ; attempt++) {
    const port = low - 12_000 + Math.floor(Math.random() * 11_000);
    const server = createNetServer();
    try {
      await listen(server, host, port);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 50) throw err;
      continue;
    }
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
  }
}

function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low !== undefined && high !== undefined && low > 13_000) return [low, high];
  } catch {
    // not Linux: the usual default
  }
  return [32_768, 60_999];
}

export interface HttpResult {
  readonly status: number;
  readonly backend: string;
  readonly body: Buffer;
}

/** One GET on a fresh connection (no agent, Connection: close). */
export function httpGet(host: string, port: number, path = '/'): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, agent: false, headers: { connection: 'close' } }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, backend: String(res.headers['x-backend'] ?? ''), body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Polls `cond` until it holds or the deadline passes. */
export async function waitFor(cond: () => boolean, what: string, deadlineMs = 5000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export interface UdpBackend {
  readonly host: string;
  readonly port: number;
  /** Datagrams received. */
  count: number;
  /** Distinct source address:port pairs seen (one per flow the proxy opened). */
  readonly sources: Set<string>;
  close(): Promise<void>;
}

/** Answers every datagram with `<name>:<payload>`. */
export async function startUdpEchoBackend(host: string, name: string, port = 0): Promise<UdpBackend> {
  const socket = createUdpSocket('udp4');
  const backend: UdpBackend = {
    host,
    port: 0,
    count: 0,
    sources: new Set(),
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
  socket.on('message', (msg, rinfo) => {
    backend.count++;
    backend.sources.add(`${rinfo.address}:${rinfo.port}`);
    socket.send(Buffer.concat([Buffer.from(`${name}:`), msg]), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => resolve());
  });
  (backend as { port: number }).port = socket.address().port;
  return backend;
}

/** A UDP port with nothing bound to it (bound, then closed). */
export async function deadUdpPort(host: string): Promise<number> {
  const socket = createUdpSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, host, () => resolve()));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** A client socket: send() datagrams to a published port, next() the replies in order. */
export interface UdpTestClient {
  readonly port: number;
  send(host: string, port: number, text: string): void;
  /** The next reply (text and the address:port it came from), or undefined after `timeoutMs`. */
  next(timeoutMs?: number): Promise<{ text: string; from: string } | undefined>;
  close(): void;
}

export async function udpClient(localAddress = '127.0.0.1'): Promise<UdpTestClient> {
  const socket = createUdpSocket('udp4');
  const queue: { text: string; from: string }[] = [];
  let waiter: (() => void) | undefined;
  socket.on('message', (msg, rinfo) => {
    queue.push({ text: msg.toString(), from: `${rinfo.address}:${rinfo.port}` });
    waiter?.();
  });
  await new Promise<void>((resolve) => socket.bind(0, localAddress, () => resolve()));
  let closed = false;
  return {
    port: socket.address().port,
    send: (host, port, text) => socket.send(text, port, host),
    next: async (timeoutMs = 2000) => {
      if (queue.length === 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, timeoutMs);
          waiter = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        waiter = undefined;
      }
      return queue.shift();
    },
    close: () => {
      if (!closed) socket.close();
      closed = true;
    },
  };
}

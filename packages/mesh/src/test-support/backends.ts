// Loopback backends for proxy tests: a small HTTP server that names itself, and a raw TCP server
// that records what it received. Each tracks its sockets so close() leaves nothing behind.
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

/** A port with nothing listening on it (bound, then closed). */
export async function deadPort(host: string): Promise<number> {
  const server = createNetServer();
  const port = await listen(server, host);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
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

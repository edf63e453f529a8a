// The Engine API's plain requests without Node's HTTP server. A request a client sends most (a
// GET, HEAD, POST, PUT or DELETE of HTTP/1.1 with its body's length given) is read off the socket and
// answered in one write here; Node's HTTP server per request cost ~100 µs of CPU on this
// project's machine against ~65 for this path (a microbenchmark of the two, 64 keep-alive clients),
// and on a manager it is ~a quarter of a write's cost. Anything else on a connection (a chunked or
// expected body, an upgrade, `Connection: close` or any `Proxy-Connection`, HTTP/1.0, a target
// not of the form `/…`, a head Node would refuse or read otherwise, a route that streams its
// answer) hands the connection, with the bytes read so far, to Node's server for good: what it
// answers there is what it always answered. A review compared the two byte for byte on crafted
// requests (every byte value in names, values and targets; lengths; line ends; half-closes); what
// it found is in plain-http.test.ts.
import { STATUS_CODES } from 'node:http';
import type * as http from 'node:http';
import type * as net from 'node:net';

/** A request the plain path answers. Header names are lower case. */
export interface PlainRequest {
  method: string;
  target: string;
  headers: ReadonlyMap<string, string>;
  body: Buffer;
}

/** A whole answer: status, headers as name/value pairs in order, body. */
export interface PlainReply {
  status: number;
  headers: readonly string[];
  body: string;
}

/** Node's limit on a request's head (`--max-http-header-size`, 16 KiB): a longer one is Node's to refuse. */
const MAX_HEAD = 16 * 1024;
/** A larger body is read by Node's server (which streams it in); the API's bodies are a few KiB. */
const MAX_BODY = 1024 * 1024;
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE']);
/** Origin-form targets only (`/…`): llhttp refuses most other forms, and the API's clients send none. */
const REQUEST_LINE = /^([A-Z]+) (\/[\x21-\x7e]*) HTTP\/1\.1$/;
/** A header line as RFC 9110 spells it (a token, a colon, a value of visible characters, spaces and tabs). */
const HEADER_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*((?:[\x21-\x7e\x80-\xff](?:[\x20\x09\x21-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?)?)[ \t]*$/;
/** Headers whose presence asks for what only Node's server does (or whose value it checks). */
const NODE_HEADERS = new Set(['transfer-encoding', 'expect', 'upgrade', 'proxy-connection']);
/** llhttp reads a Content-Length with spaces around the digits, not tabs. */
const CONTENT_LENGTH_LINE = /^[Cc][Oo][Nn][Tt][Ee][Nn][Tt]-[Ll][Ee][Nn][Gg][Tt][Hh]: *\d{1,7} *$/;
/** Node keeps the first 1,000 header lines (maxHeaderPairs 2,000 names and values) and drops the rest. */
const MAX_HEADER_LINES = 999;

export type HeadParse =
  /** No whole head yet. */
  | { kind: 'partial' }
  /** Node's server is to read this connection from here on. */
  | { kind: 'node' }
  | { kind: 'plain'; method: string; target: string; headers: Map<string, string>; headLength: number; bodyLength: number };

/** The head at the start of `buf`, if the plain path can take its request. */
export function parseHead(buf: Buffer): HeadParse {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return buf.length > MAX_HEAD ? { kind: 'node' } : { kind: 'partial' };
  if (end > MAX_HEAD) return { kind: 'node' };
  const lines = buf.toString('latin1', 0, end).split('\r\n');
  if (lines.length - 1 > MAX_HEADER_LINES) return { kind: 'node' };
  const line = REQUEST_LINE.exec(lines[0] ?? '');
  if (!line || !METHODS.has(line[1] as string)) return { kind: 'node' };
  const headers = new Map<string, string>();
  for (let i = 1; i < lines.length; i++) {
    const h = HEADER_LINE.exec(lines[i] as string);
    if (!h) return { kind: 'node' }; // obs-fold, a bad character: Node answers 400
    const name = (h[1] as string).toLowerCase();
    const value = h[2] as string;
    if (NODE_HEADERS.has(name)) return { kind: 'node' };
    if (name === 'content-length' && !CONTENT_LENGTH_LINE.test(lines[i] as string)) return { kind: 'node' };
    if (headers.has(name)) {
      if (name === 'content-length' || name === 'host') return { kind: 'node' }; // twice: Node's to refuse
      headers.set(name, `${headers.get(name) as string}, ${value}`);
    } else headers.set(name, value);
  }
  if (!headers.has('host')) return { kind: 'node' }; // HTTP/1.1 without Host: Node answers 400
  const connection = headers.get('connection')?.toLowerCase();
  if (connection !== undefined && connection !== 'keep-alive') return { kind: 'node' }; // close, upgrade: Node's
  const length = headers.get('content-length') ?? '0';
  if (!/^\d{1,7}$/.test(length) || Number(length) > MAX_BODY) return { kind: 'node' };
  return { kind: 'plain', method: line[1] as string, target: line[2] as string, headers, headLength: end + 4, bodyLength: Number(length) };
}

let dateText = '';
let dateExpires = 0;

/**
 * The answer's bytes as Node's server writes a `writeHead(status, headers)` + `end(body)` on a
 * kept-alive connection (the head alone for a HEAD request, its Content-Length as the GET's).
 */
export function serializeReply(reply: PlainReply, keepAliveSeconds: number, withBody = true): string {
  const now = Date.now();
  if (now >= dateExpires) {
    dateText = new Date(now).toUTCString();
    dateExpires = now - (now % 1000) + 1000;
  }
  let head = `HTTP/1.1 ${reply.status} ${STATUS_CODES[reply.status] ?? 'unknown'}\r\n`;
  for (let i = 0; i < reply.headers.length; i += 2) head += `${reply.headers[i] as string}: ${reply.headers[i + 1] as string}\r\n`;
  return `${head}Date: ${dateText}\r\nConnection: keep-alive\r\nKeep-Alive: timeout=${keepAliveSeconds}\r\n\r\n${withBody ? reply.body : ''}`;
}

export interface PlainHttpOptions<R> {
  /** Node's server, which takes over any connection the plain path cannot serve. */
  server: http.Server;
  /** The request's route, found once; undefined when Node's server is to serve it (an answer it streams). */
  resolve: (method: string, target: string) => R | undefined;
  answer: (resolved: R, request: PlainRequest) => Promise<PlainReply>;
  keepAliveMs: number;
}

/** Serves one connection's plain requests in order, until it hands the connection to Node's server. */
export function servePlain<R>(socket: net.Socket, options: PlainHttpOptions<R>): void {
  let buf: Buffer | null = null;
  let busy = false;
  let closed = false;
  const keepAliveSeconds = Math.floor(options.keepAliveMs / 1000);
  const onData = (chunk: Buffer): void => {
    buf = buf === null ? chunk : Buffer.concat([buf, chunk]);
    if (busy && buf.length > MAX_HEAD + MAX_BODY) socket.pause(); // a client that sends on and on without reading: wait
    if (!busy) void next();
  };
  const onTimeout = (): void => {
    if (!busy) socket.destroy(); // idle past the keep-alive time, as Node's server closes it
  };
  const onClose = (): void => {
    closed = true;
  };
  const onError = (): void => {
    socket.destroy();
  };
  // As Node's server (its httpAllowHalfOpen off) when the client ends its side: a request cut
  // short is a 400 and the connection closes; otherwise the server ends its side too. Answers
  // still to come are dropped.
  const onEnd = (): void => {
    closed = true;
    if (buf !== null && endsMidRequest(buf)) {
      socket.write(BAD_REQUEST);
      socket.destroy();
    } else if (socket.writable) socket.end();
  };
  const handOver = (): void => {
    socket.removeListener('data', onData);
    socket.removeListener('timeout', onTimeout);
    socket.removeListener('close', onClose);
    socket.removeListener('error', onError);
    socket.removeListener('end', onEnd);
    socket.setTimeout(0);
    const rest = buf;
    buf = null;
    options.server.emit('connection', socket);
    if (rest !== null) socket.emit('data', rest); // Node's parser reads these before anything the socket reads next
    socket.resume();
  };
  const next = async (): Promise<void> => {
    busy = true;
    try {
      while (buf !== null && !closed) {
        const head = parseHead(buf);
        if (head.kind === 'node') return handOver();
        if (head.kind === 'partial' || buf.length < head.headLength + head.bodyLength) break; // the rest is to come
        const resolved = options.resolve(head.method, head.target);
        if (resolved === undefined) return handOver();
        const total = head.headLength + head.bodyLength;
        const body = buf.subarray(head.headLength, total);
        buf = buf.length === total ? null : buf.subarray(total);
        const reply = await options.answer(resolved, { method: head.method, target: head.target, headers: head.headers, body });
        if (closed) return;
        // As Node's server: the next request waits while the client does not read the answers.
        if (!socket.write(serializeReply(reply, keepAliveSeconds, head.method !== 'HEAD'))) await drained(socket);
        if (socket.isPaused() && (buf === null || buf.length <= MAX_HEAD + MAX_BODY)) socket.resume();
      }
      // Waiting for (the rest of) a request: read on, also after a pause for a flood.
      if (!closed && socket.isPaused()) socket.resume();
    } catch {
      socket.destroy(); // an answer that could not be made (the server's own fault): cut, as Node's server would
    } finally {
      busy = false;
    }
  };
  socket.on('data', onData);
  socket.on('close', onClose);
  socket.on('error', onError);
  socket.on('end', onEnd);
  socket.on('timeout', onTimeout);
  socket.setTimeout(options.keepAliveMs);
}

/** What Node's server writes for a request it cannot parse (then it closes the connection). */
const BAD_REQUEST = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n';

/** Whether `buf` (requests not yet answered) ends inside a request rather than after one. */
function endsMidRequest(buf: Buffer): boolean {
  let rest = buf;
  while (rest.length > 0) {
    const head = parseHead(rest);
    if (head.kind === 'partial') return true;
    if (head.kind === 'node') return false; // a request Node's server was to read: its own
    const total = head.headLength + head.bodyLength;
    if (rest.length < total) return true;
    rest = rest.subarray(total);
  }
  return false;
}

function drained(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}

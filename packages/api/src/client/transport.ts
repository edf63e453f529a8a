// One HTTP/1.1 exchange with the daemon over a unix socket or TCP; no JSON, no versions.
import http, { STATUS_CODES } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { EngineApiError, connectionError } from './errors';
import type { HostAddress } from './host';

export type QueryValue = string | number | boolean | undefined;
export type Query = Readonly<Record<string, QueryValue>>;

export interface RawRequest {
  method: string;
  /** Absolute path without query, already versioned if it needs to be. */
  path: string;
  query?: Query;
  /** Serialised as JSON when present. */
  body?: unknown;
  headers?: Readonly<Record<string, string>>;
  signal?: AbortSignal;
}

export interface RawResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** `a=1&b=x`, keys sorted and undefined dropped, as Go's url.Values.Encode does. */
export function encodeQuery(query: Query | undefined): string {
  if (query === undefined) return '';
  const params = new URLSearchParams();
  for (const key of Object.keys(query).sort()) {
    const value = query[key];
    if (value !== undefined) params.append(key, String(value));
  }
  return params.toString();
}

/** Sends a request and resolves with the response head; the body is left to the caller to read. */
export function openRequest(addr: HostAddress, req: RawRequest): Promise<IncomingMessage> {
  const qs = encodeQuery(req.query);
  const payload = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
  const headers: Record<string, string> = { ...req.headers };
  if (payload !== undefined) {
    headers['Content-Type'] = 'application/json';
    headers['Content-Length'] = String(payload.length);
  }
  const target =
    addr.kind === 'unix'
      ? // Docker sends the socket path as Host; any name works, "docker" keeps proxies happy.
        { socketPath: addr.socketPath, host: 'docker' }
      : { host: addr.hostname, port: addr.port };
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        ...target,
        method: req.method,
        path: qs === '' ? req.path : `${req.path}?${qs}`,
        headers,
        ...(req.signal === undefined ? {} : { signal: req.signal }),
      },
      resolve,
    );
    request.on('error', (err) => reject(connectionError(addr.display, err)));
    request.end(payload);
  });
}

export async function readBody(res: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function roundTrip(addr: HostAddress, req: RawRequest): Promise<RawResponse> {
  const res = await openRequest(addr, req);
  const body = await readBody(res);
  return { statusCode: res.statusCode ?? 0, headers: res.headers, body };
}

export function isSuccess(statusCode: number): boolean {
  return statusCode >= 200 && statusCode < 400;
}

/** Builds the error for a failed response the way docker's client reads it (checkResponseErr). */
export function responseError(req: RawRequest, statusCode: number, headers: IncomingHttpHeaders, body: Buffer): EngineApiError {
  const status = `${statusCode} ${STATUS_CODES[statusCode] ?? ''}`.trim();
  const text = body.toString('utf8').trim();
  if (text === '') {
    return new EngineApiError(
      statusCode,
      `request returned ${status} for API route and version ${req.path}, check if the server supports the requested API version`,
      req.method,
      req.path,
    );
  }
  const contentType = headers['content-type'] ?? '';
  if (contentType.startsWith('application/json')) {
    let message: unknown;
    try {
      message = (JSON.parse(text) as { message?: unknown }).message;
    } catch {
      return new EngineApiError(statusCode, text, req.method, req.path);
    }
    if (typeof message !== 'string' || message === '') {
      return new EngineApiError(
        statusCode,
        `API returned a ${status} but provided no error-message`,
        req.method,
        req.path,
      );
    }
    return new EngineApiError(statusCode, message.trim(), req.method, req.path);
  }
  return new EngineApiError(statusCode, text, req.method, req.path);
}

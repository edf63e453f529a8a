// A small Docker Engine API requester over a daemon's unix socket: enough for the
// harness (`/_ping`, `/nodes`) and for assertions in tests. Tests that exercise the
// API itself should use @shoal/api's EngineClient against `handle.socketPath`.
import { request, type IncomingHttpHeaders } from 'node:http';
import { EngineHttpError } from './errors';

export interface EngineResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface PingResult {
  ok: boolean;
  /** The `Swarm` header: `inactive`, `active/manager` or `active/worker`. */
  swarm: string | undefined;
}

export interface EngineHttpOptions {
  /** Per-request deadline. Default 5 000 ms. */
  timeoutMs?: number;
}

export class EngineHttp {
  private readonly timeoutMs: number;

  constructor(
    readonly socketPath: string,
    options: EngineHttpOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 5_000;
  }

  /** One request; resolves with any status, rejects only on transport errors and timeouts. */
  request(method: string, path: string, body?: unknown): Promise<EngineResponse> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          socketPath: this.socketPath,
          method,
          path,
          headers: {
            host: 'docker',
            ...(payload !== undefined && {
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(payload),
            }),
          },
          timeout: this.timeoutMs,
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} on ${this.socketPath}: no answer within ${this.timeoutMs}ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  async ping(): Promise<PingResult> {
    const res = await this.request('GET', '/_ping');
    const swarm = res.headers['swarm'];
    return { ok: res.status === 200 && res.body === 'OK', swarm: Array.isArray(swarm) ? swarm[0] : swarm };
  }

  get<T>(path: string): Promise<T> {
    return this.json<T>('GET', path);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.json<T>('POST', path, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.json<T>('DELETE', path);
  }

  /** Parsed JSON body of a 2xx answer (undefined when empty); EngineHttpError otherwise. */
  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.request(method, path, body);
    if (res.status < 200 || res.status > 299) {
      throw new EngineHttpError(`${method} ${path}: ${res.status} ${errorMessage(res.body)}`, res.status, res.body);
    }
    return (res.body === '' ? undefined : JSON.parse(res.body)) as T;
  }
}

function errorMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not JSON: show it raw
  }
  return body.trim();
}

// Typed promise wrappers over grpc-js generic clients.
import * as grpc from '@grpc/grpc-js';
import { CHANNEL_OPTIONS } from './credentials';
import type { MethodSpec, ServiceSpec } from './grpc-service';

type Unary<S> = {
  [K in keyof S]: S[K] extends MethodSpec<infer Req, infer Res, 'unary'>
    ? (req: Req, opts?: CallOptions) => Promise<Res>
    : never;
};
type ServerStreams<S> = {
  [K in keyof S]: S[K] extends MethodSpec<infer Req, infer Res, 'serverStream'>
    ? (req: Req, opts?: CallOptions) => TypedReadable<Res>
    : never;
};

export interface CallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface TypedReadable<T> extends grpc.ClientReadableStream<T> {
  [Symbol.asyncIterator](): AsyncIterableIterator<T>;
}

export interface TypedClient<S> {
  unary: Unary<S>;
  stream: ServerStreams<S>;
  close(): void;
  raw: grpc.Client;
}

export function createClient<S extends ServiceSpec>(
  definition: grpc.ServiceDefinition,
  spec: S,
  address: string,
  credentials: grpc.ChannelCredentials,
  options: grpc.ChannelOptions = {},
): TypedClient<S> {
  const Ctor = grpc.makeGenericClientConstructor(definition, 'shoal');
  const raw = new Ctor(address, credentials, { ...CHANNEL_OPTIONS, ...options }) as unknown as grpc.Client &
    Record<string, (...args: unknown[]) => unknown>;
  const unaryFns: Record<string, unknown> = {};
  const streamFns: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(spec)) {
    const fn = raw[name];
    if (!fn) throw new Error(`grpc client lacks method ${name}`);
    if (method.kind === 'unary') {
      unaryFns[name] = (req: unknown, opts: CallOptions = {}) =>
        new Promise((resolve, reject) => {
          const cancel = () => call.cancel();
          const call = fn.call(raw, req, new grpc.Metadata(), callOptions(opts), (err: unknown, res: unknown) => {
            opts.signal?.removeEventListener('abort', cancel);
            if (err) reject(err);
            else resolve(res);
          }) as grpc.ClientUnaryCall;
          opts.signal?.addEventListener('abort', cancel, { once: true });
        });
    } else if (method.kind === 'serverStream') {
      streamFns[name] = (req: unknown, opts: CallOptions = {}) => {
        const call = fn.call(raw, req, new grpc.Metadata(), callOptions(opts)) as grpc.ClientReadableStream<unknown>;
        const cancel = () => call.cancel();
        opts.signal?.addEventListener('abort', cancel, { once: true });
        call.on('close', () => opts.signal?.removeEventListener('abort', cancel));
        return call;
      };
    }
  }
  return {
    unary: unaryFns as Unary<S>,
    stream: streamFns as ServerStreams<S>,
    close: () => raw.close(),
    raw,
  };
}

function callOptions(opts: CallOptions): grpc.CallOptions {
  return opts.timeoutMs !== undefined ? { deadline: Date.now() + opts.timeoutMs } : {};
}

/** True when the error is a gRPC status error with the given code. */
export function isGrpcStatus(err: unknown, code: grpc.status): err is grpc.ServiceError {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

// Typed gRPC service definitions without .proto files: each method names its
// request/response types and streaming shape, and msgpack frames carry them.
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import { decode, encode } from './codec';

export type MethodKind = 'unary' | 'serverStream' | 'clientStream' | 'bidi';

/** A request encoding other than the msgpack frame, for a hot path with its own format. */
export interface RequestCodec<Req> {
  encode(req: Req): Buffer;
  decode(bytes: Buffer): Req;
}

/** Requests that are already bytes (with their own version byte), sent as they are. */
export const RAW_BYTES: RequestCodec<Uint8Array> = {
  encode: (b) => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength)),
  decode: (b) => b,
};

export interface MethodSpec<Req, Res, K extends MethodKind = MethodKind> {
  readonly kind: K;
  readonly request?: RequestCodec<Req>;
  /** Phantom fields: carry the message types, never read at run time. */
  readonly req?: Req;
  readonly res?: Res;
}

export function unary<Req, Res>(request?: RequestCodec<Req>): MethodSpec<Req, Res, 'unary'> {
  return request ? { kind: 'unary', request } : { kind: 'unary' };
}
export function serverStream<Req, Res>(): MethodSpec<Req, Res, 'serverStream'> {
  return { kind: 'serverStream' };
}
export function clientStream<Req, Res>(request?: RequestCodec<Req>): MethodSpec<Req, Res, 'clientStream'> {
  return request ? { kind: 'clientStream', request } : { kind: 'clientStream' };
}
export function bidi<Req, Res>(): MethodSpec<Req, Res, 'bidi'> {
  return { kind: 'bidi' };
}

export type ServiceSpec = Record<string, { readonly kind: MethodKind; readonly request?: { encode(req: never): Buffer; decode(bytes: Buffer): unknown } }>;

/** Builds the grpc-js definition for `package.Service` from a spec map. */
export function defineService(fullName: string, spec: ServiceSpec): ServiceDefinition {
  const def: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(spec)) {
    def[name] = {
      path: `/${fullName}/${name}`,
      requestStream: method.kind === 'clientStream' || method.kind === 'bidi',
      responseStream: method.kind === 'serverStream' || method.kind === 'bidi',
      requestSerialize: method.request ? (v: unknown) => (method.request as NonNullable<typeof method.request>).encode(v as never) : (v: unknown) => encode(v),
      requestDeserialize: method.request ? (b: Buffer) => (method.request as NonNullable<typeof method.request>).decode(b) : (b: Buffer) => decode(b),
      responseSerialize: (v: unknown) => encode(v),
      responseDeserialize: (b: Buffer) => decode(b),
      originalName: name,
    };
  }
  return def as ServiceDefinition;
}

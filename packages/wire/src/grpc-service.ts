// Typed gRPC service definitions without .proto files: each method names its
// request/response types and streaming shape, and msgpack frames carry them.
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import { decode, encode } from './codec';

export type MethodKind = 'unary' | 'serverStream' | 'clientStream' | 'bidi';

export interface MethodSpec<Req, Res, K extends MethodKind = MethodKind> {
  readonly kind: K;
  /** Phantom fields: carry the message types, never read at run time. */
  readonly req?: Req;
  readonly res?: Res;
}

export function unary<Req, Res>(): MethodSpec<Req, Res, 'unary'> {
  return { kind: 'unary' };
}
export function serverStream<Req, Res>(): MethodSpec<Req, Res, 'serverStream'> {
  return { kind: 'serverStream' };
}
export function clientStream<Req, Res>(): MethodSpec<Req, Res, 'clientStream'> {
  return { kind: 'clientStream' };
}
export function bidi<Req, Res>(): MethodSpec<Req, Res, 'bidi'> {
  return { kind: 'bidi' };
}

export type ServiceSpec = Record<string, { readonly kind: MethodKind }>;

/** Builds the grpc-js definition for `package.Service` from a spec map. */
export function defineService(fullName: string, spec: ServiceSpec): ServiceDefinition {
  const def: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(spec)) {
    def[name] = {
      path: `/${fullName}/${name}`,
      requestStream: method.kind === 'clientStream' || method.kind === 'bidi',
      responseStream: method.kind === 'serverStream' || method.kind === 'bidi',
      requestSerialize: (v: unknown) => encode(v),
      requestDeserialize: (b: Buffer) => decode(b),
      responseSerialize: (v: unknown) => encode(v),
      responseDeserialize: (b: Buffer) => decode(b),
      originalName: name,
    };
  }
  return def as ServiceDefinition;
}

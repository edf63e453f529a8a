export * from './codec';
export * from './grpc-service';
export * from './messages';
export * from './services';
export * from './credentials';
export * from './client';
export * from './key-fingerprint';
export * from './framing';
export { status as GrpcStatus } from '@grpc/grpc-js';

import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { GrpcError, toServiceError } from './identity';

describe('toServiceError', () => {
  it('passes on a gRPC client error as it came (a call forwarded to the leader), not as INTERNAL', () => {
    const fromLeader = Object.assign(new Error('3 INVALID_ARGUMENT: A valid join token is necessary to join this cluster'), {
      code: grpc.status.INVALID_ARGUMENT,
      details: 'A valid join token is necessary to join this cluster',
    });
    expect(toServiceError(fromLeader)).toEqual({ code: grpc.status.INVALID_ARGUMENT, details: 'A valid join token is necessary to join this cluster' });
  });

  it('maps store and Shoal errors by their code, and anything else to INTERNAL', () => {
    expect(toServiceError(new GrpcError(grpc.status.NOT_FOUND, 'x'))).toMatchObject({ code: grpc.status.NOT_FOUND, details: 'x' });
    expect(toServiceError(Object.assign(new Error('gone'), { code: 'NOT_FOUND' }))).toEqual({ code: grpc.status.NOT_FOUND, details: 'gone' });
    expect(toServiceError(new Error('boom'))).toEqual({ code: grpc.status.INTERNAL, details: 'boom' });
  });
});

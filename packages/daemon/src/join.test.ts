import { describe, expect, it } from 'vitest';
import { dialDetails } from './join';

describe('dialDetails', () => {
  it("words grpc-js's connection failures as Go gRPC does, without a dangling resolution note", () => {
    expect(dialDetails('No connection established. Last error: Error: connect ECONNREFUSED 127.0.1.19:2377. Resolution note: ')).toBe(
      'connection error: desc = "transport: Error while dialing: dial tcp 127.0.1.19:2377: connect: connection refused"',
    );
    expect(dialDetails('No connection established. Last error: Error: connect EHOSTUNREACH 10.0.0.9:2377. Resolution note: ')).toBe(
      'No connection established. Last error: Error: connect EHOSTUNREACH 10.0.0.9:2377.',
    );
    expect(dialDetails('A valid join token is necessary to join this cluster')).toBe('A valid join token is necessary to join this cluster');
  });
});

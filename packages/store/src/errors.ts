// One class per condition, each with a stable `code`. Messages are Docker's words
// where Docker has them; the API layer maps codes to HTTP statuses and the wire
// layer to gRPC statuses, so the text survives forwarding unchanged.

export type ErrorCode =
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'INVALID_ARGUMENT'
  | 'FAILED_PRECONDITION'
  | 'OUT_OF_SEQUENCE'
  | 'UNAVAILABLE'
  | 'PERMISSION_DENIED'
  | 'NOT_MANAGER'
  | 'NOT_IN_SWARM'
  | 'ALREADY_IN_SWARM'
  | 'UNAUTHENTICATED'
  | 'CONFLICT'
  | 'UNIMPLEMENTED'
  | 'INTERNAL';

export class ShoalError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class NotFoundError extends ShoalError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NOT_FOUND', message, options);
  }
}
export class AlreadyExistsError extends ShoalError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ALREADY_EXISTS', message, options);
  }
}
export class InvalidArgumentError extends ShoalError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_ARGUMENT', message, options);
  }
}
export class FailedPreconditionError extends ShoalError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('FAILED_PRECONDITION', message, options);
  }
}
export class OutOfSequenceError extends ShoalError {
  constructor() {
    super('OUT_OF_SEQUENCE', rpcText('Unknown', 'update out of sequence'));
  }
}
export class UnavailableError extends ShoalError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('UNAVAILABLE', message, options);
  }
}
export class PermissionDeniedError extends ShoalError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PERMISSION_DENIED', message, options);
  }
}
/** moby's errNoManager on a worker. */
export const WORKER_NOT_MANAGER_TEXT =
  "This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state. Please run this command on a manager node or promote the current node to a manager.";
/** moby's errNoManager on a node in no swarm at all. */
export const NO_SWARM_NOT_MANAGER_TEXT =
  'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';

export class NotManagerError extends ShoalError {
  constructor(message: string = WORKER_NOT_MANAGER_TEXT) {
    super('NOT_MANAGER', message);
  }
}
export class NotInSwarmError extends ShoalError {
  constructor() {
    super(
      'NOT_IN_SWARM',
      'This node is not part of a swarm',
    );
  }
}
export class AlreadyInSwarmError extends ShoalError {
  constructor() {
    super(
      'ALREADY_IN_SWARM',
      'This node is already part of a swarm. Use "docker swarm leave" to leave this swarm and join another one.',
    );
  }
}

/** Docker's 401: e.g. a wrong unlock key. */
export class UnauthenticatedError extends ShoalError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('UNAUTHENTICATED', message, options);
  }
}

/** Docker's 409 for a request that does not fit the current state (e.g. unlocking a swarm that is not locked). */
export class ConflictError extends ShoalError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CONFLICT', message, options);
  }
}

/** swarmkit's codes.Unimplemented (moby answers 501): what swarmkit refuses to do at all. */
export class UnimplementedError extends ShoalError {
  constructor(desc: string) {
    super('UNIMPLEMENTED', rpcText('Unimplemented', desc));
  }
}

/** moby's errSwarmLocked: every swarm call on a manager that restarted locked. */
export const SWARM_LOCKED_TEXT = 'Swarm is encrypted and needs to be unlocked before it can be used. Please use "docker swarm unlock" to unlock it.';

/** Rebuilds a typed error from its code and message (after crossing a process boundary). */
export function errorFromCode(code: ErrorCode, message: string): ShoalError {
  switch (code) {
    case 'NOT_FOUND':
      return new NotFoundError(message);
    case 'ALREADY_EXISTS':
      return new AlreadyExistsError(message);
    case 'INVALID_ARGUMENT':
      return new InvalidArgumentError(message);
    case 'FAILED_PRECONDITION':
      return new FailedPreconditionError(message);
    case 'OUT_OF_SEQUENCE':
      return new OutOfSequenceError();
    case 'UNAVAILABLE':
      return new UnavailableError(message);
    case 'PERMISSION_DENIED':
      return new PermissionDeniedError(message);
    case 'NOT_MANAGER':
      return new NotManagerError(message);
    case 'NOT_IN_SWARM':
      return new NotInSwarmError();
    case 'ALREADY_IN_SWARM':
      return new AlreadyInSwarmError();
    case 'UNAUTHENTICATED':
      return new UnauthenticatedError(message);
    case 'CONFLICT':
      return new ConflictError(message);
    case 'UNIMPLEMENTED':
      return new ShoalError('UNIMPLEMENTED', message);
    case 'INTERNAL':
      return new ShoalError('INTERNAL', message);
    default:
      return assertNever(code);
  }
}

export function assertNever(x: never): never {
  throw new Error(`unexpected value ${String(x)}`);
}

/**
 * Docker shows errors that come from swarmkit's control API with their gRPC
 * status, e.g. "rpc error: code = FailedPrecondition desc = node x is not down…".
 */
export function rpcText(grpcCode: string, desc: string): string {
  return `rpc error: code = ${grpcCode} desc = ${desc}`;
}

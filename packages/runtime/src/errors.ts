// One class per condition, each with a stable `code` the agent can map to a task
// status message. Messages use Docker's words where Docker has them.

export type RuntimeErrorCode =
  | 'IMAGE_NOT_SUPPORTED'
  | 'NO_COMMAND'
  | 'INVALID_SPEC'
  | 'INVALID_ARGUMENT'
  | 'INVALID_STATE'
  | 'EXECUTABLE_NOT_FOUND'
  | 'START_FAILED'
  | 'NO_PORT_AVAILABLE'
  | 'TASK_EXISTS';

export class RuntimeError extends Error {
  constructor(
    readonly code: RuntimeErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A known image whose host program is missing (e.g. nginx not installed). */
export class ImageNotSupportedError extends RuntimeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('IMAGE_NOT_SUPPORTED', message, options);
  }
}

/** Docker's text for an image without a command. */
export class NoCommandError extends RuntimeError {
  constructor() {
    super('NO_COMMAND', 'no command specified');
  }
}

export class InvalidSpecError extends RuntimeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_SPEC', message, options);
  }
}

export class InvalidArgumentError extends RuntimeError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}

/** A call that the task's current state does not allow (e.g. start() before prepare()). */
export class InvalidStateError extends RuntimeError {
  constructor(message: string) {
    super('INVALID_STATE', message);
  }
}

export class ExecutableNotFoundError extends RuntimeError {
  constructor(file: string, options?: { cause?: unknown }) {
    super('EXECUTABLE_NOT_FOUND', `exec: "${file}": executable file not found in $PATH`, options);
  }
}

export class StartFailedError extends RuntimeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('START_FAILED', message, options);
  }
}

export class NoPortAvailableError extends RuntimeError {
  constructor(range: readonly [number, number], host: string) {
    super('NO_PORT_AVAILABLE', `no free port in range ${range[0]}-${range[1]} on ${host}`);
  }
}

/** A live copy of the task already runs; starting another would duplicate it. */
export class TaskExistsError extends RuntimeError {
  constructor(taskId: string, pid: number) {
    super('TASK_EXISTS', `task ${taskId} is already running as pid ${pid}; adopt it instead`);
  }
}

export function isRuntimeError(err: unknown): err is RuntimeError {
  return err instanceof RuntimeError;
}

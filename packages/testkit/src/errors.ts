// Error classes of the testkit, one per condition, each with a stable `code`.

/** `waitFor` ran out of time; the message names what was awaited and the last value or error seen. */
export class WaitTimeoutError extends Error {
  readonly code = 'ERR_WAIT_TIMEOUT';
  override name = 'WaitTimeoutError';
  constructor(
    message: string,
    readonly lastValue: unknown,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A daemon exited, or never answered `GET /_ping`, while being started. */
export class DaemonStartError extends Error {
  readonly code = 'ERR_DAEMON_START';
  override name = 'DaemonStartError';
}

/** A child command (shoal, docker, netns exec) did not finish before its deadline and was killed. */
export class CommandTimeoutError extends Error {
  readonly code = 'ERR_COMMAND_TIMEOUT';
  override name = 'CommandTimeoutError';
}

/** A child command that had to succeed (`cliOk`, `dockerOk`, cluster setup) exited non-zero. */
export class CommandFailedError extends Error {
  readonly code = 'ERR_COMMAND_FAILED';
  override name = 'CommandFailedError';
  constructor(
    message: string,
    readonly result: { code: number | null; stdout: string; stderr: string },
  ) {
    super(message);
  }
}

/** The local Engine API answered with a non-2xx status. `message` is the daemon's `{ message }`. */
export class EngineHttpError extends Error {
  readonly code = 'ERR_ENGINE_HTTP';
  override name = 'EngineHttpError';
  constructor(
    message: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(message);
  }
}

/** A testkit option is out of range (bad alias range, unix socket path too long, missing binary...). */
export class TestkitConfigError extends Error {
  readonly code = 'ERR_TESTKIT_CONFIG';
  override name = 'TestkitConfigError';
}

// Errors the CLI turns into stderr text and an exit status, as docker does.
import { EngineApiError } from '@shoal/api';

/** An error with a fixed exit status (docker's cli.StatusError). */
export class StatusError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StatusError';
  }
}

/** Wrong number of arguments and similar: exit 1, like docker's cli.RequiresMinArgs. */
export class UsageError extends StatusError {
  constructor(message: string) {
    super(message, 1);
    this.name = 'UsageError';
  }
}

/** A flag docker's pflag would reject while parsing: exit 125 (cli.FlagErrorFunc). */
export class FlagError extends StatusError {
  constructor(message: string) {
    super(message, 125);
    this.name = 'FlagError';
  }
}

/** Several independent failures (docker's errors.Join): one line each. */
export class MultiError extends Error {
  constructor(readonly errors: readonly unknown[]) {
    super(errors.map(describeError).join('\n'));
    this.name = 'MultiError';
  }
}

/** The text docker prints for an error. */
export function describeError(err: unknown): string {
  if (err instanceof EngineApiError) return `Error response from daemon: ${err.message}`;
  if (err instanceof Error) return err.message;
  return String(err);
}

export function exitCodeOf(err: unknown): number {
  return err instanceof StatusError ? err.exitCode : 1;
}

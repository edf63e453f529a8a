// One error class per failure of an Engine API call, worded as Docker words them.

/** The daemon answered with a non-2xx status. `message` is the daemon's own text. */
export class EngineApiError extends Error {
  readonly code = 'ENGINE_API_ERROR';
  constructor(
    readonly statusCode: number,
    message: string,
    readonly method = '',
    readonly path = '',
  ) {
    super(message);
    this.name = 'EngineApiError';
  }
}

/** The daemon could not be reached at all (no socket, refused, …). */
export class DaemonUnreachableError extends Error {
  readonly code = 'DAEMON_UNREACHABLE';
  constructor(
    readonly host: string,
    options?: { cause?: unknown },
  ) {
    super(`Cannot connect to the Shoal daemon at ${host}. Is the shoald daemon running?`, options);
    this.name = 'DaemonUnreachableError';
  }
}

/** The socket exists but we may not open it; Docker reports this case separately. */
export class DaemonPermissionError extends Error {
  readonly code = 'DAEMON_PERMISSION_DENIED';
  constructor(
    readonly host: string,
    options?: { cause?: unknown },
  ) {
    super(`permission denied while trying to connect to the Shoal daemon socket at ${host}`, options);
    this.name = 'DaemonPermissionError';
  }
}

/** Errors a connect attempt raises when nothing listens at the address. */
const UNREACHABLE_CODES = new Set(['ENOENT', 'ECONNREFUSED', 'ENOTSOCK', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** Maps a socket-level error to the error the caller should see. */
export function connectionError(host: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EACCES' || code === 'EPERM') return new DaemonPermissionError(host, { cause: err });
  if (code !== undefined && UNREACHABLE_CODES.has(code)) return new DaemonUnreachableError(host, { cause: err });
  return err instanceof Error ? err : new Error(String(err));
}

/** An empty object reference, refused before any request (docker's emptyIDError). */
export class EmptyIdError extends Error {
  readonly code = 'EMPTY_ID';
  constructor(readonly kind: string) {
    super(`invalid ${kind} name or ID: value is empty`);
    this.name = 'EmptyIdError';
  }
}

// The subset of pino's API the raft package logs through (`logger.child({ module: 'raft' })` fits).

export interface RaftLogger {
  debug(fields: Record<string, unknown>, msg: string): void;
  info(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
}

const ignore = (): void => undefined;

export const silentLogger: RaftLogger = Object.freeze({ debug: ignore, info: ignore, warn: ignore });

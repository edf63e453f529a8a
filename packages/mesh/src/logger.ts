// Pino-compatible logging contract: the daemon passes `logger.child({ module: 'mesh' })`.

export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = (): void => undefined;

export const nullLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

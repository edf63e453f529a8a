// The slice of pino's Logger this package uses, so runtime stays a leaf with no
// logging dependency: pass `logger.child({ module: 'runtime' })`.

export interface RuntimeLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = (): void => undefined;

export const silentLogger: RuntimeLogger = { debug: noop, info: noop, warn: noop, error: noop };

// What every command gets: output streams, environment, and a lazily created
// Engine API client (so bad input is rejected before any daemon call).
import { join } from 'node:path';
import { EngineClient, type EngineApi } from '@shoal/api';

export const BIN_NAME = 'shoal';
export const CLI_VERSION = '0.1.0';

export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
  /** Present when stdout is a terminal: progress output then redraws lines in place. */
  terminal?: TerminalInfo;
  /** Time for commands that poll (convergence progress); the real clock unless a test injects one. */
  clock?: CliClock;
  /** One line of standard input (a confirmation prompt's answer); '' at end of input. */
  readLine?: () => Promise<string>;
}

export interface TerminalInfo {
  /** Current width in columns. */
  columns(): number;
}

export interface CliClock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`, or early (without error) once `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const REAL_CLOCK: CliClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted === true) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
    }),
};

export type ClientFactory = (host: string) => EngineApi;

export interface CliContext {
  readonly io: CliIO;
  /** The daemon address in effect (-H, SHOAL_HOST, or the default socket). */
  host(): string;
  /** Created on first use and reused for the rest of the command. */
  client(): EngineApi;
}

/** `unix://$SHOAL_HOME/shoald.sock`, SHOAL_HOME defaulting to /var/lib/shoal. */
export function defaultHost(env: Readonly<Record<string, string | undefined>>): string {
  const home = env.SHOAL_HOME !== undefined && env.SHOAL_HOME !== '' ? env.SHOAL_HOME : '/var/lib/shoal';
  return `unix://${join(home, 'shoald.sock')}`;
}

export function defaultClientFactory(env: Readonly<Record<string, string | undefined>>): ClientFactory {
  return (host) => {
    const pinned = env.SHOAL_API_VERSION ?? env.DOCKER_API_VERSION;
    return new EngineClient({
      host,
      userAgent: `Shoal-Client/${CLI_VERSION} (${process.platform})`,
      ...(pinned !== undefined && pinned !== '' ? { apiVersion: pinned } : {}),
    });
  };
}

export function createContext(io: CliIO, factory: ClientFactory, hostFlag: () => string | undefined): CliContext {
  let client: EngineApi | undefined;
  const host = (): string => {
    const flag = hostFlag();
    if (flag !== undefined && flag !== '') return flag;
    const env = io.env.SHOAL_HOST;
    return env !== undefined && env !== '' ? env : defaultHost(io.env);
  };
  return {
    io,
    host,
    client: () => (client ??= factory(host())),
  };
}

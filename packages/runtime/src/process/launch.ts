// From a task spec to the argv and environment of its process: Docker's
// command/args rules, the built-in programs of known images, and the SHOAL_*
// variables every task gets.
import { hostname } from 'node:os';
import * as path from 'node:path';
import { ImageNotSupportedError, InvalidSpecError, NoCommandError } from '../errors';
import { knownImage } from '../image-ref';
import type { TaskRuntimeSpec } from '../types';
import { findNginx } from './nginx';

export type LaunchKind = 'command' | 'whoami' | 'nginx';

/** What to run; nginx's arguments come later, from prepareNginx(). */
export interface LaunchPlan {
  kind: LaunchKind;
  file: string;
  args: string[];
}

export interface LaunchContext {
  whoamiScript: string;
  nginxPath: string | undefined;
  envPath: string | undefined;
}

export function defaultWhoamiScript(): string {
  // Compiled layout: dist/process/launch.js → dist/images/whoami.js.
  return path.join(__dirname, '..', 'images', 'whoami.js');
}

/**
 * Docker semantics: `command` replaces the image's entrypoint and `args` follow
 * it. With no command, a known image runs its program (whoami takes `args` as
 * flags, as its entrypoint would; nginx's entrypoint execs `args` instead);
 * any other image runs `args` as the command, or fails as Docker does.
 */
export function planLaunch(spec: TaskRuntimeSpec, ctx: LaunchContext): LaunchPlan {
  const command = spec.command ?? [];
  const args = spec.args ?? [];
  if (spec.workdir !== undefined && !path.isAbsolute(spec.workdir)) {
    throw new InvalidSpecError(`the working directory '${spec.workdir}' is invalid, it needs to be an absolute path`);
  }
  const [file, ...rest] = command.length ? [...command, ...args] : [];
  if (file !== undefined) return { kind: 'command', file, args: rest };
  switch (knownImage(spec.image)) {
    case 'whoami':
      return { kind: 'whoami', file: process.execPath, args: [ctx.whoamiScript, ...args] };
    case 'nginx': {
      const [argFile, ...argRest] = args;
      if (argFile !== undefined) return { kind: 'command', file: argFile, args: argRest };
      const nginx = findNginx(ctx.nginxPath, ctx.envPath);
      if (!nginx) throw new ImageNotSupportedError('nginx is not installed on this node');
      return { kind: 'nginx', file: nginx, args: [] };
    }
    case null: {
      const [argFile, ...argRest] = args;
      if (argFile === undefined) throw new NoCommandError();
      return { kind: 'command', file: argFile, args: argRest };
    }
  }
}

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface TaskEnvInput {
  spec: TaskRuntimeSpec;
  port: number;
  /** The task's HOME: its work dir. */
  home: string;
  listenHost: string;
  envPath: string | undefined;
}

/**
 * A clean environment, as a container gets: the agent's own variables (which
 * may hold secrets) are not passed on. The spec's env overrides the defaults;
 * PORT and SHOAL_* are set last because the mesh relies on them.
 */
export function taskEnv({ spec, port, home, listenHost, envPath }: TaskEnvInput): Record<string, string> {
  const env: Record<string, string> = { PATH: envPath || DEFAULT_PATH, HOME: home, HOSTNAME: hostname() };
  for (const entry of spec.env ?? []) {
    const eq = entry.indexOf('=');
    // Docker passes a bare "KEY" through from the client's environment; the
    // agent has none to offer, so the variable is left unset.
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  Object.assign(env, {
    PORT: String(port),
    SHOAL_LISTEN_HOST: listenHost,
    SHOAL_TASK_ID: spec.taskId,
    SHOAL_SERVICE_ID: spec.serviceId,
    SHOAL_SERVICE_NAME: spec.serviceName,
    SHOAL_TASK_SLOT: spec.slot === undefined ? '' : String(spec.slot),
    SHOAL_NODE_ID: spec.nodeId,
    SHOAL_NODE_HOSTNAME: spec.nodeHostname,
  });
  return env;
}

// Where the binaries under test live. Each can be overridden by an environment
// variable (handy for pointing a run at another build, or at a fake in unit tests):
//   SHOAL_DAEMON_BIN  shoald entry script (default packages/daemon/dist/bin.js)
//   SHOAL_CLI_BIN     shoal CLI entry script (default packages/cli/dist/bin.js)
//   DOCKER_BIN        docker CLI (default /usr/local/bin/docker, else `docker` on PATH)
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TestkitConfigError } from './errors';

/** packages/testkit/{src,dist}/ → repository root. */
export const REPO_ROOT = resolve(__dirname, '../../..');

export const NETNS_SCRIPT = join(REPO_ROOT, 'scripts/netns-cluster');

export function daemonScript(override?: string): string {
  return builtScript('shoald', override ?? process.env['SHOAL_DAEMON_BIN'] ?? join(REPO_ROOT, 'packages/daemon/dist/bin.js'));
}

export function cliScript(override?: string): string {
  return builtScript('shoal CLI', override ?? process.env['SHOAL_CLI_BIN'] ?? join(REPO_ROOT, 'packages/cli/dist/bin.js'));
}

export function dockerBinary(): string {
  const fromEnv = process.env['DOCKER_BIN'];
  if (fromEnv) return fromEnv;
  return existsSync('/usr/local/bin/docker') ? '/usr/local/bin/docker' : 'docker';
}

function builtScript(what: string, path: string): string {
  const absolute = resolve(path);
  if (!existsSync(absolute)) {
    throw new TestkitConfigError(`${what} entry script not found at ${absolute}; run \`pnpm build\` first`);
  }
  return absolute;
}

/** A fresh `<tmpdir>/shoal-test-XXXXXX` directory. */
export function makeTempRoot(): string {
  return mkdtempSync(join(tmpdir(), 'shoal-test-'));
}

/** Linux caps sun_path at 108 bytes including the terminating NUL. */
export const MAX_SOCKET_PATH = 107;

// Runs a short-lived tracked command (shoal CLI, docker CLI, netns exec) to completion
// and captures its output; a command past its deadline is killed by PID with its children.
import { CommandFailedError, CommandTimeoutError } from './errors';
import { killProcessTree, spawnTracked } from './process-registry';

export interface CommandResult {
  /** Exit code; null when the process died of a signal. */
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Replaces the child's environment entirely (callers merge process.env themselves). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Written to stdin, which is then closed. Without it stdin is empty. */
  input?: string;
  /** Default 30 000 ms. */
  timeoutMs?: number;
}

export async function runCommand(command: string, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
  const { timeoutMs = 30_000 } = options;
  const label = [command, ...args].join(' ');
  const tracked = spawnTracked(
    command,
    args,
    { env: options.env ?? process.env, ...(options.cwd !== undefined && { cwd: options.cwd }), stdio: ['pipe', 'pipe', 'pipe'] },
    label,
  );
  const { child } = tracked;
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin?.on('error', () => undefined); // the command may exit without reading its input
  child.stdin?.end(options.input ?? '');

  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killProcessTree(tracked.pid, 'SIGKILL');
  }, timeoutMs);
  // 'close' (not 'exit') so that all output has been read.
  const code = await new Promise<number | null>((resolve) => child.once('close', (exitCode) => resolve(exitCode)));
  clearTimeout(timer);
  if (timedOut) {
    throw new CommandTimeoutError(
      `${label} did not finish within ${timeoutMs}ms; killed (pid ${tracked.pid})\n` +
        `stdout: ${stdout.trimEnd()}\nstderr: ${stderr.trimEnd()}`,
    );
  }
  return { code, stdout, stderr };
}

/** Throws a CommandFailedError carrying the output unless the command exited 0. */
export function expectSuccess(what: string, result: CommandResult): CommandResult {
  if (result.code === 0) return result;
  throw new CommandFailedError(
    `${what} exited with ${result.code ?? 'a signal'}\nstdout: ${result.stdout.trimEnd()}\nstderr: ${result.stderr.trimEnd()}`,
    result,
  );
}

// Log tails of the daemons involved in a failure: what you read first when an
// integration test goes red.
import { registeredDaemons, type DaemonHandle } from './daemon';

export const DEFAULT_TAIL_LINES = 80;

export function formatLogTails(daemons: Iterable<DaemonHandle>, lines = DEFAULT_TAIL_LINES): string {
  const blocks: string[] = [];
  for (const daemon of daemons) {
    const where = daemon.netns ? `netns ${daemon.netns}, ${daemon.ip}` : daemon.ip;
    const state = daemon.running ? `pid ${daemon.pid}` : 'not running';
    blocks.push(
      `===== shoald ${daemon.name} (${where}, ${state}): last ${lines} lines of ${daemon.logPath} =====\n` +
        `${daemon.logTail(lines)}\n===== end of ${daemon.name} =====`,
    );
  }
  return blocks.join('\n');
}

/** Prints the log tails of `daemons` (default: every daemon this test file has registered) to stderr. */
export function printLogTails(daemons: Iterable<DaemonHandle> = registeredDaemons(), lines = DEFAULT_TAIL_LINES): void {
  const text = formatLogTails(daemons, lines);
  if (text !== '') console.error(text);
}

/**
 * Runs `fn`; if it throws, prints the log tails (of `daemons`, a cluster, or every
 * registered daemon) and rethrows. For code paths outside vitest's hooks, or to get
 * the tails of specific nodes next to the error.
 */
export async function withLogsOnFailure<T>(
  fn: () => Promise<T>,
  daemons?: Iterable<DaemonHandle> | { nodes: Iterable<DaemonHandle> },
  lines = DEFAULT_TAIL_LINES,
): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    const targets = daemons === undefined ? registeredDaemons() : 'nodes' in daemons ? daemons.nodes : daemons;
    printLogTails(targets, lines);
    throw error;
  }
}

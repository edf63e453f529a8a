// logs() for the process runtime: records from the task's log files, then (when
// following) every record written after them until the task's output ends.
import { endOnAbort } from '../async-queue';
import { logFilter, matches, selectExisting } from '../log-records';
import type { RuntimeLogger } from '../logger';
import type { LogOptions, LogRecord } from '../types';
import { readLogFiles, type LogWriter } from './log-file';

/** `writer` is looked up when iteration starts: the task may have started since logs() was called. */
export async function* streamLogs(
  dir: string,
  writer: () => LogWriter | null,
  opts: LogOptions,
  logger: RuntimeLogger,
): AsyncGenerator<LogRecord> {
  const filter = logFilter(opts);
  const w = writer();
  if (!w || w.ended) {
    // Nothing writes any more (never started, exited, or removed): the files are final.
    yield* selectExisting(await readLogFiles(dir, logger), opts, filter);
    return;
  }
  if (!opts.follow) {
    yield* selectExisting(await w.snapshot(), opts, filter);
    return;
  }
  const { existing, live, stop } = await w.follow();
  const detach = endOnAbort(live, opts.signal);
  try {
    yield* selectExisting(existing, opts, filter);
    for await (const record of live) if (matches(filter, record)) yield record;
  } finally {
    stop();
    detach();
  }
}

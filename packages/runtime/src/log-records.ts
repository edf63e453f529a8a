// Log record helpers shared by both executors: timestamps, option checks and
// the tail/since/stream filter.
import { InvalidArgumentError } from './errors';
import type { LogOptions, LogRecord, LogStream } from './types';

/**
 * RFC 3339 in UTC with exactly nine fractional digits. Fixed width (unlike Go's
 * RFC3339Nano, which trims zeros) so records compare and sort as plain text.
 */
export function formatLogTime(epochNs: bigint): string {
  const ms = Number(epochNs / 1_000_000n);
  const iso = new Date(ms).toISOString(); // 2024-01-02T03:04:05.678Z
  const frac = (epochNs % 1_000_000_000n).toString().padStart(9, '0');
  return `${iso.slice(0, 19)}.${frac}Z`;
}

export function dateToLogTime(date: Date): string {
  return formatLogTime(BigInt(date.getTime()) * 1_000_000n);
}

/** Wall-clock nanoseconds that never go backwards within this process. */
export class LogClock {
  private last = 0n;

  now(): string {
    // Date.now() has only millisecond resolution; hrtime supplies the rest so
    // lines written in the same millisecond keep their order.
    let ns = BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
    if (ns <= this.last) ns = this.last + 1n;
    this.last = ns;
    return formatLogTime(ns);
  }
}

export interface StreamFilter {
  stdout: boolean;
  stderr: boolean;
  /** Formatted like LogRecord.time, or null for no lower bound. */
  since: string | null;
}

export function logFilter(opts: LogOptions): StreamFilter {
  const stdout = opts.stdout ?? true;
  const stderr = opts.stderr ?? true;
  if (!stdout && !stderr) throw new InvalidArgumentError('Bad parameters: you must choose at least one stream');
  const tail = opts.tail;
  if (typeof tail === 'number' && (!Number.isInteger(tail) || tail < 0)) {
    throw new InvalidArgumentError(`invalid tail value: ${tail}`);
  }
  return { stdout, stderr, since: opts.since ? dateToLogTime(opts.since) : null };
}

export function matches(filter: StreamFilter, record: LogRecord): boolean {
  if (!streamWanted(filter, record.stream)) return false;
  return filter.since === null || record.time >= filter.since;
}

function streamWanted(filter: StreamFilter, stream: LogStream): boolean {
  return stream === 'stdout' ? filter.stdout : filter.stderr;
}

/** The records already written that a logs() call returns before following. */
export function selectExisting(records: readonly LogRecord[], opts: LogOptions, filter: StreamFilter): LogRecord[] {
  const kept = records.filter((r) => matches(filter, r));
  const tail = opts.tail ?? 'all';
  if (tail === 'all') return kept;
  return tail === 0 ? [] : kept.slice(-tail);
}

// Service and task logs as the Engine API serves them: Docker's stdcopy framing
// (8-byte header: stream, 3 zero bytes, big-endian length) with `details` labels.
import { InvalidArgumentError } from '@shoal/store';
import { parseUntil } from './filters';

export interface LogRequest {
  /** A service or task reference. */
  target: { kind: 'service' | 'task'; input: string };
  follow: boolean;
  tail: number | 'all';
  /** RFC 3339: only lines written at or after it. */
  since?: string;
  stdout: boolean;
  stderr: boolean;
  timestamps: boolean;
}

export interface LogRecordOut {
  /** 'system': an error about the stream itself, framed as Docker's Systemerr (stream 3). */
  stream: 'stdout' | 'stderr' | 'system';
  /** RFC 3339 with nanoseconds. */
  time: string;
  line: string;
  nodeId: string;
  serviceId: string;
  taskId: string;
}

/**
 * One record as moby's WriteLogStream writes it: in a stdcopy frame of its stream, or (`raw`: the
 * logs of a TTY service or task, which have no streams) as the bare line.
 */
export function frameLogRecord(rec: LogRecordOut, opts: { timestamps: boolean; details: boolean; raw?: boolean }): Buffer {
  const out = (stream: number, text: string): Buffer => (opts.raw ? Buffer.from(text, 'utf8') : frame(stream, Buffer.from(text, 'utf8')));
  if (rec.stream === 'system') return out(3, `Error grabbing logs: ${rec.line}\n`);
  const details = opts.details
    ? `com.docker.swarm.node.id=${rec.nodeId},com.docker.swarm.service.id=${rec.serviceId},com.docker.swarm.task.id=${rec.taskId} `
    : '';
  return out(rec.stream === 'stderr' ? 2 : 1, `${opts.timestamps ? `${rec.time} ` : ''}${details}${rec.line}\n`);
}

function frame(stream: number, body: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

export function parseLogRequest(kind: 'service' | 'task', input: string, q: URLSearchParams): LogRequest {
  const flag = (name: string) => {
    const v = q.get(name);
    return v !== null && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
  };
  const since = sinceTime(q.get('since'));
  return {
    target: { kind, input },
    follow: flag('follow'),
    tail: tailOf(q.get('tail')),
    ...(since ? { since } : {}),
    stdout: flag('stdout'),
    stderr: flag('stderr'),
    timestamps: flag('timestamps'),
  };
}

/** `tail`: "all" (or none), else a count of lines, checked as moby's ServiceLogs does (Go's Atoi). */
function tailOf(value: string | null): number | 'all' {
  if (value === null || value === '' || value === 'all') return 'all';
  if (!/^[+-]?\d+$/.test(value)) throw new InvalidArgumentError('tail value must be a positive integer or "all"');
  const n = Number(value);
  if (n < 0) throw new InvalidArgumentError('negative tail values not supported');
  return n;
}

/**
 * The API's `since` as an ISO time, or undefined for none ("" or 0): a UNIX time in seconds with
 * an optional fraction (the docker CLI sends `<seconds>.<nanoseconds>`), or RFC 3339, read as
 * the list filters' `until` is.
 */
export function sinceTime(value: string | null): string | undefined {
  if (value === null || value === '' || value === '0') return undefined;
  try {
    return parseUntil(value, Date.now());
  } catch {
    throw new InvalidArgumentError(`invalid value for "since": failed to parse value as time or duration: ${JSON.stringify(value)}`);
  }
}

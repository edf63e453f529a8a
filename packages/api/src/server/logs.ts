// Service and task logs as the Engine API serves them: Docker's stdcopy framing
// (8-byte header: stream, 3 zero bytes, big-endian length) with `details` labels.

export interface LogRequest {
  /** A service or task reference. */
  target: { kind: 'service' | 'task'; input: string };
  follow: boolean;
  tail: number | 'all';
  since?: string;
  stdout: boolean;
  stderr: boolean;
  timestamps: boolean;
}

export interface LogRecordOut {
  stream: 'stdout' | 'stderr';
  /** RFC 3339 with nanoseconds. */
  time: string;
  line: string;
  nodeId: string;
  serviceId: string;
  taskId: string;
}

export function frameLogRecord(rec: LogRecordOut, opts: { timestamps: boolean; details: boolean }): Buffer {
  const details = opts.details
    ? `com.docker.swarm.node.id=${rec.nodeId},com.docker.swarm.service.id=${rec.serviceId},com.docker.swarm.task.id=${rec.taskId} `
    : '';
  const text = `${opts.timestamps ? `${rec.time} ` : ''}${details}${rec.line}\n`;
  const body = Buffer.from(text, 'utf8');
  const header = Buffer.alloc(8);
  header[0] = rec.stream === 'stderr' ? 2 : 1;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

export function parseLogRequest(kind: 'service' | 'task', input: string, q: URLSearchParams): LogRequest {
  const flag = (name: string) => {
    const v = q.get(name);
    return v !== null && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
  };
  const tailRaw = q.get('tail');
  const tailNum = tailRaw === null || tailRaw === '' || tailRaw === 'all' ? NaN : Number(tailRaw);
  const since = q.get('since');
  return {
    target: { kind, input },
    follow: flag('follow'),
    tail: Number.isInteger(tailNum) && tailNum >= 0 ? tailNum : 'all',
    ...(since && since !== '0' ? { since } : {}),
    stdout: flag('stdout'),
    stderr: flag('stderr'),
    timestamps: flag('timestamps'),
  };
}

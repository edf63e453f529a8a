// `service logs` lines (docker/cli cli/command/service/logs.go logWriter): the
// daemon prefixes each line with `details` naming its node, service and task;
// the CLI turns them into `<service>.<slot>.<task>@<node>    | `.
import { truncateId } from './service-format';

const NODE_KEY = 'com.docker.swarm.node.id';
const SERVICE_KEY = 'com.docker.swarm.service.id';
const TASK_KEY = 'com.docker.swarm.task.id';

export interface LogContext {
  nodeId: string;
  serviceId: string;
  taskId: string;
}

export interface ParsedLogLine {
  /** Present when the request asked for timestamps. */
  timestamp?: string;
  context: LogContext;
  /** Details other than the swarm context, as sent. */
  details: Map<string, string>;
  /** The rest of the line, newline included. */
  message: string;
}

/** url.QueryUnescape, as logdetails.Parse applies it to keys and values. */
function queryUnescape(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    throw new Error(`invalid URL escape ${JSON.stringify(s)}`);
  }
}

/** logdetails.Parse: `k=v,k2=v2`. */
export function parseLogDetails(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const pair of text.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error('invalid details format');
    out.set(queryUnescape(pair.slice(0, eq)), queryUnescape(pair.slice(eq + 1)));
  }
  return out;
}

/** Go's %v of a map[string]string, for the error texts. */
const goMap = (m: ReadonlyMap<string, string>): string =>
  `map[${[...m.keys()]
    .sort()
    .map((k) => `${k}:${m.get(k) ?? ''}`)
    .join(' ')}]`;

function take(details: Map<string, string>, key: string, what: string): string {
  const value = details.get(key);
  if (value === undefined) throw new Error(`missing ${what} in details: ${goMap(details)}`);
  details.delete(key);
  return value;
}

/** Splits `[timestamp ]details message` as logWriter.Write does. */
export function parseLogLine(line: string, timestamps: boolean): ParsedLogLine {
  const numParts = timestamps ? 3 : 2;
  const parts: string[] = [];
  let rest = line;
  while (parts.length < numParts - 1) {
    const sp = rest.indexOf(' ');
    if (sp < 0) break;
    parts.push(rest.slice(0, sp));
    rest = rest.slice(sp + 1);
  }
  parts.push(rest);
  if (parts.length !== numParts) throw new Error(`invalid context in log message: ${line}`);
  const details = parseLogDetails(parts[numParts - 2] as string);
  const context = {
    nodeId: take(details, NODE_KEY, 'node id'),
    serviceId: take(details, SERVICE_KEY, 'service id'),
    taskId: take(details, TASK_KEY, 'task id'),
  };
  return {
    ...(timestamps ? { timestamp: parts[0] as string } : {}),
    context,
    details,
    message: parts[numParts - 1] as string,
  };
}

export interface LogPrefixInput {
  serviceName: string;
  nodeName: string;
  taskId: string;
  slot: number;
  /** Digits of the largest slot, so `web.2` and `web.10` line up. */
  padding: number;
  noTaskIds: boolean;
  noTrunc: boolean;
}

/** taskFormatter.format: `web.1.abcdef123456@node1` padded to the widest slot. */
export function logPrefix(p: LogPrefixInput): string {
  let name = `${p.serviceName}.${p.slot}`;
  if (!p.noTaskIds) name += `.${p.noTrunc ? p.taskId : truncateId(p.taskId)}`;
  const pad = p.padding - String(p.slot).length;
  return `${name}@${p.nodeName}${pad > 0 ? ' '.repeat(pad) : ''}`;
}

/** The printed line: timestamp, prefix, `    | `, extra details when asked for, message. */
export function formatLogLine(parsed: ParsedLogLine, prefix: string, showDetails: boolean): string {
  let out = parsed.timestamp === undefined ? '' : `${parsed.timestamp} `;
  out += `${prefix}    | `;
  if (showDetails) {
    out += `${[...parsed.details].map(([k, v]) => `${k}=${v}`).sort().join(',')} `;
  }
  return out + parsed.message;
}

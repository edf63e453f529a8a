// `shoal service logs [OPTIONS] SERVICE|TASK` (docker/cli cli/command/service/logs.go):
// demultiplexes the stdcopy stream and prefixes each line with its task's context.
import type { Command } from 'commander';
import { demuxStdcopy, type EngineApi, type LogsOptions, type Task } from '@shoal/api';
import { defineLeaf, exactArgs, type Flags } from '../command-kit';
import type { CliContext } from '../context';
import { parseGoDuration } from '../format/go-duration';
import { formatLogLine, logPrefix, parseLogLine, type LogContext } from '../format/log-format';
import { isNotFound } from './service-list';
import { IdResolver } from './task-print';

/** timetypes.GetTimestamp: a Go duration counts back from now; times become `seconds.nanoseconds`. */
export function sinceTimestamp(value: string, now: number): string {
  if (value === '') return '';
  if (/^\d+(\.\d+)?$/.test(value)) return value;
  let ms: number;
  try {
    ms = now - parseGoDuration(value) / 1e6;
  } catch {
    ms = Date.parse(value);
    if (Number.isNaN(ms)) throw new Error(`invalid value for "since": failed to parse value as time or duration: ${JSON.stringify(value)}`);
  }
  const seconds = Math.floor(ms / 1000);
  const nanos = Math.round((ms - seconds * 1000) * 1e6);
  return `${seconds}.${String(nanos).padStart(9, '0')}`;
}

interface LogOptions {
  noResolve: boolean;
  noTrunc: boolean;
  noTaskIds: boolean;
  details: boolean;
  timestamps: boolean;
}

/** taskFormatter: resolves and caches the prefix of each (node, service, task). */
class LogPrefixer {
  private readonly resolver: IdResolver;
  private readonly cache = new Map<string, string>();

  constructor(
    private readonly client: EngineApi,
    private readonly opts: LogOptions,
    private readonly padding: number,
  ) {
    this.resolver = new IdResolver(client, opts.noResolve);
  }

  async prefix(ctx: LogContext): Promise<string> {
    const key = `${ctx.nodeId}\u0000${ctx.serviceId}\u0000${ctx.taskId}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    const nodeName = await this.resolver.node(ctx.nodeId);
    const serviceName = await this.resolver.service(ctx.serviceId);
    const task = await this.client.taskInspect(ctx.taskId);
    const formatted = logPrefix({
      serviceName,
      nodeName,
      taskId: task.ID,
      slot: task.Slot ?? 0,
      padding: this.padding,
      noTaskIds: this.opts.noTaskIds,
      noTrunc: this.opts.noTrunc,
    });
    this.cache.set(key, formatted);
    return formatted;
  }
}

async function runLogs(ctx: CliContext, target: string, flags: Flags): Promise<void> {
  const client = ctx.client();
  const raw = flags.bool('raw');
  let kind: 'service' | 'task' = 'service';
  let tty: boolean;
  let padding = 1;
  try {
    const service = await client.serviceInspect(target);
    tty = service.Spec.TaskTemplate.ContainerSpec?.TTY === true;
    const replicas = service.Spec.Mode?.Replicated?.Replicas;
    if (replicas !== undefined) padding = String(replicas).length;
  } catch (err) {
    if (!isNotFound(err)) throw err;
    let task: Task;
    try {
      task = await client.taskInspect(target);
    } catch (taskErr) {
      if (isNotFound(taskErr)) throw new Error(`no such task or service: ${target}`, { cause: taskErr });
      throw taskErr;
    }
    kind = 'task';
    tty = task.Spec.ContainerSpec?.TTY === true;
    padding = String(task.Slot ?? 0).length;
  }
  if (tty && !raw) throw new Error('tty service logs only supported with --raw');

  const opts: LogOptions = {
    noResolve: flags.bool('no-resolve'),
    noTrunc: flags.bool('no-trunc'),
    noTaskIds: flags.bool('no-task-ids'),
    details: flags.bool('details'),
    timestamps: flags.bool('timestamps'),
  };
  const query: LogsOptions = {
    stdout: true,
    stderr: true,
    since: sinceTimestamp(flags.string('since') ?? '', Date.now()),
    timestamps: opts.timestamps,
    follow: flags.bool('follow'),
    tail: flags.string('tail') ?? 'all',
    // The context prefix needs the details unless the output is raw.
    details: opts.details || !raw,
  };
  const body = kind === 'service' ? await client.serviceLogs(target, query) : await client.taskLogs(target, query);
  if (tty) {
    for await (const chunk of body) ctx.io.out(chunk.toString('utf8'));
    return;
  }
  const prefixer = new LogPrefixer(client, opts, padding);
  for await (const frame of demuxStdcopy(body)) {
    const write = (s: string): void => (frame.stream === 'stderr' ? ctx.io.err(s) : ctx.io.out(s));
    const text = frame.payload.toString('utf8');
    if (raw) {
      write(text);
      continue;
    }
    const parsed = parseLogLine(text, opts.timestamps);
    write(formatLogLine(parsed, await prefixer.prefix(parsed.context), opts.details));
  }
}

export function registerServiceLogs(service: Command, ctx: CliContext): void {
  defineLeaf(service, ctx, {
    use: 'logs [OPTIONS] SERVICE|TASK',
    short: 'Fetch the logs of a service or task',
    args: exactArgs(1),
    flags: [
      { name: 'no-resolve', kind: 'bool', description: 'Do not map IDs to Names in output' },
      { name: 'no-trunc', kind: 'bool', description: 'Do not truncate output' },
      { name: 'raw', kind: 'bool', description: 'Do not neatly format logs' },
      { name: 'no-task-ids', kind: 'bool', description: 'Do not include task IDs in output' },
      { name: 'follow', short: 'f', kind: 'bool', description: 'Follow log output' },
      {
        name: 'since',
        kind: 'string',
        description: 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)',
      },
      { name: 'timestamps', short: 't', kind: 'bool', description: 'Show timestamps' },
      { name: 'details', kind: 'bool', description: 'Show extra details provided to logs' },
      { name: 'tail', short: 'n', kind: 'string', description: 'Number of lines to show from the end of the logs', defaultText: '"all"' },
    ],
    run: (c, [target = ''], flags) => runLogs(c, target, flags),
  });
}

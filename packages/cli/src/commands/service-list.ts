// `shoal service ls|ps|inspect|rm`: the commands that read services or remove them.
import type { Command } from 'commander';
import { EngineApiError, type EngineApi, type Filters, type Service } from '@shoal/api';
import { defineLeaf, minArgs, noArgs } from '../command-kit';
import type { CliContext } from '../context';
import { MultiError, StatusError } from '../errors';
import { INSPECT_ROOTS, inspectEach } from '../format/inspect-each';
import { formatServiceList, serviceListFormat } from '../format/service-format';
import { prettyService } from '../format/service-pretty';
import { FILTER_FLAG, filtersFromFlags } from './node';
import { TASK_LIST_FLAGS, printTasks, resolveNodeFilter } from './task-print';
import { FORMAT_HELP, INSPECT_FORMAT_HELP } from '../help';

/** A reference that matched nothing; docker words these itself instead of passing the daemon's text on. */
export class NoSuchObjectError extends Error {
  readonly code = 'NO_SUCH_OBJECT';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NoSuchObjectError';
  }
}

export const isNotFound = (err: unknown): boolean => err instanceof EngineApiError && err.statusCode === 404;

/** service ps's createFilter: each reference by full ID, then full name, then unique ID prefix. */
async function serviceFilter(client: EngineApi, refs: readonly string[], base: Filters): Promise<{ filters: Filters; notFound: string[] }> {
  const byId = await client.serviceList({ id: refs });
  const byName = await client.serviceList({ name: refs });
  const ids: string[] = [];
  const notFound: string[] = [];
  for (const ref of refs) {
    const exact = byId.find((s) => s.ID === ref) ?? byName.find((s) => s.Spec.Name === ref);
    if (exact !== undefined) {
      ids.push(exact.ID);
      continue;
    }
    const prefixed = byId.filter((s) => s.ID.startsWith(ref));
    if (prefixed.length > 1) throw new Error(`multiple services found with provided prefix: ${ref}`);
    if (prefixed.length === 1) ids.push((prefixed[0] as Service).ID);
    else notFound.push(`no such service: ${ref}`);
  }
  if (ids.length === 0) throw new Error(notFound.join('\n'));
  return { filters: { ...base, service: [...(base.service ?? []), ...ids] }, notFound };
}

/**
 * AppendServiceStatus: a daemon older than API 1.41 ignores ?status=true, so the
 * counts are worked out from the tasks (running ones on nodes that are not down).
 */
export async function appendServiceStatus(client: EngineApi, services: Service[]): Promise<Service[]> {
  const missing = services.filter((s) => s.ServiceStatus === undefined && (s.Spec.Mode?.Replicated !== undefined || s.Spec.Mode?.Global !== undefined));
  if (missing.length === 0) return services;
  for (const s of missing) s.ServiceStatus = { RunningTasks: 0, DesiredTasks: s.Spec.Mode?.Replicated?.Replicas ?? 0, CompletedTasks: 0 };
  const tasks = await client.taskList({ service: missing.map((s) => s.ID) });
  if (tasks.length === 0) return services;
  const active = new Set((await client.nodeList()).filter((n) => n.Status?.State !== 'down').map((n) => n.ID));
  const counted = new Map(missing.map((s) => [s.ID, { RunningTasks: 0, DesiredTasks: 0, CompletedTasks: 0 }]));
  for (const t of tasks) {
    const status = counted.get(t.ServiceID);
    if (status === undefined) continue;
    if (t.DesiredState !== 'shutdown') status.DesiredTasks++;
    if (active.has(t.NodeID ?? '') && t.Status.State === 'running') status.RunningTasks++;
  }
  for (const s of missing) {
    const status = counted.get(s.ID);
    if (status !== undefined) s.ServiceStatus = status;
  }
  return services;
}

async function runInspect(ctx: CliContext, refs: string[], format: string): Promise<void> {
  if (format.startsWith('pretty') && format !== 'pretty') {
    throw new Error('Cannot supply extra formatting options to the pretty template');
  }
  const client = ctx.client();
  const get = async (ref: string): Promise<Service> => {
    try {
      return await client.serviceInspect(ref, { insertDefaults: true });
    } catch (err) {
      if (isNotFound(err)) throw new NoSuchObjectError(`Error: no such service: ${ref}`, { cause: err });
      throw err;
    }
  };

  if (format === 'pretty') {
    // The first failure ends the command before anything is printed.
    let out = '';
    for (const ref of refs) {
      try {
        const service = await get(ref);
        const names = new Map<string, string>();
        for (const n of service.Spec.TaskTemplate.Networks ?? []) {
          const network = await client.networkInspect(n.Target, { scope: 'swarm' }).catch(() => undefined);
          if (network !== undefined) names.set(network.Id, network.Name);
        }
        out += prettyService(service, names, Date.now());
      } catch (err) {
        throw new StatusError(new MultiError([err]).message, 1, { cause: err });
      }
    }
    ctx.io.out(out);
    return;
  }

  await inspectEach(ctx.io.out, refs, format, get, INSPECT_ROOTS.service);
}

export function registerServiceList(service: Command, ctx: CliContext): void {
  defineLeaf(service, ctx, {
    use: 'ls [OPTIONS]',
    short: 'List services',
    aliases: ['list'],
    args: noArgs,
    flags: [
      { name: 'quiet', short: 'q', kind: 'bool', description: 'Only display IDs' },
      { name: 'format', kind: 'string', description: FORMAT_HELP },
      FILTER_FLAG,
    ],
    run: async (c, _args, flags) => {
      const quiet = flags.bool('quiet');
      // Without -q the daemon also counts running and desired tasks (?status=true).
      const client = c.client();
      let services = await client.serviceList(filtersFromFlags(flags.list('filter')), !quiet);
      if (!quiet) services = await appendServiceStatus(client, services);
      const format = flags.string('format') ?? '';
      c.io.out(formatServiceList(serviceListFormat(format === '' ? 'table' : format, quiet), services));
    },
  });

  defineLeaf(service, ctx, {
    use: 'ps [OPTIONS] SERVICE [SERVICE...]',
    short: 'List the tasks of one or more services',
    args: minArgs(1),
    flags: TASK_LIST_FLAGS,
    run: async (c, refs, flags) => {
      const client = c.client();
      const { filters, notFound } = await serviceFilter(client, refs, filtersFromFlags(flags.list('filter')));
      const tasks = await client.taskList(await resolveNodeFilter(client, filters));
      const quiet = flags.bool('quiet');
      await printTasks(c, tasks, {
        format: flags.string('format') ?? '',
        quiet,
        // -q prints full task IDs in service ps (not in node ps).
        trunc: !(flags.bool('no-trunc') || quiet),
        noResolve: flags.bool('no-resolve'),
      });
      if (notFound.length > 0) throw new Error(notFound.join('\n'));
    },
  });

  defineLeaf(service, ctx, {
    use: 'inspect [OPTIONS] SERVICE [SERVICE...]',
    short: 'Display detailed information on one or more services',
    args: minArgs(1),
    flags: [
      { name: 'format', short: 'f', kind: 'string', description: INSPECT_FORMAT_HELP },
      { name: 'pretty', kind: 'bool', description: 'Print the information in a human friendly format' },
    ],
    run: async (c, refs, flags) => {
      const format = flags.string('format') ?? '';
      if (flags.bool('pretty') && format !== '') throw new Error('--format is incompatible with human friendly format');
      await runInspect(c, refs, flags.bool('pretty') ? 'pretty' : format);
    },
  });

  defineLeaf(service, ctx, {
    use: 'rm SERVICE [SERVICE...]',
    short: 'Remove one or more services',
    aliases: ['remove'],
    args: minArgs(1),
    run: async (c, refs) => {
      const client = c.client();
      const errors: unknown[] = [];
      for (const ref of refs) {
        try {
          await client.serviceRemove(ref);
          c.io.out(`${ref}\n`);
        } catch (err) {
          errors.push(err);
        }
      }
      if (errors.length > 0) throw new MultiError(errors);
    },
  });
}

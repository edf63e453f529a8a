// Task listing shared by `service ps` and `node ps` (docker/cli cli/command/task
// and node/ps.go): IDs resolved to names through the API, then formatted.
import type { Command } from 'commander';
import type { EngineApi, Filters, Task } from '@shoal/api';
import { defineLeaf, minArgs, type FlagSpec } from '../command-kit';
import type { CliContext } from '../context';
import { describeError } from '../errors';
import { formatTaskList, taskListFormat } from '../format/task-format';
import { FILTER_FLAG, filtersFromFlags, resolveNodeRef } from './node';

/** docker's idresolver: best effort, cached, IDs kept when a lookup fails or with --no-resolve. */
export class IdResolver {
  private readonly cache = new Map<string, string>();

  constructor(
    private readonly client: EngineApi,
    private readonly noResolve: boolean,
  ) {}

  async service(id: string): Promise<string> {
    return this.resolve(`service:${id}`, id, async () => (await this.client.serviceInspect(id)).Spec.Name);
  }

  async node(id: string): Promise<string> {
    return this.resolve(`node:${id}`, id, async () => {
      const node = await this.client.nodeInspect(id);
      return (node.Spec?.Name ?? '') !== '' ? (node.Spec.Name as string) : node.Description?.Hostname || id;
    });
  }

  private async resolve(key: string, id: string, lookup: () => Promise<string>): Promise<string> {
    if (this.noResolve || id === '') return id;
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    let name: string;
    try {
      name = await lookup();
    } catch {
      name = id; // docker ignores lookup errors here: the ID is shown instead
    }
    this.cache.set(key, name);
    return name;
  }
}

export interface TaskPrintOptions {
  format: string;
  quiet: boolean;
  trunc: boolean;
  noResolve: boolean;
}

/** task.Print: resolves every service and node name first, then renders. */
export async function printTasks(ctx: CliContext, tasks: readonly Task[], opts: TaskPrintOptions): Promise<void> {
  const resolver = new IdResolver(ctx.client(), opts.noResolve);
  const services = new Map<string, string>();
  const nodes = new Map<string, string>();
  for (const t of tasks) if (!services.has(t.ServiceID)) services.set(t.ServiceID, await resolver.service(t.ServiceID));
  for (const t of tasks) {
    const node = t.NodeID ?? '';
    if (!nodes.has(node)) nodes.set(node, await resolver.node(node));
  }
  const names = { service: (id: string) => services.get(id) ?? id, node: (id: string) => nodes.get(id) ?? id };
  const format = taskListFormat(opts.format === '' ? 'table' : opts.format, opts.quiet);
  ctx.io.out(formatTaskList(tasks, names, { format, trunc: opts.trunc, now: Date.now() }));
}

/** The flags `service ps` and `node ps` share. */
export const TASK_LIST_FLAGS: FlagSpec[] = [
  { name: 'no-trunc', kind: 'bool', description: 'Do not truncate output' },
  { name: 'no-resolve', kind: 'bool', description: 'Do not map IDs to Names' },
  FILTER_FLAG,
  { name: 'format', kind: 'string', description: 'Pretty-print tasks using a Go template' },
  { name: 'quiet', short: 'q', kind: 'bool', description: 'Only display task IDs' },
];

/** node.Reference for every `node` filter value (`self` → this node's ID). */
export async function resolveNodeFilter(client: EngineApi, filters: Filters): Promise<Filters> {
  const nodes = filters.node;
  if (nodes === undefined) return filters;
  const resolved: string[] = [];
  for (const ref of nodes) resolved.push(await resolveNodeRef(client, ref));
  return { ...filters, node: resolved };
}

/**
 * `node ps [NODE...]`, defaulting to `self`; errors are listed after whatever
 * could be printed. Added to the `node` group registered before it: node.ts is
 * a dependency of this file, so it cannot register this command itself.
 */
export function registerNodePsCommand(root: Command, ctx: CliContext): void {
  const node = root.commands.find((c) => c.name() === 'node');
  if (node === undefined) throw new Error('the node command group must be registered before node ps');
  defineLeaf(node, ctx, {
    use: 'ps [OPTIONS] [NODE...]',
    short: 'List tasks running on one or more nodes, defaults to current node',
    args: minArgs(0),
    flags: TASK_LIST_FLAGS,
    run: async (c, args, flags) => {
      const client = c.client();
      const errors: string[] = [];
      const tasks: Task[] = [];
      for (const ref of args.length === 0 ? ['self'] : args) {
        try {
          const found = await client.nodeInspect(await resolveNodeRef(client, ref));
          const filters = filtersFromFlags(flags.list('filter'));
          tasks.push(...(await client.taskList({ ...filters, node: [...(filters.node ?? []), found.ID] })));
        } catch (err) {
          errors.push(describeError(err));
        }
      }
      if (errors.length === 0 || tasks.length > 0) {
        await printTasks(c, tasks, {
          format: flags.string('format') ?? '',
          quiet: flags.bool('quiet'),
          trunc: !flags.bool('no-trunc'),
          noResolve: flags.bool('no-resolve'),
        });
      }
      if (errors.length > 0) throw new Error(errors.join('\n'));
    },
  });
}

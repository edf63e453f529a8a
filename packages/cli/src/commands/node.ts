// `shoal node …`: ls and inspect here; the commands that change nodes are in node-update.ts.
import type { Command } from 'commander';
import type { EngineApi, Filters, Node, SystemInfo } from '@shoal/api';
import { defineGroup, defineLeaf, minArgs, noArgs, type FlagSpec } from '../command-kit';
import type { CliContext } from '../context';
import { MultiError, StatusError } from '../errors';
import { INSPECT_ROOTS, inspectEach } from '../format/inspect-each';
import { formatNodeList, nodeListFormat, prettyNode } from '../format/node-format';
import { registerNodeUpdateCommands } from './node-update';
import { FORMAT_HELP, INSPECT_FORMAT_HELP } from '../help';

/** docker's opts.FilterOpt: `name=value`, name lower-cased, both trimmed. */
export function parseFilterFlag(value: string): { name: string; value: string } {
  const eq = value.indexOf('=');
  if (eq < 0) throw new Error('bad format of filter (expected name=value)');
  return { name: value.slice(0, eq).trim().toLowerCase(), value: value.slice(eq + 1).trim() };
}

export function filtersFromFlags(pairs: readonly unknown[]): Filters {
  const filters: Record<string, string[]> = {};
  for (const pair of pairs) {
    const { name, value } = pair as { name: string; value: string };
    (filters[name] ??= []).push(value);
  }
  return filters;
}

export const FILTER_FLAG: FlagSpec = {
  name: 'filter',
  short: 'f',
  kind: 'list',
  description: 'Filter output based on conditions provided',
  parse: parseFilterFlag,
};

/** `self` names the node this daemon runs on (docker's node.Reference). */
export async function resolveNodeRef(client: EngineApi, ref: string): Promise<string> {
  if (ref !== 'self') return ref;
  const info = await client.info();
  if (info.Swarm.NodeID === '') {
    // Not a manager, or not in a swarm: a swarm call yields the precise error.
    await client.nodeList();
    throw new Error('node ID not found in /info');
  }
  return info.Swarm.NodeID;
}

async function runList(ctx: CliContext, quiet: boolean, format: string, filters: Filters): Promise<void> {
  const client = ctx.client();
  const nodes = await client.nodeList(filters);
  let info: SystemInfo | undefined;
  if (nodes.length > 0 && !quiet) info = await client.info();
  ctx.io.out(formatNodeList(nodeListFormat(format === '' ? 'table' : format, quiet), nodes, info));
}

async function runInspect(ctx: CliContext, refs: string[], format: string): Promise<void> {
  if (format.startsWith('pretty') && format !== 'pretty') {
    throw new Error('cannot supply extra formatting options to the pretty template');
  }
  const client = ctx.client();
  const get = async (ref: string): Promise<Node> => client.nodeInspect(await resolveNodeRef(client, ref));

  if (format === 'pretty') {
    // Like docker, the first failure aborts before anything is printed.
    let out = '';
    for (const ref of refs) {
      try {
        out += prettyNode(await get(ref));
      } catch (err) {
        throw new StatusError(new MultiError([err]).message, 1, { cause: err });
      }
    }
    ctx.io.out(out);
    return;
  }

  await inspectEach(ctx.io.out, refs, format, get, INSPECT_ROOTS.node);
}

export function registerNodeCommands(root: Command, ctx: CliContext): void {
  const node = defineGroup(root, ctx, 'node', 'Manage Swarm nodes');

  defineLeaf(node, ctx, {
    use: 'ls [OPTIONS]',
    short: 'List nodes in the swarm',
    aliases: ['list'],
    args: noArgs,
    flags: [
      { name: 'quiet', short: 'q', kind: 'bool', description: 'Only display IDs' },
      { name: 'format', kind: 'string', description: FORMAT_HELP },
      FILTER_FLAG,
    ],
    run: (c, _args, flags) =>
      runList(c, flags.bool('quiet'), flags.string('format') ?? '', filtersFromFlags(flags.list('filter'))),
  });

  defineLeaf(node, ctx, {
    use: 'inspect [OPTIONS] self|NODE [NODE...]',
    short: 'Display detailed information on one or more nodes',
    args: minArgs(1),
    flags: [
      { name: 'format', short: 'f', kind: 'string', description: INSPECT_FORMAT_HELP },
      { name: 'pretty', kind: 'bool', description: 'Print the information in a human friendly format' },
    ],
    run: (c, args, flags) => runInspect(c, args, flags.bool('pretty') ? 'pretty' : (flags.string('format') ?? '')),
  });

  registerNodeUpdateCommands(node, ctx);
}

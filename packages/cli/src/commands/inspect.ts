// `shoal inspect`: any object by name or ID (docker/cli cli/command/system/inspect.go). Without
// --type each kind is asked in docker's order (swarm kinds only of a manager), and a kind the
// daemon does not know the reference of is skipped; a task is inspected this way, as in docker.
import type { Command } from 'commander';
import { EngineApiError, type EngineApi, type OtherObjectKind } from '@shoal/api';
import { defineLeaf, minArgs, type Flags } from '../command-kit';
import type { CliContext } from '../context';
import { describeError } from '../errors';
import { INSPECT_ROOTS, RAW_JSON, inspectEach } from '../format/inspect-each';
import { INSPECT_FORMAT_HELP } from '../help';
import type { RootKind } from '../template/exec';

const ALL_TYPES = ['config', 'container', 'image', 'network', 'node', 'plugin', 'secret', 'service', 'task', 'volume'] as const;
type ObjectType = (typeof ALL_TYPES)[number];
const TYPE_LIST = `"${ALL_TYPES.join('", "')}"`;

interface Inspector {
  readonly type: ObjectType;
  readonly swarm: boolean;
  /** The Go type a template runs on; the other kinds never answer here (Shoal has none). */
  readonly kind: RootKind;
  get(client: EngineApi, ref: string, size: boolean): Promise<unknown>;
}

const other = (type: OtherObjectKind, swarm = false): Inspector => ({
  type,
  swarm,
  kind: RAW_JSON,
  get: (client, ref, size) => client.otherObjectInspect(type, ref, { size }),
});

/** docker's inspectAutodetect order. */
const INSPECTORS: readonly Inspector[] = [
  other('container'),
  other('image'),
  { type: 'network', swarm: false, kind: INSPECT_ROOTS.network, get: (client, ref) => client.networkInspect(ref) },
  other('volume'),
  // Like docker, with the defaults filled in.
  { type: 'service', swarm: true, kind: INSPECT_ROOTS.service, get: (client, ref) => client.serviceInspect(ref, { insertDefaults: true }) },
  { type: 'task', swarm: true, kind: INSPECT_ROOTS.task, get: (client, ref) => client.taskInspect(ref) },
  { type: 'node', swarm: true, kind: INSPECT_ROOTS.node, get: (client, ref) => client.nodeInspect(ref) },
  other('plugin'),
  other('secret', true),
  other('config', true),
];

/** docker's isErrSkippable: the kind does not have it, or the daemon has no such kind. */
function skippable(err: unknown): boolean {
  if (err instanceof EngineApiError && err.statusCode === 404) return true;
  const text = err instanceof Error ? err.message : String(err);
  return text.includes('not supported') || text.includes('invalid reference format');
}

async function runInspect(ctx: CliContext, refs: string[], flags: Flags): Promise<void> {
  const type = flags.string('type') ?? '';
  if (flags.changed('type') && type === '') throw new Error(`type is empty: must be one of ${TYPE_LIST}`);
  if (type !== '' && !(ALL_TYPES as readonly string[]).includes(type)) throw new Error(`unknown type: "${type}": must be one of ${TYPE_LIST}`);
  const size = flags.bool('size');
  const client = ctx.client();
  const kindOf = new WeakMap<object, RootKind>();

  const get = async (ref: string): Promise<unknown> => {
    // Asked once per reference, at the first swarm kind its lookup reaches (as docker does).
    let manager: boolean | undefined;
    const isManager = async (): Promise<boolean> => {
      if (manager === undefined) {
        try {
          manager = (await client.info()).Swarm.ControlAvailable;
        } catch (err) {
          ctx.io.err(`${describeError(err)}\n`);
          manager = false;
        }
      }
      return manager;
    };
    for (const inspector of INSPECTORS) {
      if (type !== '' && inspector.type !== type) continue;
      if (type === '' && inspector.swarm && !(await isManager())) continue;
      let value: unknown;
      try {
        value = await inspector.get(client, ref, size);
      } catch (err) {
        if (type === '' && skippable(err)) continue;
        throw err;
      }
      if (size && inspector.type !== 'container') ctx.io.err(`WARNING: --size ignored for ${inspector.type}\n`);
      if (typeof value === 'object' && value !== null) kindOf.set(value, inspector.kind);
      return value;
    }
    throw new Error(`Error: No such object: ${ref}`);
  };

  const rootKind = (item: unknown): RootKind => (typeof item === 'object' && item !== null ? kindOf.get(item) : undefined) ?? RAW_JSON;
  await inspectEach(ctx.io.out, refs, flags.string('format') ?? '', get, rootKind, { rawFallback: true });
}

export function registerInspectCommand(root: Command, ctx: CliContext): void {
  defineLeaf(root, ctx, {
    use: 'inspect [OPTIONS] NAME|ID [NAME|ID...]',
    short: 'Return low-level information on Shoal objects',
    args: minArgs(1),
    flags: [
      { name: 'format', short: 'f', kind: 'string', description: INSPECT_FORMAT_HELP },
      { name: 'size', short: 's', kind: 'bool', description: 'Display total file sizes if the type is container' },
      { name: 'type', kind: 'string', description: 'Only inspect objects of the given type' },
    ],
    run: (c, args, flags) => runInspect(c, args, flags),
  });
}

// `shoal node update|promote|demote|rm`: read the node for its version, change
// its spec, POST /nodes/{id}/update?version=N (docker's updateNodes).
import type { Command } from 'commander';
import { NODE_AVAILABILITIES, type EngineApi, type Node, type NodeAvailability, type NodeRole } from '@shoal/api';
import { defineLeaf, exactArgs, minArgs } from '../command-kit';
import type { CliContext } from '../context';
import { MultiError } from '../errors';

/** Returned by a merge function when the node already has the wanted role. */
const NO_CHANGE = Symbol('no change');

type Merge = (node: Node) => typeof NO_CHANGE | void;

async function updateNodes(client: EngineApi, refs: string[], merge: Merge, success: (ref: string) => void): Promise<void> {
  for (const ref of refs) {
    const node = await client.nodeInspect(ref);
    if (merge(node) === NO_CHANGE) continue;
    await client.nodeUpdate(node.ID, node.Version.Index, node.Spec);
    success(ref);
  }
}

export function parseAvailability(value: string): NodeAvailability {
  const v = value.toLowerCase();
  if ((NODE_AVAILABILITIES as readonly string[]).includes(v)) return v as NodeAvailability;
  throw new Error(`invalid availability ${JSON.stringify(value)}, only active, pause and drain are supported`);
}


/** opts.ConvertKVStringsToMap: `k=v` → k: v, a bare `k` → k: "". */
function labelsToMap(items: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq < 0) out[item] = '';
    else out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

export function registerNodeUpdateCommands(node: Command, ctx: CliContext): void {
  defineLeaf(node, ctx, {
    use: 'update [OPTIONS] NODE',
    short: 'Update a node',
    args: exactArgs(1),
    flags: [
      { name: 'role', kind: 'string', description: 'Role of the node ("worker", "manager")' },
      { name: 'availability', kind: 'string', description: 'Availability of the node ("active", "pause", "drain")' },
      { name: 'label-add', kind: 'list', description: 'Add or update a node label ("key=value")' },
      { name: 'label-rm', kind: 'list', description: 'Remove a node label if exists' },
    ],
    run: async (c, [ref = ''], flags) => {
      // Validated before any daemon call; docker leaves this to the daemon.
      // As docker's node update: lower-cased and sent as given; the daemon refuses an unknown value
      // ('invalid Availability: "x"', 'invalid Role: "x"'). swarm init/join check theirs here.
      const role = flags.changed('role') ? ((flags.string('role') ?? '').toLowerCase() as NodeRole) : undefined;
      const availability = flags.changed('availability') ? ((flags.string('availability') ?? '').toLowerCase() as NodeAvailability) : undefined;
      const add = labelsToMap(flags.list('label-add'));
      const remove = flags.list('label-rm');
      await updateNodes(
        c.client(),
        [ref],
        (n) => {
          const spec = n.Spec;
          if (role !== undefined) spec.Role = role;
          if (availability !== undefined) spec.Availability = availability;
          const labels = (spec.Labels ??= {});
          Object.assign(labels, add);
          for (const key of remove) {
            if (!Object.hasOwn(labels, key)) throw new Error(`key ${key} doesn't exist in node's labels`);
            delete labels[key];
          }
        },
        () => c.io.out(`${ref}\n`),
      );
    },
  });

  defineLeaf(node, ctx, {
    use: 'promote NODE [NODE...]',
    short: 'Promote one or more nodes to manager in the swarm',
    args: minArgs(1),
    run: (c, refs) =>
      updateNodes(
        c.client(),
        refs,
        (n) => {
          if (n.Spec.Role === 'manager') {
            c.io.out(`Node ${n.ID} is already a manager.\n`);
            return NO_CHANGE;
          }
          n.Spec.Role = 'manager';
        },
        (ref) => c.io.out(`Node ${ref} promoted to a manager in the swarm.\n`),
      ),
  });

  defineLeaf(node, ctx, {
    use: 'demote NODE [NODE...]',
    short: 'Demote one or more nodes from manager in the swarm',
    args: minArgs(1),
    run: (c, refs) =>
      updateNodes(
        c.client(),
        refs,
        (n) => {
          if (n.Spec.Role === 'worker') {
            c.io.out(`Node ${n.ID} is already a worker.\n`);
            return NO_CHANGE;
          }
          n.Spec.Role = 'worker';
        },
        (ref) => c.io.out(`Manager ${ref} demoted in the swarm.\n`),
      ),
  });

  defineLeaf(node, ctx, {
    use: 'rm [OPTIONS] NODE [NODE...]',
    short: 'Remove one or more nodes from the swarm',
    aliases: ['remove'],
    args: minArgs(1),
    flags: [{ name: 'force', short: 'f', kind: 'bool', description: 'Force remove a node from the swarm' }],
    run: async (c, refs, flags) => {
      const client = c.client();
      const errors: unknown[] = [];
      for (const ref of refs) {
        try {
          await client.nodeRemove(ref, flags.bool('force'));
          c.io.out(`${ref}\n`);
        } catch (err) {
          errors.push(err);
        }
      }
      if (errors.length > 0) throw new MultiError(errors);
    },
  });
}

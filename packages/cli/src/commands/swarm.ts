// `shoal swarm init|join|join-token|leave|update` (docker/cli cli/command/swarm).
import type { Command } from 'commander';
import type { SwarmInitRequest, SwarmJoinRequest } from '@shoal/api';
import { defineGroup, defineLeaf, exactArgs, noArgs } from '../command-kit';
import { BIN_NAME, type CliContext } from '../context';
import {
  ADVERTISE_ADDR_FLAG,
  AVAILABILITY_FLAG,
  DATA_PATH_ADDR_FLAG,
  DEFAULT_LISTEN_ADDR,
  LISTEN_ADDR_FLAG,
  SWARM_SPEC_FLAGS,
  mergeSwarmSpec,
  parseAvailability,
  parseCidrList,
} from './swarm-opts';

/** join_token.go printJoinCommand: needs the node's manager address. */
async function printJoinCommand(ctx: CliContext, nodeId: string, worker: boolean, manager: boolean): Promise<void> {
  const client = ctx.client();
  const node = await client.nodeInspect(nodeId);
  const swarm = await client.swarmInspect();
  const addr = node.ManagerStatus?.Addr;
  if (addr === undefined) return;
  const block = (role: string, token: string): string =>
    `To add a ${role} to this swarm, run the following command:\n\n    ${BIN_NAME} swarm join --token ${token} ${addr}\n\n`;
  if (worker) ctx.io.out(block('worker', swarm.JoinTokens.Worker));
  if (manager) ctx.io.out(block('manager', swarm.JoinTokens.Manager));
}

function printUnlockCommand(ctx: CliContext, key: string): void {
  if (key === '') return;
  ctx.io.out(
    `To unlock a swarm manager after it restarts, run the \`${BIN_NAME} swarm unlock\`\n` +
      `command and provide the following key:\n\n    ${key}\n\n` +
      `Remember to store this key in a password manager, since without it you\n` +
      `will not be able to restart the manager.\n`,
  );
}

function registerInit(swarm: Command, ctx: CliContext): void {
  defineLeaf(swarm, ctx, {
    use: 'init [OPTIONS]',
    short: 'Initialize a swarm',
    args: noArgs,
    flags: [
      LISTEN_ADDR_FLAG,
      ADVERTISE_ADDR_FLAG,
      DATA_PATH_ADDR_FLAG,
      { name: 'data-path-port', kind: 'uint', description: 'Port number to use for data path traffic (1024 - 49151)' },
      { name: 'force-new-cluster', kind: 'bool', description: 'Force create a new cluster from current state' },
      { name: 'autolock', kind: 'optbool', description: 'Enable manager autolocking' },
      AVAILABILITY_FLAG,
      { name: 'default-addr-pool', kind: 'list', description: 'default address pool in CIDR format', parse: parseCidrList },
      {
        name: 'default-addr-pool-mask-length',
        kind: 'uint',
        description: 'default address pool subnet mask length',
        defaultText: '24',
      },
      ...SWARM_SPEC_FLAGS,
    ],
    run: async (c, _args, flags) => {
      const req: SwarmInitRequest = {
        ListenAddr: flags.string('listen-addr') ?? DEFAULT_LISTEN_ADDR,
        AdvertiseAddr: flags.string('advertise-addr') ?? '',
        DataPathAddr: flags.string('data-path-addr') ?? '',
        DataPathPort: flags.number('data-path-port') ?? 0,
        DefaultAddrPool: flags.list('default-addr-pool'),
        ForceNewCluster: flags.bool('force-new-cluster'),
        Spec: mergeSwarmSpec({}, flags),
        AutoLockManagers: flags.bool('autolock'),
        SubnetSize: flags.number('default-addr-pool-mask-length') ?? 24,
      };
      if (flags.changed('availability')) req.Availability = parseAvailability(flags.string('availability') ?? '');
      const client = c.client();
      let nodeId: string;
      try {
        nodeId = await client.swarmInit(req);
      } catch (err) {
        const msg = err instanceof Error ? err.message : '';
        if (msg.includes('could not choose an IP address to advertise') || msg.includes("could not find the system's IP address")) {
          (err as Error).message = `${msg} - specify one with --advertise-addr`;
        }
        throw err;
      }
      c.io.out(`Swarm initialized: current node (${nodeId}) is now a manager.\n\n`);
      await printJoinCommand(c, nodeId, true, false);
      c.io.out(`To add a manager to this swarm, run '${BIN_NAME} swarm join-token manager' and follow the instructions.\n`);
      if (req.AutoLockManagers === true) {
        const key = await client.swarmUnlockKey().catch((err: unknown) => {
          throw new Error(`could not fetch unlock key: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
        });
        printUnlockCommand(c, key.UnlockKey);
      }
    },
  });
}

function registerJoin(swarm: Command, ctx: CliContext): void {
  defineLeaf(swarm, ctx, {
    use: 'join [OPTIONS] HOST:PORT',
    short: 'Join a swarm as a node and/or manager',
    args: exactArgs(1),
    flags: [
      LISTEN_ADDR_FLAG,
      ADVERTISE_ADDR_FLAG,
      DATA_PATH_ADDR_FLAG,
      { name: 'token', kind: 'string', description: 'Token for entry into the swarm' },
      AVAILABILITY_FLAG,
    ],
    run: async (c, [remote = ''], flags) => {
      const req: SwarmJoinRequest = {
        JoinToken: flags.string('token') ?? '',
        ListenAddr: flags.string('listen-addr') ?? DEFAULT_LISTEN_ADDR,
        AdvertiseAddr: flags.string('advertise-addr') ?? '',
        DataPathAddr: flags.string('data-path-addr') ?? '',
        RemoteAddrs: [remote],
      };
      if (flags.changed('availability')) req.Availability = parseAvailability(flags.string('availability') ?? '');
      const client = c.client();
      await client.swarmJoin(req);
      const info = await client.info();
      c.io.out(`This node joined a swarm as a ${info.Swarm.ControlAvailable ? 'manager' : 'worker'}.\n`);
    },
  });
}

function registerJoinToken(swarm: Command, ctx: CliContext): void {
  defineLeaf(swarm, ctx, {
    use: 'join-token [OPTIONS] (worker|manager)',
    short: 'Manage join tokens',
    args: exactArgs(1),
    flags: [
      { name: 'rotate', kind: 'bool', description: 'Rotate join token' },
      { name: 'quiet', short: 'q', kind: 'bool', description: 'Only display token' },
    ],
    run: async (c, [role = ''], flags) => {
      const worker = role === 'worker';
      const manager = role === 'manager';
      if (!worker && !manager) throw new Error(`unknown role ${role}`);
      const quiet = flags.bool('quiet');
      const client = c.client();
      if (flags.bool('rotate')) {
        const current = await client.swarmInspect();
        await client.swarmUpdate(current.Version.Index, current.Spec, {
          rotateWorkerToken: worker,
          rotateManagerToken: manager,
        });
        if (!quiet) c.io.out(`Successfully rotated ${role} join token.\n\n`);
      }
      // Read again: a rotation changed the tokens.
      const swarm = await client.swarmInspect();
      if (quiet) {
        c.io.out(`${worker ? swarm.JoinTokens.Worker : swarm.JoinTokens.Manager}\n`);
        return;
      }
      const info = await client.info();
      await printJoinCommand(c, info.Swarm.NodeID, worker, manager);
    },
  });
}

export function registerSwarmCommands(root: Command, ctx: CliContext): void {
  const swarm = defineGroup(root, ctx, 'swarm', 'Manage Swarm');
  registerInit(swarm, ctx);
  registerJoin(swarm, ctx);
  registerJoinToken(swarm, ctx);

  defineLeaf(swarm, ctx, {
    use: 'leave [OPTIONS]',
    short: 'Leave the swarm',
    args: noArgs,
    flags: [{ name: 'force', short: 'f', kind: 'bool', description: 'Force this node to leave the swarm, ignoring warnings' }],
    run: async (c, _args, flags) => {
      await c.client().swarmLeave(flags.bool('force'));
      c.io.out('Node left the swarm.\n');
    },
  });

  const update = defineLeaf(swarm, ctx, {
    use: 'update [OPTIONS]',
    short: 'Update the swarm',
    args: noArgs,
    flags: [{ name: 'autolock', kind: 'optbool', description: 'Change manager autolocking setting (true|false)' }, ...SWARM_SPEC_FLAGS],
    run: async (c, _args, flags) => {
      // Without flags there is nothing to update: docker prints the help.
      if (flags.count() === 0) {
        c.io.out(update.helpInformation());
        return;
      }
      const client = c.client();
      const current = await client.swarmInspect();
      const prevAutoLock = current.Spec.EncryptionConfig?.AutoLockManagers === true;
      const spec = mergeSwarmSpec(current.Spec, flags);
      await client.swarmUpdate(current.Version.Index, spec, {});
      c.io.out('Swarm updated.\n');
      if (spec.EncryptionConfig?.AutoLockManagers === true && !prevAutoLock) {
        printUnlockCommand(c, (await client.swarmUnlockKey()).UnlockKey);
      }
    },
  });
}

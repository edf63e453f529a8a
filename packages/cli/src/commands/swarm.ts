// `shoal swarm init|join|join-token|ca|unlock|unlock-key|leave|update` (docker/cli cli/command/swarm).
import { createHash } from 'node:crypto';
import type { Command } from 'commander';
import type { SwarmInitRequest, SwarmJoinRequest } from '@shoal/api';
import { defineGroup, defineLeaf, exactArgs, noArgs } from '../command-kit';
import { BIN_NAME, REAL_CLOCK, type CliContext } from '../context';
import { describeError } from '../errors';
import { readFileGo } from '../format/go-fs';
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
      { name: 'data-path-port', kind: 'uint', description:
        'Port number to use for data path traffic (1024 - 49151). If no value is set or is set to 0, the default port (4789) is used.' },
      { name: 'force-new-cluster', kind: 'bool', description: 'Force create a new cluster from current state' },
      { name: 'autolock', kind: 'optbool', description: 'Enable manager autolocking (requiring an unlock key to start a stopped manager)' },
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
          throw new Error(`could not fetch unlock key: ${describeError(err)}`, { cause: err });
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

/**
 * ca.go: without --rotate, prints the root CA certificate. With it, starts a root rotation (to a
 * new root, or to --ca-cert/--ca-key) and, unless --detach, follows it as docker's
 * RootRotationProgress does until every node has a certificate from the new root and trusts it,
 * then prints the new root.
 */
function registerCa(swarm: Command, ctx: CliContext): void {
  const rotateOnly = ['ca-cert', 'ca-key', 'cert-expiry', 'external-ca'];
  defineLeaf(swarm, ctx, {
    use: 'ca [OPTIONS]',
    short: 'Display and rotate the root CA',
    args: noArgs,
    flags: [
      { name: 'ca-cert', kind: 'string', description: 'Path to the PEM-formatted root CA certificate to use for the new cluster', parse: readPemFile },
      { name: 'ca-key', kind: 'string', description: 'Path to the PEM-formatted root CA key to use for the new cluster', parse: readPemFile },
      { name: 'cert-expiry', kind: 'duration', description: 'Validity period for node certificates (ns|us|ms|s|m|h)', defaultText: '2160h0m0s' },
      { name: 'detach', short: 'd', kind: 'bool', description: 'Exit immediately instead of waiting for the root rotation to converge' },
      ...SWARM_SPEC_FLAGS.filter((f) => f.name === 'external-ca'),
      { name: 'quiet', short: 'q', kind: 'bool', description: 'Suppress progress output' },
      { name: 'rotate', kind: 'bool', description: 'Rotate the swarm CA - if no certificate or key are provided, new ones will be generated' },
    ],
    run: async (c, _args, flags) => {
      const client = c.client();
      const current = await client.swarmInspect();
      if (!flags.bool('rotate')) {
        for (const f of rotateOnly) if (flags.changed(f)) throw new Error(`\`--${f}\` flag requires the \`--rotate\` flag to update the CA`);
        printTrustRoot(c, current.TLSInfo.TrustRoot ?? '');
        return;
      }
      const external = flags.list('external-ca');
      if (flags.changed('external-ca') && external.length > 0 && !flags.changed('ca-cert')) {
        throw new Error(
          "rotating to an external CA requires the `--ca-cert` flag to specify the external CA's cert - to add an external CA with the current root CA certificate, use the `update` command instead",
        );
      }
      if (flags.changed('ca-cert') && external.length === 0 && !flags.changed('ca-key')) {
        throw new Error('the --ca-cert flag requires that a --ca-key flag and/or --external-ca flag be provided as well');
      }
      // The flags hold the files' contents, read (and checked) as they were parsed.
      const caCert = flags.string('ca-cert') ?? '';
      const caKey = flags.string('ca-key') ?? '';
      const spec = mergeSwarmSpec(current.Spec, flags);
      const ca = { ...spec.CAConfig, SigningCACert: caCert, SigningCAKey: caKey };
      if (caCert === '' && caKey === '') ca.ForceRotate = (ca.ForceRotate ?? 0) + 1;
      await client.swarmUpdate(current.Version.Index, { ...spec, CAConfig: ca }, {});
      if (flags.bool('detach')) return;
      await followRootRotation(c, flags.bool('quiet'));
      if (!flags.bool('quiet')) printTrustRoot(c, (await client.swarmInspect()).TLSInfo.TrustRoot ?? '');
    },
  });
}

function printTrustRoot(c: CliContext, root: string): void {
  if (root === '') throw new Error('No CA information available');
  c.io.out(`${root.trim()}\n`);
}

/**
 * docker's PEMFile.Set: the flag reads its file as it is parsed, so a missing file or one without a
 * PEM block is a flag error (`invalid argument "/x" for "--ca-key" flag: open /x: no such file or
 * directory`, exit 125). Returns the file's contents.
 */
export function readPemFile(path: string): string {
  const contents = readFileGo(path).toString('utf8');
  if (!hasPemBlock(contents)) throw new Error('file contents must be in PEM format');
  return contents;
}

/** Whether encoding/pem's Decode finds a block: a BEGIN line, base64 (after optional headers), the matching END line. */
function hasPemBlock(text: string): boolean {
  const re = /(?:^|\n)-----BEGIN ([^\n]*?)-----[ \t]*\r?\n([\s\S]*?)(?:^|\n)-----END \1-----/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    let body = m[2] ?? '';
    const blank = /\r?\n\r?\n/.exec(body);
    if (body.split('\n')[0]?.includes(':') === true && blank !== null) body = body.slice(blank.index + blank[0].length);
    const b64 = body.replace(/[\s]/g, '');
    if (/^[A-Za-z0-9+/]*={0,2}$/.test(b64) && b64.length % 4 === 0) return true;
  }
  return false;
}

/**
 * docker's RootRotationProgress: every 200 ms, nodes whose certificate the desired CA issued and
 * nodes that trust the desired root, until both are all nodes and no rotation is in progress. On a
 * pipe docker prints the three headings once and then the desired root's digest at every poll
 * (progress bars only go to a terminal, where the counts are shown as they change).
 */
async function followRootRotation(c: CliContext, quiet: boolean): Promise<void> {
  const client = c.client();
  const clock = c.io.clock ?? REAL_CLOCK;
  const out = (text: string): void => {
    if (!quiet) c.io.out(text);
  };
  out('desired root digest: \n  rotated TLS certificates: \n  rotated CA certificates:  \n');
  let counts = '';
  for (;;) {
    const swarm = await client.swarmInspect();
    const nodes = await client.nodeList();
    const desired = swarm.TLSInfo;
    out(`desired root digest: sha256:${createHash('sha256').update(desired.TrustRoot ?? '').digest('hex')}\n`);
    const total = nodes.length;
    const certs = nodes.filter(
      (n) => n.Description.TLSInfo?.CertIssuerPublicKey === desired.CertIssuerPublicKey && n.Description.TLSInfo?.CertIssuerSubject === desired.CertIssuerSubject,
    ).length;
    const roots = nodes.filter((n) => n.Description.TLSInfo?.TrustRoot === desired.TrustRoot).length;
    const converged = certs === total && !swarm.RootRotationInProgress;
    const now = `  rotated TLS certificates: ${certs}/${total} nodes\n  rotated CA certificates:  ${converged ? roots : 0}/${total} nodes\n`;
    if (c.io.terminal && now !== counts) out(now);
    counts = now;
    if (converged && roots === total) return;
    await clock.sleep(200);
  }
}

/** unlock.go: only a locked node asks for the key (from standard input). */
function registerUnlock(swarm: Command, ctx: CliContext): void {
  defineLeaf(swarm, ctx, {
    use: 'unlock',
    short: 'Unlock swarm',
    args: noArgs,
    flags: [],
    run: async (c) => {
      const client = c.client();
      const info = await client.info();
      if (info.Swarm.LocalNodeState === 'inactive') throw new Error('Error: This node is not part of a swarm');
      if (info.Swarm.LocalNodeState !== 'locked') throw new Error('Error: swarm is not locked');
      if (c.io.terminal) c.io.out('Enter unlock key: ');
      const key = (await (c.io.readLine?.() ?? Promise.resolve(''))).trim();
      if (c.io.terminal) c.io.out('\n');
      await client.swarmUnlock(key);
    },
  });
}

/** unlock_key.go: shows the unlock key (autolock on), or rotates it first. */
function registerUnlockKey(swarm: Command, ctx: CliContext): void {
  defineLeaf(swarm, ctx, {
    use: 'unlock-key [OPTIONS]',
    short: 'Manage the unlock key',
    args: noArgs,
    flags: [
      { name: 'quiet', short: 'q', kind: 'bool', description: 'Only display token' },
      { name: 'rotate', kind: 'bool', description: 'Rotate unlock key' },
    ],
    run: async (c, _args, flags) => {
      const client = c.client();
      if (flags.bool('rotate')) {
        const current = await client.swarmInspect();
        if (current.Spec.EncryptionConfig?.AutoLockManagers !== true) throw new Error('cannot rotate because autolock is not turned on');
        await client.swarmUpdate(current.Version.Index, current.Spec, { rotateManagerUnlockKey: true });
        if (!flags.bool('quiet')) c.io.out('Successfully rotated manager unlock key.\n');
      }
      let key: string;
      try {
        key = (await client.swarmUnlockKey()).UnlockKey;
      } catch (err) {
        // errors.Wrap over the client's error: a daemon refusal keeps its "Error response from daemon: ".
        throw new Error(`could not fetch unlock key: ${describeError(err)}`, { cause: err });
      }
      if (key === '') throw new Error('no unlock key is set');
      if (flags.bool('quiet')) c.io.out(`${key}\n`);
      else printUnlockCommand(c, key);
    },
  });
}

export function registerSwarmCommands(root: Command, ctx: CliContext): void {
  const swarm = defineGroup(root, ctx, 'swarm', 'Manage Swarm');
  registerInit(swarm, ctx);
  registerJoin(swarm, ctx);
  registerJoinToken(swarm, ctx);
  registerCa(swarm, ctx);
  registerUnlock(swarm, ctx);
  registerUnlockKey(swarm, ctx);

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

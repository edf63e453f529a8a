// `shoal network ls|inspect|create|prune|rm` (docker/cli cli/command/network).
import { BlockList, isIP } from 'node:net';
import type { Command } from 'commander';
import { EngineApiError, type IPAM, type IPAMConfig, type NetworkCreateRequest, type NetworkScope } from '@shoal/api';
import { defineGroup, defineLeaf, exactArgs, minArgs, noArgs, type Flags } from '../command-kit';
import type { CliContext } from '../context';
import { StatusError, describeError } from '../errors';
import { INSPECT_ROOTS, inspectEach } from '../format/inspect-each';
import { formatNetworkList, networkListFormat } from '../format/network-format';
import { filtersFromFlags, parseFilterFlag } from './node';
import { kvToMap, validateLabel } from './service-parse';
import { FORMAT_HELP, INSPECT_FORMAT_HELP } from '../help';

const PRUNE_WARNING = 'WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue?';
const INGRESS_WARNING =
  'WARNING! Before removing the routing-mesh network, make sure all the nodes in your swarm run the same docker engine version. ' +
  'Otherwise, removal may not be effective and functionality of newly create ingress networks will be impaired.\nAre you sure you want to continue?';

/** docker's prompt.Confirm: the question with ` [y/N] `, then only y or Y (any case, spaces trimmed) says yes; end of input says no. */
async function confirm(c: CliContext, message: string): Promise<boolean> {
  c.io.out(`${message} [y/N] `);
  const answer = ((await c.io.readLine?.()) ?? '').trim();
  return answer.toLowerCase() === 'y';
}

/** pflag's StringSlice: each value may hold several, comma-separated. */
const stringSlice = (v: string): string[] => (v === '' ? [] : v.split(','));

function parseCidr(cidr: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } {
  const slash = cidr.indexOf('/');
  const address = cidr.slice(0, slash);
  const prefix = Number(cidr.slice(slash + 1));
  const version = isIP(address);
  if (slash < 0 || version === 0 || !/^\d+$/.test(cidr.slice(slash + 1)) || prefix > (version === 4 ? 32 : 128)) {
    throw new Error(`invalid CIDR address: ${cidr}`);
  }
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** createIPAMConfig's subnetMatches: is the address (or a CIDR's address) inside `subnet`? */
function subnetMatches(subnet: string, data: string): boolean {
  let net: ReturnType<typeof parseCidr>;
  try {
    net = parseCidr(subnet);
  } catch (err) {
    throw new Error(`invalid subnet: ${(err as Error).message}`, { cause: err });
  }
  const ip = data.includes('/') ? parseCidr(data).address : data;
  const version = isIP(ip);
  if (version === 0 || (version === 4) !== (net.family === 'ipv4')) return false;
  const list = new BlockList();
  list.addSubnet(net.address, net.prefix, net.family);
  return list.check(ip, net.family);
}

/** createIPAMConfig: each ip-range and gateway attached to the subnet that holds it. */
export function ipamConfig(
  driver: string,
  subnets: string[],
  ranges: string[],
  gateways: string[],
  auxAddresses: Record<string, string> = {},
  options: Record<string, string> = {},
): IPAM {
  if (subnets.length < ranges.length || subnets.length < gateways.length) {
    throw new Error('every ip-range or gateway must have a corresponding subnet');
  }
  const configs = new Map<string, IPAMConfig>();
  for (const s of subnets) {
    for (const k of configs.keys()) {
      if (subnetMatches(s, k) || subnetMatches(k, s)) throw new Error('multiple overlapping subnet configuration is not supported');
    }
    configs.set(s, { Subnet: s });
  }
  const attach = (values: string[], what: 'range' | 'gateway'): void => {
    for (const v of values) {
      if (what === 'range') parseCidr(v);
      let matched = false;
      for (const s of subnets) {
        if (!subnetMatches(s, v)) continue;
        const c = configs.get(s) as IPAMConfig;
        const current = what === 'range' ? c.IPRange : c.Gateway;
        if (current !== undefined) {
          throw new Error(
            what === 'range'
              ? `cannot configure multiple ranges (${v}, ${current}) on the same subnet (${s})`
              : `cannot configure multiple gateways (${v}, ${current}) for the same subnet (${s})`,
          );
        }
        if (what === 'range') c.IPRange = v;
        else c.Gateway = v;
        matched = true;
      }
      if (!matched) throw new Error(`no matching subnet for ${what} ${v}`);
    }
  };
  attach(ranges, 'range');
  attach(gateways, 'gateway');
  for (const [name, address] of Object.entries(auxAddresses)) {
    let matched = false;
    for (const s of subnets) {
      if (!subnetMatches(s, address)) continue;
      const c = configs.get(s) as IPAMConfig;
      (c.AuxiliaryAddresses ??= {})[name] = address;
      matched = true;
    }
    if (!matched) throw new Error(`no matching subnet for aux-address ${address}`);
  }
  return { Driver: driver, Config: [...configs.values()], Options: options };
}

function createRequest(name: string, flags: Flags): NetworkCreateRequest {
  const list = (n: string): string[] => flags.list(n).flatMap(stringSlice);
  return {
    Name: name,
    Driver: flags.string('driver') ?? 'bridge',
    Scope: (flags.string('scope') ?? '') as NetworkScope,
    ...(flags.changed('ipv4') ? { EnableIPv4: flags.bool('ipv4') } : {}),
    ...(flags.changed('ipv6') ? { EnableIPv6: flags.bool('ipv6') } : {}),
    IPAM: ipamConfig(
      flags.string('ipam-driver') ?? 'default',
      list('subnet'),
      list('ip-range'),
      list('gateway'),
      kvToMap(flags.list('aux-address')),
      kvToMap(flags.list('ipam-opt')),
    ),
    Internal: flags.bool('internal'),
    Attachable: flags.bool('attachable'),
    Ingress: flags.bool('ingress'),
    ConfigOnly: flags.bool('config-only'),
    // docker sends ConfigFrom only for a non-empty --config-from.
    ...((flags.string('config-from') ?? '') === '' ? {} : { ConfigFrom: { Network: flags.string('config-from') ?? '' } }),
    Options: kvToMap(flags.list('opt')),
    Labels: kvToMap(flags.list('label')),
  };
}

async function runInspect(ctx: CliContext, refs: string[], format: string, verbose: boolean): Promise<void> {
  const client = ctx.client();
  await inspectEach(ctx.io.out, refs, format, (ref) => client.networkInspect(ref, { verbose }), INSPECT_ROOTS.network, { rawFallback: true });
}

export function registerNetworkCommands(root: Command, ctx: CliContext): void {
  const network = defineGroup(root, ctx, 'network', 'Manage networks');

  defineLeaf(network, ctx, {
    use: 'ls [OPTIONS]',
    short: 'List networks',
    aliases: ['list'],
    args: noArgs,
    flags: [
      { name: 'quiet', short: 'q', kind: 'bool', description: 'Only display network IDs' },
      { name: 'no-trunc', kind: 'bool', description: 'Do not truncate the output' },
      { name: 'format', kind: 'string', description: FORMAT_HELP },
      { name: 'filter', short: 'f', kind: 'list', description: 'Provide filter values (e.g. "driver=bridge")', parse: parseFilterFlag },
    ],
    run: async (c, _args, flags) => {
      const networks = await c.client().networkList(filtersFromFlags(flags.list('filter')));
      const format = flags.string('format') ?? '';
      c.io.out(formatNetworkList(networkListFormat(format === '' ? 'table' : format, flags.bool('quiet')), networks, !flags.bool('no-trunc')));
    },
  });

  defineLeaf(network, ctx, {
    use: 'inspect [OPTIONS] NETWORK [NETWORK...]',
    short: 'Display detailed information on one or more networks',
    args: minArgs(1),
    flags: [
      { name: 'format', short: 'f', kind: 'string', description: INSPECT_FORMAT_HELP },
      { name: 'verbose', short: 'v', kind: 'bool', description: 'Verbose output for diagnostics' },
    ],
    run: (c, refs, flags) => runInspect(c, refs, flags.string('format') ?? '', flags.bool('verbose')),
  });

  defineLeaf(network, ctx, {
    use: 'create [OPTIONS] NETWORK',
    short: 'Create a network',
    args: exactArgs(1),
    flags: [
      { name: 'driver', short: 'd', kind: 'string', description: 'Driver to manage the Network', defaultText: '"bridge"' },
      { name: 'opt', short: 'o', kind: 'list', description: 'Set driver specific options' },
      { name: 'label', kind: 'list', description: 'Set metadata on a network', parse: validateLabel },
      { name: 'internal', kind: 'bool', description: 'Restrict external access to the network' },
      { name: 'ipv4', kind: 'optbool', description: 'Enable or disable IPv4 address assignment', defaultText: 'true' },
      { name: 'ipv6', kind: 'optbool', description: 'Enable or disable IPv6 address assignment' },
      { name: 'attachable', kind: 'bool', description: 'Enable manual container attachment' },
      { name: 'ingress', kind: 'bool', description: 'Create swarm routing-mesh network' },
      { name: 'scope', kind: 'string', description: "Control the network's scope" },
      { name: 'config-only', kind: 'bool', description: 'Create a configuration only network' },
      { name: 'config-from', kind: 'string', description: 'The network from which to copy the configuration' },
      { name: 'ipam-driver', kind: 'string', description: 'IP Address Management Driver', defaultText: '"default"' },
      { name: 'subnet', kind: 'list', description: 'Subnet in CIDR format that represents a network segment' },
      { name: 'ip-range', kind: 'list', description: 'Allocate container ip from a sub-range' },
      { name: 'gateway', kind: 'list', description: 'IPv4 or IPv6 Gateway for the master subnet' },
      { name: 'aux-address', kind: 'list', description: 'Auxiliary IPv4 or IPv6 addresses used by Network driver' },
      { name: 'ipam-opt', kind: 'list', description: 'Set IPAM driver specific options' },
    ],
    run: async (c, [name = ''], flags) => {
      const response = await c.client().networkCreate(createRequest(name, flags));
      c.io.out(`${response.Id}\n`);
    },
  });

  defineLeaf(network, ctx, {
    use: 'prune [OPTIONS]',
    short: 'Remove all unused networks',
    args: noArgs,
    flags: [
      { name: 'filter', kind: 'list', description: 'Provide filter values (e.g. "until=<timestamp>")', parse: parseFilterFlag },
      { name: 'force', short: 'f', kind: 'bool', description: 'Do not prompt for confirmation' },
    ],
    run: async (c, _args, flags) => {
      // Anything but y ends quietly, with status 0, as docker does.
      if (!flags.bool('force') && !(await confirm(c, PRUNE_WARNING))) return;
      const report = await c.client().networksPrune(filtersFromFlags(flags.list('filter')));
      const deleted = report.NetworksDeleted ?? [];
      // docker prints its report with Println, hence the blank line after the names.
      if (deleted.length > 0) c.io.out(`Deleted Networks:\n${deleted.map((n) => `${n}\n`).join('')}\n`);
    },
  });

  defineLeaf(network, ctx, {
    use: 'rm NETWORK [NETWORK...]',
    short: 'Remove one or more networks',
    aliases: ['remove'],
    args: minArgs(1),
    flags: [{ name: 'force', short: 'f', kind: 'bool', description: 'Do not error if the network does not exist' }],
    run: async (c, refs, flags) => {
      const client = c.client();
      let failed = false;
      for (const ref of refs) {
        // As docker: removing the routing-mesh network asks first (also with --force, which only
        // concerns networks that do not exist); a no skips it.
        const target = await client.networkInspect(ref).catch(() => undefined);
        if (target?.Ingress && !(await confirm(c, INGRESS_WARNING))) continue;
        try {
          await client.networkRemove(ref);
          c.io.out(`${ref}\n`);
        } catch (err) {
          if (flags.bool('force') && err instanceof EngineApiError && err.statusCode === 404) continue;
          c.io.err(`${describeError(err)}\n`);
          failed = true;
        }
      }
      if (failed) throw new StatusError('exit status 1', 1);
    },
  });
}

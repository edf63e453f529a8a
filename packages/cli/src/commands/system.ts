// `shoal info` and `shoal version` (docker/cli cli/command/system).
import type { Command } from 'commander';
import { DEFAULT_API_VERSION, DaemonPermissionError, DaemonUnreachableError, type ComponentVersion, type SystemInfo, type SystemVersion } from '@shoal/api';
import { defineLeaf, noArgs, type Flags } from '../command-kit';
import { CLI_VERSION, type CliContext } from '../context';
import { StatusError, describeError } from '../errors';
import { bytesSize, humanDuration } from '../format/display';
import { TabWriter } from '../format/tabwriter';
import { parseFormat } from '../format/formatter';
import { GoDuration, GoNilSlice, GoTime } from '../template/values';
import { INSPECT_FORMAT_HELP } from '../help';

/** A --format template, or docker's exit status 64 with its "template parsing error". */
function compileFormat(format: string): ReturnType<typeof parseFormat> {
  try {
    return parseFormat(format === 'json' ? '{{json .}}' : format);
  } catch (err) {
    throw new StatusError(err instanceof Error ? err.message : String(err), 64);
  }
}

/** Go's fmt.Println: operands joined by spaces. */
const line = (...parts: Array<string | number | boolean>): string => `${parts.join(' ')}\n`;
const nonEmpty = (label: string, value: string | undefined): string => (value ? line(label, value) : '');

const goArch = (): string => ({ x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm' })[process.arch as string] ?? process.arch;

function clientSection(): string {
  return `Client:\n${line(' Version:   ', CLI_VERSION)}${line(' Context:   ', 'default')}${line(' Debug Mode:', false)}`;
}

/** printSwarmInfo from docker's info.go. */
export function swarmSection(info: SystemInfo): string {
  const sw = info.Swarm;
  let s = line(' Swarm:', sw.LocalNodeState);
  if (sw.LocalNodeState === 'inactive' || sw.LocalNodeState === 'locked') return s;
  s += line('  NodeID:', sw.NodeID);
  if (sw.Error) s += line('  Error:', sw.Error);
  s += line('  Is Manager:', sw.ControlAvailable);
  const cluster = sw.Cluster;
  if (cluster && sw.ControlAvailable && !sw.Error && sw.LocalNodeState !== 'error') {
    const spec = cluster.Spec;
    s += line('  ClusterID:', cluster.ID) + line('  Managers:', sw.Managers ?? 0) + line('  Nodes:', sw.Nodes ?? 0);
    if (cluster.DefaultAddrPool) {
      s += line('  Default Address Pool:', cluster.DefaultAddrPool.map((p) => `${p}  `).join(''));
      s += line('  SubnetSize:', cluster.SubnetSize ?? 0);
    }
    if ((cluster.DataPathPort ?? 0) > 0) s += line('  Data Path Port:', cluster.DataPathPort ?? 0);
    s += line('  Orchestration:') + line('   Task History Retention Limit:', spec.Orchestration?.TaskHistoryRetentionLimit ?? 0);
    s += line('  Raft:') + line('   Snapshot Interval:', spec.Raft?.SnapshotInterval ?? 0);
    if (spec.Raft?.KeepOldSnapshots !== undefined) s += `   Number of Old Snapshots to Retain: ${spec.Raft.KeepOldSnapshots}\n`;
    s += line('   Heartbeat Tick:', spec.Raft?.HeartbeatTick ?? 0) + line('   Election Tick:', spec.Raft?.ElectionTick ?? 0);
    s += line('  Dispatcher:') + line('   Heartbeat Period:', humanDuration(spec.Dispatcher?.HeartbeatPeriod ?? 0));
    s += line('  CA Configuration:') + line('   Expiry Duration:', humanDuration(spec.CAConfig?.NodeCertExpiry ?? 0));
    s += line('   Force Rotate:', spec.CAConfig?.ForceRotate ?? 0);
    const caCert = (spec.CAConfig?.SigningCACert ?? '').trim();
    if (caCert !== '') s += `   Signing CA Certificate: \n${caCert}\n\n`;
    const externals = spec.CAConfig?.ExternalCAs ?? [];
    if (externals.length > 0) s += line('   External CAs:') + externals.map((e) => `     ${e.Protocol}: ${e.URL}\n`).join('');
    s += line('  Autolock Managers:', spec.EncryptionConfig?.AutoLockManagers === true);
    s += line('  Root Rotation In Progress:', cluster.RootRotationInProgress);
  }
  s += line('  Node Address:', sw.NodeAddr);
  const managers = (sw.RemoteManagers ?? []).map((m) => m.Addr).sort();
  if (managers.length > 0) s += line('  Manager Addresses:') + managers.map((m) => `   ${m}\n`).join('');
  return s;
}

export function serverSection(info: SystemInfo): string {
  let s = '';
  if (info.Containers !== undefined) {
    s += line(' Containers:', info.Containers) + line('  Running:', info.ContainersRunning ?? 0);
    s += line('  Paused:', info.ContainersPaused ?? 0) + line('  Stopped:', info.ContainersStopped ?? 0);
  }
  if (info.Images !== undefined) s += line(' Images:', info.Images);
  s += nonEmpty(' Server Version:', info.ServerVersion);
  s += nonEmpty(' Logging Driver:', info.LoggingDriver);
  s += swarmSection(info);
  s += nonEmpty(' Kernel Version:', info.KernelVersion);
  s += nonEmpty(' Operating System:', info.OperatingSystem);
  s += nonEmpty(' OSType:', info.OSType);
  s += nonEmpty(' Architecture:', info.Architecture);
  s += line(' CPUs:', info.NCPU ?? 0) + line(' Total Memory:', bytesSize(info.MemTotal ?? 0));
  s += nonEmpty(' Name:', info.Name) + nonEmpty(' ID:', info.ID);
  s += nonEmpty(' Shoal Root Dir:', info.DockerRootDir);
  s += line(' Debug Mode:', info.Debug === true);
  if (info.Labels && info.Labels.length > 0) s += line(' Labels:') + info.Labels.map((l) => `  ${l}\n`).join('');
  s += line(' Experimental:', info.ExperimentalBuild === true);
  return s;
}

async function runInfo(ctx: CliContext, flags: Flags): Promise<void> {
  const format = flags.string('format') ?? '';
  if (format !== '') return runInfoFormat(ctx, format);
  ctx.io.out(`${clientSection()}\nServer:\n`);
  let info: SystemInfo;
  try {
    info = await ctx.client().info();
  } catch (err) {
    // docker keeps the client section and reports the server failure on stderr.
    ctx.io.err(`ERROR: ${describeError(err)}\n`);
    throw new StatusError('errors pretty printing info', 1, { cause: err });
  }
  ctx.io.out(`${serverSection(info)}\n`);
  for (const w of info.Warnings ?? []) ctx.io.err(`${w}\n`);
}

/** `info --format`: docker's template data is the server's info with the client's beside it. */
async function runInfoFormat(ctx: CliContext, format: string): Promise<void> {
  const tmpl = compileFormat(format);
  const clientInfo = { Debug: false, Version: CLI_VERSION, Context: 'default', Plugins: [], Warnings: null };
  // docker's needsServerInfo: a template that renders from the client's fields alone does not
  // ask the daemon (so it also works without one).
  if (format !== 'json' && /\.[a-zA-Z]/.test(format)) {
    let clientOnly: string | undefined;
    try {
      clientOnly = tmpl.execute({ ClientInfo: clientInfo }, undefined, { struct: 'system.sparseInfo', fields: ['ClientErrors'] });
    } catch {
      clientOnly = undefined; // it needs the server's fields
    }
    if (clientOnly !== undefined) return void ctx.io.out(`${clientOnly}\n`);
  }
  let data: Record<string, unknown>;
  let failure: unknown;
  try {
    data = { ...(await ctx.client().info()), ClientInfo: clientInfo };
  } catch (err) {
    // docker's addServerInfo: the server's part stays a zero system.Info. A daemon that cannot be
    // reached fails the command after the output; any other failure is a ServerErrors entry,
    // also printed on stderr, and the command succeeds.
    data = { ...ZERO_INFO, Swarm: { ...ZERO_INFO.Swarm }, ClientInfo: clientInfo };
    if (err instanceof DaemonUnreachableError || err instanceof DaemonPermissionError) failure = err;
    else {
      data['ServerErrors'] = [describeError(err)];
      ctx.io.err(`${describeError(err)}\n`);
    }
  }
  // The swarm part is Go's: its cluster's times and durations print as a time.Time and a time.Duration.
  ctx.io.out(`${tmpl.execute(withGoTypes(data))}\n`);
  if (failure !== undefined) throw failure;
}

/** The fields of docker's system.Info a template may name, at Go's zero values (nil slices: `[]`, and `null` in json). */
const NIL_SLICE = new GoNilSlice();
const ZERO_INFO = {
  ID: '', Containers: 0, ContainersRunning: 0, ContainersPaused: 0, ContainersStopped: 0, Images: 0, Driver: '',
  DockerRootDir: '', Debug: false, NFd: 0, NGoroutines: 0, SystemTime: '', LoggingDriver: '', KernelVersion: '',
  OperatingSystem: '', OSVersion: '', OSType: '', Architecture: '', NCPU: 0, MemTotal: 0, Name: '', Labels: NIL_SLICE,
  ExperimentalBuild: false, ServerVersion: '', Warnings: NIL_SLICE,
  Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: '', ControlAvailable: false, Error: '', RemoteManagers: NIL_SLICE, Nodes: 0, Managers: 0 },
} as const;

function engineComponent(v: SystemVersion): ComponentVersion {
  const found = v.Components?.find((c) => c.Name === 'Engine');
  if (found) return found;
  // Older daemons have no Components: build the Engine entry from the top-level fields.
  const details: Record<string, string> = {
    ApiVersion: v.ApiVersion,
    MinAPIVersion: v.MinAPIVersion ?? '',
    GoVersion: v.GoVersion ?? '',
    GitCommit: v.GitCommit ?? '',
    BuildTime: v.BuildTime ?? '',
    Os: v.Os,
    Arch: v.Arch,
    Experimental: String(v.Experimental === true),
  };
  return { Name: 'Engine', Version: v.Version, Details: details };
}

/** docker's defaultVersionTemplate, written out; the tabwriter aligns at column 20. */
export function formatVersion(apiVersion: string, server: SystemVersion | undefined): string {
  let s = 'Client:\n';
  s += ` Version:\t${CLI_VERSION}\n`;
  s += ` API version:\t${apiVersion}${apiVersion !== DEFAULT_API_VERSION ? ` (downgraded from ${DEFAULT_API_VERSION})` : ''}\n`;
  s += ` Node version:\t${process.version}\n`;
  s += ` OS/Arch:\t${process.platform}/${goArch()}\n`;
  s += ` Context:\tdefault`;
  if (server !== undefined) {
    s += `\n\nServer:${server.Platform?.Name ? ` ${server.Platform.Name}` : ''}`;
    const components = server.Components && server.Components.length > 0 ? server.Components : [engineComponent(server)];
    for (const c of components) {
      const d = c.Details ?? {};
      s += `\n ${c.Name}:`;
      if (c.Name === 'Engine') {
        s += `\n  Version:\t${c.Version}`;
        s += `\n  API version:\t${d.ApiVersion ?? ''} (minimum version ${d.MinAPIVersion ?? ''})`;
        s += `\n  Node version:\t${d.GoVersion ?? ''}\n  Git commit:\t${d.GitCommit ?? ''}\n  Built:\t${d.BuildTime ?? ''}`;
        s += `\n  OS/Arch:\t${d.Os ?? ''}/${d.Arch ?? ''}\n  Experimental:\t${d.Experimental ?? ''}`;
      } else {
        s += `\n  Version:\t${c.Version}`;
        for (const key of Object.keys(d).sort()) s += `\n  ${key}:\t${d[key] ?? ''}`;
      }
    }
  }
  const tw = new TabWriter({ minwidth: 20, tabwidth: 1, padding: 1, padchar: ' ' });
  tw.write(`${s}\n`);
  return tw.flush();
}

/** docker's clientVersion, as `version --format` sees it. */
function clientVersion(apiVersion: string): Record<string, unknown> {
  return {
    Version: CLI_VERSION,
    ApiVersion: apiVersion,
    DefaultAPIVersion: DEFAULT_API_VERSION,
    GoVersion: process.version,
    Os: process.platform,
    Arch: goArch(),
    Context: 'default',
  };
}

async function runVersion(ctx: CliContext, flags: Flags): Promise<void> {
  const format = flags.string('format') ?? '';
  const tmpl = format === '' ? undefined : compileFormat(format);
  const client = ctx.client();
  let server: SystemVersion | undefined;
  let failure: unknown;
  try {
    server = await client.version();
  } catch (err) {
    failure = err;
  }
  const apiVersion = failure === undefined ? await client.apiVersion() : DEFAULT_API_VERSION;
  if (tmpl === undefined) ctx.io.out(formatVersion(apiVersion, server));
  else ctx.io.out(`${tmpl.execute({ Client: clientVersion(apiVersion), ...(server === undefined ? {} : { Server: server }) })}\n`);
  if (failure !== undefined) throw failure;
}

export function registerSystemCommands(root: Command, ctx: CliContext): void {
  defineLeaf(root, ctx, {
    use: 'info [OPTIONS]',
    short: 'Display system-wide information',
    args: noArgs,
    flags: [{ name: 'format', short: 'f', kind: 'string', description: INSPECT_FORMAT_HELP }],
    run: (c, _args, flags) => runInfo(c, flags),
  });
  defineLeaf(root, ctx, {
    use: 'version [OPTIONS]',
    short: 'Show the Shoal version information',
    args: noArgs,
    flags: [{ name: 'format', short: 'f', kind: 'string', description: INSPECT_FORMAT_HELP }],
    run: (c, _args, flags) => runVersion(c, flags),
  });
}

/** The time.Time fields of docker's swarm and network types (by JSON name). */
const TIME_KEYS = new Set(['CreatedAt', 'UpdatedAt', 'StartedAt', 'CompletedAt', 'Created', 'Timestamp', 'LastExecution']);
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * The time.Duration fields of docker's swarm types (by JSON name): the container spec's stop grace
 * period and health check, the restart policy, update and rollback configs, the dispatcher's
 * heartbeat period and the CA's certificate expiry. (A label or option map has string values, so
 * a key of the same name there is left alone.)
 */
const DURATION_KEYS = new Set(['StopGracePeriod', 'Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Delay', 'Window', 'Monitor', 'HeartbeatPeriod', 'NodeCertExpiry']);

/**
 * A copy of `value` whose time and duration fields print as Go prints a time.Time and a
 * time.Duration in a template (`info --format`: the swarm part of system.Info is Go's).
 */
function withGoTypes(value: unknown, key = ''): unknown {
  if (typeof value === 'string') return TIME_KEYS.has(key) && RFC3339.test(value) ? new GoTime(value) : value;
  if (typeof value === 'number') return DURATION_KEYS.has(key) && Number.isInteger(value) ? new GoDuration(value) : value;
  if (Array.isArray(value)) return value.map((v) => withGoTypes(v));
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return value; // a Go value already
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withGoTypes(v, k)]));
}

// Flags shared by `swarm init` and `swarm update`, and how they fill a SwarmSpec
// (docker/cli cli/command/swarm/opts.go).
import { readFileSync } from 'node:fs';
import type { SwarmSpec } from '@shoal/api';
import type { FlagSpec, Flags } from '../command-kit';
import { parseAvailability } from './node-update';

export const DEFAULT_LISTEN_ADDR = '0.0.0.0:2377';

export const SWARM_SPEC_FLAGS: readonly FlagSpec[] = [
  { name: 'task-history-limit', kind: 'int', description: 'Task history retention limit', defaultText: '5' },
  {
    name: 'dispatcher-heartbeat',
    kind: 'duration',
    description: 'Dispatcher heartbeat period (ns|us|ms|s|m|h)',
    defaultText: '1s',
  },
  { name: 'max-snapshots', kind: 'uint', description: 'Number of additional Raft snapshots to retain' },
  {
    name: 'snapshot-interval',
    kind: 'uint',
    description: 'Number of log entries between Raft snapshots',
    defaultText: '10000',
  },
  {
    name: 'cert-expiry',
    kind: 'duration',
    description: 'Validity period for node certificates (ns|us|ms|s|m|h)',
    defaultText: '2160h0m0s',
  },
  { name: 'external-ca', kind: 'list', description: 'Specifications of one or more certificate signing endpoints', parse: checkExternalCA },
];

export interface ExternalCASpec {
  Protocol: 'cfssl';
  URL: string;
  Options?: Record<string, string>;
  CACert?: string;
}

/** docker's ExternalCAOption: `protocol=cfssl,url=…[,cacert=<file>][,<option>=…]`. */
export function parseExternalCA(value: string): ExternalCASpec {
  let protocol: string | undefined;
  let url: string | undefined;
  let caCert: string | undefined;
  const options: Record<string, string> = {};
  for (const field of value.split(',')) {
    const eq = field.indexOf('=');
    if (eq < 0) throw new Error(`invalid field '${field}' must be a key=value pair`);
    const key = field.slice(0, eq).toLowerCase();
    const v = field.slice(eq + 1);
    if (key === 'protocol') {
      if (v.toLowerCase() !== 'cfssl') throw new Error(`unrecognized external CA protocol ${v}`);
      protocol = 'cfssl';
    } else if (key === 'url') url = v;
    else if (key === 'cacert') {
      try {
        caCert = readFileSync(v, 'utf8');
      } catch {
        throw new Error(`unable to read CA cert for external CA: open ${v}: no such file or directory`);
      }
    } else options[key] = v;
  }
  if (protocol === undefined) throw new Error('the external-ca option needs a protocol= parameter');
  if (url === undefined) throw new Error('the external-ca option needs a url= parameter');
  return { Protocol: 'cfssl', URL: url, ...(Object.keys(options).length ? { Options: options } : {}), ...(caCert ? { CACert: caCert } : {}) };
}

function checkExternalCA(value: string): string {
  parseExternalCA(value);
  return value;
}

/** Copies the flags given on the command line into `spec` (mergeSwarmSpec). */
export function mergeSwarmSpec(spec: SwarmSpec, flags: Flags): SwarmSpec {
  const limit = flags.number('task-history-limit');
  if (limit !== undefined) spec.Orchestration = { ...spec.Orchestration, TaskHistoryRetentionLimit: limit };
  const heartbeat = flags.number('dispatcher-heartbeat');
  if (heartbeat !== undefined) spec.Dispatcher = { ...spec.Dispatcher, HeartbeatPeriod: heartbeat };
  const keep = flags.number('max-snapshots');
  if (keep !== undefined) spec.Raft = { ...spec.Raft, KeepOldSnapshots: keep };
  const interval = flags.number('snapshot-interval');
  if (interval !== undefined) spec.Raft = { ...spec.Raft, SnapshotInterval: interval };
  if (flags.changed('autolock')) spec.EncryptionConfig = { ...spec.EncryptionConfig, AutoLockManagers: flags.bool('autolock') };
  const expiry = flags.number('cert-expiry');
  if (expiry !== undefined) spec.CAConfig = { ...spec.CAConfig, NodeCertExpiry: expiry };
  if (flags.changed('external-ca')) spec.CAConfig = { ...spec.CAConfig, ExternalCAs: flags.list('external-ca').map(parseExternalCA) };
  return spec;
}

/**
 * docker's NodeAddrOption: `ip|interface[:port]`, missing parts taken from
 * 0.0.0.0:2377; returns `host:port`.
 */
export function parseNodeAddr(value: string, defaultAddr = DEFAULT_LISTEN_ADDR): string {
  const [defHost = '', defPort = ''] = splitHostPort(defaultAddr);
  if (value === '' || value === 'tcp://') return defaultAddr;
  let rest = value;
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(rest);
  if (scheme !== null) {
    if (scheme[1] !== 'tcp') throw new Error(`unsupported proto '${scheme[1]}'`);
    rest = rest.slice(scheme[0].length);
  }
  if (rest.includes('/')) throw new Error('should not contain a path element');
  const [host, port] = splitHostPort(rest);
  // Go's url.Parse of "tcp://" + the address, as docker's ParseTCPAddr reads it.
  if (port !== '' && !/^\d+$/.test(port)) throw new Error(`parse "tcp://${rest}": invalid port ":${port}" after host`);
  const h = host === '' ? defHost : host;
  const p = port === '' ? defPort : port;
  return h.includes(':') ? `[${h}]:${p}` : `${h}:${p}`;
}

function splitHostPort(s: string): [string, string] {
  const bracket = /^\[([^\]]*)\](?::(.*))?$/.exec(s);
  if (bracket !== null) return [bracket[1] ?? '', bracket[2] ?? ''];
  const colons = s.split(':').length - 1;
  if (colons === 1) {
    const i = s.indexOf(':');
    return [s.slice(0, i), s.slice(i + 1)];
  }
  return [s, ''];
}

/** pflag's IPNetSlice: comma-separated CIDRs. */
export function parseCidrList(value: string): string[] {
  return value.split(',').map((part) => {
    const cidr = part.trim();
    const m = /^([0-9a-fA-F.:]+)\/(\d{1,3})$/.exec(cidr);
    const bits = Number(m?.[2]);
    const ipv4 = m?.[1]?.includes('.') === true;
    if (m === null || bits > (ipv4 ? 32 : 128) || (ipv4 && !/^(\d{1,3}\.){3}\d{1,3}$/.test(m[1] ?? ''))) {
      throw new Error(`invalid string being converted to CIDR: ${cidr}`);
    }
    return cidr;
  });
}

export const AVAILABILITY_FLAG: FlagSpec = {
  name: 'availability',
  kind: 'string',
  description: 'Availability of the node ("active", "pause", "drain")',
  defaultText: '"active"',
};

export const LISTEN_ADDR_FLAG: FlagSpec = {
  name: 'listen-addr',
  kind: 'string',
  description: 'Listen address (format: "<ip|interface>[:port]")',
  defaultText: DEFAULT_LISTEN_ADDR,
  parse: (v) => parseNodeAddr(v),
};

export const ADVERTISE_ADDR_FLAG: FlagSpec = {
  name: 'advertise-addr',
  kind: 'string',
  description: 'Advertised address (format: "<ip|interface>[:port]")',
};

export const DATA_PATH_ADDR_FLAG: FlagSpec = {
  name: 'data-path-addr',
  kind: 'string',
  description: 'Address or interface to use for data path traffic (format: "<ip|interface>")',
};

export { parseAvailability };

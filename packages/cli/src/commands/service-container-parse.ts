// Value parsers of the `service create/update` ContainerSpec flags: --mount, --secret, --config,
// --dns*, --host, --ulimit, --generic-resource, --credential-spec, --cap-add/--cap-drop, with
// docker's error texts (opts/*.go, opts/swarmopts, go-units). Ports, networks and the shared
// number, label and CSV parsers are in service-parse.ts.
import type { GenericResource, MountType } from '@shoal/api';
import { parseRamInBytes, parseUint64, readCsvRecord } from './service-parse';

/** encoding/csv's Read of one record: an empty value is io.EOF. */
function csvFields(value: string): string[] {
  if (value === '') throw new Error('EOF');
  return readCsvRecord(value);
}

/** strings.Cut(s, "=") */
function cutEq(s: string): [string, string, boolean] {
  const eq = s.indexOf('=');
  return eq < 0 ? [s, '', false] : [s.slice(0, eq), s.slice(eq + 1), true];
}

/** strconv.ParseUint(s, base, bits) for base 0 (prefixes) or 8; errors in Go's words. */
export function parseGoUint(value: string, base: 0 | 8, bits: 32 | 64): number {
  const syntax = (): never => {
    throw new Error(`strconv.ParseUint: parsing ${JSON.stringify(value)}: invalid syntax`);
  };
  let n: number;
  if (base === 0) n = parseUint64(value);
  else if (/^[0-7]+$/.test(value)) n = parseInt(value, 8);
  else return syntax();
  if (n > 2 ** bits - 1) throw new Error(`strconv.ParseUint: parsing ${JSON.stringify(value)}: value out of range`);
  return n;
}

/** strconv.ParseInt(s, 10, 64) */
export function parseGoInt64(value: string): number {
  if (!/^[+-]?\d+$/.test(value)) throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(value)}: invalid syntax`);
  const n = Number(value);
  if (Math.abs(n) > 2 ** 63) throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(value)}: value out of range`);
  return n;
}

/** strconv.ParseBool */
function goBool(value: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  return undefined;
}

/** A mount as docker's api/types/mount.Mount puts it on the wire. */
export interface MountConfig {
  Type: MountType;
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean; ReadOnlyNonRecursive?: boolean; ReadOnlyForceRecursive?: boolean };
  VolumeOptions?: {
    NoCopy?: boolean;
    Labels?: Record<string, string>;
    Subpath?: string;
    DriverConfig?: { Name?: string; Options?: Record<string, string> };
  };
  ImageOptions?: { Subpath?: string };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

/** opts.MountOpt.Set: `type=volume|bind|tmpfs|image,source=…,target=…[,readonly][,<type>-<option>=…]`. */
export function parseMount(value: string, cwd: string = process.cwd()): MountConfig {
  const m: MountConfig = { Type: 'volume', Target: '' };
  let type: string = m.Type;
  const volume = (): NonNullable<MountConfig['VolumeOptions']> => {
    m.VolumeOptions ??= { Labels: {} };
    m.VolumeOptions.DriverConfig ??= {};
    return m.VolumeOptions;
  };
  const bind = (): NonNullable<MountConfig['BindOptions']> => (m.BindOptions ??= {});
  const tmpfs = (): NonNullable<MountConfig['TmpfsOptions']> => (m.TmpfsOptions ??= {});
  const setOnMap = (target: Record<string, string>, v: string): void => {
    const [k, val] = cutEq(v);
    if (k !== '') target[k] = val;
  };
  const boolOf = (key: string, val: string, text = `invalid value for ${key}: ${val}`): boolean => {
    const b = goBool(val);
    if (b === undefined) throw new Error(text);
    return b;
  };
  for (const field of csvFields(value)) {
    const [rawKey, val, ok] = cutEq(field);
    const key = rawKey.toLowerCase();
    if (!ok) {
      if (key === 'readonly' || key === 'ro') m.ReadOnly = true;
      else if (key === 'volume-nocopy') volume().NoCopy = true;
      else if (key === 'bind-nonrecursive') bind().NonRecursive = true;
      else throw new Error(`invalid field '${field}' must be a key=value pair`);
      continue;
    }
    switch (key) {
      case 'type':
        type = val.toLowerCase();
        m.Type = type as MountType;
        break;
      case 'source':
      case 'src':
        // filepath.Abs for a relative path that starts with a dot.
        m.Source = !val.startsWith('/') && val.startsWith('.') ? resolvePath(cwd, val) : val;
        break;
      case 'target':
      case 'dst':
      case 'destination':
        m.Target = val;
        break;
      case 'readonly':
      case 'ro':
        m.ReadOnly = boolOf(key, val);
        break;
      case 'consistency':
        m.Consistency = val.toLowerCase();
        break;
      case 'bind-propagation':
        bind().Propagation = val.toLowerCase();
        break;
      case 'bind-nonrecursive':
        bind().NonRecursive = boolOf(key, val);
        break;
      case 'bind-recursive':
        if (val === 'disabled') bind().NonRecursive = true;
        else if (val === 'writable') bind().ReadOnlyNonRecursive = true;
        else if (val === 'readonly') bind().ReadOnlyForceRecursive = true;
        else if (val !== 'enabled') throw new Error(`invalid value for ${key}: ${val} (must be "enabled", "disabled", "writable", or "readonly")`);
        break;
      case 'volume-subpath':
        volume().Subpath = val;
        break;
      case 'volume-nocopy':
        volume().NoCopy = boolOf(key, val, `invalid value for volume-nocopy: ${val}`);
        break;
      case 'volume-label':
        setOnMap((volume().Labels ??= {}), val);
        break;
      case 'volume-driver':
        (volume().DriverConfig ??= {}).Name = val;
        break;
      case 'volume-opt': {
        const driver = (volume().DriverConfig ??= {});
        setOnMap((driver.Options ??= {}), val);
        break;
      }
      case 'image-subpath':
        (m.ImageOptions ??= {}).Subpath = val;
        break;
      case 'tmpfs-size': {
        let size: number;
        try {
          size = parseRamInBytes(val);
        } catch {
          throw new Error(`invalid value for ${key}: ${val}`);
        }
        tmpfs().SizeBytes = size;
        break;
      }
      case 'tmpfs-mode': {
        let mode: number;
        try {
          mode = parseGoUint(val, 8, 32);
        } catch {
          throw new Error(`invalid value for ${key}: ${val}`);
        }
        tmpfs().Mode = mode;
        break;
      }
      default:
        throw new Error(`unexpected key '${key}' in '${field}'`);
    }
  }
  if (type === '') throw new Error('type is required');
  if (m.Target === '') throw new Error('target is required');
  const mix = (present: boolean, type: string, prefix: string): void => {
    if (present && m.Type !== type) throw new Error(`cannot mix '${prefix}-*' options with mount type '${m.Type}'`);
  };
  mix(m.VolumeOptions !== undefined, 'volume', 'volume');
  mix(m.ImageOptions !== undefined, 'image', 'image');
  mix(m.BindOptions !== undefined, 'bind', 'bind');
  mix(m.TmpfsOptions !== undefined, 'tmpfs', 'tmpfs');
  if (m.BindOptions?.ReadOnlyNonRecursive === true && m.ReadOnly !== true) {
    throw new Error("option 'bind-recursive=writable' requires 'readonly' to be specified in conjunction");
  }
  if (m.BindOptions?.ReadOnlyForceRecursive === true) {
    if (m.ReadOnly !== true) throw new Error("option 'bind-recursive=readonly' requires 'readonly' to be specified in conjunction");
    if (m.BindOptions.Propagation !== 'rprivate') {
      throw new Error("option 'bind-recursive=readonly' requires 'bind-propagation=rprivate' to be specified in conjunction");
    }
  }
  // Empty maps are left out of docker's JSON (omitempty); an empty DriverConfig stays as {}.
  if (m.VolumeOptions !== undefined && Object.keys(m.VolumeOptions.Labels ?? {}).length === 0) delete m.VolumeOptions.Labels;
  const driverOpts = m.VolumeOptions?.DriverConfig?.Options;
  if (driverOpts !== undefined && Object.keys(driverOpts).length === 0) delete m.VolumeOptions?.DriverConfig?.Options;
  return m;
}

function resolvePath(cwd: string, rel: string): string {
  const parts = cwd.split('/').filter((p) => p !== '');
  for (const p of rel.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') parts.pop();
    else parts.push(p);
  }
  return `/${parts.join('/')}`;
}

export interface FileTarget {
  Name: string;
  UID: string;
  GID: string;
  Mode: number;
}

/** swarm.SecretReference as docker sends it. */
export interface SecretRef {
  File: FileTarget;
  SecretID: string;
  SecretName: string;
}

/** swarm.ConfigReference as docker sends it: a file target, or the runtime target a credential spec uses. */
export interface ConfigRef {
  File?: FileTarget;
  Runtime?: Record<string, never>;
  ConfigID: string;
  ConfigName: string;
}

/** swarmopts.SecretOpt/ConfigOpt.Set: `NAME` or `source=NAME[,target=…][,uid=…][,gid=…][,mode=…]`. */
function parseFileReference(value: string, kind: 'secret' | 'config'): { name: string; file: FileTarget } {
  const fields = csvFields(value);
  const file: FileTarget = { Name: '', UID: '0', GID: '0', Mode: 0o444 };
  if (fields.length === 1 && !(fields[0] as string).includes('=')) {
    file.Name = fields[0] as string;
    return { name: file.Name, file };
  }
  let name = '';
  for (const field of fields) {
    const [key, val, ok] = cutEq(field);
    if (!ok || key === '') throw new Error(`invalid field '${field}' must be a key=value pair`);
    switch (key.toLowerCase()) {
      case 'source':
      case 'src':
        name = val;
        break;
      case 'target':
        file.Name = val;
        break;
      case 'uid':
        file.UID = val;
        break;
      case 'gid':
        file.GID = val;
        break;
      case 'mode':
        try {
          file.Mode = parseGoUint(val, 0, 32);
        } catch (err) {
          throw new Error(`invalid mode specified: ${(err as Error).message}`, { cause: err });
        }
        break;
      default:
        throw new Error(`invalid field in ${kind} request: ${key}`);
    }
  }
  if (name === '') throw new Error('source is required');
  if (file.Name === '') file.Name = name;
  return { name, file };
}

export function parseSecretRef(value: string): SecretRef {
  const { name, file } = parseFileReference(value, 'secret');
  return { File: file, SecretID: '', SecretName: name };
}

export function parseConfigRef(value: string): ConfigRef {
  const { name, file } = parseFileReference(value, 'config');
  return { File: file, ConfigID: '', ConfigName: name };
}

function parseIPv4Bytes(s: string): number[] | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || (p.length > 1 && p.startsWith('0')) || Number(p) > 255) return undefined;
    out.push(Number(p));
  }
  return out;
}

function parseIPv6Bytes(addr: string): number[] | undefined {
  let s = addr;
  const out: number[] = [];
  let ellipsis = -1;
  if (s.startsWith('::')) {
    ellipsis = 0;
    s = s.slice(2);
  }
  while (s !== '' && out.length < 16) {
    const group = /^[0-9a-fA-F]{1,4}/.exec(s)?.[0];
    if (group === undefined) return undefined;
    if (s[group.length] === '.') {
      if ((ellipsis < 0 && out.length !== 12) || out.length + 4 > 16) return undefined;
      const v4 = parseIPv4Bytes(s);
      if (v4 === undefined) return undefined;
      out.push(...v4);
      s = '';
      break;
    }
    const n = parseInt(group, 16);
    out.push(n >> 8, n & 0xff);
    s = s.slice(group.length);
    if (s === '') break;
    if (s[0] !== ':' || s.length === 1) return undefined;
    s = s.slice(1);
    if (s[0] === ':') {
      if (ellipsis >= 0) return undefined;
      ellipsis = out.length;
      s = s.slice(1);
    }
  }
  if (s !== '') return undefined;
  if (out.length < 16) {
    if (ellipsis < 0) return undefined;
    out.splice(ellipsis, 0, ...new Array<number>(16 - out.length).fill(0));
  } else if (ellipsis >= 0) {
    return undefined; // "::" must stand for at least one group
  }
  return out;
}

/** net.ParseIP(s).String(): undefined when Go would not parse it. */
export function normalizeIp(s: string): string | undefined {
  const v4 = parseIPv4Bytes(s);
  if (v4 !== undefined) return v4.join('.');
  if (!s.includes(':')) return undefined;
  const b = parseIPv6Bytes(s);
  if (b === undefined) return undefined;
  if (b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) return b.slice(12).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((b[i] as number) << 8) | (b[i + 1] as number)).toString(16));
  // The URL standard's IPv6 serializer is RFC 5952's, as Go's: the first longest run of two or more zero groups becomes "::".
  return new URL(`http://[${groups.join(':')}]`).hostname.slice(1, -1);
}

/** opts.ValidateIPAddress (--dns): the address in Go's canonical form. */
export function validateIpAddress(value: string): string {
  const ip = normalizeIp(value.trim());
  if (ip === undefined) throw new Error(`IP address is not correctly formatted: ${value}`);
  return ip;
}

const DOMAIN = /^(:?(:?[a-zA-Z0-9]|(:?[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))(:?\.(:?[a-zA-Z0-9]|(:?[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])))*)\.?\s*$/;

/** opts.ValidateDNSSearch (--dns-search): a domain, or "." for none. */
export function validateDnsSearch(value: string): string {
  const val = value.replace(/^ +| +$/g, '');
  if (val === '.') return val;
  const m = /[a-zA-Z]/.test(val) ? DOMAIN.exec(val) : null;
  if (m === null || (m[1] ?? '').length >= 255) throw new Error(`${val} is not a valid domain`);
  return m[1] ?? '';
}

/** opts.ValidateExtraHost (--host): `host:ip` or `host=ip`, returned as `host:ip`. */
export function validateExtraHost(value: string): string {
  let [k, v, ok] = cutEq(value);
  if (!ok) {
    const colon = value.indexOf(':');
    [k, v, ok] = colon < 0 ? [value, '', false] : [value.slice(0, colon), value.slice(colon + 1), true];
  }
  if (!ok || k === '' || k.includes(':')) throw new Error(`bad format for add-host: ${JSON.stringify(value)}`);
  if (v !== 'host-gateway') {
    if (v.length > 2 && v.startsWith('[') && v.endsWith(']')) v = v.slice(1, -1);
    if (normalizeIp(v.trim()) === undefined) throw new Error(`invalid IP address in add-host: ${JSON.stringify(v)}`);
  }
  return `${k}:${v}`;
}

/** convertExtraHostsToSwarmHosts: `host:ip` → `ip host`, the format of /etc/hosts. */
export function swarmHosts(extraHosts: readonly string[]): string[] {
  return extraHosts.flatMap((h) => {
    const colon = h.indexOf(':');
    return colon < 0 ? [] : [`${h.slice(colon + 1)} ${h.slice(0, colon)}`];
  });
}

export interface Ulimit {
  Name: string;
  Hard: number;
  Soft: number;
}

const ULIMIT_NAMES = new Set(['core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack']);

/** go-units ParseUlimit: `name=soft[:hard]`. */
export function parseUlimit(value: string): Ulimit {
  const eq = value.indexOf('=');
  if (eq < 0) throw new Error(`invalid ulimit argument: ${value}`);
  const name = value.slice(0, eq);
  const limits = value.slice(eq + 1);
  if (!ULIMIT_NAMES.has(name)) throw new Error(`invalid ulimit type: ${name}`);
  const parts = limits.split(':');
  if (parts.length > 2) throw new Error(`too many limit value arguments - ${limits}, can only have up to two, \`soft[:hard]\``);
  const hardGiven = parts.length === 2 ? parseGoInt64(parts[1] as string) : undefined;
  const soft = parseGoInt64(parts[0] as string);
  const hard = hardGiven ?? soft;
  if (hard !== -1) {
    if (soft === -1) throw new Error(`ulimit soft limit must be less than or equal to hard limit: soft: -1 (unlimited), hard: ${hard}`);
    if (soft > hard) throw new Error(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  }
  return { Name: name, Hard: hard, Soft: soft };
}

/** ValidateSingleGenericResource: `kind=value`. */
export function validateGenericResource(value: string): string {
  if (!value.includes('=')) throw new Error(`invalid generic-resource format \`${value}\` expected \`name=value\``);
  return value;
}

/** ParseGenericResources (swarmkit's genericresource.Parse): only discrete resources are accepted. */
export function parseGenericResources(values: readonly string[]): GenericResource[] {
  const fail = (text: string): never => {
    throw new Error(`invalid generic resource specification: could not parse GenericResource: ${text}`);
  };
  const tokens = new Map<string, string[]>();
  for (const term of values) {
    const kv = term.split('=');
    if (kv.length !== 2) fail(`incorrect term ${term}, missing '=' or malformed expression`);
    const key = (kv[0] as string).trim();
    tokens.set(key, [...(tokens.get(key) ?? []), (kv[1] as string).trim()]);
  }
  const isInt = (v: string): boolean => {
    try {
      parseGoInt64(v);
      return true;
    } catch {
      return false;
    }
  };
  const out: GenericResource[] = [];
  const named: Array<[string, string]> = [];
  for (const [kind, vals] of tokens) {
    if (vals.length === 1 && isInt(vals[0] as string)) {
      const n = parseGoInt64(vals[0] as string);
      if (n < 0) fail(`cannot ask for negative resource ${kind}`);
      // swarm.DiscreteGenericResource marshals with omitempty on both fields.
      const spec: { Kind?: string; Value?: number } = { ...(kind === '' ? {} : { Kind: kind }), ...(n === 0 ? {} : { Value: n }) };
      out.push({ DiscreteResourceSpec: spec } as GenericResource);
    } else if (vals.every((v) => !isInt(v))) {
      for (const v of vals) named.push([kind, v]);
    } else {
      fail(`mixed discrete and named resources in expression '${kind}=[${vals.join(' ')}]'`);
    }
  }
  const [first] = named;
  if (first !== undefined) {
    throw new Error(`invalid generic-resource request \`${first[0]}=${first[1]}\`, Named Generic Resources is not supported for service create or update`);
  }
  return out;
}

export interface CredentialSpec {
  Config: string;
  File: string;
  Registry: string;
}

/** credentialSpecOpt.Set: `config://NAME`, `file://PATH`, `registry://KEY`, or '' (none). */
export function parseCredentialSpec(value: string): CredentialSpec {
  const spec: CredentialSpec = { Config: '', File: '', Registry: '' };
  if (value.startsWith('config://')) spec.Config = value.slice('config://'.length);
  else if (value.startsWith('file://')) spec.File = value.slice('file://'.length);
  else if (value.startsWith('registry://')) spec.Registry = value.slice('registry://'.length);
  else if (value !== '') throw new Error('invalid credential spec: value must be prefixed with "config://", "file://", or "registry://"');
  return spec;
}

/** opts.NormalizeCapability: upper case, trimmed, CAP_-prefixed (but ALL and RESET). */
export function normalizeCapability(cap: string): string {
  const c = cap.trim().toUpperCase();
  if (c === 'ALL' || c === 'RESET' || c.startsWith('CAP_')) return c;
  return `CAP_${c}`;
}

export const capabilitySet = (caps: readonly string[]): Set<string> => new Set(caps.map(normalizeCapability));

/** opts.EffectiveCapAddCapDrop: adding wins over dropping; ALL trumps the rest; RESET is ignored. */
export function effectiveCapabilities(add: readonly string[], drop: readonly string[]): { add: string[]; drop: string[] } {
  let addCaps = capabilitySet(add);
  let dropCaps = capabilitySet(drop);
  if (addCaps.has('ALL')) addCaps = new Set(['ALL']);
  if (dropCaps.has('ALL')) dropCaps = new Set(['ALL']);
  return {
    add: [...addCaps].filter((c) => c !== 'RESET').sort(),
    drop: [...dropCaps].filter((c) => !addCaps.has(c) && c !== 'RESET').sort(),
  };
}

// moby's ValidateIPAM (api/types/network/ipam.go), which the daemon applies to a new network's
// IPAM configs before anything reaches swarmkit: every problem of every config, joined, under
// "invalid network config:". IPv6 configs are skipped unless the network enables IPv6.
import { isIPv4, isIPv6 } from 'node:net';
import { InvalidArgumentError } from '@shoal/store';

export interface IpamConfig {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

type Family = 'IPv4' | 'IPv6';

const IPAM_FIELDS = ['Subnet', 'IPRange', 'Gateway'] as const;

/** A request body's IPAM.Config, its shape checked as Go's JSON decoding would (a wrong type is a 400). */
export function ipamConfigs(ipam: unknown): IpamConfig[] {
  if (ipam === undefined || ipam === null) return [];
  const bad = (field: string, type: string): InvalidArgumentError => new InvalidArgumentError(`json: cannot unmarshal ${jsonKind(type)} into Go struct field ${field}`);
  if (typeof ipam !== 'object' || Array.isArray(ipam)) throw bad('CreateRequest.IPAM of type network.IPAM', typeof ipam);
  const config = (ipam as { Config?: unknown }).Config;
  if (config === undefined || config === null) return [];
  if (!Array.isArray(config)) throw bad('IPAM.IPAM.Config of type []network.IPAMConfig', typeof config);
  return config.map((c: unknown) => {
    if (c === null) return {};
    if (typeof c !== 'object' || Array.isArray(c)) throw bad('IPAM.IPAM.Config of type network.IPAMConfig', Array.isArray(c) ? 'array' : typeof c);
    const cfg = c as Record<string, unknown>;
    for (const field of IPAM_FIELDS) {
      const v = cfg[field];
      if (v !== undefined && v !== null && typeof v !== 'string') throw bad(`IPAMConfig.IPAM.Config.${field} of type string`, typeof v);
    }
    const aux = cfg['AuxiliaryAddresses'];
    if (aux !== undefined && aux !== null && (typeof aux !== 'object' || Array.isArray(aux) || Object.values(aux).some((a) => typeof a !== 'string'))) {
      throw bad('IPAMConfig.IPAM.Config.AuxiliaryAddresses of type map[string]string', typeof aux);
    }
    return cfg as IpamConfig;
  });
}

/** Go's JSON name for a JavaScript value's type in an unmarshal error. */
function jsonKind(type: string): string {
  return type === 'boolean' ? 'bool' : type;
}

/** moby's daemon: EnableIPv6, or else the driver option com.docker.network.enable_ipv6 (a Go bool). */
export function enableIPv6(flag: boolean | undefined, options: Record<string, string> | undefined): boolean {
  if (flag !== undefined) return flag === true;
  const opt = options?.['com.docker.network.enable_ipv6'];
  if (opt === undefined) return false;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(opt)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(opt)) return false;
  throw new InvalidArgumentError('driver-opt "com.docker.network.enable_ipv6" is not a valid bool');
}

interface Prefix {
  family: Family;
  /** The address as bytes (4 or 16). */
  bytes: number[];
  bits: number;
  /** As Go's netip.Prefix prints it. */
  text: string;
}

/** The error text Docker gives for these configs, or undefined if they are valid. */
export function ipamProblem(configs: readonly IpamConfig[], enableIPv6: boolean): string | undefined {
  const errs: string[] = [];
  for (const cfg of configs) {
    const subnet = parsePrefix(cfg.Subnet ?? '');
    if (!subnet) {
      errs.push(`invalid subnet ${cfg.Subnet ?? ''}: invalid CIDR block notation`);
      continue;
    }
    if (!enableIPv6 && subnet.family === 'IPv6') continue;
    if (!isMasked(subnet)) errs.push(`invalid subnet ${subnet.text}: it should be ${maskedText(subnet)}`);
    errs.push(...ipRangeProblems(cfg.IPRange ?? '', subnet));
    const gateway = addressProblem(cfg.Gateway ?? '', subnet);
    if (gateway) errs.push(`invalid gateway ${cfg.Gateway ?? ''}: ${gateway}`);
    for (const [name, aux] of Object.entries(cfg.AuxiliaryAddresses ?? {})) {
      const problem = addressProblem(aux, subnet);
      if (problem) errs.push(`invalid auxiliary address ${name}: ${problem}`);
    }
  }
  if (errs.length === 0) return undefined;
  return `invalid network config:\n${errs.length === 1 ? (errs[0] as string).trim() : `* ${errs.join('\n* ')}`}`;
}

function ipRangeProblems(ipRange: string, subnet: Prefix): string[] {
  if (ipRange === '') return [];
  const range = parsePrefix(ipRange);
  if (!range) return [`invalid ip-range ${ipRange}: invalid CIDR block notation`];
  if (range.family !== subnet.family) return [`invalid ip-range ${ipRange}: parent subnet is an ${subnet.family} block`];
  const errs: string[] = [];
  if (range.bits < subnet.bits) errs.push(`invalid ip-range ${ipRange}: CIDR block is bigger than its parent subnet ${subnet.text}`);
  if (!isMasked(range)) errs.push(`invalid ip-range ${range.text}: it should be ${maskedText(range)}`);
  if (!overlaps(subnet, range)) errs.push(`invalid ip-range ${ipRange}: parent subnet ${subnet.text} doesn't contain ip-range`);
  return errs;
}

function addressProblem(address: string, subnet: Prefix): string | undefined {
  if (address === '') return undefined;
  const addr = parseAddr(address);
  if (!addr) return 'invalid address';
  if (addr.family !== subnet.family) return `parent subnet is an ${subnet.family} block`;
  if (!contains(subnet, addr.bytes)) return `parent subnet ${subnet.text} doesn't contain this address`;
  return undefined;
}

// ---- a little of Go's netip: strict dotted quads (no leading zeros), IPv6 through node:net ----

function parseAddr(text: string): { family: Family; bytes: number[] } | undefined {
  if (isIPv4(text) && text.split('.').every((o) => o === '0' || !o.startsWith('0'))) {
    return { family: 'IPv4', bytes: text.split('.').map(Number) };
  }
  if (!isIPv6(text) || text.includes('%')) return undefined;
  const bytes = ipv6Bytes(text);
  return bytes ? { family: 'IPv6', bytes } : undefined;
}

function parsePrefix(text: string): Prefix | undefined {
  const slash = text.lastIndexOf('/');
  if (slash < 0) return undefined;
  const addr = parseAddr(text.slice(0, slash));
  const bitsText = text.slice(slash + 1);
  if (!addr || !/^(0|[1-9]\d{0,2})$/.test(bitsText)) return undefined;
  const bits = Number(bitsText);
  if (bits > addr.bytes.length * 8) return undefined;
  return { family: addr.family, bytes: addr.bytes, bits, text: `${formatAddr(addr.bytes, addr.family)}/${bits}` };
}

function ipv6Bytes(text: string): number[] | undefined {
  let head = text;
  let tail = '';
  const gap = text.indexOf('::');
  if (gap >= 0) {
    head = text.slice(0, gap);
    tail = text.slice(gap + 2);
  }
  const words = (part: string): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    for (const group of part.split(':')) {
      if (group.includes('.')) {
        const v4 = group.split('.').map(Number);
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else out.push(parseInt(group, 16));
    }
    return out;
  };
  const h = words(head);
  const t = words(tail);
  const all = gap >= 0 ? [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t] : h;
  if (all.length !== 8) return undefined;
  return all.flatMap((w) => [w >> 8, w & 255]);
}

function maskBytes(p: Prefix): number[] {
  return p.bytes.map((b, i) => {
    const keep = Math.max(0, Math.min(8, p.bits - i * 8));
    return b & ((0xff << (8 - keep)) & 0xff);
  });
}

function isMasked(p: Prefix): boolean {
  return maskBytes(p).every((b, i) => b === p.bytes[i]);
}

function maskedText(p: Prefix): string {
  return `${formatAddr(maskBytes(p), p.family)}/${p.bits}`;
}

/** As Go's netip.Addr prints it: dotted quad, or IPv6 with its longest run of zero words as "::". */
function formatAddr(bytes: readonly number[], family: Family): string {
  if (family === 'IPv4') return bytes.join('.');
  const words = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && words[j] === '0') j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  return best < 0 ? words.join(':') : `${words.slice(0, best).join(':')}::${words.slice(best + bestLen).join(':')}`;
}

function contains(p: Prefix, bytes: readonly number[]): boolean {
  const a = maskBytes(p);
  const b = maskBytes({ ...p, bytes: [...bytes] });
  return a.every((x, i) => x === b[i]);
}

function overlaps(a: Prefix, b: Prefix): boolean {
  const shorter = a.bits <= b.bits ? a : b;
  const other = shorter === a ? b : a;
  return contains(shorter, other.bytes);
}

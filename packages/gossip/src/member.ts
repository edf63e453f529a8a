// Members as the rest of Shoal sees them, and the "host:port" address strings every path uses.
import { isIPv6 } from 'node:net';

/** Small per-node metadata (role, hostname…); kept flat so equality is cheap. */
export type MemberMeta = Readonly<Record<string, string>>;

export type MemberState = 'alive' | 'suspect' | 'dead' | 'left';

export interface Member {
  /** Node id (unique in the cluster). */
  readonly id: string;
  /** Advertised IP address. */
  readonly addr: string;
  /** Advertised gossip port (UDP and TCP). */
  readonly port: number;
  readonly meta: MemberMeta;
}

export interface MemberInfo extends Member {
  readonly state: MemberState;
  readonly incarnation: number;
}

export type MemberEventType = 'join' | 'update' | 'suspect' | 'dead' | 'leave';

export interface MemberEvent {
  readonly type: MemberEventType;
  readonly member: MemberInfo;
}

export function formatAddress(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

export function memberAddress(m: Pick<Member, 'addr' | 'port'>): string {
  return formatAddress(m.addr, m.port);
}

/** Parses "host:port" or "[v6]:port"; undefined when malformed. */
export function parseAddress(address: string): { host: string; port: number } | undefined {
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(address) ?? /^([^:]+):(\d+)$/.exec(address);
  if (!match) return undefined;
  const port = Number(match[2]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) return undefined;
  return { host: match[1] as string, port };
}

export function metaEquals(a: MemberMeta, b: MemberMeta): boolean {
  const ak = Object.keys(a);
  if (ak.length !== Object.keys(b).length) return false;
  return ak.every((k) => a[k] === b[k]);
}

export function isLive(state: MemberState | undefined): boolean {
  return state === 'alive' || state === 'suspect';
}

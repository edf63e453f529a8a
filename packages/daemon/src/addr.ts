// Listen and advertise address resolution with Docker's rules and error texts
// (moby daemon/cluster/listen_addr.go): an IP or an interface name, optional port.
import { isIP } from 'node:net';
import * as os from 'node:os';
import { InvalidArgumentError } from '@shoal/store';

export const MANAGER_PORT = 2377;

export interface HostPort {
  host: string;
  port: number;
}

export function splitHostPort(input: string, defaultPort = MANAGER_PORT): HostPort {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(input) ?? /^([^:]*)(?::(\d+))?$/.exec(input);
  if (!m) throw new InvalidArgumentError(`could not parse address ${input}`);
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError(`invalid port in address ${input}`);
  return { host: m[1] ?? '', port };
}

export function joinHostPort({ host, port }: HostPort): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * An IP literal, or the first IPv4 of the named interface (moby's resolveInputIPAddr); 0.0.0.0 and
 * :: only when `unspecifiedValid`.
 */
function resolveHost(host: string, badError: string, unspecifiedValid = true): string {
  if (isIP(host)) {
    if (!unspecifiedValid && isUnspecified(host)) throw new InvalidArgumentError(badError);
    return host;
  }
  const iface = os.networkInterfaces()[host];
  if (!iface) throw new InvalidArgumentError(badError);
  const v4 = iface.filter((a) => a.family === 'IPv4');
  if (v4.length === 0) throw new InvalidArgumentError(`interface ${host} has no usable IPv4 address`);
  if (v4.length > 1) {
    throw new InvalidArgumentError(
      `interface ${host} has more than one IPv4 address (${v4[0]?.address} and ${v4[1]?.address})`,
    );
  }
  return (v4[0] as os.NetworkInterfaceInfo).address;
}

export function resolveListenAddr(input: string | undefined): HostPort {
  const { host, port } = splitHostPort(input && input !== '' ? input : `0.0.0.0:${MANAGER_PORT}`);
  return {
    host: resolveHost(host, 'listen address must be an IP address or network interface (with optional port number)'),
    port,
  };
}

/**
 * The address other nodes dial. Explicit when given; else the listen IP when it is
 * specific; else the system's single non-loopback IPv4.
 */
export function resolveAdvertiseAddr(input: string | undefined, listen: HostPort): HostPort {
  if (input && input !== '') {
    const { host, port } = splitHostPort(input, listen.port);
    const ip = resolveHost(host, 'advertise address must be a non-zero IP address or network interface (with optional port number)', false);
    return { host: ip, port };
  }
  if (!isUnspecified(listen.host)) return listen;
  return { host: systemAddress(), port: listen.port };
}

const BAD_DATA_PATH_ADDR = 'data path address must be a non-zero IP address or network interface (without a port number)';

/**
 * `--data-path-addr`, checked as moby checks it (an IP or an interface, not 0.0.0.0, no port).
 * Shoal's mesh tunnel listens beside the manager and gossip, on the advertise address: the value
 * is checked, not used.
 */
export function checkDataPathAddr(input: string | undefined): void {
  if (input !== undefined && input !== '') resolveHost(input, BAD_DATA_PATH_ADDR, false);
}

function isUnspecified(ip: string): boolean {
  return ip === '0.0.0.0' || ip === '::';
}

function systemAddress(): string {
  const found: Array<{ name: string; address: string }> = [];
  for (const [name, addrs] of Object.entries(os.networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.family === 'IPv4' && !a.internal) found.push({ name, address: a.address });
    }
  }
  const [a, b] = found;
  if (!a) throw new InvalidArgumentError("could not find the system's IP address - specify one with --advertise-addr");
  if (b) {
    throw new InvalidArgumentError(
      a.name === b.name
        ? `could not choose an IP address to advertise since this system has multiple addresses on interface ${a.name} (${a.address} and ${b.address}) - specify one with --advertise-addr`
        : `could not choose an IP address to advertise since this system has multiple addresses on different interfaces (${a.address} on ${a.name} and ${b.address} on ${b.name}) - specify one with --advertise-addr`,
    );
  }
  return a.address;
}

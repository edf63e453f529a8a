// Parses a daemon address the way DOCKER_HOST is written.

export type HostAddress =
  | { kind: 'unix'; socketPath: string; display: string }
  | { kind: 'tcp'; hostname: string; port: number; display: string };

/** Docker's default plain-TCP port. */
const DEFAULT_TCP_PORT = 2375;

/**
 * Accepts `unix:///path`, `tcp://host:port`, `http://host:port` and a bare
 * absolute socket path. `display` is the normalised form used in messages.
 */
export function parseHost(host: string): HostAddress {
  if (host.startsWith('/')) return { kind: 'unix', socketPath: host, display: `unix://${host}` };
  const sep = host.indexOf('://');
  if (sep < 0) throw new Error(`unable to parse docker host \`${host}\``);
  const scheme = host.slice(0, sep).toLowerCase();
  const rest = host.slice(sep + 3);
  if (scheme === 'unix') {
    if (rest === '') throw new Error(`unable to parse docker host \`${host}\``);
    return { kind: 'unix', socketPath: rest, display: host };
  }
  if (scheme === 'tcp' || scheme === 'http') {
    const url = new URL(`http://${rest}`);
    const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (hostname === '') throw new Error(`unable to parse docker host \`${host}\``);
    const port = url.port === '' ? DEFAULT_TCP_PORT : Number(url.port);
    return { kind: 'tcp', hostname, port, display: `tcp://${url.host}` };
  }
  throw new Error(`protocol not available: ${scheme}`);
}

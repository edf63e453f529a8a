// Published ports, cluster-wide: conflicts with other services (swarmkit
// controlapi checkPortConflicts texts) and ingress ports left at 0 allocated from
// 30000–32767 (swarmkit allocator/portallocator.go), sticky across updates.
import type { PortConfig, PortProtocol, ServiceObject } from '@shoal/store';

export const DYNAMIC_PORT_START = 30000;
export const DYNAMIC_PORT_END = 32767;
const MAX_PORT = 65535;

/**
 * Fills in the published ports of `ports` (a service spec's) or returns the error text.
 * `others` are the other services (their spec and allocated ports both count);
 * `previous` are this service's ports as allocated before, so an update keeps them.
 */
export function allocatePorts(
  ports: readonly PortConfig[],
  others: readonly ServiceObject[],
  previous: readonly PortConfig[] = [],
): PortConfig[] | string {
  for (const p of ports) {
    const invalid = validatePort(p);
    if (invalid) return invalid;
  }
  const conflict = findConflict(ports, others);
  if (conflict) return conflict;

  const used = new Set<string>();
  for (const s of others) {
    for (const p of [...s.spec.endpoint.ports, ...s.endpoint.ports]) {
      if (p.publishedPort !== 0) used.add(key(p.protocol, p.publishedPort));
    }
  }
  for (const p of ports) if (p.publishedPort !== 0) used.add(key(p.protocol, p.publishedPort));

  const out: PortConfig[] = [];
  for (const p of ports) {
    if (p.publishedPort !== 0 || p.publishMode !== 'ingress') {
      out.push({ ...p });
      continue;
    }
    const sticky = previous.find(
      (q) => q.publishMode === 'ingress' && q.protocol === p.protocol && q.targetPort === p.targetPort && (q.name ?? '') === (p.name ?? ''),
    );
    let port = sticky && isDynamic(sticky.publishedPort) && !used.has(key(p.protocol, sticky.publishedPort)) ? sticky.publishedPort : 0;
    for (let candidate = DYNAMIC_PORT_START; port === 0 && candidate <= DYNAMIC_PORT_END; candidate++) {
      if (!used.has(key(p.protocol, candidate))) port = candidate;
    }
    if (port === 0) return `could not allocate a published port: no free port left in ${DYNAMIC_PORT_START}-${DYNAMIC_PORT_END}`;
    used.add(key(p.protocol, port));
    out.push({ ...p, publishedPort: port });
  }
  return out;
}

/** Docker CLI's texts for out-of-range ports (opts/swarmopts/port.go). */
function validatePort(p: PortConfig): string | null {
  // Go leaves a zero port out of the JSON: absent is 0.
  const target = p.targetPort ?? 0;
  const published = p.publishedPort ?? 0;
  if (!Number.isInteger(target) || target < 0 || target > MAX_PORT) {
    return `invalid target port (${target}): value must be an integer: value out of range`;
  }
  if (target === 0) return "missing mandatory field 'target'";
  // Node has no SCTP sockets: refused rather than accepted and never served (QA).
  if (p.protocol === 'sctp') return `port ${target}/sctp: SCTP ports are not supported by Shoal (TCP and UDP are)`;
  if (!Number.isInteger(published) || published < 0 || published > MAX_PORT) {
    return `invalid published port (${published}): value must be an integer: value out of range`;
  }
  return null;
}

/** swarmkit checkPortConflicts: ingress ports are cluster-wide; host ports only clash with ingress ones. */
function findConflict(ports: readonly PortConfig[], others: readonly ServiceObject[]): string | null {
  const ingress = new Set<string>();
  const host = new Set<string>();
  for (const p of ports) {
    if (p.publishedPort === 0) continue;
    (p.publishMode === 'ingress' ? ingress : host).add(key(p.protocol, p.publishedPort));
  }
  if (ingress.size === 0 && host.size === 0) return null;
  for (const s of others) {
    for (const p of [...s.spec.endpoint.ports, ...s.endpoint.ports]) {
      if (p.publishedPort === 0) continue;
      const k = key(p.protocol, p.publishedPort);
      if (p.publishMode === 'host' && ingress.has(k)) {
        return `port '${p.publishedPort}' is already in use by service '${s.spec.name}' (${s.id}) as a host-published port`;
      }
      if (p.publishMode === 'ingress' && (ingress.has(k) || host.has(k))) {
        return `port '${p.publishedPort}' is already in use by service '${s.spec.name}' (${s.id}) as an ingress port`;
      }
    }
  }
  return null;
}

function isDynamic(port: number): boolean {
  return port >= DYNAMIC_PORT_START && port <= DYNAMIC_PORT_END;
}

function key(protocol: PortProtocol, port: number): string {
  return `${protocol}/${port}`;
}

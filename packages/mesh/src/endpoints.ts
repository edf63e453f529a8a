// The endpoint table the mesh consumes: one entry per running (or draining) task, replicated to
// every node by gossip. The mesh never writes it; the daemon feeds it in with `setEndpoints`.

export type EndpointState = 'running' | 'draining';
export type PortProtocol = 'tcp' | 'udp' | 'sctp';
/** `host` ports are bound by the task's own node and never proxied by the mesh. */
export type PublishMode = 'ingress' | 'host';

export interface PublishedPort {
  readonly published: number;
  readonly target: number;
  readonly protocol: PortProtocol;
  readonly mode: PublishMode;
  /** Prefix each forwarded connection with a PROXY protocol v2 header. */
  readonly proxyProtocol?: boolean;
}

export interface MeshEndpoint {
  readonly serviceId: string;
  readonly serviceName: string;
  readonly taskId: string;
  readonly nodeId: string;
  /** IP of the task's node; the task listens on `nodeAddr:port`. */
  readonly nodeAddr: string;
  /** The port the runtime gave the task; every published port of the task forwards to it. */
  readonly port: number;
  readonly publishedPorts: readonly PublishedPort[];
  /** `draining`: shutting down; open connections finish, new ones go elsewhere. */
  readonly state: EndpointState;
}

/** The protocols the ingress mesh serves (SCTP is not proxied). */
export type MeshProtocol = 'tcp' | 'udp';

/** The published ports of an endpoint that the ingress mesh serves for `protocol` (mode ingress). */
export function meshPorts(endpoint: MeshEndpoint, protocol: MeshProtocol = 'tcp'): PublishedPort[] {
  return endpoint.publishedPorts.filter((p) => isMeshPort(p, protocol));
}

export function isMeshPort(port: PublishedPort, protocol: MeshProtocol = 'tcp'): boolean {
  return port.mode === 'ingress' && port.protocol === protocol && port.published > 0 && port.published < 65536;
}

/** Whether the mesh serves any published port of the endpoint, TCP or UDP. */
export function hasMeshPorts(endpoint: MeshEndpoint): boolean {
  return endpoint.publishedPorts.some((p) => isMeshPort(p, 'tcp') || isMeshPort(p, 'udp'));
}

/** What a tunnel stream connects to on the receiving node. */
export type TunnelTarget = { readonly taskId: string } | { readonly addr: string; readonly port: number };

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/**
 * Decides what a tunnel stream may reach: only local endpoints (running, or draining: the task
 * serves until it stops, and a sender picks it only when nothing else is left), never an
 * arbitrary address.
 * A datagram stream (`udp`) may reach only an endpoint that publishes a UDP ingress port.
 */
export interface TargetResolver {
  resolve(target: TunnelTarget, protocol?: MeshProtocol): HostPort | undefined;
}

interface LocalTarget extends HostPort {
  readonly udp: boolean;
}

/** The receiving side's view of the table: this node's endpoints, by task and by address. */
export class LocalEndpoints implements TargetResolver {
  private byTask = new Map<string, LocalTarget>();
  private byAddr = new Map<string, LocalTarget>();

  constructor(private readonly nodeId: string) {}

  setEndpoints(entries: Iterable<MeshEndpoint>): void {
    const byTask = new Map<string, LocalTarget>();
    const byAddr = new Map<string, LocalTarget>();
    for (const e of entries) {
      if (e.nodeId !== this.nodeId) continue;
      const target = { host: e.nodeAddr, port: e.port, udp: meshPorts(e, 'udp').length > 0 };
      byTask.set(e.taskId, target);
      const key = `${e.nodeAddr}|${e.port}`;
      if (!byAddr.get(key)?.udp) byAddr.set(key, target);
    }
    this.byTask = byTask;
    this.byAddr = byAddr;
  }

  resolve(target: TunnelTarget, protocol: MeshProtocol = 'tcp'): HostPort | undefined {
    const found = 'taskId' in target ? this.byTask.get(target.taskId) : this.byAddr.get(`${target.addr}|${target.port}`);
    if (!found || (protocol === 'udp' && !found.udp)) return undefined;
    return { host: found.host, port: found.port };
  }
}

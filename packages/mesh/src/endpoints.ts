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

/** The published ports of an endpoint that the ingress mesh serves (TCP, mode ingress). */
export function meshPorts(endpoint: MeshEndpoint): PublishedPort[] {
  return endpoint.publishedPorts.filter(isMeshPort);
}

export function isMeshPort(port: PublishedPort): boolean {
  return port.mode === 'ingress' && port.protocol === 'tcp' && port.published > 0 && port.published < 65536;
}

/** What a tunnel stream connects to on the receiving node. */
export type TunnelTarget = { readonly taskId: string } | { readonly addr: string; readonly port: number };

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Decides what a tunnel stream may reach: only local running endpoints, never an arbitrary address. */
export interface TargetResolver {
  resolve(target: TunnelTarget): HostPort | undefined;
}

/** The receiving side's view of the table: this node's running endpoints, by task and by address. */
export class LocalEndpoints implements TargetResolver {
  private byTask = new Map<string, HostPort>();
  private byAddr = new Set<string>();

  constructor(private readonly nodeId: string) {}

  setEndpoints(entries: Iterable<MeshEndpoint>): void {
    const byTask = new Map<string, HostPort>();
    const byAddr = new Set<string>();
    for (const e of entries) {
      if (e.nodeId !== this.nodeId || e.state !== 'running') continue;
      byTask.set(e.taskId, { host: e.nodeAddr, port: e.port });
      byAddr.add(`${e.nodeAddr}|${e.port}`);
    }
    this.byTask = byTask;
    this.byAddr = byAddr;
  }

  resolve(target: TunnelTarget): HostPort | undefined {
    if ('taskId' in target) return this.byTask.get(target.taskId);
    return this.byAddr.has(`${target.addr}|${target.port}`) ? { host: target.addr, port: target.port } : undefined;
  }
}

// Composition of the mesh for one node: the tunnel server on 4789, the tunnel client (warm
// connections to the nodes that host endpoints), and the ingress proxy, all fed from one table.
import { isIPv4 } from 'node:net';
import type { Clock } from './clock';
import { LocalEndpoints, hasMeshPorts, isMeshPort } from './endpoints';
import type { MeshEndpoint } from './endpoints';
import { IngressProxy } from './ingress-proxy';
import { KernelFastPath } from './kernel-fast-path';
import type { CommandRunner } from './kernel-fast-path';
import type { IngressProxyOptions } from './ingress-proxy';
import type { Logger } from './logger';
import { nullLogger } from './logger';
import { TunnelClient } from './tunnel/client';
import type { TunnelClientOptions, TunnelPeer } from './tunnel/client';
import { TUNNEL_PORT } from './tunnel/frames';
import { TunnelServer } from './tunnel/server';
import type { TunnelServerOptions } from './tunnel/server';
import type { PeerIdentity, TunnelTlsOptions } from './tunnel/tls';
import { UdpIngress } from './udp-ingress';
import type { UdpIngressOptions } from './udp-ingress';

type Shared = 'bindAddr' | 'nodeId' | 'tunnel' | 'logger' | 'clock';

export interface RoutingMeshOptions {
  readonly nodeId: string;
  /** This node's IP (as in its endpoint entries): the tunnel listens on it and dials from it. */
  readonly nodeAddr: string;
  /** Where published ports are bound. Default '0.0.0.0'. */
  readonly ingressBindAddr?: string;
  /** Where the tunnel listens. Default `nodeAddr`. */
  readonly tunnelBindAddr?: string;
  /** Tunnel port of this node and its peers. Default 4789. */
  readonly tunnelPort?: number;
  /** Cluster CA + this node's certificate and key. */
  readonly tls: TunnelTlsOptions;
  /**
   * Serve local endpoints of published TCP ports with iptables DNAT rules when the process can
   * (root, iptables present); the userspace proxy keeps remote endpoints and PROXY-protocol ports.
   * Default false.
   */
  readonly kernelFastPath?: boolean | { readonly run: CommandRunner };
  /** Refuse tunnel peers beyond the CA check (e.g. removed nodes). */
  readonly authorizePeer?: (peer: PeerIdentity) => boolean;
  readonly ingress?: Omit<IngressProxyOptions, Shared>;
  /** Published UDP ports: flows, idle timeout (default 30 s), limits. */
  readonly udp?: Omit<UdpIngressOptions, Shared>;
  readonly tunnelServer?: Omit<TunnelServerOptions, 'bindAddr' | 'port' | 'tls' | 'targets' | 'authorizePeer' | 'logger' | 'clock'>;
  readonly tunnelClient?: Omit<TunnelClientOptions, 'tls' | 'port' | 'localAddress' | 'logger' | 'clock'>;
  readonly logger?: Logger;
  readonly clock?: Clock;
}

export class RoutingMesh {
  private constructor(
    private readonly nodeId: string,
    readonly local: LocalEndpoints,
    readonly tunnelServer: TunnelServer,
    readonly tunnelClient: TunnelClient,
    readonly ingress: IngressProxy,
    readonly fastPath: KernelFastPath | null,
    readonly udp: UdpIngress,
  ) {}

  /** New certificate material (a renewal) for tunnel connections made from now on, both ways. */
  setTls(tls: TunnelTlsOptions): void {
    this.tunnelServer.setTls(tls);
    this.tunnelClient.setTls(tls);
  }

  /** The newest table (the userspace view is recomputed from it when kernel rules land). */
  private latest: MeshEndpoint[] = [];
  /** The kernel-served ports the userspace view was last computed with. */
  private followed: ReadonlySet<number> = new Set();

  static async start(o: RoutingMeshOptions): Promise<RoutingMesh> {
    const logger = o.logger ?? nullLogger;
    const clock = o.clock ? { clock: o.clock } : {};
    const local = new LocalEndpoints(o.nodeId);
    const tunnelServer = await TunnelServer.listen({
      ...o.tunnelServer,
      bindAddr: o.tunnelBindAddr ?? o.nodeAddr,
      port: o.tunnelPort ?? TUNNEL_PORT,
      tls: o.tls,
      targets: local,
      ...(o.authorizePeer ? { authorizePeer: o.authorizePeer } : {}),
      logger,
      ...clock,
    });
    const tunnelClient = new TunnelClient({
      ...o.tunnelClient,
      tls: o.tls,
      port: o.tunnelPort ?? TUNNEL_PORT,
      localAddress: o.nodeAddr,
      logger,
      ...clock,
    });
    const ingress = new IngressProxy({
      ...o.ingress,
      bindAddr: o.ingressBindAddr ?? '0.0.0.0',
      nodeId: o.nodeId,
      tunnel: tunnelClient,
      logger,
      ...clock,
    });
    // The rules match one destination address: only when the ports are bound on that address.
    const ruleAddr = o.ingressBindAddr ?? '0.0.0.0';
    const fastPathUsable = o.kernelFastPath && isIPv4(ruleAddr) && ruleAddr !== '0.0.0.0';
    if (o.kernelFastPath && !fastPathUsable) logger.warn({ bindAddr: ruleAddr }, 'ingress kernel fast path needs the ports bound on one IPv4 address; userspace only');
    const fastPath = fastPathUsable
      ? await KernelFastPath.start({
          nodeAddr: ruleAddr,
          nodeId: o.nodeId,
          logger,
          ...(typeof o.kernelFastPath === 'object' ? { run: o.kernelFastPath.run } : {}),
        })
      : null;
    const udp = new UdpIngress({ ...o.udp, bindAddr: o.ingressBindAddr ?? '0.0.0.0', nodeId: o.nodeId, tunnel: tunnelClient, logger, ...clock });
    return new RoutingMesh(o.nodeId, local, tunnelServer, tunnelClient, ingress, fastPath, udp);
  }

  /** The whole endpoint table (every node's entries). Resolves once listeners follow it. */
  setEndpoints(entries: Iterable<MeshEndpoint>): Promise<void> {
    const list = [...entries];
    this.local.setEndpoints(list);
    this.tunnelClient.warm(remotePeers(list, this.nodeId));
    const udp = this.udp.setEndpoints(list);
    if (!this.fastPath) return Promise.all([udp, this.ingress.setEndpoints(list)]).then(() => undefined);
    // The kernel takes this node's share of the ports it serves; userspace balances the rest. The
    // userspace view follows what the kernel has actually accepted, now and again once it applied.
    this.latest = list;
    const fastPath = this.fastPath;
    // This node's tasks stay in userspace as a reserve: not in its rotation (the kernel already
    // gives them their share), but there when every remote task fails (a partition).
    const follow = () => {
      const served = fastPath.servedPorts;
      this.followed = served;
      return this.ingress.setEndpoints(this.latest, served, reserveOf(this.latest, this.nodeId, served));
    };
    const now = follow();
    // Again once the kernel has the rules, only if that changed which ports it serves.
    const applied = fastPath.update(list).applied.then(() => (sameSet(fastPath.servedPorts, this.followed) ? undefined : follow()));
    return Promise.all([udp, now, applied]).then(() => undefined);
  }

  /** See IngressProxy.setServicePorts. */
  setServicePorts(ports: Iterable<number>): Promise<void> {
    return this.ingress.setServicePorts(ports);
  }

  async close(): Promise<void> {
    await this.fastPath?.close();
    await this.ingress.close();
    await this.udp.close();
    await Promise.all([this.tunnelClient.close(), this.tunnelServer.close()]);
  }
}

function sameSet<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

function reserveOf(entries: readonly MeshEndpoint[], self: string, served: ReadonlySet<number>): Set<string> {
  const reserve = new Set<string>();
  if (served.size === 0) return reserve;
  for (const e of entries) {
    if (e.nodeId !== self) continue;
    for (const p of e.publishedPorts) if (isMeshPort(p) && served.has(p.published)) reserve.add(`${p.published}/${e.taskId}`);
  }
  return reserve;
}

/** Nodes other than this one that run a task behind an ingress port. */
function remotePeers(entries: readonly MeshEndpoint[], self: string): TunnelPeer[] {
  const peers = new Map<string, TunnelPeer>();
  for (const e of entries) {
    if (e.nodeId === self || e.state !== 'running' || !hasMeshPorts(e)) continue;
    peers.set(`${e.nodeId}@${e.nodeAddr}`, { nodeId: e.nodeId, addr: e.nodeAddr });
  }
  return [...peers.values()];
}

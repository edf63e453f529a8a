// The data plane of one node: gossip on 7946 (membership + the endpoint table) and
// the routing mesh (ingress listeners on published ports, tunnel on 4789). The
// agent publishes its running tasks here; every node's mesh follows the table.
import { Gossip, Keyring, NetTransport, lanConfig } from '@shoal/gossip';
import { RoutingMesh, type MeshEndpoint } from '@shoal/mesh';
import { keyFingerprint, type TlsMaterial } from '@shoal/wire';
import type { Logger } from 'pino';

export const GOSSIP_PORT = 7946;

export interface MeshNodeOptions {
  nodeId: string;
  /** This node's IP: gossip, the tunnel and the published ports bind here. */
  addr: string;
  tls: TlsMaterial;
  gossipKeys: string[];
  /** Serve local endpoints with iptables DNAT when possible (see @shoal/mesh KernelFastPath). */
  kernelFastPath?: boolean;
  onPeerSuspected?: (nodeId: string) => void;
  /** Whether a CA-verified node may open tunnel connections here (removed nodes may not). */
  authorizePeer?: (nodeId: string) => boolean;
  logger: Logger;
  /** Gossip port for tests that share one address; default 7946. */
  gossipPort?: number;
  /** The swarm's data path port; default 4789. */
  tunnelPort?: number;
}

export class MeshNode {
  private stopped = false;
  private joinGeneration = 0;
  private joinRetry: NodeJS.Timeout | null = null;

  private constructor(
    private readonly gossip: Gossip<MeshEndpoint>,
    private readonly transport: NetTransport,
    readonly mesh: RoutingMesh,
    private readonly logger: Logger,
  ) {}

  static async start(o: MeshNodeOptions): Promise<MeshNode> {
    const tls = tlsOptions(o.tls);
    const transport = await NetTransport.listen({ bindAddr: o.addr, port: o.gossipPort ?? GOSSIP_PORT, tls, logger: o.logger });
    const keys = o.gossipKeys.map((k) => Buffer.from(k, 'base64'));
    const gossip = new Gossip<MeshEndpoint>({
      id: o.nodeId,
      transport,
      config: lanConfig(),
      ...(keys.length ? { keyring: new Keyring(keys) } : {}),
      logger: o.logger,
    });
    const mesh = await RoutingMesh.start({
      nodeId: o.nodeId,
      nodeAddr: o.addr,
      ingressBindAddr: o.addr,
      kernelFastPath: o.kernelFastPath ?? false,
      ...(o.authorizePeer ? { authorizePeer: (peer: { nodeId: string }) => o.authorizePeer?.(peer.nodeId) ?? true } : {}),
      ...(o.tunnelPort ? { tunnelPort: o.tunnelPort } : {}),
      tls,
      logger: o.logger,
    });
    const node = new MeshNode(gossip, transport, mesh, o.logger);
    gossip.on('table', () => node.sync());
    for (const type of ['suspect', 'dead'] as const) gossip.on(type, (ev) => o.onPeerSuspected?.(ev.member.id));
    gossip.start();
    return node;
  }

  /** Joins the gossip cluster through any of `seeds` (IP addresses); retried in the background. */
  join(seeds: readonly string[]): void {
    // One retry chain at a time: a later join (a new session) replaces an earlier one's.
    const generation = ++this.joinGeneration;
    if (this.joinRetry) clearTimeout(this.joinRetry);
    this.joinRetry = null;
    const addrs = [...new Set(seeds)].map((ip) => `${ip}:${GOSSIP_PORT}`);
    if (addrs.length === 0 || this.stopped) return;
    this.gossip.join(addrs, 5_000).catch((err: unknown) => {
      if (this.stopped || generation !== this.joinGeneration) return;
      this.logger.warn({ err: (err as Error).message }, 'gossip join failed; retrying');
      this.joinRetry = setTimeout(() => {
        if (!this.stopped && generation === this.joinGeneration) this.join(seeds);
      }, 1_000);
      this.joinRetry.unref();
    });
  }

  publish(endpoint: MeshEndpoint): void {
    this.gossip.table.set(endpoint.taskId, endpoint);
    this.sync();
  }

  unpublish(taskId: string): void {
    this.gossip.table.delete(taskId);
    this.sync();
  }

  /** Applies the managers' gossip keys (base64, primary first) to the running keyring; gossip keeps running. */
  setGossipKeys(keys: string[]): void {
    const ring = this.gossip.keyring;
    if (!ring || keys.length === 0) {
      if (ring || keys.length) this.logger.warn({ keys: keys.length }, 'gossip keys not applied: sealing is only turned on or off at start');
      return;
    }
    try {
      if (!ring.setKeys(keys.map((k) => Buffer.from(k, 'base64')))) return;
    } catch (err) {
      this.logger.error({ err: (err as Error).message }, 'gossip keys not applied; the old keys stay');
      return;
    }
    this.logger.info({ primary: keyFingerprint(ring.primaryKey), keys: ring.keys.map((k) => keyFingerprint(k)) }, 'gossip keys rotated');
  }

  /** A renewed certificate: gossip streams and tunnel connections made from now on present it. */
  setTls(material: TlsMaterial): void {
    const tls = tlsOptions(material);
    this.transport.setTls(tls);
    this.mesh.setTls(tls);
  }

  /** Ports kept bound while their service exists (see RoutingMesh.setServicePorts). */
  setServicePorts(ports: readonly number[]): void {
    this.mesh.setServicePorts(ports).catch((err: unknown) => this.logger.warn({ err: (err as Error).message }, 'mesh update failed'));
  }

  endpoints(): MeshEndpoint[] {
    return this.gossip.table.entries().map((e) => e.value);
  }

  private sync(): void {
    this.mesh.setEndpoints(this.endpoints()).catch((err: unknown) => this.logger.warn({ err: (err as Error).message }, 'mesh update failed'));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.joinRetry) clearTimeout(this.joinRetry);
    await this.gossip.leave(1_000).catch(() => false);
    await this.gossip.stop();
    await this.mesh.close();
  }
}

function tlsOptions(t: TlsMaterial): { ca: string; cert: string; key: string } {
  return { ca: t.caCertPem, cert: t.certPem, key: t.keyPem };
}

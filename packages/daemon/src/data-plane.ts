// Connects the task runner to the mesh: a task that runs publishes its endpoint,
// one that is about to stop is drained first (no new connections, open ones
// finish), one that stopped is withdrawn. The mesh starts with the first session,
// which brings the cluster's gossip keys and the managers to join through.
import type { TaskHooks } from '@shoal/agent';
import type { MeshEndpoint } from '@shoal/mesh';
import type { TaskAssignment, TlsMaterial } from '@shoal/wire';
import type { Logger } from 'pino';
import { HostPorts } from './host-ports';
import { MeshNode } from './mesh-node';

/** How long a draining endpoint stays published before its task gets SIGTERM (gossip reaches every node). */
const DRAIN_MS = 500;

export interface DataPlaneOptions {
  nodeId: string;
  addr: string;
  tls: TlsMaterial;
  kernelFastPath: boolean;
  /** Gossip suspects a member or declared it dead. */
  onPeerSuspected?: (nodeId: string) => void;
  logger: Logger;
}

export class DataPlane {
  private starting: Promise<MeshNode | null> | null = null;
  private stopped = false;
  /** Shared with the mesh's tunnel server, which checks it on every new connection. */
  private readonly removed = new Set<string>();
  private readonly hostPorts: HostPorts;
  /** The latest from the managers, applied when the mesh starts and on every change. */
  private ingressPorts: number[] = [];

  /** The certificate in effect: the mesh starts with it, and a renewal replaces it. */
  private tls: TlsMaterial;

  constructor(private readonly options: DataPlaneOptions) {
    this.hostPorts = new HostPorts(options.addr, options.logger);
    this.tls = options.tls;
  }

  /** A renewed certificate: connections made from now on (gossip streams, tunnels) present it. */
  setTls(tls: TlsMaterial): void {
    this.tls = tls;
    void this.mesh().then((mesh) => mesh?.setTls(tls));
  }

  /** The first session starts the mesh, its tunnel on the swarm's data path port (fixed from then on, as Docker's). */
  start(gossipKeys: string[], managerIps: string[], dataPathPort?: number): void {
    const seeds = managerIps.filter((ip) => ip !== this.options.addr);
    if (this.starting && !this.stopped) {
      // A new session (reconnect) brings the current keys: they may have rotated meanwhile. It
      // also follows a manager's restart, whose gossip came back alone (a lone manager has no
      // other manager to join through) while the others had declared it dead: join through
      // the managers again (a push-pull; harmless when they are members already).
      this.setGossipKeys(gossipKeys);
      void this.mesh().then((m) => m?.join(seeds));
      return;
    }
    if (this.stopped) return;
    const startedWith = this.tls;
    this.starting = MeshNode.start({
      ...this.options,
      tls: startedWith,
      gossipKeys,
      authorizePeer: (nodeId) => !this.removed.has(nodeId),
      ...(dataPathPort ? { tunnelPort: dataPathPort } : {}),
    }).then(
      (mesh) => {
        if (this.tls !== startedWith) mesh.setTls(this.tls); // renewed while it started
        mesh.join(seeds);
        mesh.setServicePorts(this.ingressPorts);
        this.options.logger.info({ seeds, tunnelPort: dataPathPort ?? 4789 }, 'gossip and routing mesh started');
        return mesh;
      },
      (err: unknown) => {
        this.options.logger.error({ err }, 'routing mesh failed to start; published ports will not answer on this node');
        return null;
      },
    );
  }

  /** Removed nodes: the tunnel refuses their certificates from now on (also before the mesh runs). */
  setRemovedNodes(nodeIds: readonly string[]): void {
    const added = nodeIds.filter((id) => !this.removed.has(id));
    this.removed.clear();
    for (const id of nodeIds) this.removed.add(id);
    // Connections it already holds go too: warm tunnel connections have no idle timeout.
    if (added.length > 0) void this.mesh().then((m) => m && added.forEach((id) => m.mesh.tunnelServer.closePeer(id)));
  }

  /**
   * The services' published TCP ingress ports: bound on this node while their service exists,
   * with or without a running task (a client then waits briefly for one instead of being refused).
   */
  setIngressPorts(ports: readonly number[]): void {
    this.ingressPorts = [...ports];
    void this.mesh().then((m) => m?.setServicePorts(this.ingressPorts));
  }

  /** The managers rotated the gossip keys: apply them to the running mesh (in arrival order). */
  setGossipKeys(gossipKeys: string[]): void {
    void this.mesh().then((m) => m?.setGossipKeys(gossipKeys));
  }

  hooks(): TaskHooks {
    return {
      bindHostPorts: (a, port) => this.hostPorts.open(a, port),
      running: (a, port) => {
        if (port === undefined) return;
        void this.mesh().then((m) => m?.publish(this.endpoint(a, port, 'running')));
      },
      stopping: async (a) => {
        const m = await this.mesh();
        const current = m?.endpoints().find((e) => e.taskId === a.taskId && e.nodeId === this.options.nodeId);
        if (!m || !current) return;
        m.publish({ ...current, state: 'draining' });
        if (current.publishedPorts.some((p) => p.mode === 'ingress')) await new Promise((r) => setTimeout(r, DRAIN_MS));
      },
      stopped: (taskId) => {
        this.hostPorts.close(taskId);
        void this.mesh().then((m) => m?.unpublish(taskId));
      },
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.hostPorts.closeAll();
    const mesh = await this.mesh();
    await mesh?.stop();
  }

  private async mesh(): Promise<MeshNode | null> {
    return this.starting ? await this.starting : null;
  }

  private endpoint(a: TaskAssignment, port: number, state: MeshEndpoint['state']): MeshEndpoint {
    return {
      serviceId: a.serviceId,
      serviceName: a.serviceName,
      taskId: a.taskId,
      nodeId: this.options.nodeId,
      nodeAddr: this.options.addr,
      port,
      publishedPorts: a.publishedPorts.map((p) => ({
        published: p.published,
        target: p.target,
        protocol: p.protocol,
        mode: p.mode,
        ...(p.proxyProtocol ? { proxyProtocol: true } : {}),
      })),
      state,
    };
  }
}

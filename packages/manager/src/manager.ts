// A manager: the durable cluster store, the control API and the 2377 gRPC server
// (CA bootstrap + dispatcher). One per manager node; the daemon owns its lifetime.
import * as grpc from '@grpc/grpc-js';
import * as path from 'node:path';
import { ClusterStore, LocalLogProposer, MemoryStore, createOp, type ClusterSpec, type NodeDescription } from '@shoal/store';
import { CAService, DispatcherService, serverCredentials, type ManagerPeer, type TlsMaterial } from '@shoal/wire';
import type { Logger } from 'pino';
import { CAServer } from './ca-server';
import { ControlApi } from './control-api';
import { Dispatcher } from './dispatcher';

export interface ManagerOptions {
  /** `$SHOAL_HOME`; state lives under `state/`. */
  dataDir: string;
  nodeId: string;
  /** host:port to bind 2377 on. */
  listenAddr: string;
  /** host:port other nodes dial. */
  advertiseAddr: string;
  tls: TlsMaterial;
  logger: Logger;
}

export interface InitClusterOptions {
  clusterId: string;
  rootCA: { certPem: string; keyPem: string };
  joinTokens: { worker: string; manager: string };
  spec: ClusterSpec;
  description: NodeDescription;
  availability: 'active' | 'pause' | 'drain';
  certificate: { serial: string; notAfter: string };
}

export const DEFAULT_CLUSTER_SPEC: ClusterSpec = {
  name: 'default',
  labels: {},
  heartbeatPeriodMs: 1000,
  taskHistoryRetentionLimit: 5,
  nodeCertExpiryMs: 2160 * 3600_000,
  snapshotInterval: 10_000,
  electionTick: 10,
  heartbeatTick: 1,
};

export class Manager {
  readonly memory = new MemoryStore();
  readonly store: ClusterStore;
  readonly control: ControlApi;
  private readonly log: LocalLogProposer;
  private readonly dispatcher: Dispatcher;
  private readonly ca: CAServer;
  private server: grpc.Server | null = null;

  constructor(private readonly options: ManagerOptions) {
    this.log = new LocalLogProposer(this.memory, { dir: path.join(options.dataDir, 'state') });
    this.store = new ClusterStore(this.memory, this.log);
    this.control = new ControlApi(this.store);
    const managers = () => this.managers();
    const logger = options.logger;
    this.ca = new CAServer({ store: this.store, control: this.control, managers, logger: logger.child({ module: 'ca' }) });
    this.dispatcher = new Dispatcher({
      store: this.store,
      control: this.control,
      managers,
      logger: logger.child({ module: 'dispatcher' }),
    });
  }

  /** Loads the persisted state (a no-op on a fresh data dir). */
  recover(): void {
    const report = this.log.recover();
    this.options.logger.info(report, 'manager state recovered');
  }

  /** Writes the first cluster and node objects (swarm init). */
  async initCluster(init: InitClusterOptions): Promise<void> {
    const { nodeId, advertiseAddr } = this.options;
    await this.store.commit([
      createOp('cluster', {
        id: init.clusterId,
        spec: init.spec,
        rootCA: init.rootCA,
        joinTokens: init.joinTokens,
        revokedNodes: [],
      }),
      createOp('node', {
        id: nodeId,
        spec: { name: '', labels: {}, role: 'manager', availability: init.availability },
        role: 'manager',
        description: init.description,
        status: { state: 'ready', message: '', addr: init.description.addr },
        managerStatus: { leader: true, reachability: 'reachable', addr: advertiseAddr },
        certificate: init.certificate,
      }),
    ]);
  }

  async start(): Promise<void> {
    const server = new grpc.Server({ 'grpc.keepalive_permit_without_calls': 1, 'grpc.http2.min_ping_interval_without_data_ms': 5000 });
    server.addService(CAService, this.ca.handlers());
    server.addService(DispatcherService, this.dispatcher.handlers());
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(this.options.listenAddr, serverCredentials(this.options.tls), (err) =>
        err ? reject(new Error(`listen ${this.options.listenAddr}: ${err.message}`, { cause: err })) : resolve(),
      ),
    );
    this.server = server;
    this.dispatcher.start();
    this.options.logger.info({ listen: this.options.listenAddr }, 'manager listening');
  }

  async stop(): Promise<void> {
    this.dispatcher.stop();
    const server = this.server;
    this.server = null;
    if (server) {
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => server.forceShutdown(), 2000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    }
    this.log.close();
  }

  /** Managers agents may dial, from the store. */
  managers(): ManagerPeer[] {
    return this.memory
      .list('node')
      .filter((n) => n.role === 'manager' && n.managerStatus)
      .map((n) => ({ nodeId: n.id, addr: n.managerStatus?.addr ?? '' }));
  }
}

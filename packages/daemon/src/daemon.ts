// shoald's composition root: the local Engine API, and — once in a swarm — the
// agent on every node plus the manager on managers. It implements EngineBackend by
// routing cluster calls to the local manager or refusing them on a worker.
import * as os from 'node:os';
import * as path from 'node:path';
import { EngineServer, SHOAL_VERSION, API_VERSION, MIN_API_VERSION, fromEngineSwarmSpec, toEngineClusterInfo } from '@shoal/api';
import type {
  LogRecordOut,
  LogRequest,
  EngineBackend,
  LocalSwarmStatus,
  NetworkPruneFilter,
  SwarmInitRequest,
  SwarmJoinRequest,
  SystemInfo,
  SystemVersion,
  TLSInfo,
} from '@shoal/api';
import { Agent, TaskRunner, machineArch } from '@shoal/agent';
import { ProcessExecutor } from '@shoal/runtime';
import { DEFAULT_CLUSTER_SPEC, Manager, isTaskDirty, leaderFromError, nodeCertValidity, rewriteAsSingleMember, type ManagerStart } from '@shoal/manager';
import {
  createKeyAndCSR,
  createNodeCertificate,
  generateClusterId,
  generateJoinToken,
  generateNodeId,
  generateRootCA,
  generateUnlockKey,
  InvalidUnlockKeyFormatError,
  WrongUnlockKeyError,
  nodeTlsInfo,
  parseNodeCertificate,
  tlsInfo,
} from '@shoal/pki';
import {
  AlreadyInSwarmError,
  ConflictError,
  InvalidArgumentError,
  SWARM_LOCKED_TEXT,
  UnauthenticatedError,
  UnavailableError,
  NotInSwarmError,
  NotManagerError,
  NO_SWARM_NOT_MANAGER_TEXT,
  ShoalError,
  type ClusterObject,
  type ClusterSpec,
  type NodeDescription,
  type NetworkCreateRequest,
  type NetworkObject,
  type NodeObject,
  type NodeSpec,
  type ServiceObject,
  type ServiceSpec,
  type TaskObject,
} from '@shoal/store';
import { CAMethods, CAService, clientCredentials, createClient, type NodeRole, type TlsMaterial } from '@shoal/wire';
import * as fs from 'node:fs';
import type { Logger } from 'pino';
import { joinHostPort, resolveAdvertiseAddr, resolveListenAddr, splitHostPort } from './addr';
import { joinCluster } from './join';
import { NodeStateFiles, type PersistedNode } from './node-state';
import { DataPlane } from './data-plane';

export interface DaemonOptions {
  dataDir: string;
  hostname: string;
  /** See DaemonConfig.ingressFastPath. Default false. */
  ingressFastPath?: boolean;
  logger: Logger;
}

interface Active {
  node: PersistedNode;
  tls: TlsMaterial;
  agent: Agent;
  manager: Manager | null;
  executor: ProcessExecutor;
  runner: TaskRunner;
  dataPlane: DataPlane;
  /** The next certificate renewal (or a check on the way to it). */
  renewal: NodeJS.Timeout | null;
  /** Renewals started; only the latest one's certificate is put in place. */
  renewals: number;
  /** A rejoin of Raft is queued or running. */
  rejoining?: boolean;
}

export class Daemon implements EngineBackend {
  private readonly files: NodeStateFiles;
  private readonly api: EngineServer;
  private active: Active | null = null;
  /** A manager that restarted with autolock on: nothing runs until `swarm unlock` gives the key. */
  private locked: PersistedNode | null = null;
  /** Serialises init/join/leave so two cannot interleave. */
  private transition: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: DaemonOptions) {
    this.files = new NodeStateFiles(options.dataDir);
    this.api = new EngineServer({ backend: this, logger: options.logger.child({ module: 'api' }) });
  }

  get socketPath(): string {
    return path.join(this.options.dataDir, 'shoald.sock');
  }

  /** Resumes the swarm membership found in the data dir, then serves the local API. */
  async start(): Promise<void> {
    const saved = this.files.load();
    if (saved?.locked) {
      this.locked = saved.node;
      this.options.logger.warn({ nodeId: saved.node.nodeId }, 'swarm is locked (autolock): waiting for `swarm unlock`');
    } else if (saved) {
      this.options.logger.info({ nodeId: saved.node.nodeId, role: saved.node.role }, 'resuming swarm membership');
      await this.activate(saved.node, saved.tls, { mode: 'resume', managers: saved.node.managers });
    }
    await this.api.listen(this.socketPath);
    this.options.logger.info({ socket: this.socketPath }, 'local API listening');
  }

  async stop(): Promise<void> {
    await this.api.close();
    await this.deactivate();
  }

  // ---- EngineBackend: local state ----

  swarmStatus(): LocalSwarmStatus {
    if (this.locked) return { state: 'locked', controlAvailable: false };
    if (!this.active) return { state: 'inactive', controlAvailable: false };
    return { state: 'active', controlAvailable: this.active.manager !== null };
  }

  tlsInfo(): TLSInfo {
    return this.active ? tlsInfo(this.active.tls.caCertPem) : {};
  }

  clusterTlsInfo(cluster: ClusterObject): TLSInfo {
    return tlsInfo(cluster.rootCA.certPem, cluster.rootRotation?.certPem);
  }

  version(): SystemVersion {
    const details = {
      ApiVersion: API_VERSION,
      Arch: goArch(),
      BuildTime: '',
      Experimental: 'false',
      GitCommit: '',
      GoVersion: `node${process.versions.node}`,
      KernelVersion: os.release(),
      MinAPIVersion: MIN_API_VERSION,
      Os: 'linux',
    };
    return {
      Platform: { Name: 'Shoal' },
      Components: [{ Name: 'Engine', Version: SHOAL_VERSION, Details: details }],
      Version: SHOAL_VERSION,
      ApiVersion: API_VERSION,
      MinAPIVersion: MIN_API_VERSION,
      GitCommit: '',
      GoVersion: details.GoVersion,
      Os: 'linux',
      Arch: goArch(),
      KernelVersion: os.release(),
      BuildTime: '',
    };
  }

  async info(): Promise<SystemInfo> {
    const a = this.active;
    const locked = this.locked;
    const swarm: SystemInfo['Swarm'] = {
      NodeID: a?.node.nodeId ?? locked?.nodeId ?? '',
      NodeAddr: a?.node.advertiseAddr ?? locked?.advertiseAddr ?? '',
      LocalNodeState: this.swarmStatus().state,
      ControlAvailable: Boolean(a?.manager),
      Error: locked ? SWARM_LOCKED_TEXT : '',
      RemoteManagers: a ? this.remoteManagers(a) : locked ? locked.managers.map((addr) => ({ NodeID: '', Addr: addr })) : null,
    };
    if (a?.manager) {
      try {
        const nodes = await a.manager.call<NodeObject[]>('nodes');
        swarm.Nodes = nodes.length;
        swarm.Managers = nodes.filter((n) => n.managerStatus).length;
        const cluster = await a.manager.call<ClusterObject>('cluster');
        swarm.Cluster = toEngineClusterInfo(cluster, this.clusterTlsInfo(cluster));
      } catch (err) {
        swarm.Error = (err as Error).message;
      }
    }
    return {
      ID: a?.node.nodeId ?? '',
      Name: this.options.hostname,
      NCPU: os.cpus().length,
      MemTotal: os.totalmem(),
      OperatingSystem: 'Shoal',
      OSType: 'linux',
      Architecture: machineArch(),
      KernelVersion: os.release(),
      ServerVersion: SHOAL_VERSION,
      DockerRootDir: this.options.dataDir,
      Swarm: swarm,
      Warnings: null,
    };
  }

  // ---- EngineBackend: swarm membership ----

  swarmInit(req: SwarmInitRequest): Promise<string> {
    return this.serialised(() => this.init(req));
  }

  swarmJoin(req: SwarmJoinRequest): Promise<void> {
    return this.serialised(() => this.join(req));
  }

  swarmLeave(force: boolean): Promise<void> {
    return this.serialised(() => this.leave(force));
  }

  swarmUnlock(key: string): Promise<void> {
    return this.serialised(() => this.unlock(key));
  }

  // ---- EngineBackend: cluster state (managers only) ----

  cluster(): Promise<ClusterObject> {
    return this.manager().call('cluster');
  }
  updateCluster(version: number, spec: ClusterSpec, rotate: { rotateWorkerToken?: boolean; rotateManagerToken?: boolean; rotateManagerUnlockKey?: boolean; signingCA?: { certPem: string; keyPem: string } }) {
    return this.manager().call<void>('updateCluster', version, spec, rotate);
  }
  nodes(): Promise<NodeObject[]> {
    return this.manager().call('nodes');
  }
  node(input: string): Promise<NodeObject> {
    return this.manager().call('node', input);
  }
  updateNode(input: string, version: number, spec: NodeSpec): Promise<void> {
    return this.manager().call('updateNode', input, version, spec);
  }
  removeNode(input: string, force: boolean): Promise<void> {
    return this.manager().call('removeNode', input, force);
  }
  services(): Promise<ServiceObject[]> {
    return this.manager().call('services');
  }
  service(input: string): Promise<ServiceObject> {
    return this.manager().call('service', input);
  }
  createService(spec: ServiceSpec): Promise<{ id: string }> {
    return this.manager().call('createService', spec);
  }
  updateService(input: string, version: number, spec: ServiceSpec, options: { rollback?: boolean }): Promise<void> {
    return this.manager().call('updateService', input, version, spec, options);
  }
  removeService(input: string): Promise<void> {
    return this.manager().call('removeService', input);
  }
  isTaskDirty(service: ServiceObject, task: TaskObject, node: NodeObject | undefined): boolean {
    return isTaskDirty(service, task, node);
  }

  tasks(): Promise<TaskObject[]> {
    return this.manager().call('tasks');
  }
  task(input: string): Promise<TaskObject> {
    return this.manager().call('task', input);
  }
  networks(): Promise<NetworkObject[]> {
    // `network ls` works on any node in Docker (it lists the node's local networks, which a
    // process runtime has none of); the swarm's networks are the managers' to list.
    if (!this.active?.manager) return Promise.resolve([]);
    return this.manager().call('networks');
  }
  createNetwork(req: NetworkCreateRequest): Promise<{ id: string }> {
    return this.manager().call('createNetwork', req);
  }
  removeNetwork(input: string): Promise<void> {
    return this.manager().call('removeNetwork', input);
  }
  pruneNetworks(filter: NetworkPruneFilter): Promise<string[]> {
    return this.manager().call('pruneNetworks', filter);
  }
  async *logs(request: LogRequest, signal: AbortSignal): AsyncIterable<LogRecordOut> {
    const { target, timestamps: _t, ...query } = request;
    for await (const rec of this.manager().logs(target, query, signal)) yield rec;
  }

  // ---- transitions ----

  private async init(req: SwarmInitRequest): Promise<string> {
    if (this.locked) throw req.ForceNewCluster ? new UnavailableError(SWARM_LOCKED_TEXT) : new AlreadyInSwarmError();
    if (this.active?.manager && req.ForceNewCluster) return this.forceNewCluster(this.active);
    if (this.active) throw new AlreadyInSwarmError();
    const listen = resolveListenAddr(req.ListenAddr);
    const advertise = resolveAdvertiseAddr(req.AdvertiseAddr, listen);
    const availability = parseAvailability(req.Availability);
    const spec = fromEngineSwarmSpec(req.Spec, DEFAULT_CLUSTER_SPEC);
    if (req.AutoLockManagers === true) spec.autoLockManagers = true;
    const clusterId = generateClusterId();
    const nodeId = generateNodeId();
    const rootCA = await generateRootCA();
    const nodeCert = await createNodeCertificate({
      caCertPem: rootCA.certPem,
      caKeyPem: rootCA.keyPem,
      nodeId,
      role: 'manager',
      clusterId,
      ...nodeCertValidity(spec),
    });
    const tls: TlsMaterial = { caCertPem: rootCA.certPem, certPem: nodeCert.certPem, keyPem: nodeCert.keyPem };
    const node: PersistedNode = {
      nodeId,
      clusterId,
      role: 'manager',
      listenAddr: joinHostPort(listen),
      advertiseAddr: advertise.host,
      managers: [joinHostPort(advertise)],
    };
    const cert = parseNodeCertificate(nodeCert.certPem);
    await this.activateFresh(node, tls, {
      mode: 'bootstrap',
      init: {
        clusterId,
        rootCA,
        joinTokens: { worker: generateJoinToken(rootCA.certPem), manager: generateJoinToken(rootCA.certPem) },
        spec,
        description: this.describe(advertise.host, tls),
        availability,
        certificate: { serial: cert.serial, notAfter: cert.notAfter.toISOString() },
        ...(spec.autoLockManagers ? { unlockKey: generateUnlockKey() } : {}),
      },
    });
    this.options.logger.info({ nodeId, clusterId, advertise: joinHostPort(advertise) }, 'swarm initialized');
    return nodeId;
  }

  private async join(req: SwarmJoinRequest): Promise<void> {
    if (this.active || this.locked) throw new AlreadyInSwarmError();
    const remote = req.RemoteAddrs?.[0];
    if (!remote) throw new InvalidArgumentError('at least 1 RemoteAddr is required to join');
    const listen = resolveListenAddr(req.ListenAddr);
    // With no advertise address, advertise the address we reach the manager from.
    const advertise = resolveAdvertiseAddr(req.AdvertiseAddr, listen);
    const remoteAddr = joinHostPort(splitHostPort(remote));
    const { tls, issued } = await joinCluster({
      remoteAddr,
      token: req.JoinToken,
      hostname: this.options.hostname,
      advertiseAddr: advertise.host,
      ...(req.Availability ? { availability: parseAvailability(req.Availability) } : {}),
    });
    const node: PersistedNode = {
      nodeId: issued.nodeId,
      clusterId: issued.clusterId,
      role: issued.role,
      listenAddr: joinHostPort(listen),
      advertiseAddr: advertise.host,
      managers: [...new Set([remoteAddr, ...issued.managers.map((m) => m.addr)])],
    };
    await this.activateFresh(node, tls, { mode: 'join', managers: node.managers });
    this.options.logger.info({ nodeId: node.nodeId, role: node.role, manager: remoteAddr }, 'joined swarm');
  }

  private async leave(force: boolean): Promise<void> {
    if (this.locked) {
      if (!force) throw new UnavailableError('Swarm is encrypted and locked. Please unlock it first or use `--force` to ignore this message.');
      await this.stopLeftoverTasks();
      this.locked = null;
      this.files.clear();
      this.options.logger.info('left the swarm (it was locked)');
      return;
    }
    if (!this.active) throw new NotInSwarmError();
    if (this.active.manager && !force) throw new ShoalError('UNAVAILABLE', await this.managerLeaveWarning(this.active.manager));
    await this.active.runner.stopAll();
    await this.deactivate();
    this.files.clear();
    this.options.logger.info('left the swarm');
  }

  /** moby's UnlockSwarm: only a locked node, only with the key its files are sealed under. */
  private async unlock(keyText: string): Promise<void> {
    const node = this.locked;
    if (!node) {
      // moby: an active manager is "not locked"; anything else is errNoManager.
      if (this.active?.manager) throw new ConflictError('swarm is not locked');
      if (this.active) throw new NotManagerError();
      throw new NotManagerError(NO_SWARM_NOT_MANAGER_TEXT);
    }
    let tls: TlsMaterial;
    try {
      tls = this.files.unlock(keyText);
    } catch (err) {
      if (err instanceof InvalidUnlockKeyFormatError) throw new InvalidArgumentError(err.message, { cause: err });
      if (err instanceof WrongUnlockKeyError) throw new UnauthenticatedError('swarm could not be unlocked: invalid key provided', { cause: err });
      throw err;
    }
    this.locked = null;
    this.options.logger.info({ nodeId: node.nodeId }, 'swarm unlocked: resuming swarm membership');
    try {
      await this.activate(node, tls, { mode: 'resume', managers: node.managers });
    } catch (err) {
      this.locked = node; // still locked: the key files were not changed
      throw err;
    }
  }

  /** A locked node's tasks from before its restart (no agent adopted them): stopped when it leaves. */
  private async stopLeftoverTasks(): Promise<void> {
    const executor = new ProcessExecutor({
      stateDir: path.join(this.options.dataDir, 'tasks'),
      logger: this.options.logger.child({ module: 'runtime' }),
    });
    try {
      for (const t of await executor.adopt()) {
        await t.controller.remove().catch((err: unknown) => this.options.logger.warn({ err, taskId: t.spec.taskId }, 'cleanup failed'));
      }
    } finally {
      await executor.close();
    }
  }

  /** The swarm's unlock key changed (or is first known): re-seal this manager's key files and raft data. */
  private onUnlockKey(key: string | null, manager: Manager, node: PersistedNode, tls: TlsMaterial): void {
    // Sealing on: the raft data first, then the keys (a failure leaves nothing locked that is
    // not sealed). Off: the keys go plain first; raft data sealed earlier stays readable.
    if (key !== null) manager.setEncryptionAtRest(true);
    this.files.setUnlockKey(key, node.role, tls);
    if (key === null) manager.setEncryptionAtRest(false);
    this.options.logger.info({ autolock: key !== null }, key ? 'manager keys sealed under the unlock key' : 'manager keys stored unsealed (autolock off)');
  }

  /** Activates a new membership; a failure leaves the data dir as it was (no swarm). */
  private async activateFresh(
    node: PersistedNode,
    tls: TlsMaterial,
    start: ManagerStart,
  ): Promise<void> {
    try {
      await this.activate(node, tls, start);
    } catch (err) {
      this.files.clear();
      throw err;
    }
  }

  /**
   * Starts the manager (on managers, as `start` says) and the agent. `dataPlane`: a running one
   * to keep (a role change), instead of a new one.
   */
  private async activate(node: PersistedNode, tls: TlsMaterial, start: ManagerStart, kept?: DataPlane): Promise<void> {
    let manager: Manager | null = null;
    if (node.role === 'manager') {
      manager = new Manager({
        dataDir: this.options.dataDir,
        nodeId: node.nodeId,
        listenAddr: node.listenAddr,
        advertiseAddr: joinHostPort({ host: node.advertiseAddr, port: splitHostPort(node.listenAddr).port }),
        tls,
        logger: this.options.logger.child({ module: 'manager' }),
        atRest: this.files.raftCipher(),
        onUnlockKey: (key) => {
          try {
            // The material in use now: a renewal since activation replaced the key this closure saw.
            const current = this.active?.manager === manager ? this.active.tls : tls;
            if (manager?.running && (this.active === null || this.active.manager === manager)) this.onUnlockKey(key, manager, node, current);
          } catch (err) {
            this.options.logger.error({ err }, 'could not re-seal the manager keys under the new unlock key');
          }
        },
      });
      try {
        await manager.start(start);
      } catch (err) {
        await manager.stop();
        throw new InvalidArgumentError((err as Error).message, { cause: err });
      }
    }
    this.files.save(node, tls);
    const executor = new ProcessExecutor({
      stateDir: path.join(this.options.dataDir, 'tasks'),
      // Tasks listen on this node's own address, so nodes sharing a host (loopback aliases) stay apart.
      host: node.advertiseAddr,
      listenHost: node.advertiseAddr,
      logger: this.options.logger.child({ module: 'runtime' }),
    });
    const dataPlane =
      kept ??
      new DataPlane({ nodeId: node.nodeId, addr: node.advertiseAddr, tls, kernelFastPath: this.options.ingressFastPath ?? false,
        // Gossip's failure detector speeds up the leader's view of a dead node (see Dispatcher.nodeSuspected).
        onPeerSuspected: (nodeId) => this.active?.manager?.nodeSuspected(nodeId),
        logger: this.options.logger.child({ module: 'mesh' }),
      });
    // eslint-disable-next-line prefer-const -- the runner reports through the agent, created next
    let agent: Agent;
    const runner = new TaskRunner({
      executor,
      nodeId: node.nodeId,
      hostname: this.options.hostname,
      report: (u) => agent.reportStatus(u),
      logger: this.options.logger.child({ module: 'tasks' }),
      hooks: dataPlane.hooks(),
      portHost: node.advertiseAddr,
    });
    await runner.adopt();
    agent = new Agent({
      runner,
      nodeId: node.nodeId,
      tls,
      managers: node.managers,
      describe: () => this.describe(node.advertiseAddr, this.active?.node === node ? this.active.tls : tls),
      onRootCA: (certPem) => {
        if (this.active?.agent === agent) void this.serialised(() => this.trustRootCA(certPem));
      },
      onRenewCertificate: () => {
        const a = this.active;
        if (a?.agent === agent) this.scheduleRenewal(a, 0);
      },
      logger: this.options.logger.child({ module: 'agent' }),
      role: node.role,
      onSession: (info) => dataPlane.start(info.gossipKeys, info.managers.map((m) => splitHostPort(m.addr).host)),
      onGossipKeys: (keys) => dataPlane.setGossipKeys(keys),
      onRemovedNodes: (ids) => dataPlane.setRemovedNodes(ids),
      onIngressPorts: (ports) => dataPlane.setIngressPorts(ports),
      onRoleChange: (role, via) => this.requestRoleChange(role, via),
      onRejoinRaft: (via) => {
        const a = this.active;
        if (a?.agent !== agent) return;
        // A worker here has not acted on its promotion yet; a manager's Raft state is void.
        if (node.role === 'worker') this.requestRoleChange('manager', via);
        else if (!a.rejoining) {
          a.rejoining = true;
          void this.serialised(() => this.rejoinRaft(a, via)).catch((err: unknown) => this.options.logger.error({ err }, 'rejoining raft failed'));
        }
      },
      onRemoved: () => void this.serialised(() => this.removedByManager()),
      onManagers: (peers) => {
        const addrs = [...new Set(peers.map((p) => p.addr))];
        if (addrs.join() !== node.managers.join()) {
          node.managers = addrs;
          this.files.save(node);
        }
      },
    });
    agent.start();
    this.active = { node, tls, agent, manager, executor, runner, dataPlane, renewal: null, renewals: 0 };
    this.scheduleRenewal(this.active);
  }

  /**
   * Renews this node's certificate at a random point between 50 % and 80 % of its validity, as
   * swarmkit does, so certificates never expire under a running node (`--cert-expiry`, 90 days
   * by default). A failed renewal is tried again sooner, well before the expiry.
   */
  private scheduleRenewal(a: Active, delayMs?: number): void {
    if (a.renewal) clearTimeout(a.renewal);
    const cert = parseNodeCertificate(a.tls.certPem);
    const wait = delayMs ?? renewalDelayMs(cert.notBefore.getTime(), cert.notAfter.getTime(), Date.now());
    // Timers hold at most ~24.8 days: a longer wait is re-planned when this one fires.
    const step = Math.min(wait, MAX_TIMER_MS);
    a.renewal = setTimeout(() => {
      a.renewal = null;
      if (this.active !== a) return;
      if (step < wait) return this.scheduleRenewal(a, wait - step);
      void this.renewCertificate(a).catch((err: unknown) => {
        if (this.active !== a) return;
        const left = parseNodeCertificate(a.tls.certPem).notAfter.getTime() - Date.now();
        const retry = Math.max(1_000, Math.min(30_000, left / 10));
        this.options.logger.warn({ err, retryMs: Math.round(retry) }, 'certificate renewal failed; trying again');
        this.scheduleRenewal(a, retry);
      });
    }, step);
    a.renewal.unref();
  }

  /**
   * A new key and certificate from the managers' CA, put in place without restarting anything.
   * The request runs outside the transition queue (it may take a while when no leader answers);
   * only putting the result in place is serialised with role changes and leaving.
   */
  private async renewCertificate(a: Active): Promise<void> {
    if (this.active !== a) return;
    const seq = ++a.renewals;
    const trusted = a.tls.caCertPem;
    const { keyPem, csrPem } = await createKeyAndCSR();
    const renewed = await this.requestCertificate(a, csrPem);
    await this.serialised(async () => {
      if (this.active !== a || seq !== a.renewals) return; // a later renewal supersedes this one
      if (a.tls.caCertPem !== trusted) {
        // The root changed meanwhile (a rotation ended): this certificate may be from the old one.
        this.scheduleRenewal(a, 0);
        return;
      }
      if (renewed.role !== a.node.role) {
        // The managers want another role (a role change this node missed): act on it; that
        // renews the certificate too. If it fails, the next renewal tries again.
        this.options.logger.info({ role: renewed.role }, 'certificate renewal found a pending role change');
        this.requestRoleChange(renewed.role, renewed.via);
        this.scheduleRenewal(a, 60_000);
        return;
      }
      const tls: TlsMaterial = { caCertPem: a.tls.caCertPem, certPem: renewed.certPem, keyPem };
      this.installTls(a, tls);
      const cert = parseNodeCertificate(tls.certPem);
      this.options.logger.info({ serial: cert.serial, notAfter: cert.notAfter.toISOString() }, 'node certificate renewed');
      this.scheduleRenewal(a);
    });
  }

  /** New TLS material everywhere it is used, without restarting anything: connections made from now on use it. */
  private installTls(a: Active, tls: TlsMaterial): void {
    this.files.save(a.node, tls);
    a.tls = tls;
    a.manager?.setTls(tls);
    a.dataPlane.setTls(tls);
    a.agent.setTls(tls); // last: its new session reports the new TLS info
  }

  /** A root CA rotation ended: trust the cluster's new root from now on (the managers sent it over mutual TLS). */
  private async trustRootCA(certPem: string): Promise<void> {
    const a = this.active;
    if (!a || a.tls.caCertPem === certPem) return;
    this.installTls(a, { ...a.tls, caCertPem: certPem });
    this.options.logger.info('trusting the swarm\'s new root CA');
  }

  /** RenewCertificate on the leader: asked through the managers this node knows, following a redirect. */
  private async requestCertificate(a: Active, csrPem: string): Promise<{ certPem: string; role: NodeRole; via: string }> {
    const candidates = [...new Set([a.agent.connectedManager, ...a.node.managers].filter((m): m is string => Boolean(m)))];
    let lastErr: unknown = new Error('no manager to renew the certificate with');
    for (let i = 0; i < candidates.length && i < 8; i++) {
      const addr = candidates[i] as string;
      const ca = createClient(CAService, CAMethods, addr, clientCredentials(a.tls));
      try {
        return { ...(await ca.unary.RenewCertificate({ csrPem }, { timeoutMs: 10_000 })), via: addr };
      } catch (err) {
        lastErr = err;
        const leader = leaderFromError(err);
        if (leader && !candidates.includes(leader)) candidates.splice(i + 1, 0, leader);
      } finally {
        ca.close();
      }
    }
    throw lastErr;
  }

  /** Stops everything of the membership; with `keepDataPlane`, the mesh keeps serving and is returned. */
  private async deactivate(keepDataPlane = false): Promise<DataPlane | null> {
    const a = this.active;
    this.active = null;
    if (!a) return null;
    if (a.renewal) clearTimeout(a.renewal);
    await a.agent.stop();
    if (!keepDataPlane) await a.dataPlane.stop();
    await a.manager?.stop();
    await a.executor.close();
    return keepDataPlane ? a.dataPlane : null;
  }

  /**
   * Promotion or demotion: renew the certificate for the new role, then restart the agent (and
   * the manager) as that role. Tasks keep running (the new agent adopts them) and the data plane
   * keeps serving: published ports, gossip and tunnels do not blink. It keeps the certificate it
   * started with, which stays valid (the mesh checks CA, cluster and removal, not the role).
   */
  /**
   * Runs a role change the managers asked for; a failed one (e.g. the leader busy, or the node's
   * object changing meanwhile) is tried again a few times: the managers only say it once.
   */
  private requestRoleChange(role: NodeRole, via: string, attempt = 1): void {
    const active = this.active;
    void this.serialised(() => this.changeRole(role, via)).catch((err: unknown) => {
      if (attempt >= 5 || this.active !== active) {
        this.options.logger.error({ err, role }, 'role change failed');
        return;
      }
      this.options.logger.warn({ err, role, attempt }, 'role change failed; trying again');
      setTimeout(() => this.requestRoleChange(role, via, attempt + 1), 500 * attempt).unref();
    });
  }

  private async changeRole(role: NodeRole, via: string): Promise<void> {
    const a = this.active;
    if (!a || a.node.role === role) return;
    this.options.logger.info({ from: a.node.role, to: role, via }, 'changing role');
    const { keyPem, csrPem } = await createKeyAndCSR();
    const ca = createClient(CAService, CAMethods, via, clientCredentials(a.tls));
    let renewed;
    try {
      renewed = await ca.unary.RenewCertificate({ csrPem }, { timeoutMs: 10_000 });
    } finally {
      ca.close();
    }
    // The managers changed their mind meanwhile: they will say so again. Except a demotion
    // followed by a promotion before this node acted: a demotion takes the node out of Raft
    // before it says "worker", so this manager's Raft state is void, and it rejoins afresh.
    const rejoin = role === 'worker' && renewed.role === 'manager';
    if (renewed.role !== role && !rejoin) return;
    const tls: TlsMaterial = { caCertPem: a.tls.caCertPem, certPem: renewed.certPem, keyPem };
    const node: PersistedNode = { ...a.node, role: renewed.role };
    if (rejoin) this.options.logger.info('demoted and promoted again: rejoining raft with fresh state');
    const dataPlane = await this.deactivate(true);
    if (role === 'worker') {
      fs.rmSync(path.join(this.options.dataDir, 'raft'), { recursive: true, force: true });
      this.files.forgetRaftKey();
    }
    this.files.save(node, tls);
    try {
      dataPlane?.setTls(tls); // kept across the role change: its next connections present the new certificate
      await this.activate(node, tls, { mode: 'join', managers: [via, ...node.managers] }, dataPlane ?? undefined);
    } catch (err) {
      await dataPlane?.stop(); // not handed over: nothing else will stop it
      throw err;
    }
    this.options.logger.info({ role: node.role }, 'role changed');
  }

  /**
   * The managers count this manager out of Raft (removed and promoted again unnoticed): start its
   * manager afresh. Only for the activation that was told so (a role change since then already
   * made a fresh one); a join that fails is tried again, so the node does not drop out.
   */
  private async rejoinRaft(a: Active, via: string): Promise<void> {
    if (this.active !== a || !a.manager) return;
    this.options.logger.warn({ via }, 'not a raft member any more: rejoining raft with fresh state');
    const dataPlane = await this.deactivate(true);
    fs.rmSync(path.join(this.options.dataDir, 'raft'), { recursive: true, force: true });
    this.files.forgetRaftKey();
    for (let attempt = 1; ; attempt++) {
      try {
        await this.activate(a.node, a.tls, { mode: 'join', managers: [via, ...a.node.managers] }, dataPlane ?? undefined);
        return;
      } catch (err) {
        if (attempt >= 5) {
          await dataPlane?.stop();
          throw err;
        }
        this.options.logger.warn({ err, attempt }, 'rejoining raft failed; trying again');
        await new Promise((r) => setTimeout(r, 2_000 * attempt));
      }
    }
  }

  /** Keeps this manager's committed state as a new one-manager cluster (quorum-loss recovery). */
  private async forceNewCluster(a: Active): Promise<string> {
    const { node, tls } = a;
    this.options.logger.warn('force-new-cluster: rewriting raft state as a one-manager cluster');
    await this.deactivate();
    const port = splitHostPort(node.listenAddr).port;
    const addr = joinHostPort({ host: node.advertiseAddr, port });
    rewriteAsSingleMember(path.join(this.options.dataDir, 'raft'), node.nodeId, addr, this.files.raftCipher());
    node.managers = [addr];
    this.files.save(node);
    await this.activate(node, tls, { mode: 'resume', managers: node.managers, forceNewCluster: true });
    return node.nodeId;
  }

  /** Docker's refusal to let a manager leave without --force, with the quorum arithmetic. */
  private async managerLeaveWarning(manager: Manager): Promise<string> {
    let msg = 'You are attempting to leave the swarm on a node that is participating as a manager. ';
    try {
      const managers = (await manager.call<NodeObject[]>('nodes')).filter((n) => n.managerStatus);
      const reachable = managers.filter((n) => n.managerStatus?.reachability === 'reachable').length;
      const unreachable = managers.length - reachable;
      if (reachable - 2 <= unreachable) {
        if (reachable === 1 && unreachable === 0) {
          return msg + 'Removing the last manager erases all current state of the swarm. Use `--force` to ignore this message. ';
        }
        msg += `Removing this node leaves ${reachable - 1} managers out of ${reachable + unreachable}. Without a Raft quorum your swarm will be inaccessible. `;
      }
    } catch {
      msg += 'Doing so may lose the consensus of your cluster. ';
    }
    return msg + 'The only way to restore a swarm that has lost consensus is to reinitialize it with `--force-new-cluster`. Use `--force` to suppress this message.';
  }

  private async removedByManager(): Promise<void> {
    this.options.logger.warn('removed from the swarm by a manager: leaving');
    await this.active?.runner.stopAll();
    await this.deactivate();
    this.files.clear();
  }

  private manager(): Manager {
    if (this.locked) throw new UnavailableError(SWARM_LOCKED_TEXT);
    // A cluster call on a node in no swarm gets moby's errNoManager, not errNoSwarm.
    if (!this.active) throw new NotManagerError(NO_SWARM_NOT_MANAGER_TEXT);
    if (!this.active.manager) throw new NotManagerError();
    return this.active.manager;
  }

  private remoteManagers(a: Active): Array<{ NodeID: string; Addr: string }> {
    if (a.manager) return a.manager.managers().map((m) => ({ NodeID: m.nodeId, Addr: m.addr }));
    return a.node.managers.map((addr) => ({ NodeID: '', Addr: addr }));
  }

  private describe(addr: string, tls: TlsMaterial): NodeDescription {
    const info = nodeTlsInfo(tls);
    return {
      tls: { trustRoot: info.TrustRoot, certIssuerSubject: info.CertIssuerSubject, certIssuerPublicKey: info.CertIssuerPublicKey },
      hostname: this.options.hostname,
      addr,
      platform: { os: 'linux', architecture: machineArch() },
      resources: { nanoCpus: os.cpus().length * 1e9, memoryBytes: os.totalmem() },
      engineVersion: SHOAL_VERSION,
    };
  }

  private serialised<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.transition.then(fn, fn);
    this.transition = run.catch(() => undefined);
    return run;
  }
}

function parseAvailability(value: string | undefined): 'active' | 'pause' | 'drain' {
  if (value === undefined || value === '') return 'active';
  if (value === 'active' || value === 'pause' || value === 'drain') return value;
  throw new InvalidArgumentError(`invalid Availability: ${JSON.stringify(value)}`);
}

/** setTimeout's longest delay (2^31 - 1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * swarmkit's calculateRandomExpiry: from now until a random point between 50 % and 80 % of the
 * way from notBefore to notAfter (0 when that point has passed).
 */
export function renewalDelayMs(notBefore: number, notAfter: number, now: number, random: () => number = Math.random): number {
  const validity = notAfter - notBefore;
  return Math.max(0, notBefore + validity * (0.5 + 0.3 * random()) - now);
}

/** `docker version` reports Go's GOARCH (amd64). */
function goArch(): string {
  const map: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386' };
  return map[process.arch] ?? process.arch;
}

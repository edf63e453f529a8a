// shoald's composition root: the local Engine API, and — once in a swarm — the
// agent on every node plus the manager on managers. It implements EngineBackend by
// routing cluster calls to the local manager or refusing them on a worker.
import * as path from 'node:path';
import { EngineServer } from '@shoal/api';
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
import { Agent, TaskRunner } from '@shoal/agent';
import type { ProcessExecutor } from '@shoal/runtime';
import { Manager, isTaskDirty, rewriteAsSingleMember, type ManagerStart } from '@shoal/manager';
import { tlsInfo } from '@shoal/pki';
import {
  AlreadyInSwarmError,
  ConflictError,
  InvalidArgumentError,
  SWARM_LOCKED_TEXT,
  UnavailableError,
  NotInSwarmError,
  NotManagerError,
  NO_SWARM_NOT_MANAGER_TEXT,
  ShoalError,
  type ClusterObject,
  type ClusterSpec,
  type NetworkCreateRequest,
  type NetworkObject,
  type NodeObject,
  type NodeSpec,
  type ServiceObject,
  type ServiceSpec,
  type TaskObject,
} from '@shoal/store';
import type { TlsMaterial } from '@shoal/wire';
import type { Logger } from 'pino';
import { checkDataPathAddr, joinHostPort, resolveAdvertiseAddr, resolveListenAddr, splitHostPort } from './addr';
import { joinCluster } from './join';
import { NodeStateFiles, type PersistedNode } from './node-state';
import type { DataPlane } from './data-plane';
import { releaseNodeTasks, startNodeTasks, type NodeTasks } from './node-tasks';
import { newCluster, parseAvailability } from './init';
import { CertificateRenewal } from './certificates';
import { describeNode, hostInfo, managerLeaveWarning, swarmInfo, systemVersion } from './node-info';
import { stopLeftoverTasks } from './leftover-tasks';
import { RoleChanges } from './role-changes';

/** moby's swarmConnectTimeout: how long `swarm join` waits for the node to be registered. */
const JOIN_READY_TIMEOUT_MS = 20_000;
/** moby's errSwarmJoinTimeoutReached. */
const JOIN_TIMEOUT_TEXT =
  'Timeout was reached before node joined. The attempt to join the swarm will continue in the background. Use the "docker info" command to see the current swarm status of your node.';

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
  renewal: CertificateRenewal;
  /** A rejoin of Raft is queued or running. */
  rejoining?: boolean;
  /** The swarm networks this node is on, as its managers last said (a worker's `network ls`). */
  networks: NetworkObject[];
}

export class Daemon implements EngineBackend {
  private readonly files: NodeStateFiles;
  private readonly api: EngineServer;
  private active: Active | null = null;
  /** Promotions, demotions and memberships that failed to start (swarm state "error"). */
  private readonly roles: RoleChanges;
  /** A manager that restarted with autolock on: nothing runs until `swarm unlock` gives the key. */
  private locked: PersistedNode | null = null;
  /** Serialises init/join/leave so two cannot interleave. */
  private transition: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: DaemonOptions) {
    this.files = new NodeStateFiles(options.dataDir);
    this.api = new EngineServer({ backend: this, logger: options.logger.child({ module: 'api' }) });
    this.roles = new RoleChanges({
      current: () => this.active,
      activate: (node, tls, start, kept) => this.activate(node, tls, start, kept),
      deactivate: (keep) => this.deactivate(keep),
      serialised: (fn) => this.serialised(fn),
      files: this.files,
      dataDir: options.dataDir,
      logger: options.logger,
    });
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
      const start: ManagerStart = { mode: 'resume', managers: saved.node.managers };
      try {
        await this.activate(saved.node, saved.tls, start);
      } catch (err) {
        // e.g. the manager's address taken: up in state "error", tried again, as moby's node runner.
        this.roles.retry(saved.node, saved.tls, start, err);
      }
    }
    await this.api.listen(this.socketPath);
    this.options.logger.info({ socket: this.socketPath }, 'local API listening');
  }

  async stop(): Promise<void> {
    this.roles.stop();
    // A membership retry under way finishes first (it sees `stopping` and starts nothing more).
    await this.serialised(async () => undefined).catch(() => undefined);
    await this.api.close();
    await this.deactivate();
  }

  // ---- EngineBackend: local state ----

  swarmStatus(): LocalSwarmStatus {
    if (this.locked) return { state: 'locked', controlAvailable: false };
    if (!this.active) return { state: this.roles.failure ? 'error' : 'inactive', controlAvailable: false };
    return { state: 'active', controlAvailable: this.active.manager !== null };
  }

  tlsInfo(): TLSInfo {
    return this.active ? tlsInfo(this.active.tls.caCertPem) : {};
  }

  clusterTlsInfo(cluster: ClusterObject): TLSInfo {
    return tlsInfo(cluster.rootCA.certPem, cluster.rootRotation?.certPem);
  }

  version(): SystemVersion {
    return systemVersion();
  }

  async info(): Promise<SystemInfo> {
    const a = this.active;
    const swarm = await swarmInfo({
      node: a?.node ?? this.locked ?? this.roles.failure?.node ?? null,
      state: this.swarmStatus().state,
      ...(this.roles.failure && !a ? { error: this.roles.failure.error } : {}),
      manager: a?.manager ?? null,
      clusterTlsInfo: (c) => this.clusterTlsInfo(c),
    });
    return hostInfo({ id: a?.node.nodeId ?? '', hostname: this.options.hostname, dataDir: this.options.dataDir, swarm });
  }

  // ---- EngineBackend: swarm membership ----

  swarmInit(req: SwarmInitRequest): Promise<string> {
    return this.serialised(() => this.init(req));
  }

  async swarmJoin(req: SwarmJoinRequest): Promise<void> {
    let agent = await this.serialised(() => this.join(req));
    // As moby: the call returns once a manager has registered the node (it is Ready in `node ls`),
    // or after 20 s with the join going on in the background. Unlike moby, which holds its
    // control lock for the whole wait, the wait is outside the queue: a `swarm leave` (or a role
    // change) need not wait behind it.
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), JOIN_READY_TIMEOUT_MS)));
    try {
      for (;;) {
        const outcome = await Promise.race([agent.registered, timedOut]);
        if (outcome === 'timeout') throw new UnavailableError(JOIN_TIMEOUT_TEXT);
        if (outcome) return;
        // The agent stopped first: a role change that carries the membership on to a new agent
        // (wait for that one), or a `swarm leave`. Whatever changed it is done once the queue is.
        await this.serialised(async () => {});
        if (!this.active) throw new NotInSwarmError();
        if (this.active.agent === agent) return;
        agent = this.active.agent;
      }
    } finally {
      clearTimeout(timer);
    }
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
    // `network ls` works on any node in Docker. A worker lists the swarm networks it is on
    // (ingress and its tasks' networks, as its managers last said); a process runtime has no
    // local networks (bridge, host) to add.
    if (this.active && !this.active.manager) return Promise.resolve(this.active.networks);
    if (!this.active) return Promise.resolve([]);
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
    // moby: --force-new-cluster on a worker is errSwarmNotManager, not "already part of a swarm".
    if (this.active && req.ForceNewCluster) throw new NotManagerError();
    if (this.active || this.roles.failure) throw new AlreadyInSwarmError();
    const { node, tls, init } = await newCluster(req, this.options.hostname);
    await this.activateFresh(node, tls, { mode: 'bootstrap', init });
    this.options.logger.info({ nodeId: node.nodeId, clusterId: node.clusterId, advertise: node.managers[0] }, 'swarm initialized');
    return node.nodeId;
  }

  /** Joins; returns the new membership's agent. */
  private async join(req: SwarmJoinRequest): Promise<Agent> {
    if (this.active || this.locked || this.roles.failure) throw new AlreadyInSwarmError();
    const remote = req.RemoteAddrs?.[0];
    if (!remote) throw new InvalidArgumentError('at least 1 RemoteAddr is required to join');
    const listen = resolveListenAddr(req.ListenAddr);
    // With no advertise address, advertise the address we reach the manager from.
    const advertise = resolveAdvertiseAddr(req.AdvertiseAddr, listen);
    checkDataPathAddr(req.DataPathAddr);
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
    return this.active!.agent;
  }

  private async leave(force: boolean): Promise<void> {
    if (this.locked) {
      if (!force) throw new UnavailableError('Swarm is encrypted and locked. Please unlock it first or use `--force` to ignore this message.');
      await stopLeftoverTasks(path.join(this.options.dataDir, 'tasks'), this.options.logger);
      this.locked = null;
      this.files.clear();
      this.options.logger.info('left the swarm (it was locked)');
      return;
    }
    if (!this.active && this.roles.failure) {
      // Failed to start (state "error"): give up on it and leave, as moby's Leave does.
      this.roles.giveUp();
      await stopLeftoverTasks(path.join(this.options.dataDir, 'tasks'), this.options.logger);
      this.files.clear();
      this.options.logger.info('left the swarm (its membership had failed to start)');
      return;
    }
    if (!this.active) throw new NotInSwarmError();
    if (this.active.manager && !force) {
      const nodes = await this.active.manager.call<NodeObject[]>('nodes').catch(() => null);
      throw new ShoalError('UNAVAILABLE', managerLeaveWarning(nodes));
    }
    await this.quit();
    this.options.logger.info('left the swarm');
  }

  /**
   * Out of the swarm for good (`swarm leave`, or removed by a manager). The agent goes quiet
   * first, as Docker's does: stopping the tasks must not reach the managers as failures to
   * replace (on this very node, too: it is Ready until seen down). Then every task stops.
   */
  private async quit(): Promise<void> {
    await this.active?.agent.stop();
    await this.active?.runner.stopAll();
    await this.deactivate();
    this.files.clear();
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
    const tls = this.files.unlock(keyText);
    this.locked = null;
    this.options.logger.info({ nodeId: node.nodeId }, 'swarm unlocked: resuming swarm membership');
    try {
      await this.activate(node, tls, { mode: 'resume', managers: node.managers });
    } catch (err) {
      this.locked = node; // still locked: the key files were not changed
      throw err;
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
  private async activateFresh(node: PersistedNode, tls: TlsMaterial, start: ManagerStart): Promise<void> {
    try {
      await this.activate(node, tls, start);
    } catch (err) {
      this.files.clear();
      throw err;
    }
  }

  /**
   * Starts the manager (on managers, as `start` says) and the agent. `kept`: the executor and
   * data plane a role change carries over (node-tasks.ts), instead of new ones.
   */
  private async activate(node: PersistedNode, tls: TlsMaterial, start: ManagerStart, kept?: NodeTasks): Promise<void> {
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
        // swarmkit's node wraps every failure of its manager so (init, join and a promotion alike).
        throw new InvalidArgumentError(`manager stopped: ${(err as Error).message}`, { cause: err });
      }
    }
    this.files.save(node, tls);
    const { executor, dataPlane } =
      kept ??
      startNodeTasks({
        dataDir: this.options.dataDir,
        nodeId: node.nodeId,
        addr: node.advertiseAddr,
        tls,
        kernelFastPath: this.options.ingressFastPath ?? false,
        onPeerSuspected: (nodeId) => this.active?.manager?.nodeSuspected(nodeId),
        logger: this.options.logger,
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
    try {
      await runner.adopt();
    } catch (err) {
      // The manager started above would keep its listener (and fail every retry on it): stop it.
      await manager?.stop();
      throw err;
    }
    agent = new Agent({
      runner,
      nodeId: node.nodeId,
      tls,
      managers: node.managers,
      describe: () => describeNode(this.options.hostname, node.advertiseAddr, this.active?.node === node ? this.active.tls : tls),
      onRootCA: (certPem) => {
        if (this.active?.agent === agent) void this.serialised(() => this.trustRootCA(certPem));
      },
      onRenewCertificate: () => {
        const a = this.active;
        if (a?.agent === agent) a.renewal.schedule(0);
      },
      logger: this.options.logger.child({ module: 'agent' }),
      role: node.role,
      // Gossip seeds: the managers, and on a manager every node it knows of. A lone manager that
      // restarts has no other manager to join through, and its workers, which have it as a
      // member already, do not join it again: it reaches them itself (QA).
      onSession: (info) =>
        dataPlane.start(info.gossipKeys, [...info.managers.map((m) => splitHostPort(m.addr).host), ...(manager?.nodeAddrs() ?? [])], info.dataPathPort),
      onGossipKeys: (keys) => dataPlane.setGossipKeys(keys),
      onRemovedNodes: (ids) => dataPlane.setRemovedNodes(ids),
      onIngressPorts: (ports) => dataPlane.setIngressPorts(ports),
      onNetworks: (networks) => {
        if (this.active?.agent === agent) this.active.networks = networks;
      },
      onRoleChange: (role, via) => this.roles.request(role, via),
      onRejoinRaft: (via) => {
        const a = this.active;
        if (a?.agent !== agent) return;
        // A worker here has not acted on its promotion yet; a manager's Raft state is void.
        if (node.role === 'worker') this.roles.request('manager', via);
        else if (!a.rejoining) {
          a.rejoining = true;
          void this.serialised(() => this.roles.rejoinRaft(a, via)).catch((err: unknown) => this.options.logger.error({ err }, 'rejoining raft failed'));
        }
      },
      onRemoved: () => {
        this.options.logger.warn('removed from the swarm by a manager: leaving');
        void this.serialised(() => this.quit());
      },
      onManagers: (peers) => {
        const addrs = [...new Set(peers.map((p) => p.addr))];
        if (addrs.join() !== node.managers.join()) {
          node.managers = addrs;
          this.files.save(node);
        }
      },
    });
    agent.start();
    const active: Active = { node, tls, agent, manager, executor, runner, dataPlane, networks: [], renewal: new CertificateRenewal({
      isCurrent: () => this.active === active,
      tls: () => active.tls,
      role: () => active.node.role,
      managers: () => [agent.connectedManager ?? '', ...active.node.managers],
      serialised: (fn) => this.serialised(fn),
      install: (next) => this.installTls(active, next),
      roleChange: (role, via) => this.roles.request(role, via),
      logger: this.options.logger,
    }) };
    this.active = active;
    active.renewal.schedule();
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

  /** Stops everything of the membership; with `keep` (a role change), returns its NodeTasks for the next one. */
  private async deactivate(keep = false): Promise<NodeTasks | null> {
    const a = this.active;
    this.active = null;
    if (!a) return null;
    a.renewal.stop();
    await a.agent.stop();
    a.runner.detach(); // the next membership's runner adopts its tasks (or they are gone)
    let stopped = false;
    try {
      await a.manager?.stop();
      stopped = true;
    } finally {
      // Not kept, or nothing will take them over now: let them go rather than leak them.
      if (!keep || !stopped) await releaseNodeTasks(a);
    }
    return keep ? { executor: a.executor, dataPlane: a.dataPlane } : null;
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

  private manager(): Manager {
    if (this.locked) throw new UnavailableError(SWARM_LOCKED_TEXT);
    // A cluster call on a node in no swarm gets moby's errNoManager, not errNoSwarm.
    if (!this.active) throw new NotManagerError(NO_SWARM_NOT_MANAGER_TEXT);
    if (!this.active.manager) throw new NotManagerError();
    return this.active.manager;
  }

  private serialised<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.transition.then(fn, fn);
    this.transition = run.catch(() => undefined);
    return run;
  }
}


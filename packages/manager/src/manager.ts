// A manager: the Raft-replicated cluster store, the control API and the 2377 gRPC
// server (CA, dispatcher, Raft, forwarded control calls). The dispatcher and the
// membership reconciler run only while this manager leads.
import * as grpc from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import {
  ClusterStore,
  MemoryStore,
  OutOfSequenceError,
  UnavailableError,
  createOp,
  errorFromCode,
  taskStateRank,
  updateOp,
  type ClusterSpec,
  type ErrorCode,
  type NodeDescription,
  type TaskObject,
} from '@shoal/store';
import {
  decode,
  CAService,
  ControlMethods,
  ControlService,
  DispatcherService,
  RaftService,
  clientCredentials,
  createClient,
  type LogRecordWithOrigin,
  type ManagerPeer,
  type TlsMaterial,
  type TypedClient,
} from '@shoal/wire';
import type { Logger } from 'pino';
import { generateNodeId, parseNodeCertificate } from '@shoal/pki';
import { CAServer } from './ca-server';
import { DEFAULT_ADDR_POOL, DEFAULT_SUBNET_SIZE, allocateSubnet } from './address-pool';
import { ControlApi } from './control-api';
import { controlHandlers, invokeControl, type ForwardedMethod } from './control-server';
import { Dispatcher } from './dispatcher';
import { GossipKeyRotator } from './gossip-key-rotator';
import { gossipKeyTimingFromEnv, type GossipKeyTiming } from './gossip-keys';
import { OrchestrationLoop } from './orchestration-loop';
import { reconcile } from './orchestrator';
import type { LogQuery } from './log-broker';
import { MembershipReconciler } from './raft/membership';
import { ManagerListener } from './listener';
import { leaderFromError, raftHandlers, raftLinkHandler } from './raft/raft-server';
import { NO_LEADER_MESSAGE, RaftReplica } from './raft/replica';
import { RaftTransport } from './raft/transport';
import { RootRotationReconciler } from './root-rotation';
import type { AtRestCipher } from '@shoal/raft';

export interface ManagerOptions {
  /** `$SHOAL_HOME`; Raft state lives under `raft/`. */
  dataDir: string;
  nodeId: string;
  /** host:port to bind 2377 on. */
  listenAddr: string;
  /** host:port other nodes dial. */
  advertiseAddr: string;
  tls: TlsMaterial;
  logger: Logger;
  /** Raft timing; defaults: 100 ms ticks, election 10 ticks, heartbeat 1 tick. */
  raft?: { tickMs?: number; electionTick?: number; heartbeatTick?: number };
  /** Gossip key rotation while leading; default $SHOAL_GOSSIP_KEY_ROTATION, else every 12 h (DEFAULT_GOSSIP_KEY_TIMING). */
  gossipKeyRotation?: GossipKeyTiming;
  /** How long a connected manager may stay outside Raft before it is told to rejoin (default 5 s). */
  raftRejoinAfterMs?: number;
  /** This manager's raft data-encryption key; sealing is switched by setEncryptionAtRest (autolock). */
  atRest?: AtRestCipher;
  /**
   * The swarm's unlock key as this manager's replicated state has it (null: autolock off), each
   * time it changes and once the state is first known. The caller re-seals what it keeps on disk.
   */
  onUnlockKey?: (key: string | null) => void;
}

export interface InitClusterOptions {
  clusterId: string;
  rootCA: { certPem: string; keyPem: string };
  joinTokens: { worker: string; manager: string };
  spec: ClusterSpec;
  description: NodeDescription;
  availability: 'active' | 'pause' | 'drain';
  certificate: { serial: string; notAfter: string };
  /** With spec.autoLockManagers: the swarm's unlock key. */
  unlockKey?: string;
  /** `swarm init --default-addr-pool`, `--default-addr-pool-mask-length`, `--data-path-port` (validated). */
  defaultAddrPool?: string[];
  subnetSize?: number;
  dataPathPort?: number;
}

/** How a manager comes up: a new cluster, a promoted node joining Raft, or a restart. */
export type ManagerStart =
  | { mode: 'bootstrap'; init: InitClusterOptions }
  | { mode: 'join'; managers: readonly string[] }
  | { mode: 'resume'; managers: readonly string[]; forceNewCluster?: boolean };

export const DEFAULT_CLUSTER_SPEC: ClusterSpec = {
  name: 'default',
  labels: {},
  heartbeatPeriodMs: 1000,
  taskHistoryRetentionLimit: 5,
  nodeCertExpiryMs: 2160 * 3600_000,
  snapshotInterval: 10_000,
  electionTick: 10,
  heartbeatTick: 1,
  autoLockManagers: false,
};

type ControlClient = TypedClient<typeof ControlMethods>;

export class Manager {
  readonly memory = new MemoryStore(decode);
  readonly store: ClusterStore;
  readonly control: ControlApi;
  readonly replica: RaftReplica;
  private readonly transport: RaftTransport;
  private readonly dispatcher: Dispatcher;
  private readonly ca: CAServer;
  private readonly membership: MembershipReconciler;
  private readonly orchestration: OrchestrationLoop;
  private readonly gossipKeys: GossipKeyRotator;
  private readonly rootRotation: RootRotationReconciler;
  private readonly controlClients = new Map<string, ControlClient>();
  private server: grpc.Server | null = null;
  private listener: ManagerListener | null = null;
  private stopping = false;
  /** This node's certificate; replaced by setTls after a renewal. */
  private tls: TlsMaterial;
  private unlockKeyRetry: NodeJS.Timeout | undefined;
  /** The unlock key last reported through onUnlockKey (undefined: none reported yet). */
  private reportedUnlockKey: string | null | undefined;

  constructor(private readonly options: ManagerOptions) {
    const logger = options.logger;
    this.tls = options.tls;
    this.transport = new RaftTransport(options.tls, logger.child({ module: 'raft-transport' }));
    this.replica = new RaftReplica({
      nodeId: options.nodeId,
      dir: path.join(options.dataDir, 'raft'),
      store: this.memory,
      transport: this.transport,
      logger: logger.child({ module: 'raft' }),
      ...options.raft,
      snapshotInterval: () => this.memory.list('cluster')[0]?.spec.snapshotInterval ?? DEFAULT_CLUSTER_SPEC.snapshotInterval,
      keepOldSnapshots: () => this.memory.list('cluster')[0]?.spec.keepOldSnapshots ?? 0,
      onLeaderChange: (lead) => this.onLeaderChange(lead),
      onMembershipChange: () => {
        this.dispatcher.managersChanged();
        this.checkUnlockKey(); // also called after a snapshot was installed
      },
      ...(options.atRest ? { cipher: options.atRest } : {}),
    });
    this.memory.watch((events) => {
      if (events.some((ev) => ev.kind === 'cluster')) this.checkUnlockKey();
    });
    this.transport.attach({
      unreachable: (id) => this.replica.reportUnreachable(id),
      snapshot: (id, outcome) => this.replica.reportSnapshot(id, outcome),
      disconnected: (addr) => this.replica.peerDisconnected(addr),
    });
    this.store = new ClusterStore(this.memory, this.replica);
    this.control = new ControlApi(this.store, this.replica);
    const managers = () => this.managers();
    const leaderAddr = () => this.leaderAddr();
    this.ca = new CAServer({
      store: this.store,
      control: this.control,
      managers,
      isLeader: () => this.replica.isLeader,
      leaderAddr,
      logger: logger.child({ module: 'ca' }),
    });
    this.dispatcher = new Dispatcher({
      store: this.store,
      control: this.control,
      managers,
      leaderAddr,
      ...(options.raftRejoinAfterMs !== undefined ? { rejoinAfterMs: options.raftRejoinAfterMs } : {}),
      logger: logger.child({ module: 'dispatcher' }),
    });
    this.orchestration = new OrchestrationLoop({
      store: this.store,
      logger: logger.child({ module: 'orchestrator' }),
      reconcile: (view, ctx) =>
        reconcile(view, ctx, {
          taskHistoryRetentionLimit: this.memory.list('cluster')[0]?.spec.taskHistoryRetentionLimit ?? 5,
        }),
    });
    const keyTiming = options.gossipKeyRotation ?? gossipKeyTimingFromEnv(process.env);
    this.gossipKeys = new GossipKeyRotator({
      store: this.store,
      logger: logger.child({ module: 'gossip-keys' }),
      ...(keyTiming ? { timing: keyTiming } : {}),
    });
    this.rootRotation = new RootRotationReconciler({ store: this.store, logger: logger.child({ module: 'ca' }) });
    this.control.logRotation = (msg) => logger.info(msg);
    this.membership = new MembershipReconciler({
      store: this.store,
      replica: this.replica,
      selfId: options.nodeId,
      logger: logger.child({ module: 'membership' }),
    });
  }

  get isLeader(): boolean {
    return this.replica.isLeader;
  }

  async start(start: ManagerStart): Promise<void> {
    await this.listen();
    if (start.mode === 'bootstrap') {
      if (!this.replica.isEmpty) throw new Error('cannot bootstrap: raft state already exists');
      this.replica.bootstrap(this.options.advertiseAddr);
      this.replica.start();
      this.replica.campaign();
      await this.initCluster(start.init);
    } else {
      if (start.mode === 'resume' && start.forceNewCluster) this.forceNewClusterCleanup();
      this.checkUnlockKey(); // the state restored from disk
      this.replica.start();
      if (this.replica.isEmpty) await this.joinRaft(start.managers);
      // The only voter need not wait out an election timeout to lead again.
      else if (this.replica.members().voters.length === 1 && this.replica.members().voters[0] === this.options.nodeId) {
        this.replica.campaign();
      }
    }
    this.options.logger.info({ listen: this.options.listenAddr, mode: start.mode }, 'manager started');
  }

  /** Between start() and stop(). */
  get running(): boolean {
    return !this.stopping;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.unlockKeyRetry) clearTimeout(this.unlockKeyRetry);
    this.rootRotation.stop();
    this.gossipKeys.stop();
    this.orchestration.stop();
    this.membership.stop();
    this.dispatcher.stop();
    this.replica.stop();
    this.transport.close();
    for (const c of this.controlClients.values()) c.close();
    this.listener?.close();
    this.listener = null;
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
  }

  /**
   * A renewed certificate: the 2377 listener, Raft links and forwarding clients present it from
   * now on; open connections keep the one they were made with.
   */
  setTls(material: TlsMaterial): void {
    this.tls = material;
    this.listener?.setTls(material);
    this.transport.setTls(material);
    const clients = [...this.controlClients.values()];
    this.controlClients.clear();
    for (const c of clients) c.close();
  }

  /** Seals (or stops sealing) this manager's raft data at rest; on, what is on disk is rewritten sealed. */
  setEncryptionAtRest(on: boolean): void {
    this.replica.setEncryptionAtRest(on);
  }

  /** Reports the replicated unlock key when it differs from the last one reported (outside the apply loop). */
  private checkUnlockKey(): void {
    const cluster = this.memory.list('cluster')[0];
    if (!cluster || !this.options.onUnlockKey) return;
    const key = cluster.unlockKey ?? null;
    if (key === this.reportedUnlockKey) return;
    // Believe the key only from state caught up with a leader: state restored from disk may
    // predate `--autolock` (unsealing the keys) or a rotation (sealing them under a key the
    // operator has discarded).
    if (!this.caughtUp()) {
      this.unlockKeyRetry ??= setTimeout(() => {
        this.unlockKeyRetry = undefined;
        if (!this.stopping) this.checkUnlockKey();
      }, 500);
      return;
    }
    this.reportedUnlockKey = key;
    const report = this.options.onUnlockKey;
    setImmediate(() => {
      if (this.reportedUnlockKey === key) report(key);
    });
  }

  /** This manager knows a leader and has applied everything it knows to be committed. */
  private caughtUp(): boolean {
    const status = this.replica.status();
    return status.lead !== null && this.memory.appliedIndex >= status.commit;
  }

  /** Runs a control-API call here when leading, else on the leader. */
  async call<T>(method: ForwardedMethod, ...args: unknown[]): Promise<T> {
    // Like swarmkit, wait a bounded time for an election in progress before giving up.
    if (!this.replica.leader) await this.untilAnyLeader(2 * this.electionTimeoutMs());
    if (this.replica.isLeader) return (await invokeControl(this.control, method, args)) as T;
    const addr = this.leaderAddr();
    if (!addr) throw new UnavailableError(NO_LEADER_MESSAGE);
    let res;
    try {
      res = await this.controlClient(addr).unary.Call({ method, args }, { timeoutMs: 5000 });
    } catch (err) {
      throw new UnavailableError(NO_LEADER_MESSAGE, { cause: err });
    }
    if (!res.ok) throw errorFromCode(res.code as ErrorCode, res.message);
    return res.result as T;
  }

  /** Log records of a service's or task's tasks, gathered by the leader from their nodes. */
  async *logs(target: { kind: 'service' | 'task'; input: string }, query: LogQuery, signal: AbortSignal): AsyncGenerator<LogRecordWithOrigin> {
    if (!this.replica.leader) await this.untilAnyLeader(2 * this.electionTimeoutMs());
    if (this.replica.isLeader) {
      yield* this.subscribeLogs(target, query, signal);
      return;
    }
    const addr = this.leaderAddr();
    if (!addr) throw new UnavailableError(NO_LEADER_MESSAGE);
    const stream = this.controlClient(addr).stream.SubscribeLogs({ target, ...query }, { signal });
    try {
      for await (const rec of stream as AsyncIterable<LogRecordWithOrigin>) yield rec;
    } catch (err) {
      if (!signal.aborted) throw grpcErrorToShoal(err);
    }
  }

  /** The leader's log stream of a target; a followed service picks up the tasks that start later. */
  private subscribeLogs(target: { kind: 'service' | 'task'; input: string }, query: LogQuery, signal: AbortSignal): AsyncGenerator<LogRecordWithOrigin> {
    const serviceId = target.kind === 'service' ? this.control.service(target.input).id : null;
    // swarmkit's subscription: a service's tasks that do not run yet are left out unless followed;
    // a task asked for by ID always counts (unscheduled, it is named in the closing warning).
    const tasks =
      serviceId === null
        ? [this.control.task(target.input)]
        : this.control.tasks().filter((t) => t.serviceId === serviceId && (query.follow || taskStateRank(t.status.state) >= taskStateRank('running')));
    const watch =
      serviceId === null
        ? undefined
        : (started: (t: TaskObject) => void) =>
            this.store.memory.watch((events) => {
              for (const ev of events) {
                if (ev.kind !== 'task' || ev.object.serviceId !== serviceId) continue;
                const was = ev.previous ? taskStateRank(ev.previous.status.state) : 0;
                // Once its process is started (it may log from then on).
                if (taskStateRank(ev.object.status.state) >= taskStateRank('starting') && was < taskStateRank('starting')) started(ev.object);
              }
            });
    return this.dispatcher.logs.subscribe(tasks, query, signal, watch);
  }

  /** Managers agents may dial: the Raft members' addresses. */
  managers(): ManagerPeer[] {
    return [...this.replica.members().addrs].map(([nodeId, addr]) => ({ nodeId, addr }));
  }

  /** The addresses of the nodes in the store that are not down: gossip seeds for a manager that restarts alone. */
  nodeAddrs(): string[] {
    return this.memory
      .list('node')
      .filter((n) => n.status.state !== 'down' && n.status.addr !== '')
      .map((n) => n.status.addr);
  }

  /** Gossip on this node suspects `nodeId` (acted on by the dispatcher while this manager leads). */
  nodeSuspected(nodeId: string): void {
    this.dispatcher.nodeSuspected(nodeId);
  }

  leaderAddr(): string | null {
    const lead = this.replica.leader;
    return lead ? (this.replica.members().addrs.get(lead) ?? null) : null;
  }

  private async listen(): Promise<void> {
    const server = new grpc.Server({ 'grpc.keepalive_permit_without_calls': 1, 'grpc.http2.min_ping_interval_without_data_ms': 5000 });
    // From our own certificate: a manager that is still catching up has no cluster object yet.
    const ownClusterId = parseNodeCertificate(this.options.tls.certPem).clusterId;
    const clusterId = () => ownClusterId;
    const revoked = () => this.memory.list('cluster')[0]?.revokedNodes ?? [];
    server.addService(CAService, this.ca.handlers());
    server.addService(DispatcherService, this.dispatcher.handlers());
    const raftDeps = { replica: () => this.replica, clusterId, revoked, leaderAddr: () => this.leaderAddr(), logger: this.options.logger };
    server.addService(RaftService, raftHandlers(raftDeps));
    server.addService(
      ControlService,
      controlHandlers({
        control: this.control,
        isLeader: () => this.replica.isLeader,
        leaderAddr: () => this.leaderAddr(),
        clusterId,
        revoked,
        logs: (target, query, signal) => this.subscribeLogs(target, query, signal),
      }),
    );
    this.listener = await ManagerListener.open(this.options.listenAddr, this.tls, server, raftLinkHandler(raftDeps), this.options.logger);
    this.server = server;
  }

  private async initCluster(init: InitClusterOptions): Promise<void> {
    await this.untilLeader(10_000);
    await this.store.commit([
      createOp('cluster', {
        id: init.clusterId,
        spec: init.spec,
        rootCA: init.rootCA,
        joinTokens: init.joinTokens,
        ...(init.unlockKey ? { unlockKey: init.unlockKey } : {}),
        ...(init.defaultAddrPool?.length ? { defaultAddrPool: [...init.defaultAddrPool] } : {}),
        ...(init.subnetSize ? { subnetSize: init.subnetSize } : {}),
        ...(init.dataPathPort ? { dataPathPort: init.dataPathPort } : {}),
        revokedNodes: [],
        gossipKeys: [randomBytes(32).toString('base64')],
        gossipKeyRotation: { phase: 'steady', sinceMs: Date.now() },
      }),
      createOp('node', {
        id: this.options.nodeId,
        spec: { name: '', labels: {}, role: 'manager', availability: init.availability },
        role: 'manager',
        description: init.description,
        status: { state: 'ready', message: '', addr: init.description.addr },
        certificate: init.certificate,
      }),
      createOp('network', {
        id: generateNodeId(),
        name: 'ingress',
        driver: 'overlay',
        ingress: true,
        attachable: false,
        labels: {},
        // The first subnet of the default address pool, as Docker's ingress.
        ...(allocateSubnet(init.defaultAddrPool?.length ? init.defaultAddrPool : DEFAULT_ADDR_POOL, init.subnetSize || DEFAULT_SUBNET_SIZE, []) ?? { subnet: '10.0.0.0/24', gateway: '10.0.0.1' }),
      }),
    ]);
  }

  /** After --force-new-cluster: the other managers are gone; make them workers in the store. */
  private forceNewClusterCleanup(): void {
    const run = async () => {
      await this.untilLeader(10_000);
      let failed = 0;
      for (const { id } of this.memory.list('node')) {
        if (id === this.options.nodeId) continue;
        // One that cannot be demoted does not keep the others from it.
        await this.demoteLostManager(id).catch((err: unknown) => {
          failed++;
          this.options.logger.error({ err, nodeId: id }, 'force-new-cluster: could not demote a lost manager');
        });
      }
      if (failed > 0) throw new Error(`${failed} lost managers not demoted`);
      this.options.logger.info('force-new-cluster: other managers demoted');
    };
    run().catch((err: unknown) => this.options.logger.error({ err }, 'force-new-cluster cleanup failed'));
  }

  /**
   * Makes a node a worker in the store. Nodes are written meanwhile too (a new leader marks them
   * Unknown, sessions mark them Ready): on "update out of sequence" the node is read again and the
   * write retried, or a lost manager would keep its role and rejoin Raft when it comes back.
   */
  private async demoteLostManager(id: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const node = this.memory.get('node', id);
      if (!node || (node.spec.role === 'worker' && node.role === 'worker')) return;
      try {
        await this.store.commit([updateOp('node', { ...node, spec: { ...node.spec, role: 'worker' }, role: 'worker' }, node.version)]);
        return;
      } catch (err) {
        if (!(err instanceof OutOfSequenceError) || attempt >= 20) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  private electionTimeoutMs(): number {
    return (this.options.raft?.tickMs ?? 100) * (this.options.raft?.electionTick ?? 10);
  }

  private async untilAnyLeader(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.replica.leader && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  }

  private async untilLeader(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.replica.isLeader) {
      if (Date.now() > deadline) throw new UnavailableError(NO_LEADER_MESSAGE);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Asks the leader (following redirects) to add this manager to Raft. */
  private async joinRaft(managers: readonly string[]): Promise<void> {
    const deadline = Date.now() + 60_000;
    let lastErr: unknown = null;
    let redirect: string | null = null;
    for (let i = 0; Date.now() < deadline && managers.length > 0; i++) {
      const addr = redirect ?? (managers[i % managers.length] as string);
      redirect = null;
      try {
        const res = await this.transport.client(addr).unary.Join({ addr: this.options.advertiseAddr }, { timeoutMs: 10_000 });
        this.replica.learnPeers(res.members);
        this.options.logger.info({ via: addr }, 'joined raft as a learner');
        return;
      } catch (err) {
        lastErr = err;
        redirect = leaderFromError(err);
        if (!redirect) await new Promise((r) => setTimeout(r, 250));
      }
    }
    throw new UnavailableError(`could not join the managers' raft: ${(lastErr as Error | null)?.message ?? 'no manager to ask'}`);
  }

  /** Counts leadership changes: a takeover still decoding the store gives up once it is not the newest. */
  private leadership = 0;

  private onLeaderChange(lead: string | null): void {
    const generation = ++this.leadership;
    if (lead === this.options.nodeId) {
      // The leader's duties read every object, which a follower's store mostly kept encoded:
      // decode them a slice at a time first, so writes through this new leader go on meanwhile.
      const takeOver = () => {
        if (generation !== this.leadership) return;
        if (!this.memory.decodeSome(TAKEOVER_SLICE_MS)) return void setImmediate(takeOver);
        this.dispatcher.start();
        this.membership.start();
        this.orchestration.start();
        this.gossipKeys.start();
        this.rootRotation.start();
      };
      takeOver();
    } else {
      this.rootRotation.stop();
      this.gossipKeys.stop();
      this.orchestration.stop();
      this.membership.stop();
      this.dispatcher.stop();
    }
  }

  private controlClient(addr: string): ControlClient {
    let c = this.controlClients.get(addr);
    if (!c) {
      c = createClient(ControlService, ControlMethods, addr, clientCredentials(this.tls));
      this.controlClients.set(addr, c);
    }
    return c;
  }
}

/** How long a new leader decodes its store at a time before it takes up its duties (ms). */
const TAKEOVER_SLICE_MS = 5;

/** A forwarded call's gRPC failure, as the typed error the leader raised. */
function grpcErrorToShoal(err: unknown): Error {
  const e = err as { details?: string; message?: string };
  const m = /^(\w+): ([\s\S]*)$/.exec(e.details ?? '');
  if (m) return errorFromCode(m[1] as ErrorCode, m[2] ?? '');
  return new UnavailableError(e.details ?? e.message ?? String(err));
}

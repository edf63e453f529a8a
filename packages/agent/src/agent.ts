// The agent on every node: holds one dispatcher session with a manager, heartbeats
// at the period the manager asks for, and reconnects (to any known manager) with
// capped exponential backoff when the session breaks.
import {
  DispatcherMethods,
  DispatcherService,
  GrpcStatus,
  clientCredentials,
  createClient,
  isGrpcStatus,
  type ManagerPeer,
  type NodeRole,
  type NodeDescription,
  type SessionMessage,
  type TlsMaterial,
  type TypedClient,
} from '@shoal/wire';
import type { Logger } from 'pino';
import type { TaskStatusUpdate, SessionLogRequest, LogRecordWire, NodeNetwork } from '@shoal/wire';
import type { TaskRunner } from './task-runner';

export interface AgentOptions {
  nodeId: string;
  tls: TlsMaterial;
  /** host:port of managers to try, in order. */
  managers: string[];
  describe: () => NodeDescription;
  logger: Logger;
  /** Called when a manager says this node was removed from the swarm. */
  onRemoved: () => void;
  /** The role this node's certificate carries. */
  role: NodeRole;
  /** The manager wants this node in another role: the daemon renews its certificate via `manager`. */
  onRoleChange: (role: NodeRole, manager: string) => void;
  /** Called when the manager list changes (to persist it for restarts). */
  onManagers?: (managers: ManagerPeer[]) => void;
  backoff?: { initialMs: number; maxMs: number };
  /**
   * A session not registered within this long is given up and the next manager tried (default:
   * two heartbeat periods, 2 s at first): a frozen manager's kernel still takes the connection,
   * and the handshake would wait for it to thaw. Shorter than the grace window a leader gives
   * a node, so one unanswering manager does not cost the node its tasks.
   */
  establishTimeoutMs?: number;
  /** Runs the tasks the manager assigns to this node. */
  runner?: TaskRunner;
  /** A session started: the managers and the cluster's gossip keys. */
  onSession?: (info: { managers: ManagerPeer[]; gossipKeys: string[]; dataPathPort?: number }) => void;
  /** The managers rotated the gossip keys during the session (base64, primary first). */
  onGossipKeys?: (keys: string[]) => void;
  /** The cluster's root CA (PEM), at session start and when a rotation ends: trust it if it differs. */
  onRootCA?: (certPem: string) => void;
  /** A root CA rotation wants this node's certificate renewed now. */
  onRenewCertificate?: () => void;
  /** The managers count this manager out of Raft: rejoin it afresh (`via`: the manager that said so). */
  onRejoinRaft?: (via: string) => void;
  /** Nodes removed from the swarm (at session start and on every change). */
  onRemovedNodes?: (nodeIds: string[]) => void;
  /** The services' published TCP ingress ports (at session start and on every change). */
  onIngressPorts?: (ports: number[]) => void;
  /** The swarm networks this node is on (at session start and whenever they or its tasks change). */
  onNetworks?: (networks: NodeNetwork[]) => void;
}

type Dispatcher = TypedClient<typeof DispatcherMethods>;

export class Agent {
  private stopped = false;
  private managers: string[];
  private next = 0;
  private client: Dispatcher | null = null;
  private abort: AbortController | null = null;
  private readonly lifetime = new AbortController();
  private loop: Promise<void> | null = null;
  private connectedTo: string | null = null;
  private session_: { client: Dispatcher; sessionId: string } | null = null;
  private readonly pendingStatus = new Map<string, TaskStatusUpdate>();
  private flushTimer: NodeJS.Timeout | null = null;
  private readonly logStreams = new Map<string, AbortController>();
  /** A follower told us where the leader is: try it next. */
  private redirect: string | null = null;
  /** The session was ended on this side for a reason that says nothing against its manager (a renewed certificate): try it again first. */
  private keepManager = false;
  /** The heartbeat period the last session was given. */
  private periodMs = 1000;
  private settleRegistered!: (registered: boolean) => void;
  /**
   * True once a manager first registered a session of this agent: the manager has marked the
   * node Ready by then (moby's join returns at this point too, its node runner's "ready"). False
   * when the agent was stopped before that.
   */
  readonly registered = new Promise<boolean>((resolve) => (this.settleRegistered = resolve));

  /** This node's certificate; replaced by setTls after a renewal. */
  private tls: TlsMaterial;

  constructor(private readonly options: AgentOptions) {
    this.managers = [...options.managers];
    this.tls = options.tls;
  }

  /**
   * A renewed certificate: the session starts over with it (the manager sees the new one at the
   * handshake), straight away, without the node going down.
   */
  setTls(material: TlsMaterial): void {
    this.tls = material;
    this.keepManager = true;
    this.abort?.abort();
  }

  get connectedManager(): string | null {
    return this.connectedTo;
  }

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.settleRegistered(false); // no-op once registered
    this.lifetime.abort();
    this.abort?.abort();
    this.client?.close();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { initialMs, maxMs } = this.options.backoff ?? { initialMs: 100, maxMs: 2000 };
    let delay = initialMs;
    while (!this.stopped) {
      const redirected = this.redirect !== null;
      const addr = this.redirect ?? this.managers[this.next % this.managers.length] ?? '';
      this.redirect = null;
      this.keepManager = false;
      const established = await this.session(addr).catch((err: unknown) => {
        const leader = /not the leader; leader=(\S+)/.exec((err as { details?: string }).details ?? '')?.[1];
        if (leader) {
          this.redirect = leader;
          return true; // go straight to the leader, no backoff
        }
        this.options.logger.warn({ manager: addr, err: (err as Error).message }, 'dispatcher session ended');
        return false;
      });
      this.connectedTo = null;
      if (this.stopped) break;
      // A manager that failed the session (unreachable, no answer in time, heartbeats failing,
      // no longer leader) is tried again only after the others: it may be the one that died.
      if (!redirected && !this.keepManager && !this.redirect) this.next++;
      delay = established ? initialMs : Math.min(maxMs, delay * 2);
      await sleep(delay, this.lifetime.signal);
    }
  }

  /** Runs one session to its end; true when it got as far as being registered. */
  private async session(addr: string): Promise<boolean> {
    this.abort = new AbortController();
    const signal = this.abort.signal;
    if (this.lifetime.signal.aborted) return false;
    const client: Dispatcher = createClient(DispatcherService, DispatcherMethods, addr, clientCredentials(this.tls));
    this.client = client;
    let registered = false;
    const establishing = setTimeout(() => {
      if (registered) return;
      this.options.logger.warn({ manager: addr }, 'dispatcher session not established in time; trying another manager');
      this.abort?.abort();
    }, this.options.establishTimeoutMs ?? 2 * this.periodMs);
    try {
      const stream = client.stream.Session({ description: this.options.describe() }, { signal });
      let heartbeat: Promise<void> | null = null;
      for await (const msg of stream as AsyncIterable<SessionMessage>) {
        switch (msg.type) {
          case 'session':
            registered = true;
            this.connectedTo = addr;
            this.options.logger.info({ manager: addr, sessionId: msg.sessionId }, 'dispatcher session established');
            this.updateManagers(msg.managers);
            this.options.onSession?.({ managers: msg.managers, gossipKeys: msg.gossipKeys, ...(msg.dataPathPort ? { dataPathPort: msg.dataPathPort } : {}) });
            this.options.onRemovedNodes?.(msg.removedNodes ?? []);
            if (msg.ingressPorts) this.options.onIngressPorts?.(msg.ingressPorts);
            if (msg.rootCA) this.options.onRootCA?.(msg.rootCA);
            if (msg.role !== this.options.role) this.options.onRoleChange(msg.role, addr);
            this.session_ = { client, sessionId: msg.sessionId };
            this.settleRegistered(true);
            this.scheduleFlush(0);
            if (msg.heartbeatPeriodMs > 0) this.periodMs = msg.heartbeatPeriodMs;
            heartbeat = this.heartbeat(client, msg.sessionId, msg.heartbeatPeriodMs, signal).finally(() =>
              this.abort?.abort(),
            );
            break;
          case 'assignments':
            this.options.runner?.setAssignments(msg.tasks);
            if (msg.networks) this.options.onNetworks?.(msg.networks);
            break;
          case 'logs':
            void this.streamLogs(client, msg);
            break;
          case 'logs-cancel':
            this.logStreams.get(msg.requestId)?.abort();
            break;
          case 'gossip-keys':
            this.options.onGossipKeys?.(msg.keys);
            break;
          case 'removed-nodes':
            this.options.onRemovedNodes?.(msg.nodeIds);
            break;
          case 'ingress-ports':
            this.options.onIngressPorts?.(msg.ports);
            break;
          case 'managers':
            this.updateManagers(msg.managers);
            break;
          case 'root-ca':
            this.options.onRootCA?.(msg.certPem);
            break;
          case 'renew-certificate':
            this.options.onRenewCertificate?.();
            break;
          case 'rejoin-raft':
            this.options.onRejoinRaft?.(addr);
            break;
          case 'role-change':
            if (msg.desiredRole !== this.options.role) this.options.onRoleChange(msg.desiredRole, addr);
            break;
          case 'node-removed':
            this.options.logger.warn('this node was removed from the swarm');
            this.stopped = true;
            this.options.onRemoved();
            return registered;
        }
      }
      await heartbeat;
    } catch (err) {
      if (!signal.aborted || !isGrpcStatus(err, GrpcStatus.CANCELLED)) throw err;
    } finally {
      clearTimeout(establishing);
      this.session_ = null;
      for (const c of this.logStreams.values()) c.abort();
      client.close();
      this.client = null;
    }
    return registered;
  }

  /** Queues a task status for the manager; only the latest per task is kept until sent. */
  reportStatus(update: TaskStatusUpdate): void {
    this.pendingStatus.set(update.taskId, update);
    this.scheduleFlush(10);
  }

  private scheduleFlush(delayMs: number): void {
    if (this.flushTimer || this.pendingStatus.size === 0) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      void this.flush();
    }, delayMs);
  }

  private async flush(): Promise<void> {
    const s = this.session_;
    if (!s || this.pendingStatus.size === 0) return;
    const updates = [...this.pendingStatus.values()];
    this.pendingStatus.clear();
    try {
      await s.client.unary.UpdateTaskStatus({ sessionId: s.sessionId, updates }, { timeoutMs: 5000 });
    } catch (err) {
      // Keep what was not delivered unless a newer status replaced it meanwhile.
      for (const u of updates) if (!this.pendingStatus.has(u.taskId)) this.pendingStatus.set(u.taskId, u);
      this.options.logger.warn({ err: (err as Error).message, updates: updates.length }, 'task status not delivered; will retry');
      this.scheduleFlush(200);
      return;
    }
    this.scheduleFlush(0);
  }

  private async streamLogs(client: Dispatcher, req: SessionLogRequest): Promise<void> {
    const s = this.session_;
    const runner = this.options.runner;
    if (!s || !runner) return;
    const abort = new AbortController();
    this.logStreams.set(req.requestId, abort);
    const send = (records: LogRecordWire[], done = false, error?: string) =>
      client.unary.PublishLogs({ sessionId: s.sessionId, requestId: req.requestId, records, ...(done ? { done } : {}), ...(error ? { error } : {}) }, { timeoutMs: 10_000 });
    try {
      await Promise.all(
        req.taskIds.map(async (taskId) => {
          const controller = runner.controllerFor(taskId);
          if (!controller) return;
          let batch: LogRecordWire[] = [];
          let last = Date.now();
          const opts = {
            follow: req.follow,
            tail: req.tail,
            stdout: req.stdout,
            stderr: req.stderr,
            signal: abort.signal,
            ...(req.since ? { since: new Date(req.since) } : {}),
          };
          for await (const rec of controller.logs(opts)) {
            batch.push({ taskId, stream: rec.stream, time: rec.time, line: rec.line });
            if (batch.length >= 200 || req.follow || Date.now() - last > 50) {
              await send(batch);
              batch = [];
              last = Date.now();
            }
          }
          if (batch.length) await send(batch);
        }),
      );
      await send([], true);
    } catch (err) {
      if (!abort.signal.aborted) await send([], true, (err as Error).message).catch(() => undefined);
    } finally {
      this.logStreams.delete(req.requestId);
    }
  }

  private async heartbeat(client: Dispatcher, sessionId: string, periodMs: number, signal: AbortSignal): Promise<void> {
    let period = periodMs;
    while (!signal.aborted) {
      await sleep(period, signal);
      if (signal.aborted) return;
      try {
        const res = await client.unary.Heartbeat({ sessionId }, { timeoutMs: Math.max(1000, period * 2), signal });
        period = res.periodMs;
      } catch (err) {
        if (!signal.aborted) this.options.logger.warn({ err: (err as Error).message }, 'heartbeat failed');
        return;
      }
    }
  }

  /** The managers as the leader knows them now: a demoted or removed manager is no longer tried. */
  private updateManagers(peers: ManagerPeer[]): void {
    const addrs = [...new Set(peers.map((p) => p.addr).filter(Boolean))];
    if (addrs.length === 0) return;
    this.managers = addrs;
    // Point at the manager this session is with: the loop moves past it if the session fails.
    const current = this.connectedTo === null ? -1 : addrs.indexOf(this.connectedTo);
    this.next = Math.max(0, current);
    this.options.onManagers?.(peers);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

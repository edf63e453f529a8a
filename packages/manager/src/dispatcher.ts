// Agent sessions on 2377: an agent opens a session stream, then heartbeats. The
// dispatcher keeps node status in the store (ready on a session, down after
// missed heartbeats) and tells removed nodes to leave.
import { sameValue } from './orchestrator';
import * as grpc from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import { updateOp, type ClusterStore, type NodeObject, type StoreEvent } from '@shoal/store';
import type {
  PublishLogsRequest,
  PublishLogsResponse,
  UpdateTaskStatusRequest,
  UpdateTaskStatusResponse,
  HeartbeatRequest,
  HeartbeatResponse,
  ManagerPeer,
  NodeDescription,
  SessionMessage,
  SessionRequest,
} from '@shoal/wire';
import type { Logger } from 'pino';
import type { ControlApi } from './control-api';
import { HeartbeatMonitor } from './heartbeat-monitor';
import { GrpcError, callerIdentity, toServiceError } from './identity';
import { notLeaderError } from './raft/raft-server';
import { LogBroker } from './log-broker';
import { IngressPorts } from './ingress-ports';
import { TaskStatusWriter, isPlaced, nodeAssignments } from './task-dispatch';
import { needsRotatedCertificate } from './root-rotation';

/** How long a connected manager may stay outside Raft before it is told to rejoin. */
const REJOIN_AFTER_MS = 5_000;

interface Session {
  id: string;
  nodeId: string;
  stream: grpc.ServerWritableStream<SessionRequest, SessionMessage>;
}

export interface DispatcherDeps {
  store: ClusterStore;
  control: ControlApi;
  managers: () => ManagerPeer[];
  /** Where agents should go while this manager is not the leader. */
  leaderAddr: () => string | null;
  logger: Logger;
  now?: () => number;
  /** How often expired heartbeats are checked (default: a quarter period, ≤ 250 ms). */
  checkIntervalMs?: number;
  /** How long a connected manager may stay outside Raft before it is told to rejoin (default 5 s). */
  rejoinAfterMs?: number;
}

/** swarmkit's message for the nodes a new leader has not heard from yet. */
const UNKNOWN_AFTER_LEADER_CHANGE = 'Node moved to "unknown" state due to leadership change in cluster';

export class Dispatcher {
  private readonly sessions = new Map<string, Session>();
  private readonly monitor: HeartbeatMonitor;
  /** Nodes whose agent reached this leader since it started leading (their status is first-hand). */
  private readonly heardFrom = new Set<string>();
  private readonly now: () => number;
  private timer: NodeJS.Timeout | null = null;
  private active = false;
  private unwatch: (() => void) | null = null;
  /** Built when this manager starts serving sessions; follows service writes. */
  private ingressPorts = new IngressPorts([]);
  private readonly statusWriter: TaskStatusWriter;
  readonly logs: LogBroker;
  /** Nodes whose assignments changed and must be re-sent. */
  private readonly dirtyNodes = new Set<string>();
  private assignTimer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: DispatcherDeps) {
    this.now = deps.now ?? Date.now;
    this.monitor = new HeartbeatMonitor({ periodMs: 1000 });
    this.statusWriter = new TaskStatusWriter(deps.store, deps.logger);
    this.logs = new LogBroker((nodeId, msg) => this.sendTo(nodeId, msg));
  }

  /** Writes a message to a node's session; false when the node has none here. */
  sendTo(nodeId: string, msg: SessionMessage): boolean {
    for (const s of this.sessions.values()) {
      if (s.nodeId === nodeId) {
        s.stream.write(msg);
        return true;
      }
    }
    return false;
  }

  /** Writes a message to every open session. */
  /** The manager set changed (a conf change was applied): every agent gets the new list. */
  managersChanged(): void {
    if (!this.active) return;
    const managers = this.deps.managers();
    const key = managers.map((m) => `${m.nodeId}@${m.addr}`).sort().join();
    if (key === this.managersKey) return;
    this.managersKey = key;
    this.broadcast({ type: 'managers', managers });
  }
  private managersKey = '';

  private broadcast(msg: SessionMessage): void {
    for (const s of this.sessions.values()) s.stream.write(msg);
  }

  /** Starts serving sessions (on becoming leader). */
  start(): void {
    if (this.active) return;
    this.active = true;
    this.monitor.setPeriod(this.periodMs());
    // A new leader (or a restarted one) has heard from no agent yet: every known-ready node gets
    // twice the grace window to find it (swarmkit's "unknown" nodes). Gossip still takes a dead
    // one down within seconds. With one window, agents still retrying a dead or frozen old
    // leader were all marked Down, this leader's own included, and every task restarted.
    const now = this.now();
    this.heardFrom.clear();
    const known: string[] = [];
    for (const node of this.deps.store.memory.list('node')) {
      if (node.status.state !== 'ready') continue;
      this.monitor.unknown(node.id, now);
      known.push(node.id);
    }
    // As swarmkit's markNodesUnknown: `node ls` shows them Unknown until each finds this leader.
    void this.markUnknown(known);
    this.ingressPorts = new IngressPorts(this.deps.store.memory.list('service'));
    this.unwatch = this.deps.store.memory.watch((events) => this.onStoreEvents(events));
    const interval = this.deps.checkIntervalMs ?? Math.min(250, Math.max(20, this.periodMs() / 4));
    this.timer = setInterval(() => this.checkExpired(), interval);
    this.timer.unref();
  }

  /** Stops serving (on losing leadership): agents reconnect to the new leader. */
  stop(): void {
    this.active = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.unwatch?.();
    this.unwatch = null;
    this.statusWriter.stop();
    if (this.assignTimer) clearTimeout(this.assignTimer);
    this.assignTimer = null;
    for (const s of this.sessions.values()) {
      s.stream.end();
      this.logs.nodeGone(s.nodeId);
    }
    this.sessions.clear();
    this.monitor.clear();
  }

  handlers(): grpc.UntypedServiceImplementation {
    return {
      Session: (stream: grpc.ServerWritableStream<SessionRequest, SessionMessage>) => {
        // grpc-js turns an 'error' event on a server stream into the call's status.
        this.openSession(stream).catch((err: unknown) => stream.emit('error', toServiceError(err)));
      },
      UpdateTaskStatus: (
        call: grpc.ServerUnaryCall<UpdateTaskStatusRequest, UpdateTaskStatusResponse>,
        cb: grpc.sendUnaryData<UpdateTaskStatusResponse>,
      ) => {
        try {
          const session = this.sessionOf(call, call.request.sessionId);
          this.statusWriter.add(session.nodeId, call.request.updates);
          cb(null, {});
        } catch (err) {
          cb(toServiceError(err));
        }
      },
      PublishLogs: (call: grpc.ServerUnaryCall<PublishLogsRequest, PublishLogsResponse>, cb: grpc.sendUnaryData<PublishLogsResponse>) => {
        try {
          const session = this.sessionOf(call, call.request.sessionId);
          this.logs.publish(session.nodeId, call.request);
          cb(null, {});
        } catch (err) {
          cb(toServiceError(err));
        }
      },
      Heartbeat: (
        call: grpc.ServerUnaryCall<HeartbeatRequest, HeartbeatResponse>,
        cb: grpc.sendUnaryData<HeartbeatResponse>,
      ) => {
        try {
          cb(null, this.heartbeat(call));
        } catch (err) {
          cb(toServiceError(err));
        }
      },
    };
  }

  private sessionOf(call: Parameters<typeof callerIdentity>[0], sessionId: string): Session {
    this.requireActive();
    const cluster = this.deps.control.cluster();
    const caller = callerIdentity(call, cluster.id, ['worker', 'manager'], cluster.revokedNodes);
    const session = this.sessions.get(sessionId);
    if (!session || session.nodeId !== caller.nodeId) throw new GrpcError(grpc.status.NOT_FOUND, 'session invalid');
    return session;
  }

  /** What a node runs, and the networks it is on (its `network ls`). */
  private assignments(nodeId: string): SessionMessage {
    return { type: 'assignments', ...nodeAssignments(this.deps.store, nodeId) };
  }

  private markAssignmentsDirty(nodeId: string): void {
    this.dirtyNodes.add(nodeId);
    if (this.assignTimer) return;
    this.assignTimer = setTimeout(() => {
      this.assignTimer = null;
      const nodes = [...this.dirtyNodes];
      this.dirtyNodes.clear();
      for (const nodeId of nodes) this.sendTo(nodeId, this.assignments(nodeId));
    }, 5);
  }

  private periodMs(): number {
    const [cluster] = this.deps.store.memory.list('cluster');
    return cluster?.spec.heartbeatPeriodMs ?? 1000;
  }

  private requireActive(): void {
    if (!this.active) throw notLeaderError(this.deps.leaderAddr());
  }

  private async openSession(stream: grpc.ServerWritableStream<SessionRequest, SessionMessage>): Promise<void> {
    this.requireActive();
    const cluster = this.deps.control.cluster();
    const caller = callerIdentity(stream, cluster.id, ['worker', 'manager']);
    const node = this.deps.store.memory.get('node', caller.nodeId);
    if (!node || cluster.revokedNodes.includes(caller.nodeId)) {
      this.deps.logger.info({ nodeId: caller.nodeId }, 'session refused: node was removed');
      stream.write({ type: 'node-removed' });
      stream.end();
      return;
    }
    const session: Session = { id: randomBytes(12).toString('hex'), nodeId: node.id, stream };
    for (const old of this.sessions.values()) {
      if (old.nodeId === node.id) this.closeSession(old);
    }
    this.sessions.set(session.id, session);
    const ended = () => {
      if (this.sessions.delete(session.id)) this.logs.nodeGone(session.nodeId);
    };
    stream.on('cancelled', ended);
    stream.on('close', ended);
    this.monitor.beat(node.id, this.now());
    await this.markReady(node, stream.request.description);
    stream.write({
      type: 'session',
      sessionId: session.id,
      nodeId: node.id,
      heartbeatPeriodMs: this.periodMs(),
      managers: this.deps.managers(),
      role: node.role,
      // Read now, not before markReady: a rotation step committed meanwhile must not be lost.
      gossipKeys: this.deps.control.cluster().gossipKeys ?? [],
      ...(this.deps.control.cluster().dataPathPort ? { dataPathPort: this.deps.control.cluster().dataPathPort } : {}),
      removedNodes: this.deps.control.cluster().revokedNodes,
      ingressPorts: [...this.ingressPorts.ports()],
      rootCA: this.deps.control.cluster().rootCA.certPem,
    });
    // A root rotation in progress and this node's certificate not yet from the new root.
    if (needsRotatedCertificate(this.deps.control.cluster(), stream.request.description)) stream.write({ type: 'renew-certificate' });
    stream.write(this.assignments(node.id));
    this.deps.logger.info({ nodeId: node.id, hostname: stream.request.description.hostname }, 'agent session opened');
  }

  private heartbeat(call: grpc.ServerUnaryCall<HeartbeatRequest, HeartbeatResponse>): HeartbeatResponse {
    this.requireActive();
    const cluster = this.deps.control.cluster();
    const caller = callerIdentity(call, cluster.id, ['worker', 'manager']);
    const session = this.sessions.get(call.request.sessionId);
    if (!session || session.nodeId !== caller.nodeId) {
      throw new GrpcError(grpc.status.NOT_FOUND, 'session invalid');
    }
    const wasExpired = !this.monitor.has(caller.nodeId);
    this.monitor.beat(caller.nodeId, this.now());
    // Expired, or marked unknown by a write that landed after its session's "ready": ready again.
    const node = this.deps.store.memory.get('node', caller.nodeId);
    if (node && (wasExpired || node.status.state !== 'ready')) void this.markReady(node, node.description);
    return { periodMs: this.periodMs() };
  }

  /**
   * Nodes this leader has not heard from yet are "unknown", in one write; a node whose session's
   * "ready" crossed it makes the write stale, and it is made again without that node.
   */
  private async markUnknown(ids: readonly string[]): Promise<void> {
    for (let attempt = 0; attempt < 3 && this.active; attempt++) {
      const nodes = ids
        .map((id) => this.deps.store.memory.get('node', id))
        .filter((n): n is NodeObject => n !== undefined && n.status.state === 'ready' && !this.heardFrom.has(n.id));
      if (nodes.length === 0) return;
      const status = (n: NodeObject) => ({ ...n.status, state: 'unknown' as const, message: UNKNOWN_AFTER_LEADER_CHANGE });
      try {
        await this.deps.store.commit(nodes.map((n) => updateOp('node', { ...n, status: status(n) }, n.version)));
      } catch (err) {
        if ((err as { code?: string }).code === 'OUT_OF_SEQUENCE') continue;
        this.deps.logger.debug({ err }, 'could not mark nodes unknown');
        return;
      }
      // Sessions set up while the write was on its way: those nodes are ready, then.
      for (const n of nodes) {
        const now = this.deps.store.memory.get('node', n.id);
        if (now && this.heardFrom.has(n.id)) void this.markReady(now, now.description);
      }
      return;
    }
  }

  private async markReady(node: NodeObject, description: NodeDescription): Promise<void> {
    this.heardFrom.add(node.id);
    const current = this.deps.store.memory.get('node', node.id) ?? node;
    const next: NodeObject = {
      ...current,
      description: { ...description },
      status: { state: 'ready', message: '', addr: description.addr },
    };
    if (sameValue(next, current)) return;
    await this.commitNode(next);
  }

  /**
   * Gossip on this (leader) node suspects `nodeId` or declared it dead: it is down as soon as it
   * has also missed a heartbeat, without waiting out the whole grace window.
   */
  nodeSuspected(nodeId: string): void {
    if (!this.active) return;
    this.monitor.suspect(nodeId);
    this.checkExpired();
  }

  /**
   * Managers (in the store) whose agent is connected but that Raft does not count as members:
   * since when. A promotion joins Raft within a second; one that stays out longer was removed
   * and promoted again before it noticed (it never applies its own removal), and is told to
   * rejoin afresh.
   */
  private readonly outOfRaft = new Map<string, number>();

  private checkRaftMembership(now: number): void {
    const members = new Set(this.deps.managers().map((m) => m.nodeId));
    const connected = new Set<string>();
    for (const s of this.sessions.values()) {
      connected.add(s.nodeId);
      const node = this.deps.store.memory.get('node', s.nodeId);
      if (!node || node.role !== 'manager' || node.spec.role !== 'manager' || members.has(node.id)) {
        this.outOfRaft.delete(s.nodeId);
        continue;
      }
      const since = this.outOfRaft.get(node.id);
      if (since === undefined) this.outOfRaft.set(node.id, now);
      else if (now - since >= (this.deps.rejoinAfterMs ?? REJOIN_AFTER_MS)) {
        this.deps.logger.warn({ nodeId: node.id }, 'manager is not a raft member: telling it to rejoin');
        s.stream.write({ type: 'rejoin-raft' });
        this.outOfRaft.set(node.id, now); // again later if it stays out
      }
    }
    for (const id of this.outOfRaft.keys()) if (!connected.has(id)) this.outOfRaft.delete(id);
  }

  private checkExpired(): void {
    this.checkRaftMembership(this.now());
    this.monitor.setPeriod(this.periodMs());
    for (const nodeId of this.monitor.expired(this.now())) {
      const node = this.deps.store.memory.get('node', nodeId);
      if (!node || node.status.state === 'down') continue;
      this.deps.logger.warn({ nodeId, hostname: node.description.hostname }, 'node missed its heartbeats: down');
      const message = node.status.state === 'unknown' ? 'heartbeat failure for node in "unknown" state' : 'heartbeat failure';
      void this.commitNode({ ...node, status: { ...node.status, state: 'down', message } });
    }
  }

  private async commitNode(next: NodeObject): Promise<void> {
    // Retry on a concurrent write: status changes must not be lost to a race with a user update.
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = this.deps.store.memory.get('node', next.id);
      if (!current) return;
      const merged: NodeObject = { ...current, description: next.description, status: next.status };
      try {
        await this.deps.store.commit([updateOp('node', merged, current.version)]);
        return;
      } catch (err) {
        if ((err as { code?: string }).code !== 'OUT_OF_SEQUENCE') {
          this.deps.logger.error({ err, nodeId: next.id }, 'could not record node status');
          return;
        }
      }
    }
  }

  private onStoreEvents(events: StoreEvent[]): void {
    if (this.ingressPorts.apply(events)) this.broadcast({ type: 'ingress-ports', ports: [...this.ingressPorts.ports()] });
    for (const ev of events) {
      if (ev.kind === 'cluster') {
        // A rotation phase: every connected agent applies the new key list to its running gossip.
        if (!sameList(ev.previous?.gossipKeys, ev.object.gossipKeys)) this.broadcast({ type: 'gossip-keys', keys: ev.object.gossipKeys ?? [] });
        // A root rotation ended: every node trusts the new root. One started: every node renews.
        if (ev.previous && ev.previous.rootCA.certPem !== ev.object.rootCA.certPem) this.broadcast({ type: 'root-ca', certPem: ev.object.rootCA.certPem });
        if (ev.object.rootRotation && ev.object.rootRotation.certPem !== ev.previous?.rootRotation?.certPem) this.broadcast({ type: 'renew-certificate' });
        // A node rm: every agent's tunnel refuses the removed node from now on.
        if (!sameList(ev.previous?.revokedNodes, ev.object.revokedNodes)) this.broadcast({ type: 'removed-nodes', nodeIds: ev.object.revokedNodes });
      }
      if (ev.kind === 'task') {
        const prev = ev.previous;
        // Agents only care about what to run: status-only writes need no resend, except the
        // scheduler's confirmation of a task pinned to its node (pending → assigned: now it is theirs).
        if (ev.action === 'update' && prev && prev.desiredState === ev.object.desiredState && prev.nodeId === ev.object.nodeId && isPlaced(prev) === isPlaced(ev.object)) continue;
        if (ev.object.nodeId) this.markAssignmentsDirty(ev.object.nodeId);
        if (ev.previous?.nodeId && ev.previous.nodeId !== ev.object.nodeId) this.markAssignmentsDirty(ev.previous.nodeId);
      }
      // A network created or removed (ingress, or one some node's tasks attach to): nodes re-list theirs.
      if (ev.kind === 'network') for (const s of this.sessions.values()) this.markAssignmentsDirty(s.nodeId);
      // A node marked Down (heartbeats or gossip) may keep its connection (a frozen process): the
      // logs asked of it will not come, so the streams waiting for their end stop with a warning.
      if (ev.kind === 'node' && ev.object.status.state === 'down' && ev.previous?.status.state !== 'down') this.logs.nodeDown(ev.object.id);
      if (ev.kind === 'node' && ev.action === 'update' && ev.previous && ev.previous.role !== ev.object.role) {
        for (const s of this.sessions.values()) {
          if (s.nodeId === ev.object.id) s.stream.write({ type: 'role-change', desiredRole: ev.object.role });
        }
      }
      if (ev.kind === 'node' && ev.action === 'delete') {
        this.monitor.forget(ev.object.id);
        for (const s of this.sessions.values()) {
          if (s.nodeId === ev.object.id) {
            s.stream.write({ type: 'node-removed' });
            this.closeSession(s);
          }
        }
      }
    }
  }

  private closeSession(session: Session): void {
    // Its agent drops the log streams of a session that ends: the readers must not wait for them.
    if (this.sessions.delete(session.id)) this.logs.nodeGone(session.nodeId);
    session.stream.end();
  }
}

function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  return (a ?? []).join() === (b ?? []).join();
}

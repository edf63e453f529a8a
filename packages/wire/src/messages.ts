// Messages carried on 2377. Field names are camelCase; each stream message has a
// `type` discriminant. Tags are append-only: never rename or reuse a type string.
import type { NetworkObject } from '@shoal/store';

export type NodeRole = 'manager' | 'worker';
export type NodeAvailability = 'active' | 'pause' | 'drain';

export interface ManagerPeer {
  nodeId: string;
  /** host:port of the manager's 2377 listener. */
  addr: string;
}

// ---- CA (bootstrap: no client certificate yet) ----

export type GetRootCARequest = Record<string, never>;
export interface GetRootCAResponse {
  certPem: string;
}

export interface IssueNodeCertificateRequest {
  token: string;
  csrPem: string;
  hostname: string;
  /** The address other nodes use to reach the joiner (no port). */
  advertiseAddr: string;
  availability?: NodeAvailability;
}
export interface IssueNodeCertificateResponse {
  nodeId: string;
  clusterId: string;
  role: NodeRole;
  certPem: string;
  managers: ManagerPeer[];
}

// ---- Dispatcher (mutual TLS; identity comes from the certificate) ----

export interface NodeDescription {
  hostname: string;
  addr: string;
  platform: { os: string; architecture: string };
  resources: { nanoCpus: number; memoryBytes: number };
  engineVersion: string;
  /** The root this node trusts and the CA that issued its certificate (base64 DER, as Docker's TLSInfo). */
  tls?: { trustRoot: string; certIssuerSubject: string; certIssuerPublicKey: string };
}

export interface SessionRequest {
  description: NodeDescription;
}

export interface SessionStarted {
  type: 'session';
  sessionId: string;
  nodeId: string;
  heartbeatPeriodMs: number;
  managers: ManagerPeer[];
  /** The role this node's certificate should carry; the agent renews when it differs. */
  role: NodeRole;
  /** Gossip keys (base64), primary first: the first seals, every one opens. */
  gossipKeys: string[];
  /** The swarm's data path port (`swarm init --data-path-port`): every node's mesh tunnel listens on it. Absent: 4789. */
  dataPathPort?: number;
  /** Nodes removed from the swarm: their certificates are refused on the mesh tunnel too. */
  removedNodes?: string[];
  /** Published TCP ingress ports of every service: every node keeps them bound while the service exists. */
  ingressPorts?: number[];
  /** The cluster's root CA (PEM): the node trusts it instead of its own copy when they differ (a rotation ended). */
  rootCA?: string;
}

/** The cluster's root CA changed (a rotation ended): trust this one from now on. */
export interface SessionRootCA {
  type: 'root-ca';
  certPem: string;
}

/**
 * This node is a manager in the store but not a Raft member, and has been for a while: it was
 * removed and promoted again before it noticed, so its Raft state is void. Rejoin afresh.
 */
export interface SessionRejoinRaft {
  type: 'rejoin-raft';
}

/** A root CA rotation needs this node's certificate signed by the new root: renew it now. */
export interface SessionRenewCertificate {
  type: 'renew-certificate';
}

/** The services' published TCP ingress ports changed (a service created, updated or removed). */
export interface SessionIngressPorts {
  type: 'ingress-ports';
  ports: number[];
}

/** The managers changed (a promotion, demotion or removal): the agent's list to connect to. */
export interface SessionManagers {
  type: 'managers';
  managers: ManagerPeer[];
}

/** The set of removed nodes changed (`node rm`). */
export interface SessionRemovedNodes {
  type: 'removed-nodes';
  nodeIds: string[];
}

/** The cluster's gossip keys changed (a rotation phase): apply them to the running gossip. */
export interface SessionGossipKeys {
  type: 'gossip-keys';
  /** Base64, primary first, as in SessionStarted. */
  keys: string[];
}

/** The manager removed this node; the agent must leave the swarm. */
export interface SessionNodeRemoved {
  type: 'node-removed';
}

/** The full set of tasks this node should run (or stop), sent on every change. */
export interface SessionAssignments {
  type: 'assignments';
  tasks: TaskAssignment[];
  /**
   * The swarm networks this node is on, as a Docker worker sees them in `network ls`: ingress
   * and every network one of its tasks attaches to (the store's network objects).
   */
  networks?: NodeNetwork[];
}

/** A swarm network as the store keeps it. */
export type NodeNetwork = NetworkObject;

/** Stream these tasks' logs back with PublishLogs under `requestId`. */
export interface SessionLogRequest {
  type: 'logs';
  requestId: string;
  taskIds: string[];
  follow: boolean;
  tail: number | 'all';
  since?: string;
  stdout: boolean;
  stderr: boolean;
}

/** Stop streaming logs for a request (the reader went away). */
export interface SessionLogCancel {
  type: 'logs-cancel';
  requestId: string;
}

export type SessionMessage =
  | SessionStarted
  | SessionNodeRemoved
  | SessionRoleChange
  | SessionAssignments
  | SessionLogRequest
  | SessionLogCancel
  | SessionGossipKeys
  | SessionRemovedNodes
  | SessionIngressPorts
  | SessionManagers
  | SessionRootCA
  | SessionRenewCertificate
  | SessionRejoinRaft;

export type TaskStateName =
  | 'new'
  | 'pending'
  | 'assigned'
  | 'accepted'
  | 'preparing'
  | 'ready'
  | 'starting'
  | 'running'
  | 'complete'
  | 'shutdown'
  | 'failed'
  | 'rejected'
  | 'remove'
  | 'orphaned';

export interface TaskAssignment {
  taskId: string;
  serviceId: string;
  serviceName: string;
  slot: number;
  desiredState: TaskStateName;
  /**
   * Set once the task has ended (its observed state as the managers have it: complete, failed…):
   * an agent that has no record of the task (a restart, a lost state directory) must not run it
   * again. A job's finished task stays desired `complete`, so the desired state alone cannot say.
   */
  ended?: TaskStateName;
  /** The task spec (store shape); the agent hands it to its executor. */
  spec: {
    container: {
      image: string;
      command?: string[];
      args?: string[];
      env?: string[];
      dir?: string;
      labels?: Record<string, string>;
      stopGracePeriodMs?: number;
      stopSignal?: string;
      user?: string;
      /** Docker's HEALTHCHECK: ["CMD", argv...] or ["CMD-SHELL", command]; ["NONE"] or none: no check. */
      healthcheck?: { test: string[]; intervalMs?: number; timeoutMs?: number; retries?: number; startPeriodMs?: number; startIntervalMs?: number };
    };
  };
  targetPorts: Array<{ port: number; protocol: 'tcp' | 'udp' | 'sctp' }>;
  /** The service's allocated published ports (the mesh routes them to this task). */
  publishedPorts: Array<{
    published: number;
    target: number;
    protocol: 'tcp' | 'udp' | 'sctp';
    mode: 'ingress' | 'host';
    proxyProtocol?: boolean;
  }>;
}

export interface TaskStatusUpdate {
  taskId: string;
  state: TaskStateName;
  message: string;
  err?: string;
  exitCode?: number;
  pid?: number;
  port?: number;
  /** Publish mode `host`: the ports bound on the node for the task (a published 0 is one the kernel chose). */
  hostPorts?: HostPortBinding[];
  timestamp: string;
  /** When the task's process started, as its node saw it: sent with `running` and every later state. */
  startedAt?: string;
}

export interface HostPortBinding {
  protocol: 'tcp' | 'udp';
  targetPort: number;
  publishedPort: number;
}

export interface UpdateTaskStatusRequest {
  sessionId: string;
  updates: TaskStatusUpdate[];
}
export type UpdateTaskStatusResponse = Record<string, never>;

export interface LogRecordWire {
  taskId: string;
  /** 'system': the daemon's own error or warning about the stream (Docker's stdcopy Systemerr). */
  stream: 'stdout' | 'stderr' | 'system';
  time: string;
  line: string;
}

export interface PublishLogsRequest {
  sessionId: string;
  requestId: string;
  records: LogRecordWire[];
  /** The agent has sent everything (not following, or all tasks ended). */
  done?: boolean;
  error?: string;
}
export type PublishLogsResponse = Record<string, never>;

/** Logs subscription from a follower manager to the leader's broker. */
export interface SubscribeLogsRequest {
  /** A service or task reference, resolved by the leader. */
  target: { kind: 'service' | 'task'; input: string };
  follow: boolean;
  tail: number | 'all';
  since?: string;
  stdout: boolean;
  stderr: boolean;
}
export interface LogRecordWithOrigin extends LogRecordWire {
  nodeId: string;
  serviceId: string;
}

export interface HeartbeatRequest {
  sessionId: string;
}
export interface HeartbeatResponse {
  periodMs: number;
}

/** The manager asks the agent to change role; the daemon renews its certificate. */
export interface SessionRoleChange {
  type: 'role-change';
  desiredRole: NodeRole;
}

// ---- Node certificate renewal (mutual TLS): the role follows the node's desired role ----

export interface RenewCertificateRequest {
  csrPem: string;
}
export interface RenewCertificateResponse {
  certPem: string;
  role: NodeRole;
}

// ---- Raft between managers (mutual TLS, swarm-manager only) ----

/** A batch of Raft messages in the Raft transport's own binary encoding (@shoal/raft encodeMessages). */
export type RaftStepRequest = Uint8Array;
export type RaftStepResponse = Record<string, never>;

export interface RaftJoinRequest {
  /** host:port where the new manager listens. */
  addr: string;
}
export interface RaftJoinResponse {
  members: ManagerPeer[];
}

// ---- Control calls forwarded from a follower manager to the leader ----

export interface ControlCallRequest {
  method: string;
  args: unknown[];
}
export type ControlCallResponse = { ok: true; result?: unknown } | { ok: false; code: string; message: string };

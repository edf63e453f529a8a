// Messages carried on 2377. Field names are camelCase; each stream message has a
// `type` discriminant. Tags are append-only: never rename or reuse a type string.

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
}

/** The manager removed this node; the agent must leave the swarm. */
export interface SessionNodeRemoved {
  type: 'node-removed';
}

export type SessionMessage = SessionStarted | SessionNodeRemoved | SessionRoleChange;

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

export interface RaftStepRequest {
  /** Raft messages, as the consensus core produces them. */
  messages: unknown[];
}
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

import type { NetworkObject, ServiceObject, TaskObject } from './service-objects';
// Cluster objects held by the store and replicated by the manager log.

export type NodeRole = 'manager' | 'worker';
export type NodeAvailability = 'active' | 'pause' | 'drain';
export type NodeState = 'unknown' | 'down' | 'ready' | 'disconnected';
export type Reachability = 'unknown' | 'unreachable' | 'reachable';

export interface Meta {
  id: string;
  /** Log index of the last write; writes compare-and-set on it. */
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface ClusterSpec {
  name: string;
  labels: Record<string, string>;
  heartbeatPeriodMs: number;
  taskHistoryRetentionLimit: number;
  nodeCertExpiryMs: number;
  snapshotInterval: number;
  electionTick: number;
  heartbeatTick: number;
  /** Autolock: managers keep their keys and raft data sealed under `ClusterObject.unlockKey`. Absent: off. */
  autoLockManagers?: boolean;
  /** Docker's CAConfig.ForceRotate: a change starts a root CA rotation. Absent: 0. */
  caForceRotate?: number;
  /** Raft.KeepOldSnapshots (`--max-snapshots`): snapshots kept besides the newest. Absent: 0. */
  keepOldSnapshots?: number;
}

export interface ClusterObject extends Meta {
  spec: ClusterSpec;
  /**
   * `chainPem`: after a rotation, the new root cross-signed by the old one; certificates issued
   * later still carry it, for nodes that go on trusting the old root a little longer.
   */
  rootCA: { certPem: string; keyPem: string; chainPem?: string };
  /** Full join tokens; the secret part decides the role. */
  joinTokens: { worker: string; manager: string };
  /** Node ids whose certificates are revoked (removed nodes). */
  revokedNodes: string[];
  /** Gossip encryption keys (base64, 32 bytes), primary first: the first seals, all open. */
  gossipKeys?: string[];
  /** Where the leader's gossip-key rotation stands; absent in data dirs from before rotation (the leader adds it). */
  gossipKeyRotation?: GossipKeyRotation;
  /** The managers' unlock key (`SWMKEY-1-…`) while autolock is on. */
  unlockKey?: string;
  /** `swarm init --default-addr-pool` (absent: 10.0.0.0/8): where overlay networks' subnets come from. */
  defaultAddrPool?: string[];
  /** `--default-addr-pool-mask-length` (absent: 24). */
  subnetSize?: number;
  /** `--data-path-port` (absent: 4789): the mesh tunnel's port on every node. */
  dataPathPort?: number;
  /**
   * A root CA rotation in progress (swarmkit's RootRotation): new node certificates are signed by
   * this root and carry `crossSignedPem` (its certificate signed by the current root); once every
   * node has one, it becomes `rootCA`.
   */
  rootRotation?: { certPem: string; keyPem: string; crossSignedPem: string };
}

/**
 * `steady`: one key, primary since `sinceMs`. `installed`: the newest key (last in the list) opens
 * but does not seal yet, since `sinceMs`. `promoted`: the first key seals since `sinceMs`; the
 * others still open until the grace period ends.
 */
export interface GossipKeyRotation {
  phase: 'steady' | 'installed' | 'promoted';
  /** Milliseconds since the epoch, on the leader's clock. */
  sinceMs: number;
  /**
   * A rotation was asked for at this time (a node was removed: it knows the current keys). The
   * next steady phase installs a new key at once instead of waiting out the interval; kept
   * through an ongoing rotation, cleared by the install.
   */
  requestedMs?: number;
}

export interface NodeSpec {
  name: string;
  labels: Record<string, string>;
  /** Desired role. */
  role: NodeRole;
  availability: NodeAvailability;
}

export interface NodeDescription {
  hostname: string;
  addr: string;
  platform: { os: string; architecture: string };
  resources: { nanoCpus: number; memoryBytes: number };
  engineVersion: string;
  /** The root this node trusts and the CA that issued its certificate (Docker's node TLSInfo). */
  tls?: { trustRoot: string; certIssuerSubject: string; certIssuerPublicKey: string };
}

export interface ManagerStatus {
  leader: boolean;
  reachability: Reachability;
  /** host:2377 */
  addr: string;
}

export interface NodeObject extends Meta {
  spec: NodeSpec;
  /** Observed role: the role its certificate carries. */
  role: NodeRole;
  description: NodeDescription;
  status: { state: NodeState; message: string; addr: string };
  managerStatus?: ManagerStatus;
  certificate: { serial: string; notAfter: string };
}

export interface ObjectsByKind {
  cluster: ClusterObject;
  node: NodeObject;
  service: ServiceObject;
  task: TaskObject;
  network: NetworkObject;
}

export type Kind = keyof ObjectsByKind;
export type AnyObject = ObjectsByKind[Kind];
export const KINDS: readonly Kind[] = ['cluster', 'node', 'service', 'task', 'network'];

/**
 * swarmkit's label filter on services, tasks and nodes (moby's convertKVStringsToMap, then
 * filterMatchLabels): the expressions as one map, a key given twice keeping its last value
 * (moby's keeps whichever its Go map yields last); every key present, and equal to its value
 * unless that is empty (`k=` asks only for `k`).
 */
export function labelsMatchAll(labels: Readonly<Record<string, string>>, exprs: readonly string[]): boolean {
  const wanted = new Map<string, string>();
  for (const expr of exprs) {
    const eq = expr.indexOf('=');
    wanted.set(eq < 0 ? expr : expr.slice(0, eq), eq < 0 ? '' : expr.slice(eq + 1));
  }
  for (const [key, value] of wanted) {
    if (!Object.prototype.hasOwnProperty.call(labels, key)) return false;
    if (value !== '' && labels[key] !== value) return false;
  }
  return true;
}

/**
 * Docker's label filter term, as moby's Args.MatchKVList reads one (networks' filters, all of
 * which must match): `key` (the label is set) or `key=value` (set to that value).
 */
export function labelMatches(labels: Readonly<Record<string, string>>, expr: string): boolean {
  const eq = expr.indexOf('=');
  if (eq < 0) return Object.prototype.hasOwnProperty.call(labels, expr);
  return labels[expr.slice(0, eq)] === expr.slice(eq + 1);
}

/**
 * What a reference names, in Docker's order: the object with that full ID; else those with that
 * name; else those whose ID starts with it. More than one is ambiguous, which each caller words
 * as Docker does for its kind (moby daemon/cluster/helpers.go, the network router).
 */
export function referenceMatches<T extends { id: string }>(all: readonly T[], ref: string, isNamed: (object: T, name: string) => boolean): T[] {
  const exact = all.find((o) => o.id === ref);
  if (exact) return [exact];
  const named = all.filter((o) => isNamed(o, ref));
  if (named.length > 0 || ref === '') return named;
  return all.filter((o) => o.id.startsWith(ref));
}

/** Networks a reference names (`network inspect|rm`, `--network`): see referenceMatches. */
export function networkMatches<N extends { id: string; name: string }>(networks: readonly N[], ref: string): N[] {
  return referenceMatches(networks, ref, (n, name) => n.name === name);
}

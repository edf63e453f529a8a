// What the Engine API needs from a daemon. The daemon implements it by routing to
// its local manager (or refusing on a worker); the API layer maps store objects
// to Docker's JSON.
import type { ClusterObject, ClusterSpec, NetworkCreateRequest, NetworkObject, NodeObject, NodeSpec, ServiceObject, ServiceSpec, TaskObject } from '@shoal/store';
import type { LogRecordOut, LogRequest } from './logs';
import type { LocalNodeState, SwarmInitRequest, SwarmJoinRequest, SystemInfo, SystemVersion, TLSInfo } from '../engine/types';

export interface LocalSwarmStatus {
  state: LocalNodeState;
  controlAvailable: boolean;
}

export interface EngineBackend {
  swarmStatus(): LocalSwarmStatus;
  /** This node's trusted root CA as Docker reports it (TrustRoot, issuer subject and key). */
  tlsInfo(): TLSInfo;
  /** The cluster's: its root, and the CA that signs node certificates (the new root during a rotation). */
  clusterTlsInfo(cluster: ClusterObject): TLSInfo;
  info(): Promise<SystemInfo>;
  version(): SystemVersion;
  swarmInit(req: SwarmInitRequest): Promise<string>;
  swarmJoin(req: SwarmJoinRequest): Promise<void>;
  swarmLeave(force: boolean): Promise<void>;
  cluster(): Promise<ClusterObject>;
  updateCluster(version: number, spec: ClusterSpec, rotate: { rotateWorkerToken?: boolean; rotateManagerToken?: boolean; rotateManagerUnlockKey?: boolean; signingCA?: { certPem: string; keyPem: string } }): Promise<void>;
  /** Unlocks a manager that restarted locked (autolock) with the swarm's unlock key. */
  swarmUnlock(key: string): Promise<void>;
  nodes(): Promise<NodeObject[]>;
  node(input: string): Promise<NodeObject>;
  updateNode(input: string, version: number, spec: NodeSpec): Promise<void>;
  removeNode(input: string, force: boolean): Promise<void>;
  services(): Promise<ServiceObject[]>;
  service(input: string): Promise<ServiceObject>;
  createService(spec: ServiceSpec): Promise<{ id: string }>;
  updateService(input: string, version: number, spec: ServiceSpec, options: { rollback?: boolean }): Promise<void>;
  removeService(input: string): Promise<void>;
  tasks(): Promise<TaskObject[]>;
  /** swarmkit's IsTaskDirty: the task no longer runs what its service asks for (spec or ports). */
  isTaskDirty(service: ServiceObject, task: TaskObject, node: NodeObject | undefined): boolean;
  task(input: string): Promise<TaskObject>;
  networks(): Promise<NetworkObject[]>;
  createNetwork(req: NetworkCreateRequest): Promise<{ id: string }>;
  removeNetwork(input: string): Promise<void>;
  /** Removes the networks no service uses (never ingress) that match; returns their names. */
  pruneNetworks(filter: NetworkPruneFilter): Promise<string[]>;
  /** Streams log records of a service's or a task's tasks until done (or aborted). */
  logs(request: LogRequest, signal: AbortSignal): AsyncIterable<LogRecordOut>;
}

/** `network prune` filters: every `labels` term must match, no `notLabels` term may, created before `until` (ISO). */
export interface NetworkPruneFilter {
  labels: string[];
  notLabels: string[];
  until?: string;
}

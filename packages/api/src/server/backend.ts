// What the Engine API needs from a daemon. The daemon implements it by routing to
// its local manager (or refusing on a worker); the API layer maps store objects
// to Docker's JSON.
import type { ClusterObject, ClusterSpec, NodeObject, NodeSpec } from '@shoal/store';
import type { LocalNodeState, SwarmInitRequest, SwarmJoinRequest, SystemInfo, SystemVersion, TLSInfo } from '../engine/types';

export interface LocalSwarmStatus {
  state: LocalNodeState;
  controlAvailable: boolean;
}

export interface EngineBackend {
  swarmStatus(): LocalSwarmStatus;
  /** The cluster's root CA as Docker reports it (TrustRoot, issuer subject and key). */
  tlsInfo(): TLSInfo;
  info(): Promise<SystemInfo>;
  version(): SystemVersion;
  swarmInit(req: SwarmInitRequest): Promise<string>;
  swarmJoin(req: SwarmJoinRequest): Promise<void>;
  swarmLeave(force: boolean): Promise<void>;
  cluster(): Promise<ClusterObject>;
  updateCluster(version: number, spec: ClusterSpec, rotate: { rotateWorkerToken?: boolean; rotateManagerToken?: boolean }): Promise<void>;
  nodes(): Promise<NodeObject[]>;
  node(input: string): Promise<NodeObject>;
  updateNode(input: string, version: number, spec: NodeSpec): Promise<void>;
  removeNode(input: string, force: boolean): Promise<void>;
}

// GET /nodes, /nodes/{id}; POST /nodes/{id}/update.
import type { Labels, ObjectVersion, Platform, TLSInfo, Timestamp } from './common';

export type NodeRole = 'worker' | 'manager';
export type NodeAvailability = 'active' | 'pause' | 'drain';
export type NodeState = 'unknown' | 'down' | 'ready' | 'disconnected';
export type Reachability = 'unknown' | 'unreachable' | 'reachable';

export const NODE_ROLES: readonly NodeRole[] = ['worker', 'manager'];
export const NODE_AVAILABILITIES: readonly NodeAvailability[] = ['active', 'pause', 'drain'];

export interface NodeSpec {
  Name?: string;
  Labels?: Labels;
  Role?: NodeRole;
  Availability?: NodeAvailability;
}

export interface EngineDescription {
  EngineVersion: string;
  Labels?: Labels;
  Plugins?: Array<{ Type: string; Name: string }>;
}

export interface NodeDescription {
  Hostname: string;
  Platform: Platform;
  Resources: { NanoCPUs: number; MemoryBytes: number };
  Engine: EngineDescription;
  TLSInfo: TLSInfo;
}

export interface NodeStatus {
  State: NodeState;
  Message?: string;
  /** IP the node was last seen at. */
  Addr: string;
}

export interface ManagerStatus {
  Leader?: boolean;
  Reachability: Reachability;
  /** `ip:2377` the manager's Raft endpoint is reachable at. */
  Addr: string;
}

export interface Node {
  ID: string;
  Version: ObjectVersion;
  CreatedAt: Timestamp;
  UpdatedAt: Timestamp;
  Spec: NodeSpec;
  Description: NodeDescription;
  Status: NodeStatus;
  /** Absent on workers. */
  ManagerStatus?: ManagerStatus;
}

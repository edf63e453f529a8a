// GET /swarm, POST /swarm/init, /swarm/join, /swarm/update.
import type { DurationNs, Driver, Labels, ObjectVersion, TLSInfo, Timestamp } from './common';
import type { NodeAvailability } from './node';

export interface ExternalCA {
  Protocol: 'cfssl';
  URL: string;
  Options?: Record<string, string>;
  CACert?: string;
}

export interface SwarmSpec {
  Name?: string;
  Labels?: Labels;
  Orchestration?: { TaskHistoryRetentionLimit?: number } | null;
  Raft?: {
    SnapshotInterval?: number;
    KeepOldSnapshots?: number;
    LogEntriesForSlowFollowers?: number;
    /** Ticks without a leader before a follower starts an election. */
    ElectionTick?: number;
    HeartbeatTick?: number;
  };
  Dispatcher?: { HeartbeatPeriod?: DurationNs } | null;
  CAConfig?: {
    NodeCertExpiry?: DurationNs;
    ExternalCAs?: ExternalCA[];
    SigningCACert?: string;
    SigningCAKey?: string;
    ForceRotate?: number;
  } | null;
  EncryptionConfig?: { AutoLockManagers?: boolean };
  TaskDefaults?: { LogDriver?: Driver };
}

/** Cluster object as seen by every manager (GET /info `Swarm.Cluster`). */
export interface ClusterInfo {
  ID: string;
  Version: ObjectVersion;
  CreatedAt: Timestamp;
  UpdatedAt: Timestamp;
  Spec: SwarmSpec;
  TLSInfo: TLSInfo;
  RootRotationInProgress: boolean;
  DataPathPort?: number;
  DefaultAddrPool?: string[] | null;
  SubnetSize?: number;
}

export interface JoinTokens {
  Worker: string;
  Manager: string;
}

/** GET /swarm */
export interface Swarm extends ClusterInfo {
  JoinTokens: JoinTokens;
}

/** POST /swarm/init body. */
export interface SwarmInitRequest {
  /** `addr[:port]` or interface name; default `0.0.0.0:2377`. */
  ListenAddr: string;
  AdvertiseAddr?: string;
  DataPathAddr?: string;
  DataPathPort?: number;
  DefaultAddrPool?: string[];
  SubnetSize?: number;
  ForceNewCluster?: boolean;
  /** Sent by the docker CLI although the swagger omits it. */
  AutoLockManagers?: boolean;
  /** Availability of the initial node; the docker CLI sends it, the swagger omits it. */
  Availability?: NodeAvailability;
  Spec: SwarmSpec;
}

/** POST /swarm/join body. */
export interface SwarmJoinRequest {
  ListenAddr: string;
  AdvertiseAddr?: string;
  DataPathAddr?: string;
  RemoteAddrs: string[];
  JoinToken: string;
  Availability?: NodeAvailability;
}

/** Query of POST /swarm/update besides `version`. */
export interface SwarmUpdateFlags {
  rotateWorkerToken?: boolean;
  rotateManagerToken?: boolean;
  rotateManagerUnlockKey?: boolean;
}

/** GET /swarm/unlockkey */
export interface SwarmUnlockKeyResponse {
  UnlockKey: string;
}

// GET /version and GET /info.
import type { ClusterInfo } from './swarm';

export interface ComponentVersion {
  Name: string;
  Version: string;
  Details?: Record<string, string>;
}

/** GET /version */
export interface SystemVersion {
  Platform?: { Name: string };
  Components?: ComponentVersion[];
  Version: string;
  ApiVersion: string;
  MinAPIVersion?: string;
  GitCommit?: string;
  GoVersion?: string;
  Os: string;
  Arch: string;
  KernelVersion?: string;
  Experimental?: boolean;
  BuildTime?: string;
}

export type LocalNodeState = 'inactive' | 'pending' | 'active' | 'error' | 'locked';

export interface PeerNode {
  NodeID: string;
  Addr: string;
}

/** `Swarm` section of GET /info: the local node's view of the swarm. */
export interface SwarmInfo {
  NodeID: string;
  NodeAddr: string;
  LocalNodeState: LocalNodeState;
  ControlAvailable: boolean;
  Error: string;
  RemoteManagers: PeerNode[] | null;
  /** Only on managers. */
  Nodes?: number;
  /** Only on managers. */
  Managers?: number;
  /** Only on managers. */
  Cluster?: ClusterInfo;
}

/** GET /info (the subset a swarm-mode daemon can fill; container/image counts are zero for Shoal). */
export interface SystemInfo {
  ID: string;
  Containers?: number;
  ContainersRunning?: number;
  ContainersPaused?: number;
  ContainersStopped?: number;
  Images?: number;
  Driver?: string;
  DockerRootDir?: string;
  Debug?: boolean;
  NFd?: number;
  NGoroutines?: number;
  SystemTime?: string;
  LoggingDriver?: string;
  KernelVersion?: string;
  OperatingSystem?: string;
  OSVersion?: string;
  OSType?: string;
  Architecture?: string;
  NCPU?: number;
  MemTotal?: number;
  Name: string;
  Labels?: string[];
  ExperimentalBuild?: boolean;
  ServerVersion?: string;
  Swarm: SwarmInfo;
  Warnings?: string[] | null;
}

// Services: ServiceSpec and the TaskSpec it carries (swagger v1.51).
import type { DurationNs, Driver, Labels, ObjectVersion, Platform, Timestamp } from './common';

export type MountType = 'bind' | 'volume' | 'tmpfs' | 'npipe' | 'cluster' | 'image';

export interface Mount {
  Target: string;
  Source?: string;
  Type: MountType;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean };
  VolumeOptions?: { NoCopy?: boolean; Labels?: Labels; DriverConfig?: Driver; Subpath?: string };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

export interface HealthConfig {
  /** `[]` inherit, `["NONE"]` disable, `["CMD", …]` or `["CMD-SHELL", cmd]`. */
  Test?: string[];
  Interval?: DurationNs;
  Timeout?: DurationNs;
  Retries?: number;
  StartPeriod?: DurationNs;
  StartInterval?: DurationNs;
}

export interface SecretOrConfigReference {
  File?: { Name: string; UID: string; GID: string; Mode: number };
  SecretID?: string;
  SecretName?: string;
  ConfigID?: string;
  ConfigName?: string;
}

export interface ContainerSpec {
  Image: string;
  Labels?: Labels;
  Command?: string[];
  Args?: string[];
  Hostname?: string;
  Env?: string[];
  Dir?: string;
  User?: string;
  Groups?: string[];
  TTY?: boolean;
  OpenStdin?: boolean;
  ReadOnly?: boolean;
  Mounts?: Mount[];
  StopSignal?: string;
  StopGracePeriod?: DurationNs;
  /**
   * The key Docker's Go types put on the wire (`json:",omitempty"` on a field named
   * Healthcheck): what the docker CLI sends and the daemon returns.
   */
  Healthcheck?: HealthConfig;
  /** The swagger's spelling of the same field; Docker itself never sends it. */
  HealthCheck?: HealthConfig;
  Hosts?: string[];
  DNSConfig?: { Nameservers?: string[]; Search?: string[]; Options?: string[] };
  Secrets?: SecretOrConfigReference[];
  Configs?: SecretOrConfigReference[];
  Isolation?: string;
  Init?: boolean | null;
  Sysctls?: Record<string, string>;
  CapabilityAdd?: string[];
  CapabilityDrop?: string[];
  Ulimits?: Array<{ Name: string; Soft: number; Hard: number }>;
}

export interface ResourceLimits {
  NanoCPUs?: number;
  MemoryBytes?: number;
  Pids?: number;
}

export interface GenericResource {
  NamedResourceSpec?: { Kind: string; Value: string };
  DiscreteResourceSpec?: { Kind: string; Value: number };
}

export interface ResourceRequirements {
  Limits?: ResourceLimits;
  Reservations?: { NanoCPUs?: number; MemoryBytes?: number; GenericResources?: GenericResource[] };
}

export type RestartCondition = 'none' | 'on-failure' | 'any';

export interface RestartPolicy {
  Condition?: RestartCondition;
  Delay?: DurationNs;
  /** 0 = unlimited. */
  MaxAttempts?: number;
  Window?: DurationNs;
}

export interface Placement {
  /** `node.role==manager`, `node.labels.zone!=east`, … */
  Constraints?: string[];
  Preferences?: Array<{ Spread: { SpreadDescriptor: string } }>;
  /** 0 = unlimited. */
  MaxReplicas?: number;
  Platforms?: Platform[];
}

export interface NetworkAttachmentConfig {
  Target: string;
  Aliases?: string[];
  DriverOpts?: Record<string, string>;
}

export interface TaskSpec {
  ContainerSpec?: ContainerSpec;
  Resources?: ResourceRequirements;
  RestartPolicy?: RestartPolicy;
  Placement?: Placement;
  /** Bumped to force a redeploy with an unchanged spec. */
  ForceUpdate?: number;
  Runtime?: string;
  Networks?: NetworkAttachmentConfig[];
  LogDriver?: Driver;
}

export interface ServiceMode {
  Replicated?: { Replicas?: number };
  Global?: Record<string, never>;
  ReplicatedJob?: { MaxConcurrent?: number; TotalCompletions?: number };
  GlobalJob?: Record<string, never>;
}

export type FailureAction = 'continue' | 'pause' | 'rollback';
export type UpdateOrder = 'stop-first' | 'start-first';

export interface UpdateConfig {
  /** 0 = all at once. */
  Parallelism?: number;
  Delay?: DurationNs;
  FailureAction?: FailureAction;
  Monitor?: DurationNs;
  MaxFailureRatio?: number;
  Order?: UpdateOrder;
}

export type PortProtocol = 'tcp' | 'udp' | 'sctp';
export type PublishMode = 'ingress' | 'host';

export interface PortConfig {
  /** Shoal extension: prefix each ingress connection to the task with a PROXY protocol v2 header. */
  ProxyProtocol?: boolean;
  Name?: string;
  Protocol?: PortProtocol;
  TargetPort: number;
  /** Omitted or 0: allocated from 30000–32767. */
  PublishedPort?: number;
  PublishMode?: PublishMode;
}

export type EndpointMode = 'vip' | 'dnsrr';

export interface EndpointSpec {
  Mode?: EndpointMode;
  Ports?: PortConfig[];
}

export interface ServiceSpec {
  Name: string;
  Labels?: Labels;
  TaskTemplate: TaskSpec;
  Mode?: ServiceMode;
  UpdateConfig?: UpdateConfig;
  RollbackConfig?: UpdateConfig;
  /** Deprecated since API 1.44; use `TaskTemplate.Networks`. */
  Networks?: NetworkAttachmentConfig[];
  EndpointSpec?: EndpointSpec;
}

export interface VirtualIP {
  NetworkID: string;
  Addr: string;
}

export interface ServiceEndpoint {
  Spec: EndpointSpec;
  Ports?: PortConfig[];
  VirtualIPs?: VirtualIP[];
}

export type UpdateState =
  | 'updating'
  | 'paused'
  | 'completed'
  | 'rollback_started'
  | 'rollback_paused'
  | 'rollback_completed';

export interface UpdateStatus {
  State?: UpdateState;
  StartedAt?: Timestamp;
  CompletedAt?: Timestamp;
  Message?: string;
}

/** Filled only when listing with `?status=true`. */
export interface ServiceStatus {
  RunningTasks: number;
  DesiredTasks: number;
  CompletedTasks: number;
}

export interface JobStatus {
  /** moby omits a zero index. */
  JobIteration: { Index?: number };
  LastExecution?: Timestamp;
}

export interface Service {
  ID: string;
  Version: ObjectVersion;
  CreatedAt: Timestamp;
  UpdatedAt: Timestamp;
  Spec: ServiceSpec;
  /** In Docker's Go types though not in the swagger; needed for `service rollback`. */
  PreviousSpec?: ServiceSpec;
  Endpoint?: ServiceEndpoint;
  UpdateStatus?: UpdateStatus;
  ServiceStatus?: ServiceStatus;
  JobStatus?: JobStatus;
}

/** POST /services/create → 201 */
export interface ServiceCreateResponse {
  ID: string;
  Warnings?: string[] | null;
}

/** POST /services/{id}/update → 200 */
export interface ServiceUpdateResponse {
  Warnings?: string[] | null;
}

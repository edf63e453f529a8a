// Services, tasks and networks: what the orchestrators, scheduler and agents share.

export type RestartCondition = 'none' | 'on-failure' | 'any';
export type PublishMode = 'ingress' | 'host';
export type PortProtocol = 'tcp' | 'udp' | 'sctp';

export interface PortConfig {
  name?: string;
  protocol: PortProtocol;
  targetPort: number;
  /** 0 in a spec means "allocate one"; the allocator fills it in on the service's endpoint. */
  publishedPort: number;
  publishMode: PublishMode;
  /** Opt-in: prefix each ingress connection with a PROXY protocol v2 header carrying the client address. */
  proxyProtocol?: boolean;
}

/** Docker's HealthConfig; durations in milliseconds, fractions kept (swarmkit refuses non-zero ones under 1 ms). */
export interface HealthCheck {
  /** Empty: the image's (none on the process runtime), with the other settings overridden. */
  test: string[];
  intervalMs?: number;
  timeoutMs?: number;
  retries?: number;
  startPeriodMs?: number;
  startIntervalMs?: number;
}

export interface ContainerSpec {
  image: string;
  /** Entrypoint override (`--entrypoint`). */
  command?: string[];
  /** `[COMMAND] [ARG...]` of `service create`. */
  args?: string[];
  env?: string[];
  dir?: string;
  hostname?: string;
  labels?: Record<string, string>;
  stopGracePeriodMs?: number;
  /** `--stop-signal`, as given (SIGTERM when unset). */
  stopSignal?: string;
  /** `--user`: `name|uid[:group|gid]` the task's process runs as. */
  user?: string;
  /**
   * Docker ContainerSpec fields a host process has no use for (TTY, ReadOnly, Init, Mounts, Hosts,
   * DNSConfig, Groups, Sysctls, capabilities, Ulimits, OpenStdin), kept verbatim so inspect shows them.
   */
  containerOnly?: Record<string, unknown>;
  healthcheck?: HealthCheck;
}

export interface RestartPolicy {
  condition: RestartCondition;
  delayMs: number;
  /** 0 = unlimited. */
  maxAttempts: number;
  /** 0 = unbounded window. */
  windowMs: number;
}

export interface Placement {
  constraints: string[];
  /** `--placement-pref spread=<descriptor>`: tasks spread evenly over the descriptor's values, in order. */
  preferences?: string[];
  /** 0 = unlimited. */
  maxReplicas: number;
  /**
   * Platforms the image runs on (the docker CLI sends them when it resolved the image on a
   * registry); a node must match one. None: any node.
   */
  platforms?: Array<{ architecture: string; os: string }>;
}

export interface Resources {
  limits?: { nanoCpus?: number; memoryBytes?: number; pids?: number };
  reservations?: {
    nanoCpus?: number;
    memoryBytes?: number;
    /** `--generic-resource` (Docker's GenericResources, as sent): no Shoal node offers any, so a task asking for one stays pending. */
    generic?: Array<Record<string, unknown>>;
  };
}

/** A network a service's tasks attach to (Docker's TaskTemplate.Networks entry). */
export interface NetworkAttachment {
  /** The network's ID (names are resolved when the service is written). */
  target: string;
  aliases?: string[];
  /** `--network name=x,driver-opt=k=v`: kept and shown (the overlay has no driver to pass them to). */
  driverOpts?: Record<string, string>;
}

export interface TaskSpec {
  container: ContainerSpec;
  /** `--network`: the overlay networks the tasks attach to. */
  networks?: NetworkAttachment[];
  /** `--log-driver` / `--log-opt`: kept and shown; the process runtime keeps its own log files. */
  logDriver?: { name: string; options?: Record<string, string> };
  restart: RestartPolicy;
  placement: Placement;
  resources: Resources;
  /** Bumped by `service update --force` to replace tasks with an unchanged spec. */
  forceUpdate: number;
}

/**
 * Replicated and global services keep their tasks running. Jobs run their tasks to completion
 * (exit 0), once per iteration: a replicated job until `totalCompletions` tasks completed, at most
 * `maxConcurrent` at a time; a global job once on every node that was eligible when the iteration
 * began.
 */
export type ServiceMode =
  | { type: 'replicated'; replicas: number }
  | { type: 'global' }
  | { type: 'replicated-job'; maxConcurrent: number; totalCompletions: number }
  | { type: 'global-job' };

export function isJobMode(mode: ServiceMode): mode is Extract<ServiceMode, { type: 'replicated-job' | 'global-job' }> {
  return mode.type === 'replicated-job' || mode.type === 'global-job';
}

export interface UpdateConfig {
  parallelism: number;
  delayMs: number;
  failureAction: 'pause' | 'continue' | 'rollback';
  monitorMs: number;
  maxFailureRatio: number;
  order: 'stop-first' | 'start-first';
}

export interface ServiceSpec {
  name: string;
  labels: Record<string, string>;
  task: TaskSpec;
  mode: ServiceMode;
  update: UpdateConfig;
  rollback: UpdateConfig;
  /** Jobs only: a rollback config was given (a job shows one only then; others always do). */
  rollbackGiven?: boolean;
  endpoint: { mode: 'vip' | 'dnsrr'; ports: PortConfig[] };
}

export interface ServiceObject {
  id: string;
  version: number;
  createdAt: string;
  updatedAt: string;
  spec: ServiceSpec;
  previousSpec?: ServiceSpec;
  /** Ports as allocated (published ports filled in). */
  endpoint: { ports: PortConfig[] };
  updateStatus?: {
    state: 'updating' | 'paused' | 'completed';
    startedAt?: string;
    completedAt?: string;
    message: string;
    /** True while the update is a rollback to `previousSpec` (uses the rollback config; never rolled back itself). */
    rollback?: boolean;
  };
  /**
   * Jobs only: which run of the job is current (0 at creation, +1 at every update, as swarmkit's
   * JobIteration) and when it began. Tasks of earlier iterations are stopped and kept as history.
   */
  jobStatus?: { iteration: number; lastExecution: string };
}

/** swarmkit's task states, spaced so that "later" compares greater (api/types.proto). */
export const TASK_STATES = {
  new: 0,
  pending: 64,
  assigned: 192,
  accepted: 256,
  preparing: 320,
  ready: 384,
  starting: 448,
  running: 512,
  complete: 576,
  shutdown: 640,
  failed: 704,
  rejected: 768,
  remove: 800,
  orphaned: 832,
} as const;

export type TaskState = keyof typeof TASK_STATES;

export function taskStateRank(state: TaskState): number {
  return TASK_STATES[state];
}

/** A task that has stopped for good (complete, shutdown, failed, rejected, orphaned...). */
export function isTerminal(state: TaskState): boolean {
  return TASK_STATES[state] > TASK_STATES.running;
}

export interface TaskStatus {
  state: TaskState;
  timestamp: string;
  message: string;
  err?: string;
  exitCode?: number;
  pid?: number;
  /** Where the task listens on its node (the mesh routes here). */
  port?: number;
  /** Publish mode `host`: the ports its node bound for it (moby's PortStatus); a published 0 has the port the kernel chose. */
  hostPorts?: Array<{ protocol: 'tcp' | 'udp'; targetPort: number; publishedPort: number }>;
  /** When it was reported running, kept through later states: an update's monitor period counts from it. */
  startedAt?: string;
}

export interface TaskObject {
  id: string;
  version: number;
  createdAt: string;
  updatedAt: string;
  serviceId: string;
  /** Replicated services; 0 for global. */
  slot: number;
  /** Empty until scheduled (global tasks are born with it). */
  nodeId: string;
  spec: TaskSpec;
  /** The service's spec version this task was made from (for "up to date"). */
  serviceVersion: number;
  endpointPorts: PortConfig[];
  desiredState: TaskState;
  status: TaskStatus;
  labels: Record<string, string>;
  /** Set by the orchestrator when this task takes over from another one in the same slot (or node, for global services). */
  replaces?: TaskReplacement;
  /** Restart delay: while desired is `ready`, the orchestrator moves it to `running` no earlier than this ISO time. */
  startAfter?: string;
  /** Jobs only: the service's job iteration this task runs for (its desired state is `complete`). */
  jobIteration?: number;
}

/** Why a task was created to take over from another. */
export type ReplacementReason = 'restart' | 'node-down' | 'drain' | 'update' | 'rebalance';

export interface TaskReplacement {
  /** The task this one takes over from; with start-first hand-overs it keeps running until this one runs. */
  taskId: string;
  reason: ReplacementReason;
}

export interface NetworkObject {
  id: string;
  version: number;
  createdAt: string;
  updatedAt: string;
  name: string;
  driver: 'overlay';
  ingress: boolean;
  attachable: boolean;
  labels: Record<string, string>;
  subnet: string;
  gateway: string;
  /** `--internal`: kept and shown (a process runtime has no external access to cut). */
  internal?: boolean;
  /** `-o key=value` driver options (e.g. `encrypted`, the MTU), kept and shown. */
  options?: Record<string, string>;
  /** The overlay's VXLAN ID as Docker reports it (ingress 4096, then 4097 on). */
  vxlanId?: number;
  /**
   * Every address pool, as `network inspect` shows IPAM.Config, when more was asked for than the
   * one IPv4 subnet and gateway above (which are this list's first IPv4 entry): an `--ip-range`,
   * `--aux-address`es, more subnets, IPv6 ones. Kept and shown; tasks get no overlay addresses.
   */
  ipamConfigs?: NetworkIpamConfig[];
  /** `--ipam-driver` (only Docker's built-in "default") and `--ipam-opt`s. */
  ipamDriver?: { name: string; options?: Record<string, string> };
  /** `--ipv6`. */
  enableIPv6?: boolean;
}

export interface NetworkIpamConfig {
  subnet: string;
  gateway?: string;
  ipRange?: string;
  auxAddresses?: Record<string, string>;
}

/** What `network create` asks for (the Engine API's request, mapped). */
export interface NetworkCreateRequest {
  name: string;
  driver: string;
  attachable: boolean;
  labels: Record<string, string>;
  internal?: boolean;
  ingress?: boolean;
  options?: Record<string, string>;
  /** IPAM.Config, in the request's order; a config may lack a subnet (refused when it has a gateway or range). */
  configs?: Array<Partial<NetworkIpamConfig>>;
  ipamDriver?: { name: string; options?: Record<string, string> };
  enableIPv6?: boolean;
}

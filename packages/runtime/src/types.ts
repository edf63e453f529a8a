// The executor contract the agent drives, modelled on swarmkit's agent/exec
// Controller. Runtime is a leaf package, so these types are its own rather than
// the store's: the agent maps a store Task onto a TaskRuntimeSpec.

export interface TargetPort {
  port: number;
  protocol: 'tcp' | 'udp';
}

/** What one task needs from the runtime: a snapshot of the task's container spec. */
export interface TaskRuntimeSpec {
  taskId: string;
  serviceId: string;
  serviceName: string;
  /** Replicated services only. */
  slot?: number;
  nodeId: string;
  nodeHostname: string;
  image: string;
  /** Docker's Entrypoint override: argv[0..] exec'd directly, no shell. */
  command?: string[];
  /** Docker's Cmd: appended to `command`, or the whole argv when there is no command. */
  args?: string[];
  /** "KEY=VALUE" entries. */
  env?: string[];
  workdir?: string;
  targetPorts?: TargetPort[];
  /** SIGTERM → SIGKILL delay for shutdown(); default 10_000 (Docker's default). */
  stopGracePeriodMs?: number;
  /** The signal shutdown() sends first (`--stop-signal`), by its `SIGxxx` name; SIGTERM by default. */
  stopSignal?: NodeJS.Signals;
  /** `name|uid[:group|gid]` to run the process as (`--user`); the daemon's own user by default. */
  user?: string;
  labels?: Record<string, string>;
}

export const DEFAULT_STOP_GRACE_PERIOD_MS = 10_000;

/** How a task ended. A signal death also carries Docker's 128+n exit code. */
export interface ExitStatus {
  exitCode: number | null;
  signal: string | null;
  /** Set when the task failed to start, or its exit could not be observed. */
  error?: string;
}

export type TaskRuntimeState = 'new' | 'prepared' | 'running' | 'exited';

export interface TaskRuntimeStatus {
  state: TaskRuntimeState;
  /** The leader of the task's process group (its shim): signalling -pid reaches the whole task. */
  pid?: number;
  /** The task's program itself, the shim's child: the PID Docker reports for a container's main process. */
  mainPid?: number;
  port?: number;
  /** RFC 3339 time the process was started. */
  startedAt?: string;
  exitCode?: number | null;
}

export interface TaskEndpoint {
  port: number;
}

export interface LogOptions {
  /** Keep streaming new lines until the task exits (and its output is drained) or `signal` aborts. */
  follow?: boolean;
  /** Last N matching lines already written; default 'all'. */
  tail?: number | 'all';
  /** Only lines written at or after this time. */
  since?: Date;
  /** Both default to true. */
  stdout?: boolean;
  stderr?: boolean;
  signal?: AbortSignal;
}

export type LogStream = 'stdout' | 'stderr';

export interface LogRecord {
  stream: LogStream;
  /** RFC 3339 with nine fractional digits, UTC: sorts as text. */
  time: string;
  /** One line of output without its trailing newline. */
  line: string;
}

/** Drives one task through its lifecycle; all methods are safe to call out of order. */
export interface TaskController {
  /** Validate the spec and set up everything start() needs (dir, port, config). Idempotent. */
  prepare(): Promise<void>;
  /** Start the prepared task. Idempotent while running; a task is never restarted. */
  start(): Promise<void>;
  /** Resolves once the task has exited and its output is drained; `signal` only abandons the wait. */
  wait(signal?: AbortSignal): Promise<ExitStatus>;
  /** SIGTERM to the process group, SIGKILL after the grace period; resolves when it has exited. */
  shutdown(): Promise<void>;
  /** SIGKILL to the process group now; resolves when it has exited. */
  terminate(): Promise<void>;
  /** Stops the task if needed, then deletes its state and logs and frees its port. */
  remove(): Promise<void>;
  status(): TaskRuntimeStatus;
  /** The local port the task listens on, while it is running. */
  endpoint(): TaskEndpoint | null;
  logs(opts?: LogOptions): AsyncIterable<LogRecord>;
  /**
   * Runs one health probe as the task's own process would run (its environment, user and
   * directory): `["CMD", argv...]` or `["CMD-SHELL", command]`. True when it exits 0 within `timeoutMs`.
   */
  probe(test: readonly string[], timeoutMs: number): Promise<boolean>;
}

/** A task whose state an executor found on disk (from a previous agent run). */
export interface AdoptedTask {
  spec: TaskRuntimeSpec;
  /** The task's process is still running (identity verified, not just a recycled PID). */
  alive: boolean;
  controller: TaskController;
}

export interface ExecutorDescription {
  runtime: 'process';
  /** Images this node can run without a command (e.g. shoal/whoami, nginx). */
  images: string[];
}

export interface Executor {
  /** The controller for this task; the same one for the same task id until it is removed. */
  controller(spec: TaskRuntimeSpec): TaskController;
  /** Every task this executor holds state for, each with a controller attached. */
  adopt(): Promise<AdoptedTask[]>;
  describe(): ExecutorDescription;
}

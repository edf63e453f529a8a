// One task of the FakeExecutor: the same state machine as the process runtime,
// moved on by the test (exit, log lines) instead of by a process. No timers.
import { AsyncQueue, endOnAbort } from '../async-queue';
import { InvalidStateError } from '../errors';
import { logFilter, matches, selectExisting } from '../log-records';
import type {
  ExitStatus,
  LogOptions,
  LogRecord,
  LogStream,
  TaskController,
  TaskEndpoint,
  TaskRuntimeSpec,
  TaskRuntimeState,
  TaskRuntimeStatus,
} from '../types';

export type FakeOp = 'prepare' | 'start' | 'wait' | 'shutdown' | 'terminate' | 'remove' | 'logs' | 'probe';

/** The executor side of a fake task: what the controller asks of its FakeExecutor. */
export interface FakeHost {
  record(op: FakeOp, taskId: string): void;
  /** Validates the spec and hands out a port, or throws what prepare() should reject with. */
  prepareTask(spec: TaskRuntimeSpec): number;
  /** Throws what start() should reject with, if the test asked for a failure. */
  startTask(spec: TaskRuntimeSpec): void;
  shutdownHeld(taskId: string): boolean;
  now(): string;
  onRemoved(taskId: string): void;
}

export class FakeTaskController implements TaskController {
  state: TaskRuntimeState = 'new';
  port: number | undefined;
  pid: number | undefined;
  startedAt: string | undefined;
  exitStatus: ExitStatus | undefined;
  removed = false;
  readonly records: LogRecord[] = [];
  private readonly followers = new Set<AsyncQueue<LogRecord>>();
  private readonly exited: Promise<ExitStatus>;
  private resolveExited!: (s: ExitStatus) => void;

  constructor(
    readonly spec: TaskRuntimeSpec,
    private readonly host: FakeHost,
  ) {
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
  }

  async prepare(): Promise<void> {
    this.host.record('prepare', this.spec.taskId);
    this.assertNotRemoved('prepare');
    if (this.state !== 'new') return;
    this.port = this.host.prepareTask(this.spec);
    this.state = 'prepared';
  }

  async start(): Promise<void> {
    this.host.record('start', this.spec.taskId);
    this.assertNotRemoved('start');
    if (this.state === 'new') throw new InvalidStateError(`task ${this.spec.taskId} is not prepared`);
    if (this.state === 'exited') throw new InvalidStateError(`task ${this.spec.taskId} has exited; a task is never restarted`);
    if (this.state === 'running') return;
    try {
      this.host.startTask(this.spec);
    } catch (err) {
      this.finish({ exitCode: null, signal: null, error: (err as Error).message });
      throw err;
    }
    this.markRunning(this.host.now());
  }

  async wait(signal?: AbortSignal): Promise<ExitStatus> {
    this.host.record('wait', this.spec.taskId);
    if (this.state === 'new' || this.state === 'prepared') {
      throw new InvalidStateError(`task ${this.spec.taskId} is not started`);
    }
    if (!signal) return this.exited;
    signal.throwIfAborted();
    return Promise.race([
      this.exited,
      new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true })),
    ]);
  }

  async shutdown(): Promise<void> {
    this.host.record('shutdown', this.spec.taskId);
    if (this.state !== 'running') return;
    // A held task ignores SIGTERM until the test calls exit(), like a slow stop.
    if (!this.host.shutdownHeld(this.spec.taskId)) this.exit(143, 'SIGTERM');
    await this.exited;
  }

  async terminate(): Promise<void> {
    this.host.record('terminate', this.spec.taskId);
    if (this.state === 'running') this.exit(137, 'SIGKILL');
  }

  async remove(): Promise<void> {
    this.host.record('remove', this.spec.taskId);
    if (this.removed) return;
    if (this.state === 'running') this.exit(137, 'SIGKILL');
    this.records.length = 0;
    this.removed = true;
    this.host.onRemoved(this.spec.taskId);
  }

  status(): TaskRuntimeStatus {
    return {
      state: this.state,
      ...(this.pid !== undefined ? { pid: this.pid } : {}),
      ...(this.port !== undefined ? { port: this.port } : {}),
      ...(this.startedAt !== undefined ? { startedAt: this.startedAt } : {}),
      ...(this.exitStatus ? { exitCode: this.exitStatus.exitCode } : {}),
    };
  }

  endpoint(): TaskEndpoint | null {
    return this.state === 'running' && this.port !== undefined ? { port: this.port } : null;
  }

  logs(opts: LogOptions = {}): AsyncIterable<LogRecord> {
    this.host.record('logs', this.spec.taskId);
    return this.streamLogs(opts);
  }

  /** Health probes answer `healthy` (test-driven). */
  healthy = true;
  probe(_test: readonly string[], _timeoutMs: number): Promise<boolean> {
    this.host.record('probe', this.spec.taskId);
    return Promise.resolve(this.healthy);
  }

  /** The task's process exits (test-driven). */
  exit(exitCode: number | null, signal: string | null = null): void {
    if (this.state !== 'running') throw new InvalidStateError(`task ${this.spec.taskId} is not running`);
    this.finish({ exitCode, signal });
  }

  /** The task prints a line (test-driven). */
  log(stream: LogStream, line: string): void {
    if (this.state !== 'running') throw new InvalidStateError(`task ${this.spec.taskId} is not running`);
    const record = { stream, line, time: this.host.now() };
    this.records.push(record);
    for (const f of this.followers) f.push(record);
  }

  markRunning(startedAt: string, pid = 1000 + (this.port ?? 0)): void {
    this.state = 'running';
    this.pid = pid;
    this.startedAt = startedAt;
  }

  finish(status: ExitStatus): void {
    this.exitStatus = status;
    this.state = 'exited';
    for (const f of this.followers) f.end();
    this.followers.clear();
    this.resolveExited(status);
  }

  private async *streamLogs(opts: LogOptions): AsyncGenerator<LogRecord> {
    const filter = logFilter(opts);
    const existing = selectExisting(this.records, opts, filter);
    if (!opts.follow || this.state !== 'running') {
      yield* existing;
      return;
    }
    const live = new AsyncQueue<LogRecord>();
    this.followers.add(live);
    const detach = endOnAbort(live, opts.signal);
    try {
      yield* existing;
      for await (const r of live) if (matches(filter, r)) yield r;
    } finally {
      this.followers.delete(live);
      detach();
    }
  }

  private assertNotRemoved(op: string): void {
    if (this.removed) throw new InvalidStateError(`task ${this.spec.taskId} was removed; cannot ${op}`);
  }
}

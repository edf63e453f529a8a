// The in-memory twin of ProcessExecutor for agent and orchestrator tests:
// deterministic (no processes, no timers, no wall clock); tasks change state
// only when the test says so, and every controller call is recorded.
import { ImageNotSupportedError, NoCommandError } from '../errors';
import { knownImage, NGINX_IMAGE, WHOAMI_IMAGE } from '../image-ref';
import { dateToLogTime } from '../log-records';
import type { AdoptedTask, Executor, ExecutorDescription, LogStream, TaskRuntimeSpec } from '../types';
import { FakeTaskController, type FakeHost, type FakeOp } from './fake-controller';

export interface FakeExecutorOptions {
  /** Images runnable without a command; default shoal/whoami and nginx. */
  images?: string[];
  /** First port handed out; ports are never reused. Default 20000. */
  portBase?: number;
  /** Clock for log and start times; default 2024-01-01T00:00:00Z plus 1 ms per reading. */
  now?: () => Date;
}

export interface FakeCall {
  op: FakeOp;
  taskId: string;
}

export interface FakeSeed {
  /** 'running' tasks are alive; 'exited' ones report `exitCode`. Default 'running'. */
  state?: 'running' | 'exited';
  exitCode?: number | null;
  port?: number;
}

export class FakeExecutor implements Executor {
  readonly calls: FakeCall[] = [];
  private readonly tasks = new Map<string, FakeTaskController>();
  private readonly images: string[];
  private readonly held = new Set<string>();
  private readonly nowFn: () => Date;
  private nextPort: number;
  private nextPrepareError: Error | null = null;
  private nextStartError: Error | null = null;

  constructor(options: FakeExecutorOptions = {}) {
    this.images = options.images ?? [WHOAMI_IMAGE, NGINX_IMAGE];
    this.nextPort = options.portBase ?? 20000;
    let tick = Date.UTC(2024, 0, 1);
    this.nowFn = options.now ?? (() => new Date(tick++));
  }

  controller(spec: TaskRuntimeSpec): FakeTaskController {
    const existing = this.tasks.get(spec.taskId);
    if (existing) return existing;
    const task = new FakeTaskController(spec, this.host());
    this.tasks.set(spec.taskId, task);
    return task;
  }

  /** Every task not removed, as a real executor on the same stateDir would find them. */
  async adopt(): Promise<AdoptedTask[]> {
    return [...this.tasks.values()].map((c) => ({ spec: c.spec, alive: c.state === 'running', controller: c }));
  }

  describe(): ExecutorDescription {
    return { runtime: 'process', images: [...this.images] };
  }

  /** The next prepare() of any task rejects with `err`. */
  failNextPrepare(err: Error): void {
    this.nextPrepareError = err;
  }

  /** The next start() of any task rejects with `err` (and the task ends exited, as a failed exec does). */
  failNextStart(err: Error): void {
    this.nextStartError = err;
  }

  /** The task's process exits with `code` (or is killed by `signal`). */
  exit(taskId: string, code: number | null = 0, signal: string | null = null): void {
    this.mustGet(taskId).exit(code, signal);
  }

  /** The task writes a line to stdout or stderr. */
  log(taskId: string, stream: LogStream, line: string): void {
    this.mustGet(taskId).log(stream, line);
  }

  /** shutdown() of this task then waits for exit(), like a task that is slow to stop. */
  holdShutdown(taskId: string): void {
    this.held.add(taskId);
  }

  /** A task left over from a previous agent run, found by the next adopt(). */
  seed(spec: TaskRuntimeSpec, seed: FakeSeed = {}): FakeTaskController {
    const task = new FakeTaskController(spec, this.host());
    task.port = seed.port ?? this.nextPort++;
    task.markRunning(this.now());
    if (seed.state === 'exited') task.finish({ exitCode: seed.exitCode ?? null, signal: null });
    this.tasks.set(spec.taskId, task);
    return task;
  }

  task(taskId: string): FakeTaskController | undefined {
    return this.tasks.get(taskId);
  }

  callsFor(taskId: string): FakeOp[] {
    return this.calls.filter((c) => c.taskId === taskId).map((c) => c.op);
  }

  private host(): FakeHost {
    return {
      record: (op, taskId) => this.calls.push({ op, taskId }),
      prepareTask: (spec) => this.prepareTask(spec),
      startTask: () => this.takeError('start'),
      shutdownHeld: (taskId) => this.held.has(taskId),
      now: () => this.now(),
      onRemoved: (taskId) => {
        this.tasks.delete(taskId);
        this.held.delete(taskId);
      },
    };
  }

  private prepareTask(spec: TaskRuntimeSpec): number {
    this.takeError('prepare');
    // The same command rules as the process runtime, minus the processes.
    if (!spec.command?.length && !spec.args?.length) {
      const image = knownImage(spec.image);
      if (image === null) throw new NoCommandError();
      if (!this.images.some((i) => knownImage(i) === image)) {
        throw new ImageNotSupportedError(`${image} is not installed on this node`);
      }
    }
    return this.nextPort++;
  }

  private takeError(op: 'prepare' | 'start'): void {
    const err = op === 'prepare' ? this.nextPrepareError : this.nextStartError;
    if (op === 'prepare') this.nextPrepareError = null;
    else this.nextStartError = null;
    if (err) throw err;
  }

  private now(): string {
    return dateToLogTime(this.nowFn());
  }

  private mustGet(taskId: string): FakeTaskController {
    const task = this.tasks.get(taskId);
    if (!task) throw new Error(`FakeExecutor: no task ${taskId}`);
    return task;
  }
}

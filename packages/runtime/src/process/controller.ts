// One task on the process runtime: new → prepared → running → exited, with its
// dir, port, output pump and log. The same class serves tasks adopted after an
// agent restart; only how the leader's exit is observed differs (TaskProcess).
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { InvalidSpecError, InvalidStateError, TaskExistsError } from '../errors';
import type { LogClock } from '../log-records';
import type { RuntimeLogger } from '../logger';
import {
  DEFAULT_STOP_GRACE_PERIOD_MS,
  type ExitStatus,
  type LogOptions,
  type LogRecord,
  type TaskController,
  type TaskEndpoint,
  type TaskRuntimeSpec,
  type TaskRuntimeState,
  type TaskRuntimeStatus,
} from '../types';
import { planLaunch, taskEnv, type LaunchContext, type LaunchPlan } from './launch';
import { LogWriter } from './log-file';
import { streamLogs } from './log-stream';
import { prepareNginx } from './nginx';
import { lookupUser } from './user';
import { closeQuietly, makeFifos, openTaskEnds, OutputPump } from './output-pump';
import type { PortAllocator } from './ports';
import { isSameProcessAlive, signalGroup } from './proc';
import { readStateFile, writeStateFile, type TaskStateRecord } from './state-file';
import { adoptedExit, EXIT_FILE, spawnTask, UNKNOWN_EXIT, watchAdopted, type TaskProcess } from './task-process';

/** What a controller shares with its executor. */
export interface ControllerContext {
  allocator: PortAllocator;
  launch: LaunchContext;
  listenHost: string;
  logMaxBytes: number;
  pollIntervalMs: number;
  drainTimeoutMs: number;
  clock: LogClock;
  logger: RuntimeLogger;
  onRemoved(taskId: string): void;
}

export class ProcessTaskController implements TaskController {
  private state: TaskRuntimeState = 'new';
  private port: number | undefined;
  private plan: LaunchPlan | null = null;
  private proc: TaskProcess | null = null;
  private startedAt: string | undefined;
  private exit: ExitStatus | undefined;
  private writer: LogWriter | null = null;
  private pump: OutputPump | null = null;
  private preparing: Promise<void> | null = null;
  private starting: Promise<void> | null = null;
  private persisted: Promise<void> = Promise.resolve();
  private closed: 'removed' | 'detached' | null = null;
  private readonly exited: Promise<ExitStatus>;
  private resolveExited!: (status: ExitStatus) => void;
  private readonly logger: RuntimeLogger;

  constructor(
    readonly spec: TaskRuntimeSpec,
    readonly dir: string,
    private readonly ctx: ControllerContext,
  ) {
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
    this.logger = ctx.logger;
  }

  async prepare(): Promise<void> {
    this.assertOpen('prepare');
    if (this.preparing) return this.preparing;
    if (this.state !== 'new') return;
    return (this.preparing = this.doPrepare().finally(() => (this.preparing = null)));
  }

  async start(): Promise<void> {
    this.assertOpen('start');
    if (this.starting) return this.starting;
    if (this.preparing) return this.preparing.then(() => this.start());
    switch (this.state) {
      case 'new':
        throw new InvalidStateError(`task ${this.spec.taskId} is not prepared`);
      case 'running':
        return;
      case 'exited':
        throw new InvalidStateError(`task ${this.spec.taskId} has exited; a task is never restarted`);
      case 'prepared':
        return (this.starting = this.doStart().finally(() => (this.starting = null)));
    }
  }

  async wait(signal?: AbortSignal): Promise<ExitStatus> {
    if (this.state === 'new' || (this.state === 'prepared' && !this.starting)) {
      throw new InvalidStateError(`task ${this.spec.taskId} is not started`);
    }
    if (!signal) return this.exited;
    signal.throwIfAborted();
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      void this.exited.then((s) => {
        signal.removeEventListener('abort', onAbort);
        resolve(s);
      });
    });
  }

  async shutdown(): Promise<void> {
    await this.starting?.catch(() => undefined);
    const proc = this.proc;
    if (!proc) return; // never started: nothing to stop
    if (this.state === 'running') await this.stop(proc, this.spec.stopGracePeriodMs ?? DEFAULT_STOP_GRACE_PERIOD_MS);
    await this.exited;
  }

  async terminate(): Promise<void> {
    await this.starting?.catch(() => undefined);
    const proc = this.proc;
    if (!proc) return;
    if (this.state === 'running') signalGroup(proc.pid, proc.procStartTime, 'SIGKILL');
    await this.exited;
  }

  /** The stop signal (SIGTERM unless the spec says otherwise), then SIGKILL if the leader outlives the grace period. */
  private async stop(proc: TaskProcess, graceMs: number): Promise<void> {
    const signal = this.spec.stopSignal ?? 'SIGTERM';
    signalGroup(proc.pid, proc.procStartTime, signal);
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'grace'>((resolve) => (timer = setTimeout(() => resolve('grace'), graceMs)));
    const first = await Promise.race([proc.exited, graceOver]);
    clearTimeout(timer);
    if (first === 'grace') {
      this.logger.info({ taskId: this.spec.taskId, graceMs, signal }, 'task outlived its stop signal; killing it');
      signalGroup(proc.pid, proc.procStartTime, 'SIGKILL');
    }
  }

  async remove(): Promise<void> {
    if (this.closed === 'removed') return;
    this.assertOpen('remove');
    await this.preparing?.catch(() => undefined);
    await this.starting?.catch(() => undefined);
    await this.terminate();
    this.pump?.detach();
    await this.writer?.end();
    await this.persisted;
    if (this.port !== undefined) this.ctx.allocator.release(this.port);
    await fsp.rm(this.dir, { recursive: true, force: true });
    this.closed = 'removed';
    this.ctx.onRemoved(this.spec.taskId);
  }

  status(): TaskRuntimeStatus {
    const mainPid = this.state === 'running' ? this.proc?.mainPid : undefined;
    return {
      state: this.state,
      ...(this.proc ? { pid: this.proc.pid } : {}),
      ...(mainPid !== undefined ? { mainPid } : {}),
      ...(this.port !== undefined ? { port: this.port } : {}),
      ...(this.startedAt !== undefined ? { startedAt: this.startedAt } : {}),
      ...(this.exit ? { exitCode: this.exit.exitCode } : {}),
    };
  }

  endpoint(): TaskEndpoint | null {
    return this.state === 'running' && this.port !== undefined ? { port: this.port } : null;
  }

  logs(opts: LogOptions = {}): AsyncIterable<LogRecord> {
    return streamLogs(this.dir, () => this.writer, opts, this.logger);
  }

  async probe(test: readonly string[], timeoutMs: number): Promise<boolean> {
    const [kind, ...rest] = test;
    const argv = kind === 'CMD-SHELL' ? ['/bin/sh', '-c', rest.join(' ')] : kind === 'CMD' ? rest : [];
    const [file, ...args] = argv;
    if (!file || this.port === undefined) return false;
    const { listenHost, launch } = this.ctx;
    const user = this.spec.user ? lookupUser(this.spec.user) : undefined;
    const env = taskEnv({ spec: this.spec, port: this.port, home: user?.home ?? this.workDir, listenHost, envPath: launch.envPath });
    const cwd = this.spec.workdir ?? (user ? '/' : this.workDir);
    return new Promise((resolve) => {
      const child = spawn(file, args, { cwd, env, stdio: 'ignore', ...(user ? { uid: user.uid, gid: user.gid } : {}) });
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.once('error', () => {
        clearTimeout(timer);
        resolve(false);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve(code === 0);
      });
    });
  }

  /** Agent shutting down: stop watching and pumping, leave the process running for the next agent. */
  async detach(): Promise<void> {
    if (this.closed) return;
    this.closed = 'detached';
    this.proc?.detach();
    this.pump?.detach();
    await this.writer?.end();
    await this.persisted;
  }

  /** Rebuilds the controller from state.json; returns whether the task's process is still alive. */
  async restore(record: TaskStateRecord): Promise<boolean> {
    this.port = record.port;
    this.ctx.allocator.reserve(record.port);
    this.startedAt = record.startedAt;
    if (record.state === 'prepared') {
      // Nothing ran; prepare() redoes the (idempotent) set-up with a fresh port.
      this.ctx.allocator.release(record.port);
      this.port = undefined;
      return false;
    }
    const { pid, procStartTime } = record;
    if (record.state === 'running' && pid !== undefined && procStartTime !== undefined) {
      if (await isSameProcessAlive(pid, procStartTime)) {
        await this.attach(watchAdopted(pid, procStartTime, this.ctx.pollIntervalMs, this.exitFile));
        return true;
      }
      // It died while no agent watched (its shim kept the status); anything it left in its group goes too.
      signalGroup(pid, procStartTime, 'SIGKILL');
      this.proc = { pid, procStartTime, exited: this.exited, detach: () => undefined };
      await this.finish(adoptedExit(this.exitFile));
      return false;
    }
    if (pid !== undefined && procStartTime !== undefined) {
      this.proc = { pid, procStartTime, exited: this.exited, detach: () => undefined };
    }
    await this.finish(record.exit ?? { exitCode: null, signal: null, error: UNKNOWN_EXIT }, record.finishedAt);
    return false;
  }

  private async doPrepare(): Promise<void> {
    const plan = planLaunch(this.spec, this.ctx.launch);
    await this.refuseLiveCopy();
    // Private to the agent's user: the log and state (with the spec's env) live here.
    await fsp.mkdir(this.dir, { recursive: true, mode: 0o700 });
    await fsp.mkdir(this.workDir, { recursive: true });
    const port = await this.ctx.allocator.allocate();
    try {
      if (plan.kind === 'nginx') {
        plan.args = await prepareNginx(plan.file, this.spec, { dir: this.dir, port, listenHost: this.ctx.listenHost });
      }
      await this.checkWorkdir();
      await makeFifos(this.dir);
      this.port = port;
      this.plan = plan;
      this.state = 'prepared';
      await this.persist();
    } catch (err) {
      this.ctx.allocator.release(port);
      this.port = undefined;
      this.state = 'new';
      throw err;
    }
  }

  private async doStart(): Promise<void> {
    const plan = this.plan;
    if (!plan || this.port === undefined) throw new InvalidStateError(`task ${this.spec.taskId} is not prepared`);
    const writer = (this.writer = await this.openWriter());
    const ends = openTaskEnds(this.dir);
    try {
      const { listenHost, launch } = this.ctx;
      // `--user`: the process runs as that user, with HOME from its passwd entry and `/` as the
      // working directory unless one is given, as in a container: the task's own scratch space
      // (below the daemon's state directory) need not be reachable for that user.
      const user = this.spec.user ? lookupUser(this.spec.user) : undefined;
      const env = taskEnv({ spec: this.spec, port: this.port, home: user?.home ?? this.workDir, listenHost, envPath: launch.envPath });
      const cwd = this.spec.workdir ?? (user ? '/' : this.workDir);
      const proc = await spawnTask(plan, { cwd, env, ...ends, exitFile: this.exitFile, ...(user ? { user: { uid: user.uid, gid: user.gid } } : {}) });
      // Open our reading ends before closing the parent's copy of the task's ends, so
      // the pipes never look writer-less (end of file) to the pump.
      await this.attach(proc);
      this.logger.info({ taskId: this.spec.taskId, pid: proc.pid, port: this.port }, 'task started');
    } catch (err) {
      await writer.end();
      await this.finish({ exitCode: null, signal: null, error: (err as Error).message });
      throw err;
    } finally {
      closeQuietly(ends.stdout);
      closeQuietly(ends.stderr);
    }
  }

  /** Starts pumping output and watching the leader of a running task. */
  private async attach(proc: TaskProcess): Promise<void> {
    this.writer ??= await this.openWriter();
    this.pump = new OutputPump(this.dir, this.writer, this.logger);
    this.proc = proc;
    this.state = 'running';
    this.startedAt ??= new Date().toISOString();
    void this.persist();
    void proc.exited.then((status) => this.onLeaderExit(proc, status));
  }

  /** Where the task's shim records how its program exited. */
  private get exitFile(): string {
    return path.join(this.dir, EXIT_FILE);
  }

  /** The task's own scratch space (HOME and default cwd), apart from the runtime's files. */
  private get workDir(): string {
    return path.join(this.dir, 'work');
  }

  private openWriter(): Promise<LogWriter> {
    const { logMaxBytes: maxBytes, clock } = this.ctx;
    return LogWriter.open({ dir: this.dir, maxBytes, clock, logger: this.logger });
  }

  private async onLeaderExit(proc: TaskProcess, status: ExitStatus): Promise<void> {
    // Exited at once (no endpoint any more); wait() still resolves only once the output is in the log.
    this.exit = status;
    this.state = 'exited';
    // As in a container, the other processes of the task die with its main one.
    signalGroup(proc.pid, proc.procStartTime, 'SIGKILL');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.ctx.drainTimeoutMs);
    });
    // Something that left the group (setsid) may hold the pipes open; stop waiting for it.
    if ((await Promise.race([this.pump?.done, timeout])) === 'timeout') {
      this.logger.warn({ taskId: this.spec.taskId }, 'task output still open after exit; later output is lost');
    }
    clearTimeout(timer);
    this.pump?.detach();
    await this.writer?.end();
    this.logger.info({ taskId: this.spec.taskId, ...status }, 'task exited');
    await this.finish(status);
  }

  /** Records the exit, on disk first, then wakes wait(). */
  private async finish(status: ExitStatus, finishedAt = new Date().toISOString()): Promise<void> {
    this.exit = status;
    this.state = 'exited';
    await this.persist(finishedAt);
    this.resolveExited(status);
  }

  /** Writes state.json; writes are chained so an older record never lands after a newer one. */
  private persist(finishedAt?: string): Promise<void> {
    if (this.closed === 'removed' || this.state === 'new' || this.port === undefined) return this.persisted;
    const record: TaskStateRecord = {
      version: 1,
      spec: this.spec,
      state: this.state,
      port: this.port,
      ...(this.proc ? { pid: this.proc.pid, pgid: this.proc.pid, procStartTime: this.proc.procStartTime } : {}),
      ...(this.startedAt !== undefined ? { startedAt: this.startedAt } : {}),
      ...(this.exit ? { exit: this.exit } : {}),
      ...(finishedAt !== undefined ? { finishedAt } : {}),
    };
    this.persisted = this.persisted
      .then(() => writeStateFile(this.dir, record))
      .catch((err: unknown) => {
        this.logger.error({ err, taskId: this.spec.taskId }, 'cannot record task state; a restarted agent may misjudge it');
      });
    return this.persisted;
  }

  private async refuseLiveCopy(): Promise<void> {
    const prior = await readStateFile(this.dir);
    if (prior.kind !== 'ok' || prior.record.state !== 'running') return;
    const { pid, procStartTime } = prior.record;
    if (pid !== undefined && procStartTime !== undefined && (await isSameProcessAlive(pid, procStartTime))) {
      throw new TaskExistsError(this.spec.taskId, pid);
    }
  }

  private async checkWorkdir(): Promise<void> {
    const workdir = this.spec.workdir;
    if (workdir === undefined) return;
    const stat = await fsp.stat(workdir).catch(() => null);
    if (!stat?.isDirectory()) {
      throw new InvalidSpecError(`chdir to cwd ("${workdir}") set in config.json failed: no such file or directory`);
    }
  }

  private assertOpen(op: string): void {
    if (this.closed === 'removed') throw new InvalidStateError(`task ${this.spec.taskId} was removed; cannot ${op}`);
    if (this.closed === 'detached') throw new InvalidStateError(`executor closed; cannot ${op} task ${this.spec.taskId}`);
  }
}

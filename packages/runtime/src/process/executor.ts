// The process runtime: tasks are host process groups, each with a dir
// <stateDir>/<taskId>/ holding state.json, its log and its output pipes.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { InvalidSpecError, InvalidStateError } from '../errors';
import { NGINX_IMAGE, WHOAMI_IMAGE } from '../image-ref';
import { LogClock } from '../log-records';
import { silentLogger, type RuntimeLogger } from '../logger';
import type { AdoptedTask, Executor, ExecutorDescription, TaskController, TaskRuntimeSpec } from '../types';
import { ProcessTaskController, type ControllerContext } from './controller';
import { defaultWhoamiScript } from './launch';
import { findNginx } from './nginx';
import { PortAllocator } from './ports';
import { readStateFile } from './state-file';

export interface ProcessExecutorOptions {
  /** Where task dirs live: $SHOAL_HOME/tasks. */
  stateDir: string;
  /** Task ports come from here; default [20000, 29999]. */
  portRange?: readonly [number, number];
  /** The node's address; a task port must be free on it. Default 127.0.0.1. */
  host?: string;
  /**
   * Where the built-in images (whoami, nginx) listen. Default 0.0.0.0, so the
   * agent reaches a task on 127.0.0.1 whatever address the node has. Set it to
   * `host` when several nodes share one machine (loopback aliases), so each
   * node's tasks stay on its own address.
   */
  listenHost?: string;
  /** A task's log rotates to `.1` at this size; default 10 MiB. */
  logMaxBytes?: number;
  logger?: RuntimeLogger;
  /** The compiled whoami program; default dist/images/whoami.js of this package. */
  whoamiScript?: string;
  /** The nginx binary; default /usr/sbin/nginx, else nginx on PATH. */
  nginxPath?: string;
  /** PATH for tasks (and for finding nginx); default the agent's PATH. */
  path?: string;
  /** How often an adopted task (not our child) is checked for liveness; default 200 ms. */
  pollIntervalMs?: number;
  /** How long to wait for a task's output to drain after it exited; default 2 s. */
  drainTimeoutMs?: number;
}

export const DEFAULT_PORT_RANGE: readonly [number, number] = [20000, 29999];
export const DEFAULT_LOG_MAX_BYTES = 10 * 1024 * 1024;

/** Task ids name directories, so nothing that could climb out of stateDir. */
const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export class ProcessExecutor implements Executor {
  private readonly controllers = new Map<string, ProcessTaskController>();
  private readonly ctx: ControllerContext;
  private readonly logger: RuntimeLogger;
  private closed = false;

  constructor(private readonly options: ProcessExecutorOptions) {
    const host = options.host ?? '127.0.0.1';
    const listenHost = options.listenHost ?? '0.0.0.0';
    this.logger = options.logger ?? silentLogger;
    this.ctx = {
      allocator: new PortAllocator({
        range: options.portRange ?? DEFAULT_PORT_RANGE,
        hosts: host === listenHost ? [host] : [host, listenHost],
      }),
      launch: {
        whoamiScript: options.whoamiScript ?? defaultWhoamiScript(),
        nginxPath: options.nginxPath,
        envPath: options.path ?? process.env['PATH'],
      },
      listenHost,
      logMaxBytes: options.logMaxBytes ?? DEFAULT_LOG_MAX_BYTES,
      pollIntervalMs: options.pollIntervalMs ?? 200,
      drainTimeoutMs: options.drainTimeoutMs ?? 2000,
      clock: new LogClock(),
      logger: this.logger,
      onRemoved: (taskId) => this.controllers.delete(taskId),
    };
  }

  controller(spec: TaskRuntimeSpec): TaskController {
    if (this.closed) throw new InvalidStateError('executor closed');
    const existing = this.controllers.get(spec.taskId);
    if (existing) return existing;
    if (!TASK_ID.test(spec.taskId)) throw new InvalidSpecError(`invalid task id ${JSON.stringify(spec.taskId)}`);
    const controller = new ProcessTaskController(spec, this.taskDir(spec.taskId), this.ctx);
    this.controllers.set(spec.taskId, controller);
    return controller;
  }

  /**
   * Every task dir in stateDir, each with a controller: live processes are
   * watched again (identity checked against /proc, so a recycled PID is not
   * taken for the task), dead ones report `exited`. A task that already has a
   * controller here keeps it, so there is never a second copy of a task.
   */
  async adopt(): Promise<AdoptedTask[]> {
    if (this.closed) throw new InvalidStateError('executor closed');
    await fsp.mkdir(this.options.stateDir, { recursive: true, mode: 0o700 });
    const entries = await fsp.readdir(this.options.stateDir, { withFileTypes: true });
    const adopted: AdoptedTask[] = [];
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      const known = this.controllers.get(entry.name);
      if (known) {
        adopted.push({ spec: known.spec, alive: known.status().state === 'running', controller: known });
        continue;
      }
      const found = await this.restore(entry.name);
      if (found) adopted.push(found);
    }
    return adopted;
  }

  describe(): ExecutorDescription {
    const nginx = findNginx(this.options.nginxPath, this.ctx.launch.envPath);
    return { runtime: 'process', images: nginx ? [WHOAMI_IMAGE, NGINX_IMAGE] : [WHOAMI_IMAGE] };
  }

  /**
   * Lets go of every task without stopping it (agent shutdown): output stays
   * in the tasks' pipes until a new executor on the same stateDir adopts them.
   */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.controllers.values()];
    this.controllers.clear();
    await Promise.all(all.map((c) => c.detach()));
  }

  private async restore(name: string): Promise<AdoptedTask | null> {
    const dir = this.taskDir(name);
    const read = await readStateFile(dir);
    if (read.kind !== 'ok' || read.record.spec.taskId !== name) {
      const reason = read.kind === 'corrupt' ? read.reason : read.kind === 'missing' ? 'no state.json' : 'task id mismatch';
      this.logger.warn({ dir, reason }, 'task dir without usable state; not adopted');
      return null;
    }
    const controller = new ProcessTaskController(read.record.spec, dir, this.ctx);
    const alive = await controller.restore(read.record);
    this.controllers.set(name, controller);
    this.logger.info({ taskId: name, alive, state: controller.status().state }, 'task adopted');
    return { spec: read.record.spec, alive, controller };
  }

  private taskDir(taskId: string): string {
    return path.join(this.options.stateDir, taskId);
  }
}

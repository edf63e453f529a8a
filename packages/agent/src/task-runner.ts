// Reconciles the tasks a manager assigned to this node with the local executor:
// prepares and starts what should run, stops what should not, reports every state
// change (forward only), and adopts tasks left running by a previous agent.
import { expandTemplate, machineArch, templateContext } from './template';
import * as net from 'node:net';
import type { Executor, TaskController, TaskRuntimeSpec } from '@shoal/runtime';
import { parseSignal } from '@shoal/store';
import type { HostPortBinding, TaskAssignment, TaskStateName, TaskStatusUpdate } from '@shoal/wire';
import type { Logger } from 'pino';

const RANK: Record<TaskStateName, number> = {
  new: 0, pending: 64, assigned: 192, accepted: 256, preparing: 320, ready: 384, starting: 448, running: 512,
  complete: 576, shutdown: 640, failed: 704, rejected: 768, remove: 800, orphaned: 832,
};

/** Desired to run, or to get ready to: up to running, or `complete` (a job's task runs until it exits). */
function wantsRun(desired: TaskStateName): boolean {
  return RANK[desired] <= RANK.running || desired === 'complete';
}

export interface TaskRunnerOptions {
  executor: Executor;
  nodeId: string;
  hostname: string;
  report: (update: TaskStatusUpdate) => void;
  logger: Logger;
  /** Lifecycle hooks for the data plane (publishing endpoints to the mesh). */
  hooks?: TaskHooks;
  /**
   * Where tasks listen. A task that publishes ports counts as running once its port accepts
   * a connection (up to `readyTimeoutMs`), so the mesh never routes to a process still booting.
   */
  portHost?: string;
  readyTimeoutMs?: number;
}

export interface TaskHooks {
  /** Publish mode `host`: binds the task's ports on this node before it is reported running; what was bound. */
  bindHostPorts?(assignment: TaskAssignment, port: number): Promise<HostPortBinding[]>;
  running(assignment: TaskAssignment, port: number | undefined): void;
  /** About to stop: take it out of rotation; the stop waits for the returned promise. */
  stopping(assignment: TaskAssignment): Promise<void>;
  stopped(taskId: string): void;
}

interface Worker {
  assignment: TaskAssignment;
  controller: TaskController | null;
  reported: TaskStateName;
  busy: boolean;
  dirty: boolean;
  /** The process was started (here or by a previous agent) and has not been seen to exit. */
  live: boolean;
  gone: boolean;
  /** We are stopping it: its exit is a shutdown, not a failure. */
  stopping: boolean;
  /** The next health probe of a running task. */
  health: NodeJS.Timeout | null;
  /** Its health check failed: the exit it is stopped into is a failure, marked unhealthy. */
  unhealthy: boolean;
  /** Cuts short a wait between health probes (a new assignment arrived). */
  wake: (() => void) | null;
}

/** A task's HEALTHCHECK with Docker's defaults filled in (interval and timeout 30 s, 3 retries, 5 s start interval). */
interface Health {
  test: string[];
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  startPeriodMs: number;
  /** Between probes during the start period. */
  startIntervalMs: number;
}

function healthOf(a: TaskAssignment): Health | null {
  const hc = a.spec.container.healthcheck;
  const kind = hc?.test[0];
  if (!hc || (kind !== 'CMD' && kind !== 'CMD-SHELL') || hc.test.length < 2) return null; // none, or NONE
  return {
    test: hc.test,
    intervalMs: hc.intervalMs || 30_000,
    timeoutMs: hc.timeoutMs || 30_000,
    retries: hc.retries || 3,
    startPeriodMs: hc.startPeriodMs ?? 0,
    startIntervalMs: hc.startIntervalMs || 5_000,
  };
}

/** swarmkit's ErrContainerUnhealthy. */
const UNHEALTHY = 'dockerexec: unhealthy container';

export class TaskRunner {
  private readonly workers = new Map<string, Worker>();
  private adopted = new Map<string, { controller: TaskController; alive: boolean }>();
  /** Let go of its tasks for a new runner (detach): it no longer steps, probes or reports. */
  private detached = false;

  constructor(private readonly options: TaskRunnerOptions) {}

  /** Finds tasks a previous agent left behind; they are kept only if still assigned. */
  async adopt(): Promise<void> {
    for (const t of await this.options.executor.adopt()) {
      this.adopted.set(t.spec.taskId, { controller: t.controller, alive: t.alive });
    }
    if (this.adopted.size > 0) this.options.logger.info({ tasks: this.adopted.size }, 'found tasks from a previous run');
  }

  /** The complete assignment set from the manager. */
  setAssignments(tasks: readonly TaskAssignment[]): void {
    const wanted = new Set(tasks.map((t) => t.taskId));
    for (const a of tasks) {
      let w = this.workers.get(a.taskId);
      if (!w) {
        const adopted = this.adopted.get(a.taskId);
        this.adopted.delete(a.taskId);
        w = {
          assignment: a,
          controller: adopted?.controller ?? null,
          // A task the managers know has ended is never started again (a job's finished task is
          // still desired `complete`); one of ours still running is watched. Orphaned is the
          // managers' guess while this node was away: how it really ended may still be reported.
          reported: adopted?.alive ? 'starting' : a.ended && a.ended !== 'orphaned' ? a.ended : 'assigned',
          busy: false,
          dirty: false,
          live: adopted?.alive ?? false,
          gone: false,
          stopping: false,
          health: null,
          unhealthy: false,
          wake: null,
        };
        this.workers.set(a.taskId, w);
        if (adopted?.alive) this.watchExit(w);
        else if (adopted) this.reportEnded(w, adopted.controller);
      }
      w.assignment = a;
      this.kick(w);
    }
    for (const [id, w] of this.workers) {
      if (!wanted.has(id)) {
        w.gone = true;
        this.kick(w);
      }
    }
    // Leftovers from a previous run that nobody assigned: stop and clean up.
    for (const [id, t] of this.adopted) {
      this.adopted.delete(id);
      this.options.logger.info({ taskId: id }, 'removing an unassigned task left by a previous run');
      void t.controller.remove().catch((err: unknown) => this.options.logger.warn({ err, taskId: id }, 'cleanup failed'));
    }
  }

  /** Leaving the swarm: stop and remove every task this node runs. */
  async stopAll(): Promise<void> {
    const all = [...this.workers.values()];
    this.workers.clear();
    // Tasks a previous run left that no assignment has claimed yet (a node removed while it was
    // down learns so before any assignment): they go too.
    const leftovers = [...this.adopted];
    this.adopted.clear();
    await Promise.all([
      ...all.map((w) => w.controller?.remove().catch((err: unknown) => this.options.logger.warn({ err, taskId: w.assignment.taskId }, 'cleanup failed'))),
      ...leftovers.map(([id, t]) => t.controller.remove().catch((err: unknown) => this.options.logger.warn({ err, taskId: id }, 'cleanup failed'))),
    ]);
  }

  /**
   * Lets go of every task without stopping it: the agent restarts (a role change) and a new
   * runner adopts the same processes from the same executor. From now on this runner takes no
   * step, runs no health probe and reports nothing, so there is one owner per task.
   */
  detach(): void {
    this.detached = true;
    for (const w of this.workers.values()) {
      if (w.health) clearTimeout(w.health);
      w.health = null;
      w.wake?.();
    }
  }

  controllerFor(taskId: string): TaskController | null {
    return this.workers.get(taskId)?.controller ?? null;
  }

  private kick(w: Worker): void {
    if (this.detached) return;
    if (w.busy) {
      w.dirty = true;
      w.wake?.();
      return;
    }
    w.busy = true;
    void this.step(w)
      .catch((err: unknown) => this.fail(w, err))
      .finally(() => {
        w.busy = false;
        if (w.dirty) {
          w.dirty = false;
          this.kick(w);
        }
      });
  }

  private async step(w: Worker): Promise<void> {
    const desired = w.assignment.desiredState;
    if (w.gone || !wantsRun(desired)) {
      await this.stop(w, w.gone || desired === 'remove');
      return;
    }
    if (RANK[w.reported] >= RANK.complete) return; // finished; the orchestrator makes a new task
    if (!w.controller) w.controller = this.options.executor.controller(this.runtimeSpec(w.assignment));
    if (RANK[w.reported] < RANK.accepted) this.report(w, 'accepted', 'accepted');
    if (RANK[w.reported] < RANK.ready) {
      this.report(w, 'preparing', 'preparing');
      await w.controller.prepare();
      this.report(w, 'ready', 'prepared');
    }
    if ((desired === 'running' || desired === 'complete') && RANK[w.reported] < RANK.running) {
      this.report(w, 'starting', 'starting');
      const started = !w.live;
      if (started) await w.controller.start();
      w.live = true;
      const st = w.controller.status();
      const controller = w.controller;
      if (st.port && w.assignment.publishedPorts.length > 0 && this.options.portHost) {
        await waitForPort(this.options.portHost, st.port, this.options.readyTimeoutMs ?? 5000, () => controller.status().state !== 'exited');
      }
      // It died before it listened: never running (a rolling update must see a task that never ran
      // at once, not one that ran for the whole wait); its exit is reported as a failure.
      if (controller.status().state === 'exited') {
        this.watchExit(w);
        return;
      }
      // With a health check, a task it started is "starting" until a probe passes (swarmkit's
      // controller waits for "healthy"); only then is it running, and routable.
      const health = healthOf(w.assignment);
      if (health && started && !(await this.untilHealthy(w, w.controller, health))) return;
      const hostPorts = st.port && w.assignment.publishedPorts.some((p) => p.mode === 'host') ? await this.options.hooks?.bindHostPorts?.(w.assignment, st.port) : undefined;
      // Docker reports the container's main process; a task's is its program, under the shim.
      const pid = w.controller.status().mainPid ?? st.pid;
      this.report(w, 'running', 'started', { ...(pid ? { pid } : {}), ...(st.port ? { port: st.port } : {}), ...(hostPorts?.length ? { hostPorts } : {}) });
      this.options.hooks?.running(w.assignment, st.port);
      if (!w.gone) {
        this.watchExit(w);
        if (health) this.monitorHealth(w, w.controller, health);
      }
    }
  }

  /**
   * Probes every interval (every start interval during the start period, as Docker's
   * --health-start-interval) until one passes (true). False when the task exited meanwhile (its
   * exit is reported) or is no longer wanted (the next step stops it). After `retries` failures
   * past the start period the task is stopped and fails as unhealthy.
   */
  private async untilHealthy(w: Worker, controller: TaskController, h: Health): Promise<boolean> {
    const since = Date.now();
    let streak = 0;
    for (;;) {
      const wait = Date.now() - since < h.startPeriodMs ? h.startIntervalMs : h.intervalMs;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, wait);
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        w.wake = done;
      });
      w.wake = null;
      if (this.detached || w.gone || !wantsRun(w.assignment.desiredState)) return false;
      if (controller.status().state === 'exited') {
        this.watchExit(w);
        return false;
      }
      if (await controller.probe(h.test, h.timeoutMs)) return true;
      if (Date.now() - since < h.startPeriodMs) continue;
      if (++streak < h.retries) continue;
      this.options.logger.warn({ taskId: w.assignment.taskId }, 'task unhealthy before it ran: stopping it');
      w.stopping = true;
      await controller.shutdown();
      w.live = false;
      throw new Error(UNHEALTHY);
    }
  }

  /** A running task's health probes; `retries` failures in a row stop it, and it fails as unhealthy. */
  private monitorHealth(w: Worker, controller: TaskController, h: Health): void {
    let streak = 0;
    const probe = async (): Promise<void> => {
      w.health = null;
      if (this.detached || w.gone || w.stopping || !w.live) return;
      const ok = await controller.probe(h.test, h.timeoutMs);
      if (this.detached || w.gone || w.stopping || !w.live) return;
      streak = ok ? 0 : streak + 1;
      if (streak < h.retries) {
        w.health = setTimeout(() => void probe(), h.intervalMs);
        return;
      }
      this.options.logger.warn({ taskId: w.assignment.taskId, failures: streak }, 'task unhealthy: stopping it');
      w.unhealthy = true;
      await this.options.hooks?.stopping(w.assignment); // out of rotation first, as for any stop
      await controller.shutdown();
    };
    w.health = setTimeout(() => void probe(), h.intervalMs);
  }

  /**
   * A task a previous runner started that ended while no runner watched it (during a role
   * change): its end is reported from the exit code its controller kept, and it is never started
   * again. An exit nobody observed (a daemon restart) is left to the step, which fails it.
   */
  private reportEnded(w: Worker, controller: TaskController): void {
    const st = controller.status();
    if (st.state !== 'exited' || st.exitCode === undefined || st.exitCode === null) return;
    // Asked to stop: it ended because we stopped it (the step reports shutdown), not by failing.
    if (!wantsRun(w.assignment.desiredState)) return;
    if (st.exitCode === 0) this.report(w, 'complete', 'finished', { exitCode: 0 });
    else this.report(w, 'failed', 'started', { exitCode: st.exitCode, err: `task: non-zero exit (${st.exitCode})` });
  }

  private watchExit(w: Worker): void {
    const controller = w.controller;
    if (!controller) return;
    void controller.wait().then((exit) => {
      if (this.detached) return; // the runner that adopted the task reports its end
      w.live = false;
      if (w.health) clearTimeout(w.health);
      w.health = null;
      this.options.hooks?.stopped(w.assignment.taskId);
      if (w.stopping || RANK[w.reported] >= RANK.complete) return; // we stopped it ourselves
      const code = exit.exitCode ?? 1;
      // Stopped for failing its health check: a failure whatever the exit code (swarmkit's exitError).
      if (w.unhealthy) this.report(w, 'failed', 'started', { exitCode: code, err: `task: non-zero exit (${code}): ${UNHEALTHY}` });
      else if (exit.exitCode === 0) this.report(w, 'complete', 'finished', { exitCode: 0 });
      else this.report(w, 'failed', 'started', { exitCode: code, err: exit.error ?? `task: non-zero exit (${code})` });
    });
  }

  private async stop(w: Worker, remove: boolean): Promise<void> {
    if (w.health) clearTimeout(w.health);
    w.health = null;
    if (w.controller && (w.live || RANK[w.reported] < RANK.complete)) {
      w.stopping = true;
      if (w.live) await this.options.hooks?.stopping(w.assignment);
      await w.controller.shutdown();
      this.options.hooks?.stopped(w.assignment.taskId);
      w.live = false;
    }
    if (RANK[w.reported] < RANK.complete) this.report(w, 'shutdown', 'shutdown');
    if (remove) {
      await w.controller?.remove();
      this.workers.delete(w.assignment.taskId);
    }
  }

  private fail(w: Worker, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.options.logger.warn({ taskId: w.assignment.taskId, err: message }, 'task failed to start');
    const state: TaskStateName = RANK[w.reported] < RANK.ready ? 'rejected' : 'failed';
    this.report(w, state, state === 'rejected' ? 'preparing' : 'starting', { err: message });
  }

  private report(w: Worker, state: TaskStateName, message: string, extra: Partial<TaskStatusUpdate> = {}): void {
    if (this.detached) return;
    if (RANK[state] <= RANK[w.reported] && !(state === w.reported && extra.err)) return;
    // Once it ran, every report carries when its process started: a `running` report merged
    // away by a later one must not make a crash look like a task that never ran.
    const ran = state === 'running' || RANK[w.reported] >= RANK.running;
    const startedAt = ran ? w.controller?.status().startedAt : undefined;
    w.reported = state;
    this.options.report({ taskId: w.assignment.taskId, state, message, timestamp: new Date().toISOString(), ...(startedAt ? { startedAt } : {}), ...extra });
  }

  private expandEnv(a: TaskAssignment, env: string[]): string[] {
    const ctx = templateContext(a, { id: this.options.nodeId, hostname: this.options.hostname, os: 'linux', arch: machineArch() });
    try {
      return env.map((e) => expandTemplate(e, ctx));
    } catch (err) {
      throw new Error(`failed to expand environment: ${(err as Error).message}`);
    }
  }

  private runtimeSpec(a: TaskAssignment): TaskRuntimeSpec {
    const c = a.spec.container;
    return {
      taskId: a.taskId,
      serviceId: a.serviceId,
      serviceName: a.serviceName,
      ...(a.slot ? { slot: a.slot } : {}),
      nodeId: this.options.nodeId,
      nodeHostname: this.options.hostname,
      image: c.image,
      ...(c.command ? { command: c.command } : {}),
      ...(c.args ? { args: c.args } : {}),
      // Templates ({{.Task.Slot}}…) are the agent's to expand, where the node is known (swarmkit's ExpandContainerSpec).
      ...(c.env ? { env: this.expandEnv(a, c.env) } : {}),
      ...(c.dir ? { workdir: c.dir } : {}),
      ...(c.stopGracePeriodMs !== undefined ? { stopGracePeriodMs: c.stopGracePeriodMs } : {}),
      // The manager refuses a signal that names none; an older manager's spec falls back to SIGTERM.
      ...(c.stopSignal ? { stopSignal: (parseSignal(c.stopSignal) ?? 'SIGTERM') as NodeJS.Signals } : {}),
      ...(c.user ? { user: c.user } : {}),
      ...(c.labels ? { labels: c.labels } : {}),
      targetPorts: a.targetPorts.filter((p) => p.protocol !== 'sctp').map((p) => ({ port: p.port, protocol: p.protocol as 'tcp' | 'udp' })),
    };
  }
}

/** Resolves once host:port accepts a TCP connection, after `timeoutMs` (the task may never listen), or once `alive` says no. */
async function waitForPort(host: string, port: number, timeoutMs: number, alive: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && alive()) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = net.connect({ host, port });
      sock.once('connect', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

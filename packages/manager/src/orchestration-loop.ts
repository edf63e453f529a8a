// The leader's control loop around the pure orchestration cores: after every
// commit (debounced) and at the times the cores ask for, read the store, run the
// cores, and commit their ops in one batch. A concurrent write makes it run again.
import { generateNodeId } from '@shoal/pki';
import type { ClusterStore } from '@shoal/store';
import type { Logger } from 'pino';
import { FailureLog, type ClusterView, type TickContext, type TickResult } from './orchestrator';

export type Reconcile = (view: ClusterView, ctx: TickContext) => TickResult;

export interface OrchestrationLoopOptions {
  store: ClusterStore;
  reconcile: Reconcile;
  logger: Logger;
  /** Coalesces bursts of commits into one pass (a pass reads the whole store, so not every commit gets its own). */
  debounceMs?: number;
}

export class OrchestrationLoop {
  private running = false;
  private dirty = false;
  private active = false;
  private debounce: NodeJS.Timeout | null = null;
  private wake: NodeJS.Timeout | null = null;
  /** When the pending wake fires (valid while `wake` is set). */
  private wakeAt = 0;
  private unwatch: (() => void) | null = null;
  /** Services touched since the last pass; null = everything (a node changed, a timer fired, startup). */
  private dirty_: Set<string> | null = null;
  /** Tasks' failures per node, remembered for the scheduler past the reaper (swarmkit's recentFailures). */
  private readonly failures = new FailureLog();

  constructor(private readonly options: OrchestrationLoopOptions) {}

  start(): void {
    if (this.active) return;
    this.active = true;
    this.unwatch = this.options.store.memory.watch((events) => {
      for (const ev of events) {
        if (ev.kind === 'service') this.touch(ev.object.id);
        else if (ev.kind === 'task') this.touch(ev.object.serviceId);
        else if (ev.kind === 'node' || ev.kind === 'cluster') this.touchAll();
      }
      this.kick();
    });
    this.touchAll();
    this.kick();
  }

  private touch(serviceId: string): void {
    if (this.dirtyAll) return;
    (this.dirty_ ??= new Set()).add(serviceId);
  }

  private dirtyAll = false;
  private touchAll(): void {
    this.dirtyAll = true;
    this.dirty_ = null;
  }

  stop(): void {
    this.active = false;
    this.unwatch?.();
    this.unwatch = null;
    if (this.debounce) clearTimeout(this.debounce);
    if (this.wake) clearTimeout(this.wake);
    this.debounce = this.wake = null;
  }

  kick(): void {
    if (!this.active || this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = null;
      void this.run();
    }, this.options.debounceMs ?? 5);
  }

  private async run(): Promise<void> {
    if (this.running) {
      this.dirty = true;
      return;
    }
    this.running = true;
    try {
      do {
        this.dirty = false;
        await this.pass();
      } while (this.dirty && this.active);
    } finally {
      this.running = false;
    }
  }

  private async pass(): Promise<void> {
    const { memory } = this.options.store;
    const focus = this.dirtyAll ? undefined : (this.dirty_ ?? new Set<string>());
    this.dirtyAll = false;
    this.dirty_ = null;
    const serviceIndex = memory.table('service');
    const view: ClusterView = {
      nodes: memory.list('node'),
      // Copied only if a core asks for every service (a full pass, port checks of an update).
      get services() {
        return [...serviceIndex.values()];
      },
      serviceIndex,
      tasks: memory.list('task'),
      ...(focus ? { focus } : {}),
    };
    const started = performance.now();
    const result = this.options.reconcile(view, { now: Date.now(), newId: generateNodeId, failures: this.failures });
    const took = performance.now() - started;
    if (took > 50) this.options.logger.warn({ ms: Math.round(took), services: serviceIndex.size, tasks: view.tasks.length }, 'slow orchestration pass');
    if (result.wakeAt !== null) this.scheduleWake(result.wakeAt);
    if (result.ops.length === 0) return;
    try {
      await this.options.store.commit(result.ops);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'OUT_OF_SEQUENCE' || code === 'NOT_FOUND' || code === 'ALREADY_EXISTS') {
        this.touchAll();
        this.dirty = true; // raced with another write: read again
        return;
      }
      this.options.logger.warn({ err: (err as Error).message, ops: result.ops.length }, 'orchestration commit failed; retrying');
      this.touchAll();
      this.scheduleWake(Date.now() + 200);
    }
  }

  /** Wakes a full pass at `at`, or earlier if an earlier wake is already set (a focused pass knows only its services' times). */
  private scheduleWake(at: number): void {
    if (!this.active) return;
    if (this.wake) {
      if (this.wakeAt <= at) return;
      clearTimeout(this.wake);
    }
    this.wakeAt = at;
    this.wake = setTimeout(() => {
      this.wake = null;
      this.touchAll();
      this.kick();
    }, Math.max(0, at - Date.now()));
  }
}

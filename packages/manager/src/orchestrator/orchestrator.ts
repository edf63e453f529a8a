// Entry points of the orchestration cores. Each takes the store's objects, the time
// and an id source, and returns the writes to commit plus when to run again.
import type { OrchestratorOptions } from './options';
import { orchestratorOptions } from './options';
import { reconcileGlobal } from './global';
import { reconcileGlobalJob, reconcileReplicatedJob } from './jobs';
import { reapIn } from './reaper';
import { reconcileReplicated } from './replicated';
import { scheduleIn } from './scheduler';
import { advanceDesired } from './tasks';
import { WorkingSet, type ClusterView, type TickContext, type TickResult } from './working-set';

/**
 * One full pass, in swarmkit's order of concerns: orchestrators (restarts, node
 * failures, drains, scaling, rolling updates), then the scheduler (which already
 * places the tasks created in this pass), then the task reaper. One batch of ops,
 * each compare-and-set on the version it was read at.
 */
export function reconcile(view: ClusterView, ctx: TickContext, options?: Partial<OrchestratorOptions>): TickResult {
  const ws = new WorkingSet(view, ctx);
  const opts = orchestratorOptions(options);
  orchestrateIn(ws, opts);
  scheduleIn(ws, opts);
  reapIn(ws, opts);
  return ws.result();
}

/** Orchestrators only (replicated + global + restart supervisor + updater). */
export function runOrchestrators(view: ClusterView, ctx: TickContext, options?: Partial<OrchestratorOptions>): TickResult {
  const ws = new WorkingSet(view, ctx);
  orchestrateIn(ws, orchestratorOptions(options));
  return ws.result();
}

/** Scheduler only: pending tasks → assigned. */
export function runScheduler(view: ClusterView, ctx: TickContext, options?: Partial<OrchestratorOptions>): TickResult {
  const ws = new WorkingSet(view, ctx);
  scheduleIn(ws, orchestratorOptions(options));
  return ws.result();
}

/** Task reaper only. */
export function runTaskReaper(view: ClusterView, ctx: TickContext, options?: Partial<OrchestratorOptions>): TickResult {
  const ws = new WorkingSet(view, ctx);
  reapIn(ws, orchestratorOptions(options));
  return ws.result();
}

function orchestrateIn(ws: WorkingSet, options: OrchestratorOptions): void {
  // Tasks of deleted services: desired remove; the agent stops them, the reaper deletes them.
  for (const serviceId of ws.taskServiceIds()) {
    if (ws.service(serviceId)) continue;
    for (const t of ws.tasksOfService(serviceId)) advanceDesired(ws, t, 'remove');
  }
  // With a focus, only its services: a pass costs what changed, not the size of the cluster.
  // A focused pass goes in id order; a full pass in the store's order (the order services were
  // created in, the same on every manager: the log's). Sorting every id cost a new leader's first
  // full pass ~600 ms with 60,000 services (cold code, this VM), all of it before its first commit.
  const ids = ws.focus ? [...ws.focus].sort() : ws.services().map((s) => s.id);
  for (const id of ids) {
    const service = ws.service(id);
    if (!service) continue;
    switch (service.spec.mode.type) {
      case 'replicated':
        reconcileReplicated(ws, service, options);
        break;
      case 'global':
        reconcileGlobal(ws, service, options);
        break;
      case 'replicated-job':
        reconcileReplicatedJob(ws, service, options);
        break;
      case 'global-job':
        reconcileGlobalJob(ws, service, options);
        break;
    }
  }
}

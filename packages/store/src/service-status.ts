// Convergence counts for `GET /services?status=true` (swarmkit controlapi ListServices): shared
// by the Engine API (which answers it) and the manager, so both count the same way.
import type { NodeObject } from './objects';
import { isJobMode, type ServiceObject, type TaskObject } from './service-objects';

export interface ServiceConvergence {
  /** Tasks observed running, old and new alike. */
  runningTasks: number;
  /** Replicas, or for global services the tasks desired running. */
  desiredTasks: number;
  /** Tasks of the job's current iteration observed complete (jobs only, as swarmkit counts). */
  completedTasks: number;
}

/**
 * `tasks` may hold other services' tasks; only `service`'s are counted. swarmkit
 * consults no node here (a task on a down node still counts as running until its
 * status changes); `_nodes` is accepted so callers can pass what they have.
 */
export function serviceStatus(service: ServiceObject, tasks: readonly TaskObject[], _nodes?: readonly NodeObject[]): ServiceConvergence {
  return serviceStatuses([service], tasks).get(service.id) ?? { runningTasks: 0, desiredTasks: 0, completedTasks: 0 };
}

/** The same for many services in one pass over the tasks. */
export function serviceStatuses(services: readonly ServiceObject[], tasks: readonly TaskObject[]): Map<string, ServiceConvergence> {
  const out = new Map<string, ServiceConvergence>();
  // Services whose desired count comes from their tasks (global, global job), and the current
  // iteration of each job (a job's tasks of earlier iterations are not counted at all).
  const counted = new Set<string>();
  const iterations = new Map<string, number>();
  for (const s of services) {
    const mode = s.spec.mode;
    const desired = mode.type === 'replicated' ? mode.replicas : mode.type === 'replicated-job' ? mode.maxConcurrent : 0;
    if (mode.type === 'global' || mode.type === 'global-job') counted.add(s.id);
    if (isJobMode(mode)) iterations.set(s.id, s.jobStatus?.iteration ?? 0);
    out.set(s.id, { runningTasks: 0, desiredTasks: desired, completedTasks: 0 });
  }
  const completions = new Set<string>();
  for (const t of tasks) {
    const status = out.get(t.serviceId);
    if (!status) continue;
    const iteration = iterations.get(t.serviceId);
    if (iteration !== undefined) {
      if (t.jobIteration !== iteration) continue;
      // One completion per slot (per node for a global job), however many of its tasks completed.
      const key = `${t.serviceId}/${counted.has(t.serviceId) ? t.nodeId : t.slot}`;
      if (t.status.state === 'complete' && !completions.has(key)) {
        completions.add(key);
        status.completedTasks++;
      }
    }
    if (t.status.state === 'running') status.runningTasks++;
    if (!counted.has(t.serviceId)) continue;
    // Global: the tasks desired running; global job: the tasks still to complete.
    if (t.desiredState === 'running' || (t.desiredState === 'complete' && t.status.state !== 'complete')) status.desiredTasks++;
  }
  return out;
}

// Convergence counts for `GET /services?status=true` (swarmkit controlapi ListServices): shared
// by the Engine API (which answers it) and the manager, so both count the same way.
import type { NodeObject } from './objects';
import type { ServiceObject, TaskObject } from './service-objects';

export interface ServiceConvergence {
  /** Tasks observed running, old and new alike. */
  runningTasks: number;
  /** Replicas, or for global services the tasks desired running. */
  desiredTasks: number;
  /** Tasks observed complete (swarmkit counts these for jobs only; always 0 here). */
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
  const global = new Set<string>();
  for (const s of services) {
    const desired = s.spec.mode.type === 'replicated' ? s.spec.mode.replicas : 0;
    if (s.spec.mode.type === 'global') global.add(s.id);
    out.set(s.id, { runningTasks: 0, desiredTasks: desired, completedTasks: 0 });
  }
  for (const t of tasks) {
    const status = out.get(t.serviceId);
    if (!status) continue;
    if (t.status.state === 'running') status.runningTasks++;
    if (global.has(t.serviceId) && t.desiredState === 'running') status.desiredTasks++;
  }
  return out;
}

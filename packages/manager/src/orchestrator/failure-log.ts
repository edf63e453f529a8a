// swarmkit's nodeInfo.recentFailures: the failures of each service's tasks on each node, which the
// scheduler tries last once a service failed there maxRecentFailures times within the window.
// The leader remembers them here between passes, because the task reaper deletes failed tasks
// long before the window ends: a slot keeps 5 tasks, so a one-replica service could never show
// 5 failures on a node and a task its node always rejects went back to that node forever.
// In memory, as in swarmkit: a new leader starts with an empty log.
import type { TaskObject } from '@shoal/store';

interface Failure {
  readonly nodeId: string;
  readonly serviceId: string;
  readonly at: number;
}

export class FailureLog {
  private readonly byTask = new Map<string, Failure>();

  /** A failed or rejected task, counted once however many passes see it. */
  note(t: TaskObject, at: number): void {
    if (!this.byTask.has(t.id)) this.byTask.set(t.id, { nodeId: t.nodeId, serviceId: t.serviceId, at });
  }

  /** Failures per node, then per service, at or after `since`; older ones are forgotten. */
  counts(since: number): Map<string, Map<string, number>> {
    const out = new Map<string, Map<string, number>>();
    for (const [id, f] of this.byTask) {
      if (f.at < since) {
        this.byTask.delete(id);
        continue;
      }
      let perService = out.get(f.nodeId);
      if (!perService) out.set(f.nodeId, (perService = new Map()));
      perService.set(f.serviceId, (perService.get(f.serviceId) ?? 0) + 1);
    }
    return out;
  }

  get size(): number {
    return this.byTask.size;
  }
}

// swarmkit's nodeInfo.recentFailures: the failures of each service version's tasks on each node
// (failureKey), which the scheduler tries last once it failed there maxRecentFailures times within
// the window; a new version (an update that may fix it) starts afresh.
// The leader remembers them here between passes, because the task reaper deletes failed tasks
// long before the window ends: a slot keeps 5 tasks, so a one-replica service could never show
// 5 failures on a node and a task its node always rejects went back to that node forever.
// In memory, as in swarmkit: a new leader starts with an empty log.
import type { TaskObject } from '@shoal/store';

interface Failure {
  readonly nodeId: string;
  readonly key: string;
  readonly at: number;
}

/** What failures are counted by: the service and the version its task was made from. */
export function failureKey(t: Pick<TaskObject, 'serviceId' | 'serviceVersion'>): string {
  return `${t.serviceId}\u0000${t.serviceVersion}`;
}

export class FailureLog {
  private readonly byTask = new Map<string, Failure>();

  /** A failed or rejected task, counted once however many passes see it. */
  note(t: TaskObject, at: number): void {
    if (!this.byTask.has(t.id)) this.byTask.set(t.id, { nodeId: t.nodeId, key: failureKey(t), at });
  }

  /** Failures per node, then per failureKey, at or after `since`; older ones are forgotten. */
  counts(since: number): Map<string, Map<string, number>> {
    const out = new Map<string, Map<string, number>>();
    for (const [id, f] of this.byTask) {
      if (f.at < since) {
        this.byTask.delete(id);
        continue;
      }
      let perKey = out.get(f.nodeId);
      if (!perKey) out.set(f.nodeId, (perKey = new Map()));
      perKey.set(f.key, (perKey.get(f.key) ?? 0) + 1);
    }
    return out;
  }

  get size(): number {
    return this.byTask.size;
  }
}

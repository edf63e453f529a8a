// Task logs on demand: the leader asks each node holding one of the tasks to stream
// its logs back over its session, and merges the answers. A node that is gone (its
// session ended, or it is marked Down while its connection lingers, e.g. a frozen
// process) is skipped, and so is one whose answer stalls a stream that does not follow:
// partial logs with swarmkit's warning, never a hang (Swarm pain point #15).
import { randomBytes } from 'node:crypto';
import type { LogRecordWithOrigin, PublishLogsRequest, SessionMessage } from '@shoal/wire';

export interface LogQuery {
  follow: boolean;
  tail: number | 'all';
  since?: string;
  stdout: boolean;
  stderr: boolean;
}

interface Subscription {
  nodeId: string;
  /** Part of a followed stream (`-f`), which a node's Down state does not end. */
  follow: boolean;
  serviceOf: Map<string, string>;
  /** A record; null when the node's stream is done; 'gone' when the node went away. */
  push: (rec: LogRecordWithOrigin | null | 'gone') => void;
}

/** A stream that does not follow gives up on nodes that sent nothing for this long. */
export const LOG_STALL_MS = 10_000;

export class LogBroker {
  private readonly requests = new Map<string, Subscription>();

  /** `send` delivers a session message to a node's agent; false when it has no session. */
  constructor(
    private readonly send: (nodeId: string, msg: SessionMessage) => boolean,
    private readonly stallMs = LOG_STALL_MS,
  ) {}

  /**
   * Merges the logs of `tasks`. With `follow` and `watch` (a service followed with `-f`), tasks that
   * start later (scaled up, restarted, replaced by an update) are followed too, from their first
   * line, and the stream lasts until `signal` aborts even when every task stopped, as Docker's does.
   */
  async *subscribe(
    tasks: ReadonlyArray<{ id: string; nodeId: string; serviceId: string }>,
    query: LogQuery,
    signal: AbortSignal,
    watch?: (started: (t: { id: string; nodeId: string; serviceId: string }) => void) => () => void,
  ): AsyncGenerator<LogRecordWithOrigin> {
    const queue: Array<LogRecordWithOrigin | null | 'gone'> = [];
    let wake: (() => void) | null = null;
    let open = 0;
    const ids: Array<[string, string]> = [];
    const requested = new Set<string>();
    /** Nodes whose tasks' logs could not be had (no session, or the session ended). */
    const missing = new Set<string>();
    const request = (nodeId: string, list: ReadonlyArray<{ id: string; serviceId: string }>, q: LogQuery): void => {
      const requestId = randomBytes(8).toString('hex');
      this.requests.set(requestId, {
        nodeId,
        follow: q.follow,
        serviceOf: new Map(list.map((t) => [t.id, t.serviceId])),
        push: (rec) => {
          if (rec === 'gone') missing.add(nodeId);
          queue.push(rec);
          wake?.();
        },
      });
      for (const t of list) requested.add(t.id);
      const sent = this.send(nodeId, { type: 'logs', requestId, taskIds: list.map((t) => t.id), ...q });
      if (sent) {
        open++;
        ids.push([requestId, nodeId]);
      } else {
        this.requests.delete(requestId);
        missing.add(nodeId);
      }
    };
    const byNode = new Map<string, Array<{ id: string; serviceId: string }>>();
    /** Tasks not scheduled yet: no node to ask (swarmkit's pendingTasks). */
    const pending: string[] = [];
    for (const t of tasks) {
      if (!t.nodeId) {
        pending.push(t.id);
        continue;
      }
      const list = byNode.get(t.nodeId) ?? [];
      list.push(t);
      byNode.set(t.nodeId, list);
    }
    for (const [nodeId, list] of byNode) request(nodeId, list, query);
    const unwatch =
      query.follow && watch
        ? watch((t) => {
            if (requested.has(t.id) || !t.nodeId || signal.aborted) return;
            const { since: _since, ...rest } = query;
            request(t.nodeId, [t], { ...rest, tail: 'all' }); // a new task: every line it wrote
            wake?.();
          })
        : null;
    const cancel = () => {
      unwatch?.();
      for (const [requestId, nodeId] of ids) {
        if (this.requests.delete(requestId)) this.send(nodeId, { type: 'logs-cancel', requestId });
      }
      wake?.();
    };
    signal.addEventListener('abort', cancel, { once: true });
    /** Without follow: the nodes still streaming have sent nothing for stallMs; they count as gone. */
    const giveUpOnStalled = (): void => {
      for (const [requestId, nodeId] of ids) {
        const sub = this.requests.get(requestId);
        if (!sub) continue;
        this.requests.delete(requestId);
        this.send(nodeId, { type: 'logs-cancel', requestId });
        sub.push('gone');
      }
    };
    try {
      // A followed stream never ends of itself (swarmkit's subscription), also once every task stopped.
      while ((open > 0 || unwatch !== null || query.follow) && !signal.aborted) {
        const next = queue.shift();
        if (next === undefined) {
          let stall: NodeJS.Timeout | undefined;
          const progressed = await new Promise<boolean>((r) => {
            wake = () => r(true);
            if (!query.follow) stall = setTimeout(() => r(false), this.stallMs);
          });
          clearTimeout(stall);
          wake = null;
          if (!progressed) giveUpOnStalled();
        } else if (next === null) open--;
        else if (next === 'gone') open--;
        else yield next;
      }
      // Partial logs, never a hang; and, as swarmkit does, a warning that says so at the end.
      // The text is what moby's daemon gets from swarmkit's broker over gRPC: status Unknown.
      if (!signal.aborted && (missing.size > 0 || pending.length > 0)) {
        const reasons = [...[...missing].map((n) => `node ${n} is not available`), ...pending.map((id) => `task ${id} has not been scheduled`)].join(', ');
        yield {
          taskId: '',
          stream: 'system',
          time: new Date().toISOString(),
          line: `rpc error: code = Unknown desc = warning: incomplete log stream. some logs could not be retrieved for the following reasons: ${reasons}`,
          nodeId: '',
          serviceId: '',
        };
      }
    } finally {
      signal.removeEventListener('abort', cancel);
      cancel();
    }
  }

  /** Records (or the end) of one node's stream. */
  publish(nodeId: string, req: PublishLogsRequest): void {
    const sub = this.requests.get(req.requestId);
    if (!sub || sub.nodeId !== nodeId) return;
    for (const r of req.records) {
      sub.push({ ...r, nodeId, serviceId: sub.serviceOf.get(r.taskId) ?? '' });
    }
    if (req.done) {
      this.requests.delete(req.requestId);
      sub.push(null);
    }
  }

  /** A node's session ended: its streams end too. */
  nodeGone(nodeId: string): void {
    for (const [id, sub] of this.requests) {
      if (sub.nodeId === nodeId) {
        this.requests.delete(id);
        sub.push('gone');
      }
    }
  }

  /**
   * A node was marked Down while its session may linger: the streams that wait for its end stop
   * waiting (its request is cancelled). A followed stream keeps its request, as swarmkit's
   * does: the node's lines come again if it recovers on the same session.
   */
  nodeDown(nodeId: string): void {
    for (const [id, sub] of this.requests) {
      if (sub.nodeId !== nodeId || sub.follow) continue;
      this.requests.delete(id);
      this.send(nodeId, { type: 'logs-cancel', requestId: id });
      sub.push('gone');
    }
  }
}

// The dispatcher's task side: what each node is told to run, and the task statuses
// agents report, written to the store in batches and only ever moving forward.
import { TASK_STATES, isTerminal, updateOp, type ClusterStore, type NetworkObject, type StoreOp, type TaskObject } from '@shoal/store';
import type { TaskAssignment, TaskStatusUpdate } from '@shoal/wire';
import type { Logger } from 'pino';
import { hasStopped } from './orchestrator/tasks';

/** Placed by the scheduler (swarmkit sends a node its tasks from `assigned` on): a pinned task still pending is not the node's yet. */
export function isPlaced(t: TaskObject): boolean {
  return TASK_STATES[t.status.state] >= TASK_STATES.assigned;
}

/**
 * What a node is told: every task on it, and the networks it is on as Docker's workers list
 * them (ingress and the networks of its tasks that have not stopped; history rows keep none).
 * One pass over the tasks: this runs for a node each time its tasks change.
 */
export function nodeAssignments(store: ClusterStore, nodeId: string): { tasks: TaskAssignment[]; networks: NetworkObject[] } {
  const { memory } = store;
  const tasks: TaskAssignment[] = [];
  const attached = new Set<string>();
  for (const t of memory.list('task')) {
    if (t.nodeId !== nodeId || !isPlaced(t)) continue; // e.g. a global task short of resources stays pending
    tasks.push(toAssignment(t, memory.get('service', t.serviceId)?.spec.name ?? t.serviceId));
    if (!hasStopped(t)) for (const a of t.spec.networks ?? []) attached.add(a.target);
  }
  return { tasks, networks: memory.list('network').filter((n) => n.ingress || attached.has(n.id)) };
}

function toAssignment(t: TaskObject, serviceName: string): TaskAssignment {
  const c = t.spec.container;
  return {
    taskId: t.id,
    serviceId: t.serviceId,
    serviceName,
    slot: t.slot,
    desiredState: t.desiredState,
    ...(isTerminal(t.status.state) ? { ended: t.status.state } : {}),
    spec: {
      container: {
        image: c.image,
        ...(c.command ? { command: c.command } : {}),
        ...(c.args ? { args: c.args } : {}),
        ...(c.env ? { env: c.env } : {}),
        ...(c.dir ? { dir: c.dir } : {}),
        ...(c.labels ? { labels: c.labels } : {}),
        ...(c.stopGracePeriodMs !== undefined ? { stopGracePeriodMs: c.stopGracePeriodMs } : {}),
        ...(c.stopSignal ? { stopSignal: c.stopSignal } : {}),
        ...(c.user ? { user: c.user } : {}),
        ...(c.healthcheck ? { healthcheck: c.healthcheck } : {}),
      },
    },
    targetPorts: t.endpointPorts.map((p) => ({ port: p.targetPort, protocol: p.protocol })),
    publishedPorts: t.endpointPorts.map((p) => ({
      published: p.publishedPort,
      target: p.targetPort,
      protocol: p.protocol,
      mode: p.publishMode,
      ...(p.proxyProtocol ? { proxyProtocol: true } : {}),
    })),
  };
}

/** Collects agents' status reports and commits them every `batchMs`. */
export class TaskStatusWriter {
  private pending = new Map<string, { nodeId: string; update: TaskStatusUpdate }>();
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: ClusterStore,
    private readonly logger: Logger,
    private readonly batchMs = 10,
  ) {}

  add(nodeId: string, updates: readonly TaskStatusUpdate[]): void {
    for (const update of updates) this.pending.set(update.taskId, { nodeId, update });
    if (!this.timer) this.timer = setTimeout(() => this.flush(), this.batchMs);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending.clear();
  }

  private flush(): void {
    this.timer = null;
    const batch = [...this.pending.values()];
    this.pending.clear();
    this.writing = this.writing
      .then(() => this.store.update((memory) => batch.flatMap(({ nodeId, update }) => statusOp(memory.get('task', update.taskId), nodeId, update))))
      .then(
        () => undefined,
        (err: unknown) => this.logger.warn({ err: (err as Error).message, updates: batch.length }, 'task status updates lost'),
      );
  }
}

/** The process's start as its node saw it, else when it was reported running; kept through later states. */
function startedAtOf(task: TaskObject, u: TaskStatusUpdate): { startedAt?: string } {
  const at = u.startedAt ?? task.status.startedAt ?? (u.state === 'running' ? u.timestamp : undefined);
  return at ? { startedAt: at } : {};
}

function statusOp(task: TaskObject | undefined, nodeId: string, u: TaskStatusUpdate): StoreOp[] {
  if (!task || task.nodeId !== nodeId) return [];
  // Orphaned is the managers' word for a task whose node was down: its own node, back, says how
  // it really ended (a job task that completed meanwhile must count, not run again).
  const lateEnd = task.status.state === 'orphaned' && (u.state === 'complete' || u.state === 'failed');
  if (!lateEnd && TASK_STATES[u.state] <= TASK_STATES[task.status.state]) return [];
  // How a task ended is written once: a later report (an agent that adopted it after a restart or
  // a role change sees only a dead process) must not rewrite its history.
  if (!lateEnd && isTerminal(task.status.state)) return [];
  const status: TaskObject['status'] = {
    state: u.state,
    timestamp: u.timestamp,
    message: u.message,
    ...(u.err ? { err: u.err } : {}),
    ...(u.exitCode !== undefined ? { exitCode: u.exitCode } : {}),
    ...(u.pid ?? task.status.pid ? { pid: u.pid ?? task.status.pid } : {}),
    ...(u.port ?? task.status.port ? { port: u.port ?? task.status.port } : {}),
    ...(u.hostPorts ?? task.status.hostPorts ? { hostPorts: u.hostPorts ?? task.status.hostPorts } : {}),
    ...startedAtOf(task, u),
  };
  return [updateOp('task', { ...task, status }, task.version)];
}

// The convergence tracker behind `service create/update/scale` without -d
// (docker/cli cli/command/service/progress/progress.go). Pure: each poll's
// service, tasks and active nodes come in with the time; progress messages go out.
import type { Service, Task, TaskState } from '@shoal/api';
import type { ProgressMessage } from '../format/progress-stream';
import { truncateId } from '../format/service-format';

/** Task states in the order the progress bars count them; states not listed are ignored. */
const NUMBERED_STATES: Partial<Record<TaskState, number>> = {
  new: 1,
  allocated: 2,
  pending: 3,
  assigned: 4,
  accepted: 5,
  preparing: 6,
  ready: 7,
  starting: 8,
  running: 9,
  complete: 10,
  shutdown: 11,
  failed: 12,
  rejected: 13,
};
const MAX_PROGRESS = 9;
const MAX_PROGRESS_BARS = 20;
/** Longest state a bar shows (`allocated`, `preparing`). */
const LONGEST_STATE = 9;
const DEFAULT_MONITOR_NS = 5e9;
const NS_PER_MS = 1e6;

const rank = (s: TaskState | undefined): number => (s === undefined ? 0 : (NUMBERED_STATES[s] ?? 0));
const terminal = (s: TaskState | undefined): boolean => rank(s) > rank('running');

/** The wait ended; `error` set for docker's failure exits (update paused, …). */
export interface ProgressOutcome {
  error?: Error;
}

export type Emit = (msg: ProgressMessage) => void;

/** truncError: one line, at most 75 characters. */
export function truncError(msg: string): string {
  const oneLine = msg.replace(/\n/g, ' ');
  return oneLine.length > 75 ? `${oneLine.slice(0, 74)}…` : oneLine;
}

function overall(emit: Emit, done: number, total: number, rollback: boolean): void {
  const status = rollback ? `rolling back update: ${done} out of ${total} tasks` : `${done} out of ${total} tasks`;
  emit({ id: 'overall progress', status, progress: { current: 0, total: 0 } });
}

function taskLine(emit: Emit, id: string, task: Task): void {
  if ((task.Status.Err ?? '') !== '') {
    emit({ id, status: truncError(task.Status.Err ?? ''), progress: { current: 0, total: 0 } });
    return;
  }
  if (!terminal(task.DesiredState) && !terminal(task.Status.State)) {
    emit({
      id,
      status: task.Status.State.padEnd(LONGEST_STATE),
      progress: { current: rank(task.Status.State), total: MAX_PROGRESS, hideCounts: true },
    });
  }
}

/** Of several tasks for one slot (or node), keep the lowest desired state, then the lowest observed one. */
function preferred(existing: Task | undefined, task: Task): boolean {
  if (existing === undefined) return true;
  if (rank(existing.DesiredState) < rank(task.DesiredState)) return false;
  return !(rank(existing.DesiredState) === rank(task.DesiredState) && rank(existing.Status.State) <= rank(task.Status.State));
}

const known = (t: Task): boolean => rank(t.DesiredState) !== 0 && rank(t.Status.State) !== 0;

interface Updater {
  update(service: Service, tasks: readonly Task[], active: ReadonlySet<string>, rollback: boolean): boolean;
}

class ReplicatedUpdater implements Updater {
  private readonly slotMap = new Map<number, number>();
  private initialized = false;
  private done = false;

  constructor(private readonly emit: Emit) {}

  update(service: Service, tasks: readonly Task[], active: ReadonlySet<string>, rollback: boolean): boolean {
    const replicas = service.Spec.Mode?.Replicated?.Replicas;
    if (replicas === undefined) throw new Error('no replica count');
    if (!this.initialized) {
      overall(this.emit, 0, replicas, rollback);
      if (replicas <= MAX_PROGRESS_BARS) {
        for (let i = 1; i <= replicas; i++) this.emit({ id: `${i}/${replicas}`, status: ' ', progress: { current: 0, total: 0 } });
      }
      this.initialized = true;
    }
    const bySlot = new Map<number, Task>();
    for (const task of tasks) {
      const slot = task.Slot ?? 0;
      if (!known(task) || !preferred(bySlot.get(slot), task)) continue;
      if ((task.NodeID ?? '') !== '' && !active.has(task.NodeID ?? '')) continue;
      bySlot.set(slot, task);
    }
    const slots = [...bySlot.keys()].sort((a, b) => a - b);
    if (this.done && slots.some((s) => bySlot.get(s)?.Status.State !== 'running')) this.done = false;
    let running = 0;
    for (const slot of slots) {
      const task = bySlot.get(slot) as Task;
      let mapped = this.slotMap.get(slot);
      if (mapped === undefined) {
        mapped = this.slotMap.size + 1;
        this.slotMap.set(slot, mapped);
      }
      if (!terminal(task.DesiredState) && task.Status.State === 'running') running++;
      if (!this.done && replicas <= MAX_PROGRESS_BARS && mapped <= replicas) taskLine(this.emit, `${mapped}/${replicas}`, task);
    }
    if (!this.done) {
      overall(this.emit, running, replicas, rollback);
      if (running === replicas) this.done = true;
    }
    return running === replicas;
  }
}

class GlobalUpdater implements Updater {
  private initialized = false;
  private done = false;

  constructor(private readonly emit: Emit) {}

  update(_service: Service, tasks: readonly Task[], active: ReadonlySet<string>, rollback: boolean): boolean {
    const byNode = new Map<string, Task>();
    for (const task of tasks) {
      const node = task.NodeID ?? '';
      if (known(task) && preferred(byNode.get(node), task)) byNode.set(node, task);
    }
    // The orchestrator creates the tasks of all eligible nodes at once: their count is the target.
    const nodeCount = byNode.size;
    if (!this.initialized) {
      if (nodeCount === 0) {
        this.emit({ id: 'overall progress', status: 'waiting for new tasks', progress: { current: 0, total: 0 } });
        return false;
      }
      overall(this.emit, 0, nodeCount, rollback);
      this.initialized = true;
    }
    const nodes = [...byNode.keys()].sort();
    if (this.done && nodes.some((n) => byNode.get(n)?.Status.State !== 'running')) this.done = false;
    let running = 0;
    for (const node of nodes) {
      if (!active.has(node)) continue;
      const task = byNode.get(node) as Task;
      if (!terminal(task.DesiredState) && task.Status.State === 'running') running++;
      if (!this.done && nodeCount <= MAX_PROGRESS_BARS) taskLine(this.emit, truncateId(node), task);
    }
    if (!this.done) {
      overall(this.emit, running, nodeCount, rollback);
      if (running === nodeCount) this.done = true;
    }
    return running === nodeCount;
  }
}

const MAX_JOB_PROGRESS = 10;

/** `%*d`: right-aligned in `width` columns. */
const pad = (n: number, width: number): string => String(n).padStart(width);

function jobTaskLine(emit: Emit, id: string, task: Task): void {
  if ((task.Status.Err ?? '') !== '') {
    emit({ id, status: truncError(task.Status.Err ?? '') });
    return;
  }
  emit({ id, status: task.Status.State.padEnd(LONGEST_STATE), progress: { current: rank(task.Status.State), total: MAX_JOB_PROGRESS, hideCounts: true } });
}

/** The current iteration's tasks, one per key: of several, the one with the lower observed state. */
function jobTasksBy<K>(service: Service, tasks: readonly Task[], key: (t: Task) => K, keep: (t: Task) => boolean = () => true): Map<K, Task> {
  const iteration = service.JobStatus?.JobIteration.Index;
  const out = new Map<K, Task>();
  for (const task of tasks) {
    if (task.JobIteration === undefined || task.JobIteration.Index !== iteration || !known(task) || !keep(task)) continue;
    const existing = out.get(key(task));
    if (existing === undefined || rank(existing.Status.State) > rank(task.Status.State)) out.set(key(task), task);
  }
  return out;
}

/** docker's replicatedJobProgressUpdater: completed out of total, and the active tasks against what may run at once. */
class ReplicatedJobUpdater implements Updater {
  private initialized = false;
  private readonly concurrent: number;
  private readonly total: number;
  private readonly totalDigits: number;
  private readonly activeDigits: number;

  constructor(
    private readonly emit: Emit,
    service: Service,
  ) {
    this.concurrent = service.Spec.Mode?.ReplicatedJob?.MaxConcurrent ?? 1;
    this.total = service.Spec.Mode?.ReplicatedJob?.TotalCompletions ?? this.concurrent;
    this.totalDigits = String(this.total).length;
    this.activeDigits = String(this.concurrent).length;
  }

  update(service: Service, tasks: readonly Task[]): boolean {
    if (!this.initialized) {
      this.overall(0, 0);
      if (this.total <= MAX_PROGRESS_BARS) {
        for (let i = 1; i <= this.total; i++) this.emit({ id: `${i}/${this.total}`, status: ' ' });
      }
      this.initialized = true;
    }
    const bySlot = jobTasksBy(service, tasks, (t) => t.Slot ?? 0);
    let active = 0;
    let complete = 0;
    for (const slot of [...bySlot.keys()].sort((a, b) => a - b)) {
      const task = bySlot.get(slot) as Task;
      if (this.total <= MAX_PROGRESS_BARS) jobTaskLine(this.emit, `${slot + 1}/${this.total}`, task);
      if (rank(task.Status.State) < rank('complete')) active++;
      if (task.Status.State === 'complete') complete++;
    }
    this.overall(active, complete);
    return complete === this.total;
  }

  private overall(active: number, complete: number): void {
    this.emit({
      id: 'job progress',
      status: `${pad(complete, this.totalDigits)} out of ${this.total} complete`,
      progress: { current: complete, total: this.total, hideCounts: true },
    });
    // What may still run at once: MaxConcurrent, or fewer as the job nears its end.
    const desired = Math.min(this.total - complete, this.concurrent);
    this.emit({ id: 'active tasks', status: `${pad(active, this.activeDigits)} out of ${pad(desired, this.activeDigits)} tasks` });
  }
}

/** docker's globalJobProgressUpdater: the nodes that had a task when the wait began, completed out of all. */
class GlobalJobUpdater implements Updater {
  private nodes: Set<string> | undefined;
  private digits = 1;

  constructor(private readonly emit: Emit) {}

  update(service: Service, tasks: readonly Task[], active: ReadonlySet<string>): boolean {
    if (this.nodes === undefined) {
      if (tasks.length === 0 && active.size !== 0) {
        this.emit({ id: 'job progress', status: 'waiting for tasks' });
        return false;
      }
      this.nodes = new Set([...jobTasksBy(service, tasks, (t) => t.NodeID ?? '').keys()]);
      this.digits = String(this.nodes.size).length;
      this.overall(0);
    }
    const nodes = this.nodes;
    const byNode = jobTasksBy(service, tasks, (t) => t.NodeID ?? '', (t) => nodes.has(t.NodeID ?? ''));
    let complete = 0;
    for (const node of [...byNode.keys()].sort()) {
      const task = byNode.get(node) as Task;
      if (nodes.size <= MAX_PROGRESS_BARS) jobTaskLine(this.emit, node, task);
      if (task.Status.State === 'complete') complete++;
    }
    this.overall(complete);
    return complete === nodes.size;
  }

  private overall(complete: number): void {
    const total = this.nodes?.size ?? 0;
    this.emit({ id: 'job progress', status: `${pad(complete, this.digits)} out of ${total} complete`, progress: { current: complete, total, hideCounts: true } });
  }
}

/** ServiceProgress's loop body, split at its two reads so a shell can do the I/O. */
export class ConvergenceTracker {
  private updater: Updater | undefined;
  private converged = false;
  private convergedAt: number | undefined;
  private monitorNs = DEFAULT_MONITOR_NS;
  private rollback = false;
  private finalMessage: ProgressMessage | undefined;

  /** `serviceRef` is the reference the user gave, used in the texts as docker does. */
  constructor(
    private readonly serviceRef: string,
    private readonly emit: Emit,
  ) {}

  /** The service as just read; an outcome ends the wait before tasks are listed. */
  observeService(service: Service, now: number): ProgressOutcome | undefined {
    const monitor = service.Spec.UpdateConfig?.Monitor ?? 0;
    if (monitor !== 0) this.monitorNs = monitor;
    if (this.updater === undefined) {
      const mode = service.Spec.Mode;
      if (mode?.Replicated?.Replicas !== undefined) this.updater = new ReplicatedUpdater(this.emit);
      else if (mode?.Global !== undefined) this.updater = new GlobalUpdater(this.emit);
      else if (mode?.ReplicatedJob !== undefined) this.updater = new ReplicatedJobUpdater(this.emit, service);
      else if (mode?.GlobalJob !== undefined) this.updater = new GlobalJobUpdater(this.emit);
      else return { error: new Error('unrecognized service mode') };
    }
    const status = service.UpdateStatus;
    const message = status?.Message ?? '';
    switch (status?.State) {
      case 'updating':
        this.rollback = false;
        break;
      case 'completed':
        if (!this.converged) return {};
        break;
      case 'paused':
        return { error: new Error(`service update paused: ${message}`) };
      case 'rollback_started':
        if (!this.rollback && message !== '') this.emit({ id: 'rollback', status: message, progress: { current: 0, total: 0 } });
        this.rollback = true;
        break;
      case 'rollback_paused':
        return { error: new Error(`service rollback paused: ${message}`) };
      case 'rollback_completed':
        if (!this.converged) this.finalMessage = { id: 'rollback', status: message };
        this.rollback = true;
        break;
      default:
        break;
    }
    if (this.converged && this.convergedAt !== undefined && (now - this.convergedAt) * NS_PER_MS >= this.monitorNs) {
      this.emit({ id: 'verify', status: `Service ${this.serviceRef} converged`, progress: { current: 0, total: 0 } });
      if (this.finalMessage !== undefined) this.emit(this.finalMessage);
      return {};
    }
    return undefined;
  }

  /** The up-to-date tasks and the IDs of nodes not down, read after observeService. */
  observeTasks(service: Service, tasks: readonly Task[], active: ReadonlySet<string>, now: number): ProgressOutcome | undefined {
    if (this.updater === undefined) return { error: new Error('unrecognized service mode') };
    try {
      this.converged = this.updater.update(service, tasks, active, this.rollback);
    } catch (err) {
      return { error: err instanceof Error ? err : new Error(String(err)) };
    }
    // A job stays done once done: no stability wait.
    if (this.converged && service.JobStatus !== undefined) {
      this.emit({ status: 'job complete' });
      return {};
    }
    if (this.converged) {
      this.convergedAt ??= now;
      // Docker's clock has always moved on a little by now: count one more nanosecond.
      const waitNs = this.monitorNs - (now - this.convergedAt) * NS_PER_MS - 1;
      if (waitNs >= 0) {
        const seconds = Math.trunc(waitNs / 1e9) + 1;
        this.emit({ id: 'verify', status: `Waiting ${seconds} seconds to verify that tasks are stable...`, progress: { current: 0, total: 0 } });
      }
    } else {
      if (this.convergedAt !== undefined) this.emit({ id: 'verify', status: 'Detected task failure', progress: { current: 0, total: 0 } });
      this.convergedAt = undefined;
    }
    return undefined;
  }

  /** Ctrl-C between polls: docker leaves the service converging and says how to follow it. */
  interrupt(binName: string): void {
    if (this.converged) return;
    this.emit({ status: 'Operation continuing in background.' });
    this.emit({ status: `Use \`${binName} service ps ${this.serviceRef}\` to check progress.` });
  }
}

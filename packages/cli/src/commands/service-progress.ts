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

// Tunables of the orchestration cores, with swarmkit's defaults.

export interface OrchestratorOptions {
  /** The cluster spec's taskHistoryRetentionLimit: tasks kept per slot (per node for global); negative keeps all. */
  taskHistoryRetentionLimit: number;
  /** How long a delayed replacement waits for the task it replaces to stop (swarmkit restart.go: 1 min). */
  oldTaskTimeoutMs: number;
  /** Drain hand-over: stop the old task anyway when its replacement has not run after this long. */
  drainHandoverTimeoutMs: number;
  /** Scheduler: nodes where a service failed this often within `failureWindowMs` are tried last (swarmkit: 5). */
  maxRecentFailures: number;
  /** swarmkit: 5 min. */
  failureWindowMs: number;
  /**
   * Rebalancing (swarmkit has none): a replicated service whose tasks are spread unevenly over
   * the nodes that could run them moves one task at a time, start-first, to the emptiest node,
   * once every task ran this long unchanged and the node has been up this long. Negative: off.
   */
  rebalanceDelayMs: number;
}

export const DEFAULT_ORCHESTRATOR_OPTIONS: Readonly<OrchestratorOptions> = {
  taskHistoryRetentionLimit: 5,
  oldTaskTimeoutMs: 60_000,
  drainHandoverTimeoutMs: 60_000,
  maxRecentFailures: 5,
  failureWindowMs: 5 * 60_000,
  rebalanceDelayMs: 10_000,
};

export function orchestratorOptions(partial: Partial<OrchestratorOptions> = {}): OrchestratorOptions {
  return { ...DEFAULT_ORCHESTRATOR_OPTIONS, ...partial };
}

// Orchestration cores: replicated and global orchestrators, restart supervisor,
// rolling updater, scheduler, task reaper, port allocator. Pure: no timers, no I/O.
export { reconcile, runOrchestrators, runScheduler, runTaskReaper } from './orchestrator';
export type { ClusterView, TickContext, TickResult } from './working-set';
export { FailureLog } from './failure-log';
export { DEFAULT_ORCHESTRATOR_OPTIONS, orchestratorOptions, type OrchestratorOptions } from './options';
export { parseConstraints, validateConstraints, validSpreadDescriptor, nodeMatches, type Constraint, type ConstraintOperator, type ParseResult } from './constraint';
export { FILTERS, Pipeline, demandOf, type Filter, type NodeInfo, type TaskDemand } from './filters';
export { allocatePorts, DYNAMIC_PORT_START, DYNAMIC_PORT_END } from './ports';
export { shouldRestart } from './restart';
export { isTaskDirty, sameSpec, sameValue } from './tasks';

export * from './manager';
export * from './control-api';
export * from './node-lookup';
export * from './heartbeat-monitor';
export * from './gossip-keys';
export { rewriteAsSingleMember } from './raft/force-new-cluster';
export { NO_LEADER_MESSAGE } from './raft/replica';
export { isTaskDirty } from './orchestrator';

// Everything in the testkit except the vitest hooks: safe to load outside a vitest
// run (bench scripts: `require('@shoal/testkit/dist/core')`), since vitest itself
// refuses to be require()d.
export { startDaemon, registeredDaemons, describeExit } from './daemon';
export type { DaemonHandle, StartDaemonOptions, ToolOptions, StopOptions, KillOptions } from './daemon';
export { startCluster } from './cluster';
export type { Cluster, StartClusterOptions, ClusterNodeJson, WaitForReadyOptions } from './cluster';
export { waitFor } from './wait-for';
export type { WaitForOptions, Truthy } from './wait-for';
export { EngineHttp } from './engine-http';
export type { EngineResponse, PingResult, EngineHttpOptions } from './engine-http';
export { runCommand, expectSuccess } from './run-command';
export type { CommandResult, RunOptions } from './run-command';
export { spawnTracked, trackedProcesses, killProcessTree, killAllTracked } from './process-registry';
export type { TrackedProcess, ExitStatus } from './process-registry';
export { isAlive, descendants } from './proc';
export { formatLogTails, printLogTails, withLogsOnFailure, DEFAULT_TAIL_LINES } from './failure-report';
export {
  netnsAvailable,
  netnsClusterUp,
  netnsUp,
  netnsDown,
  execIn,
  cutLink,
  restoreLink,
  NETNS_NODES,
  NETNS_BRIDGE_IP,
} from './netns';
export { registerResource, registerTempDir, releaseAll } from './resources';
export type { Resource, ReleaseOutcome } from './resources';
export { REPO_ROOT, makeTempRoot } from './paths';
export {
  WaitTimeoutError,
  DaemonStartError,
  CommandTimeoutError,
  CommandFailedError,
  EngineHttpError,
  TestkitConfigError,
} from './errors';
export { whoami } from './whoami';
export type { WhoamiAnswer } from './whoami';
export { managerStatuses, nodeStates } from './swarm-views';

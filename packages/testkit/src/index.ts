// @shoal/testkit: spawn real shoald clusters for integration and e2e tests.
//
//   import { registerCleanup, startCluster, waitFor } from '@shoal/testkit';
//   registerCleanup();                                   // stop by PID, log tails + kept dirs on failure
//   const cluster = await startCluster({ size: 3, baseIp: '127.0.2.' });
//
// See daemon.ts (one node), cluster.ts (a swarm), wait-for.ts (polling with a
// deadline), netns.ts (e2e namespaces) and vitest-hooks.ts (cleanup). This entry
// loads vitest; outside a vitest run import `@shoal/testkit/dist/core` instead.
export * from './core';
export { registerCleanup } from './vitest-hooks';
export type { RegisterCleanupOptions } from './vitest-hooks';

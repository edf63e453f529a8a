// Compact views of `GET /nodes` through one daemon, for tests that wait on the swarm's state.
import type { ClusterNodeJson } from './cluster';
import type { DaemonHandle } from './daemon';

/** `hostname=state` of every node, sorted: e.g. `manager=ready worker1=down`. */
export async function nodeStates(via: DaemonHandle): Promise<string> {
  const nodes = await via.api.get<ClusterNodeJson[]>('/v1.41/nodes');
  return nodes.map((n) => `${n.Description?.Hostname ?? n.ID}=${n.Status?.State ?? ''}`).sort().join(' ');
}

/** Each node's MANAGER STATUS as `via` sees it: 'Leader', 'reachable', 'unreachable', 'unknown', or '' for a worker. */
export async function managerStatuses(via: DaemonHandle): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const n of await via.api.get<ClusterNodeJson[]>('/v1.41/nodes')) {
    out[n.Description?.Hostname ?? n.ID] = n.ManagerStatus ? (n.ManagerStatus.Leader ? 'Leader' : (n.ManagerStatus.Reachability ?? '')) : '';
  }
  return out;
}

// What the control API and dispatcher need to know about Raft, as an interface so
// they can be tested without a running replica.
import type { Status } from '@shoal/raft';

export interface RaftView {
  readonly selfId: string;
  readonly leader: string | null;
  status(): Status;
  members(): { voters: readonly string[]; learners: readonly string[]; addrs: ReadonlyMap<string, string> };
}

/** Docker's manager status of one node, derived from the leader's view of Raft. */
export function managerStatusOf(
  view: RaftView,
  nodeId: string,
): { leader: boolean; reachability: 'reachable' | 'unreachable' | 'unknown'; addr: string } | undefined {
  const { voters, learners, addrs } = view.members();
  if (!voters.includes(nodeId) && !learners.includes(nodeId)) return undefined;
  const addr = addrs.get(nodeId) ?? '';
  if (learners.includes(nodeId)) return { leader: false, reachability: 'unknown', addr };
  const leader = view.leader === nodeId;
  if (leader || nodeId === view.selfId) return { leader, reachability: 'reachable', addr };
  const progress = view.status().progress[nodeId];
  if (!progress) return { leader, reachability: 'unknown', addr };
  return { leader, reachability: progress.recentActive ? 'reachable' : 'unreachable', addr };
}

/** Reachable and unreachable voters, as the leader sees them (itself included). */
export function voterHealth(view: RaftView): { reachable: number; unreachable: number } {
  let reachable = 0;
  let unreachable = 0;
  for (const id of view.members().voters) {
    if (managerStatusOf(view, id)?.reachability === 'reachable') reachable++;
    else unreachable++;
  }
  return { reachable, unreachable };
}

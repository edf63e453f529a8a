// Leader-only reconciliation of node roles with Raft membership (swarmkit's role
// manager): a node whose desired role is manager gets a manager certificate, joins
// as a learner and is promoted once caught up; a demoted node leaves Raft first
// (leadership moves away if it is the leader) and only then becomes a worker.
import { learnersReadyForPromotion } from '@shoal/raft';
import { updateOp, type ClusterStore, type NodeObject } from '@shoal/store';
import type { Logger } from 'pino';
import type { RaftReplica } from './replica';

export interface MembershipOptions {
  store: ClusterStore;
  replica: RaftReplica;
  selfId: string;
  logger: Logger;
  intervalMs?: number;
}

export class MembershipReconciler {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private again = false;
  private unwatch: (() => void) | null = null;

  constructor(private readonly options: MembershipOptions) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.kick(), this.options.intervalMs ?? 250);
    this.unwatch = this.options.store.memory.watch(() => this.kick());
    this.kick();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.unwatch?.();
    this.unwatch = null;
  }

  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.reconcile()
      .catch((err: unknown) => this.options.logger.warn({ err: (err as Error).message }, 'membership reconcile failed; will retry'))
      .finally(() => {
        this.running = false;
        if (this.again && this.timer) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async reconcile(): Promise<void> {
    const { replica, store } = this.options;
    if (!replica.isLeader) return;
    for (const node of store.memory.list('node')) {
      if (node.spec.role === 'manager' && node.role === 'worker') await this.setRole(node, 'manager');
      else if (node.spec.role === 'worker' && node.role === 'manager') await this.demote(node);
    }
    const status = replica.status();
    if (status.learners.length > 0) {
      this.options.logger.debug(
        { lastIndex: status.lastIndex, learners: status.learners.map((id) => ({ id, ...status.progress[id] })) },
        'learners waiting for promotion',
      );
    }
    for (const id of learnersReadyForPromotion(status, { maxLag: 2 })) {
      this.options.logger.info({ nodeId: id }, 'learner caught up: promoting to voter');
      await replica.changeMembership({ type: 'add-voter', nodeId: id });
    }
  }

  private async demote(node: NodeObject): Promise<void> {
    const { replica, selfId, logger } = this.options;
    const { voters, learners } = replica.members();
    if (voters.includes(node.id) || learners.includes(node.id)) {
      if (node.id === selfId) {
        const target = this.transferTarget();
        if (target) {
          logger.info({ to: target }, 'demoting the leader: transferring leadership first');
          replica.transferLeadership(target);
        }
        return;
      }
      logger.info({ nodeId: node.id }, 'removing demoted manager from raft');
      await replica.changeMembership({ type: 'remove-node', nodeId: node.id });
    }
    await this.setRole(node, 'worker');
  }

  /** The most caught-up other voter that is recently active. */
  private transferTarget(): string | null {
    const status = this.options.replica.status();
    let best: string | null = null;
    let bestMatch = -1;
    for (const id of status.voters) {
      const pr = status.progress[id];
      if (id === status.id || !pr || !pr.recentActive) continue;
      if (pr.match > bestMatch) {
        best = id;
        bestMatch = pr.match;
      }
    }
    return best;
  }

  private async setRole(node: NodeObject, role: 'manager' | 'worker'): Promise<void> {
    const current = this.options.store.memory.get('node', node.id);
    if (!current || current.role === role) return;
    this.options.logger.info({ nodeId: node.id, role }, 'node role changed');
    await this.options.store.commit([updateOp('node', { ...current, role }, current.version)]);
  }
}

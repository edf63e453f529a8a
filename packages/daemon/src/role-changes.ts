// How a node's membership is replaced as its managers decide: promotion and demotion (a new
// certificate, then the agent and manager restarted as the new role while tasks and data plane
// carry on), rejoining Raft afresh, and a membership that fails to start: swarm state "error"
// with the reason, started again with back-off until it does (moby's node runner), as the role
// the managers record by then. The daemon owns the running membership and hands it over here.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Manager, ManagerStart } from '@shoal/manager';
import { createKeyAndCSR } from '@shoal/pki';
import type { NodeRole, TlsMaterial } from '@shoal/wire';
import type { Logger } from 'pino';
import { requestCertificate } from './certificates';
import type { NodeStateFiles, PersistedNode } from './node-state';
import { releaseNodeTasks, type NodeTasks } from './node-tasks';

/** What this needs of the daemon's running membership. */
export interface RunningMembership {
  node: PersistedNode;
  tls: TlsMaterial;
  manager: Manager | null;
}

export interface MembershipHost {
  current(): RunningMembership | null;
  activate(node: PersistedNode, tls: TlsMaterial, start: ManagerStart, kept?: NodeTasks): Promise<void>;
  /** Stops the running membership; with `keep`, hands over its tasks and data plane. */
  deactivate(keep: boolean): Promise<NodeTasks | null>;
  /** Runs `fn` after every membership transition before it (init, join, leave, role changes). */
  serialised<T>(fn: () => Promise<T>): Promise<T>;
  files: NodeStateFiles;
  dataDir: string;
  logger: Logger;
}

export class RoleChanges {
  private failed: { error: string; node: PersistedNode; retry: NodeJS.Timeout } | null = null;
  private stopping = false;

  constructor(private readonly host: MembershipHost) {}

  /** The membership that failed to start and is being retried (swarm state "error"), if any. */
  get failure(): { error: string; node: PersistedNode } | null {
    return this.failed;
  }

  /** `swarm leave` in state "error": no more retries. */
  giveUp(): void {
    if (this.failed) clearTimeout(this.failed.retry);
    this.failed = null;
  }

  /** The daemon stops: no more retries, and one under way starts nothing. */
  stop(): void {
    this.stopping = true;
    this.giveUp();
  }

  /**
   * Runs a role change the managers asked for; a failed one (e.g. the leader busy, or the node's
   * object changing meanwhile) is tried again a few times: the managers only say it once.
   */
  request(role: NodeRole, via: string, attempt = 1): void {
    const active = this.host.current();
    void this.host.serialised(() => this.changeRole(role, via)).catch((err: unknown) => {
      if (attempt >= 5 || this.host.current() !== active) {
        this.host.logger.error({ err, role }, 'role change failed');
        return;
      }
      this.host.logger.warn({ err, role, attempt }, 'role change failed; trying again');
      setTimeout(() => this.request(role, via, attempt + 1), 500 * attempt).unref();
    });
  }

  /**
   * Promotion or demotion: renew the certificate for the new role, then restart the agent (and
   * the manager) as that role. Tasks keep running (the new agent adopts them) and the data plane
   * keeps serving: published ports, gossip and tunnels do not blink. It keeps the certificate it
   * started with, which stays valid (the mesh checks CA, cluster and removal, not the role).
   */
  private async changeRole(role: NodeRole, via: string): Promise<void> {
    const a = this.host.current();
    if (!a || a.node.role === role) return;
    this.host.logger.info({ from: a.node.role, to: role, via }, 'changing role');
    const { keyPem, csrPem } = await createKeyAndCSR();
    const renewed = await requestCertificate(a.tls, [via], csrPem);
    // The managers changed their mind meanwhile: they will say so again. Except a demotion
    // followed by a promotion before this node acted: a demotion takes the node out of Raft
    // before it says "worker", so this manager's Raft state is void, and it rejoins afresh.
    const rejoin = role === 'worker' && renewed.role === 'manager';
    if (renewed.role !== role && !rejoin) return;
    if (rejoin) this.host.logger.info('demoted and promoted again: rejoining raft with fresh state');
    const tls: TlsMaterial = { caCertPem: a.tls.caCertPem, certPem: renewed.certPem, keyPem };
    await this.restartMembership({ ...a.node, role: renewed.role }, tls, via, { freshRaft: role === 'worker', attempts: 1 });
    this.host.logger.info({ role: renewed.role }, 'role changed');
  }

  /**
   * State "error" with the failure's reason, and another start of the membership after a back-off
   * (1 s, doubling to 10 s), until one starts or the node leaves the swarm.
   */
  retry(node: PersistedNode, tls: TlsMaterial, start: ManagerStart, err: unknown, attempt = 1): void {
    if (this.failed) clearTimeout(this.failed.retry);
    const error = err instanceof Error ? err.message : String(err);
    const delayMs = Math.min(10_000, 1_000 * 2 ** (attempt - 1));
    this.host.logger.error({ err, attempt, retryInMs: delayMs }, 'membership failed to start; trying again');
    const retry = setTimeout(() => {
      void this.host.serialised(async () => {
        if (this.stopping || this.failed?.retry !== retry || this.host.current()) return; // stopped, left, or started meanwhile
        // The managers may have changed this node's role meanwhile (a demotion while it failed):
        // start as what they say now, not as what failed.
        let next = { node, tls };
        try {
          next = await this.currentRole(node, tls, 'managers' in start ? start.managers : node.managers);
        } catch (cause) {
          this.host.logger.warn({ err: cause }, 'could not ask the managers for this node\'s role; trying as before');
        }
        try {
          await this.host.activate(next.node, next.tls, start);
          this.failed = null;
          this.host.logger.info({ role: next.node.role }, 'membership started after earlier failures');
        } catch (again) {
          this.retry(next.node, next.tls, start, again, attempt + 1);
        }
      });
    }, delayMs);
    retry.unref();
    this.failed = { error, node, retry };
  }

  /** A certificate for the role the managers record for this node now (saved), and the node as that role. */
  private async currentRole(node: PersistedNode, tls: TlsMaterial, managers: readonly string[]): Promise<{ node: PersistedNode; tls: TlsMaterial }> {
    const { keyPem, csrPem } = await createKeyAndCSR();
    const renewed = await requestCertificate(tls, [...managers], csrPem);
    const next = { node: { ...node, role: renewed.role }, tls: { caCertPem: tls.caCertPem, certPem: renewed.certPem, keyPem } };
    if (node.role === 'manager' && renewed.role === 'worker') this.forgetRaftState();
    this.host.files.save(next.node, next.tls);
    return next;
  }

  /**
   * The managers count this manager out of Raft (removed and promoted again unnoticed): start its
   * manager afresh. Only for the activation that was told so (a role change since then already
   * made a fresh one); a join that fails is tried again, so the node does not drop out.
   */
  async rejoinRaft(a: RunningMembership, via: string): Promise<void> {
    if (this.host.current() !== a || !a.manager) return;
    this.host.logger.warn({ via }, 'not a raft member any more: rejoining raft with fresh state');
    await this.restartMembership(a.node, a.tls, via, { freshRaft: true, attempts: 5 });
  }

  /**
   * Restarts the agent (and the manager) as `node` says, keeping the data plane: tasks keep
   * running (the new agent adopts them) and published ports, gossip and tunnels do not blink.
   * With `freshRaft` this node's Raft state (and its data key) go first: a worker has none, and a
   * manager whose state is void joins again as a learner.
   */
  private async restartMembership(node: PersistedNode, tls: TlsMaterial, via: string, o: { freshRaft: boolean; attempts: number }): Promise<void> {
    const kept = await this.host.deactivate(true);
    if (o.freshRaft) this.forgetRaftState();
    this.host.files.save(node, tls);
    kept?.dataPlane.setTls(tls); // kept: its next connections present this certificate
    for (let attempt = 1; ; attempt++) {
      try {
        await this.host.activate(node, tls, { mode: 'join', managers: [via, ...node.managers] }, kept ?? undefined);
        return;
      } catch (err) {
        if (attempt >= o.attempts) {
          // Not handed over: nothing else will release them (the tasks stay, for a later adoption).
          if (kept) await releaseNodeTasks(kept);
          // Out of the swarm's sight now (deactivated): keep trying rather than drop out for good.
          this.retry(node, tls, { mode: 'join', managers: [via, ...node.managers] }, err, 1);
          throw err;
        }
        this.host.logger.warn({ err, attempt }, 'restarting as a manager failed; trying again');
        await new Promise((r) => setTimeout(r, 2_000 * attempt));
      }
    }
  }

  /** This node's Raft state and its data key: a worker has none, a void manager joins again. */
  private forgetRaftState(): void {
    fs.rmSync(path.join(this.host.dataDir, 'raft'), { recursive: true, force: true });
    this.host.files.forgetRaftKey();
  }
}

// The load-balancer core: per published port (of one protocol), round-robin over every running
// endpoint in the cluster, skipping endpoints that failed within the penalty window (draining
// ones only as a last resort). Pure: no
// sockets, no timers; time comes from the injected NowSource.
import type { NowSource } from './clock';
import { meshPorts } from './endpoints';
import type { MeshEndpoint, MeshProtocol, PublishedPort } from './endpoints';

export interface LoadBalancerOptions {
  readonly clock: NowSource;
  /** How long an endpoint that failed a connect is passed over. Default 5000 ms. */
  readonly failurePenaltyMs?: number;
  /** Which published ports this balancer serves (one balancer per protocol). Default 'tcp'. */
  readonly protocol?: MeshProtocol;
}

export interface Choice {
  readonly endpoint: MeshEndpoint;
  /** The chosen endpoint's own config for the port (its proxyProtocol flag applies). */
  readonly port: PublishedPort;
}

interface Member {
  readonly endpoint: MeshEndpoint;
  readonly port: PublishedPort;
  /** Out of the rotation: picked only when no other member is available (see setEndpoints). */
  readonly reserve: boolean;
}

interface Pool {
  /** Every endpoint publishing the port, in taskId order; draining ones are chosen only when no running one is left. */
  members: Member[];
  cursor: number;
}

export const DEFAULT_FAILURE_PENALTY_MS = 5000;

export class LoadBalancer {
  private pools = new Map<number, Pool>();
  /** taskId → time until which the endpoint is passed over. */
  private readonly penalties = new Map<string, number>();
  private readonly penaltyMs: number;

  constructor(private readonly o: LoadBalancerOptions) {
    this.penaltyMs = o.failurePenaltyMs ?? DEFAULT_FAILURE_PENALTY_MS;
  }

  /**
   * Replaces the table. Round-robin positions survive; penalties of vanished tasks are dropped.
   * `reserve` (`<published>/<taskId>`) names members kept out of the rotation and used only when
   * nothing else is available: this node's tasks on ports the kernel fast path serves, which
   * userspace must not take a second share of, but may still fall back on.
   */
  setEndpoints(entries: Iterable<MeshEndpoint>, reserve?: ReadonlySet<string>): void {
    const byTask = new Map<string, MeshEndpoint>();
    for (const e of entries) byTask.set(e.taskId, e);
    const members = new Map<number, Member[]>();
    for (const endpoint of byTask.values()) {
      for (const port of meshPorts(endpoint, this.o.protocol)) {
        let list = members.get(port.published);
        if (!list) members.set(port.published, (list = []));
        list.push({ endpoint, port, reserve: reserve?.has(`${port.published}/${endpoint.taskId}`) ?? false });
      }
    }
    const pools = new Map<number, Pool>();
    for (const [published, list] of members) {
      list.sort((a, b) => compare(a.endpoint.taskId, b.endpoint.taskId));
      const cursor = this.pools.get(published)?.cursor ?? 0;
      pools.set(published, { members: list, cursor: cursor % list.length });
    }
    this.pools = pools;
    for (const taskId of this.penalties.keys()) if (!byTask.has(taskId)) this.penalties.delete(taskId);
  }

  /** Published ports some endpoint (running or draining) asks for: the listeners to keep open. */
  ports(): number[] {
    return [...this.pools.keys()];
  }

  /** Service IDs behind a port; more than one means the allocator let two services collide. */
  servicesOf(published: number): string[] {
    const pool = this.pools.get(published);
    return pool ? [...new Set(pool.members.map((m) => m.endpoint.serviceId))] : [];
  }

  /** Running endpoints behind a port, penalised or not. */
  runningCount(published: number): number {
    return this.pools.get(published)?.members.filter((m) => m.endpoint.state === 'running').length ?? 0;
  }

  /**
   * The next running endpoint for `published`, skipping `exclude` (taskIds already tried for this
   * client connection) and endpoints in their penalty window. Rather than refusing the client:
   * with no running endpoint left, a draining one (its task still serves until it stops; during a
   * rolling update the replacement may not have reached this node's table yet); then the
   * penalised endpoint whose penalty ends first.
   */
  pick(published: number, exclude?: ReadonlySet<string>): Choice | undefined {
    const pool = this.pools.get(published);
    if (!pool) return undefined;
    const { members } = pool;
    const n = members.length;
    const now = this.penalties.size > 0 ? this.o.clock.now() : 0;
    let fallback: Member | undefined;
    let fallbackIndex = 0;
    let fallbackUntil = Infinity;
    let reserve: Member | undefined;
    let draining: Member | undefined;
    for (let step = 0; step < n; step++) {
      const index = (pool.cursor + step) % n;
      const m = members[index] as Member;
      if (exclude?.has(m.endpoint.taskId)) continue;
      const until = this.penalties.get(m.endpoint.taskId);
      if (m.endpoint.state !== 'running') {
        if (!draining && !(until !== undefined && until > now)) draining = m;
        continue;
      }
      if (until !== undefined) {
        if (until > now) {
          if (until < fallbackUntil) [fallback, fallbackIndex, fallbackUntil] = [m, index, until];
          continue;
        }
        this.penalties.delete(m.endpoint.taskId);
      }
      if (m.reserve) {
        reserve ??= m;
        continue;
      }
      pool.cursor = (index + 1) % n;
      return m;
    }
    if (reserve) return reserve; // outside the rotation: the cursor stays
    if (draining) return draining;
    if (!fallback) return undefined;
    pool.cursor = (fallbackIndex + 1) % n;
    return fallback;
  }

  /** A connect to the endpoint failed: pass it over for the penalty window. */
  reportFailure(taskId: string): void {
    this.penalties.set(taskId, this.o.clock.now() + this.penaltyMs);
  }

  /** A connect succeeded: lift any penalty at once. */
  reportSuccess(taskId: string): void {
    if (this.penalties.size > 0) this.penalties.delete(taskId);
  }

  isPenalised(taskId: string): boolean {
    const until = this.penalties.get(taskId);
    return until !== undefined && until > this.o.clock.now();
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

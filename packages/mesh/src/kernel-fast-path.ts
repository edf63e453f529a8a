// Kernel fast path for local endpoints (as kube-proxy does): iptables DNAT rules in the nat table
// send a published port's new connections straight to this node's own tasks, so those bytes never
// cross the Node process and the task sees the client's real address. The rules make the same
// decision the userspace balancer makes: strict round-robin over every running endpoint of the
// port, cluster-wide. Rule i of the k local endpoints matches every (n − i)-th new connection that
// reaches it (`statistic --mode nth`), so in every cycle of n connections each local task gets one
// and the other n − k fall through to the userspace listener, which round-robins them over the
// remote endpoints (through the tunnel). Only the first packet of a connection traverses the nat
// table; conntrack carries the rest, and keeps open connections alive when a rule goes away, which
// is exactly drain. Ports that ask for the PROXY protocol stay in userspace (the kernel cannot
// write the header), and so does everything when iptables is unusable (not root, no binary).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { isMeshPort } from './endpoints';
import type { MeshEndpoint } from './endpoints';
import type { Logger } from './logger';
import { nullLogger } from './logger';

/** Runs an iptables tool with arguments and optional stdin; rejects with its stderr on failure. */
export type CommandRunner = (command: string, args: readonly string[], stdin?: string) => Promise<string>;

export interface FastPathPlan {
  /** Published ports whose local endpoints the kernel serves. */
  readonly ports: ReadonlySet<number>;
  /** The chain's rules, in `iptables-restore` syntax (without the table and chain lines). */
  readonly rules: readonly string[];
}

/** The nat chain of the node at `nodeAddr` (unique per address, so several nodes can share a host). */
export function fastPathChain(nodeAddr: string): string {
  return `SHOAL-ING-${createHash('sha256').update(nodeAddr).digest('hex').slice(0, 8).toUpperCase()}`;
}

/**
 * Pure: the DNAT rules for this node's running endpoints. Every port's members are ordered as the
 * userspace balancer orders them (by task ID); `n` counts every running endpoint of the port in the
 * cluster, `k` this node's.
 */
export function planFastPath(chain: string, nodeAddr: string, nodeId: string, entries: Iterable<MeshEndpoint>): FastPathPlan {
  const members = new Map<number, MeshEndpoint[]>();
  const userspaceOnly = new Set<number>();
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.taskId)) continue;
    seen.add(e.taskId);
    for (const p of e.publishedPorts) {
      if (!isMeshPort(p)) continue;
      if (p.proxyProtocol) userspaceOnly.add(p.published);
      if (e.state !== 'running') continue;
      let list = members.get(p.published);
      if (!list) members.set(p.published, (list = []));
      list.push(e);
    }
  }
  const ports = new Set<number>();
  const rules: string[] = [];
  for (const [port, list] of [...members].sort((a, b) => a[0] - b[0])) {
    if (userspaceOnly.has(port)) continue;
    const local = list.filter((e) => e.nodeId === nodeId).sort((a, b) => (a.taskId < b.taskId ? -1 : a.taskId > b.taskId ? 1 : 0));
    if (local.length === 0) continue;
    ports.add(port);
    const n = list.length;
    local.forEach((e, i) => {
      const match = `-A ${chain} -d ${nodeAddr}/32 -p tcp -m tcp --dport ${port}`;
      const every = n - i;
      const nth = every > 1 ? ` -m statistic --mode nth --every ${every} --packet 0` : '';
      rules.push(`${match}${nth} -m comment --comment "${e.serviceName.slice(0, 64)} ${e.taskId}" -j DNAT --to-destination ${e.nodeAddr}:${e.port}`);
    });
  }
  return { ports, rules };
}

export interface KernelFastPathOptions {
  readonly nodeAddr: string;
  readonly nodeId: string;
  readonly logger?: Logger;
  /** Default: runs the real binaries. */
  readonly run?: CommandRunner;
}

/** The shell: owns this node's chain and its jumps from PREROUTING (other hosts) and OUTPUT (this host). */
export class KernelFastPath {
  private readonly chain: string;
  private readonly logger: Logger;
  private readonly run: CommandRunner;
  private applied = '';
  private queued: { text: string; ports: ReadonlySet<number>; done: Array<() => void> } | null = null;
  private applying: Promise<void> | null = null;
  private closed = false;
  private served: ReadonlySet<number> = new Set();

  private constructor(private readonly o: KernelFastPathOptions) {
    this.chain = fastPathChain(o.nodeAddr);
    this.logger = o.logger ?? nullLogger;
    this.run = o.run ?? runCommand;
  }

  /**
   * Sets up an empty chain and its jumps, replacing what a previous run at this address left
   * behind (e.g. after kill -9). Resolves null (userspace only) when iptables cannot be used.
   */
  static async start(o: KernelFastPathOptions): Promise<KernelFastPath | null> {
    const fp = new KernelFastPath(o);
    if (!o.run && process.getuid?.() !== 0) {
      fp.logger.info({}, 'ingress kernel fast path needs root; every connection goes through userspace');
      return null;
    }
    try {
      await removeFastPathRules(o.nodeAddr, fp.run);
      await fp.restore([]);
      for (const hook of ['PREROUTING', 'OUTPUT']) {
        await fp.run('iptables', ['-w', '-t', 'nat', '-I', hook, '-d', `${o.nodeAddr}/32`, '-p', 'tcp', '-j', fp.chain]);
      }
      fp.logger.info({ chain: fp.chain }, 'ingress kernel fast path on (iptables DNAT for local endpoints)');
      return fp;
    } catch (err) {
      fp.logger.warn({ err: (err as Error).message }, 'ingress kernel fast path unavailable; every connection goes through userspace');
      await removeFastPathRules(o.nodeAddr, fp.run).catch(() => undefined);
      return null;
    }
  }

  /**
   * Ports whose local share the kernel serves now (the last rule set it accepted): the userspace
   * balancer leaves this node's endpoints of these ports out, and only of these, so a rule set that
   * failed to apply never leaves a port without a path to its local tasks.
   */
  get servedPorts(): ReadonlySet<number> {
    return this.served;
  }

  /** Plans the rules for the table; returns the plan at once and resolves `applied` once the kernel has it (or refused it). */
  update(entries: Iterable<MeshEndpoint>): { plan: FastPathPlan; applied: Promise<void> } {
    const plan = planFastPath(this.chain, this.o.nodeAddr, this.o.nodeId, entries);
    const text = plan.rules.join('\n');
    const applied = new Promise<void>((resolve) => {
      if (this.closed) return resolve();
      if (this.queued) {
        this.queued.text = text;
        this.queued.ports = plan.ports;
        this.queued.done.push(resolve);
      } else this.queued = { text, ports: plan.ports, done: [resolve] };
    });
    this.kick();
    return { plan, applied };
  }

  /** Removes the chain and its jumps; open connections live on through conntrack. */
  async close(): Promise<void> {
    this.closed = true;
    await this.applying;
    await removeFastPathRules(this.o.nodeAddr, this.run).catch((err: unknown) =>
      this.logger.warn({ err: (err as Error).message }, 'could not remove the ingress fast path rules'),
    );
  }

  /** Starts applying queued rule sets unless that is under way (then the running drain takes them). */
  private kick(): void {
    if (this.applying || !this.queued) return;
    this.applying = this.drain().finally(() => {
      this.applying = null;
      this.kick(); // an update may have queued after the loop's last check
    });
  }

  /** Applies the newest queued rule set until none is left (coalescing bursts of table changes). */
  private async drain(): Promise<void> {
    while (this.queued) {
      const { text, ports, done } = this.queued;
      this.queued = null;
      if (text !== this.applied && !this.closed) {
        try {
          await this.restoreWithRetry(text ? text.split('\n') : []);
          this.applied = text;
          this.served = ports;
        } catch (err) {
          // Leave nothing stale in the kernel: empty the chain and let userspace carry every connection.
          this.logger.error({ err: (err as Error).message }, 'could not apply ingress fast path rules; serving these ports in userspace');
          this.served = new Set();
          this.applied = '\u0000'; // unknown: rewrite on the next update
          await this.restore([]).then(
            () => (this.applied = ''),
            () => undefined,
          );
        }
      }
      for (const d of done) d();
    }
  }

  /** iptables-nft may refuse a transaction that races another process's; try again briefly. */
  private async restoreWithRetry(rules: readonly string[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.restore(rules);
        return;
      } catch (err) {
        if (attempt >= 3 || this.closed) throw err;
        await new Promise((r) => setTimeout(r, 20 * attempt));
      }
    }
  }

  /** Atomically replaces the chain's rules (a declared chain is flushed by iptables-restore). */
  private restore(rules: readonly string[]): Promise<string> {
    const input = ['*nat', `:${this.chain} - [0:0]`, ...rules, 'COMMIT', ''].join('\n');
    return this.run('iptables-restore', ['-w', '--noflush'], input);
  }
}

/** Deletes the fast path chain of `nodeAddr` and its jumps, if any (also for test cleanup). */
export async function removeFastPathRules(nodeAddr: string, run: CommandRunner = runCommand): Promise<void> {
  const chain = fastPathChain(nodeAddr);
  for (const hook of ['PREROUTING', 'OUTPUT']) {
    // A crashed run may have left several jumps; delete until none is left (bounded).
    for (let i = 0; i < 8; i++) {
      try {
        await run('iptables', ['-w', '-t', 'nat', '-D', hook, '-d', `${nodeAddr}/32`, '-p', 'tcp', '-j', chain]);
      } catch {
        break;
      }
    }
  }
  try {
    await run('iptables', ['-w', '-t', 'nat', '-F', chain]);
    await run('iptables', ['-w', '-t', 'nat', '-X', chain]);
  } catch {
    // no such chain
  }
}

function runCommand(command: string, args: readonly string[], stdin?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { timeout: 10_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${command} ${args.join(' ')}: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
    if (stdin !== undefined) child.stdin?.end(stdin);
  });
}

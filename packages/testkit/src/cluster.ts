// A swarm of real shoald processes, formed the way a user would form it:
// `swarm init` on the first node, `swarm join-token -q`, `swarm join` on the others,
// then wait until the manager's GET /nodes shows every node Ready.
//
//   const cluster = await startCluster({ size: 3, baseIp: '127.0.2.', heartbeat: '200ms' });
//   // nodes manager 127.0.2.1, worker1 127.0.2.2, worker2 127.0.2.3; data under <tmpdir>/shoal-test-*/
//   await cluster.manager.cliOk(['service', 'create', '--name', 'web', '--replicas', '3', 'nginx']);
//   await cluster.byName('worker1').kill();
//
// Give every test file its own alias range (`baseIp: '127.0.N.'`): each node binds
// 2377/7946/4789/published ports on its own address, so ranges must not overlap
// between files that may run at the same time. With `netns: true` the nodes run in
// scripts/netns-cluster's namespaces on 10.77.0.100-102 instead.
import { join } from 'node:path';
import { startDaemon, type DaemonHandle, type StartDaemonOptions } from './daemon';
import { TestkitConfigError } from './errors';
import { formatLogTails } from './failure-report';
import { NETNS_NODES } from './netns';
import { makeTempRoot } from './paths';
import { hooksAreInstalled, registerTempDir } from './resources';
import { waitFor } from './wait-for';

export interface StartClusterOptions {
  size: number;
  /** Node names (= hostnames). Default `manager`, `worker1`, … (`manager1`…`managerM` when managers > 1). */
  names?: readonly string[];
  /** How many of the nodes join as managers, counting the first. Default 1. */
  managers?: number;
  /** Loopback alias prefix; node i gets `${baseIp}${firstHost + i}`. Default `127.0.1.`. */
  baseIp?: string;
  /** Default 1. */
  firstHost?: number;
  /** `--dispatcher-heartbeat` for `swarm init`, e.g. `200ms`; default: the daemon's. */
  heartbeat?: string;
  /** More `swarm init` arguments. */
  initArgs?: readonly string[];
  /** Parent of the nodes' data dirs; default a fresh `<tmpdir>/shoal-test-*`, removed after a passing test. */
  dataRoot?: string;
  /** Run the nodes in scripts/netns-cluster's namespaces (names manager/worker1/worker2, 10.77.0.100-102). */
  netns?: boolean;
  /** Deadline for all nodes to be Ready after the joins. Default 30 000 ms. */
  readyTimeoutMs?: number;
  /** Passed to every startDaemon. */
  daemon?: Omit<StartDaemonOptions, 'name' | 'ip' | 'dataDir' | 'netns'>;
}

export interface ClusterNodeJson {
  ID: string;
  Description?: { Hostname?: string };
  Status?: { State?: string; Addr?: string; Message?: string };
  Spec?: { Role?: string; Availability?: string };
  ManagerStatus?: { Leader?: boolean; Reachability?: string; Addr?: string };
}

export interface WaitForReadyOptions {
  /** Nodes expected Ready. Default: cluster size. */
  count?: number;
  timeoutMs?: number;
  /** The manager to ask. Default: the first node. */
  via?: DaemonHandle;
}

export interface Cluster {
  /** In start order; `nodes[0]` ran `swarm init`. */
  readonly nodes: readonly DaemonHandle[];
  /** The node that ran `swarm init`. */
  readonly manager: DaemonHandle;
  /** The nodes that joined with the worker token. */
  readonly workers: readonly DaemonHandle[];
  readonly dataRoot: string;
  byName(name: string): DaemonHandle;
  /** Polls GET /nodes until `count` nodes are Ready; resolves with the node list. */
  waitForReady(options?: WaitForReadyOptions): Promise<ClusterNodeJson[]>;
  /** Stops every node (SIGTERM, then SIGKILL past the deadline), in parallel. */
  stopAll(): Promise<void>;
}

interface NodePlan {
  name: string;
  ip: string;
  role: 'manager' | 'worker';
}

export async function startCluster(options: StartClusterOptions): Promise<Cluster> {
  const plan = planNodes(options);
  let dataRoot = options.dataRoot;
  if (dataRoot === undefined) {
    dataRoot = makeTempRoot();
    registerTempDir(dataRoot);
  }
  const root = dataRoot;
  const started = await Promise.allSettled(
    plan.map((node) =>
      startDaemon({
        ...options.daemon,
        name: node.name,
        ip: node.ip,
        dataDir: join(root, node.name),
        ...(options.netns && { netns: node.name }),
      }),
    ),
  );
  const nodes = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failedStart = started.find((result) => result.status === 'rejected');
  const [first, ...rest] = nodes;
  if (failedStart || !first) return abandon(nodes, root, failedStart?.reason);
  const cluster = new ClusterImpl([first, ...rest], plan, root);
  try {
    await formSwarm(cluster, plan, options);
    await cluster.waitForReady({ ...(options.readyTimeoutMs !== undefined && { timeoutMs: options.readyTimeoutMs }) });
  } catch (error) {
    return abandon(nodes, root, error);
  }
  return cluster;
}

async function abandon(nodes: readonly DaemonHandle[], root: string, error: unknown): Promise<never> {
  // With cleanup hooks the failed test prints every log tail; without them, do it here.
  if (!hooksAreInstalled()) console.error(formatLogTails(nodes));
  await Promise.all(nodes.map((node) => node.stop()));
  const reason = error instanceof Error ? error.message : String(error);
  throw new Error(`startCluster (data under ${root}) failed: ${reason}`, { cause: error });
}

function planNodes(options: StartClusterOptions): NodePlan[] {
  const { size, managers = 1 } = options;
  if (!Number.isInteger(size) || size < 1) throw new TestkitConfigError(`cluster size must be a positive integer, got ${size}`);
  if (managers < 1 || managers > size) throw new TestkitConfigError(`managers must be within 1..${size}, got ${managers}`);
  const names = options.names ?? defaultNames(size, managers, options.netns === true);
  if (names.length < size) throw new TestkitConfigError(`${size} nodes but only ${names.length} names`);
  if (new Set(names.slice(0, size)).size !== size) throw new TestkitConfigError(`node names must be unique: ${names.join(', ')}`);
  return names.slice(0, size).map((name, i) => ({
    name,
    ip: options.netns ? netnsIp(name) : aliasIp(options, i),
    role: i < managers ? 'manager' : 'worker',
  }));
}

function defaultNames(size: number, managers: number, netns: boolean): string[] {
  if (netns) return NETNS_NODES.map((node) => node.name);
  return Array.from({ length: size }, (_, i) => {
    if (i < managers) return managers === 1 ? 'manager' : `manager${i + 1}`;
    return `worker${i - managers + 1}`;
  });
}

function aliasIp(options: StartClusterOptions, index: number): string {
  const { baseIp = '127.0.1.', firstHost = 1 } = options;
  if (!/^\d{1,3}\.\d{1,3}\.\d{1,3}\.$/.test(baseIp)) throw new TestkitConfigError(`baseIp must look like '127.0.2.', got '${baseIp}'`);
  const host = firstHost + index;
  if (host < 1 || host > 254) throw new TestkitConfigError(`host number ${host} out of 1..254 for ${baseIp}`);
  return `${baseIp}${host}`;
}

function netnsIp(name: string): string {
  const node = NETNS_NODES.find((candidate) => candidate.name === name);
  if (!node) throw new TestkitConfigError(`no netns named '${name}' (scripts/netns-cluster has ${NETNS_NODES.map((n) => n.name).join(', ')})`);
  return node.ip;
}

async function formSwarm(cluster: ClusterImpl, plan: readonly NodePlan[], options: StartClusterOptions): Promise<void> {
  const [first, ...others] = plan;
  if (!first) return;
  const init = cluster.byName(first.name);
  await init.cliOk([
    'swarm',
    'init',
    '--advertise-addr',
    first.ip,
    '--listen-addr',
    `${first.ip}:2377`,
    ...(options.heartbeat !== undefined ? ['--dispatcher-heartbeat', options.heartbeat] : []),
    ...(options.initArgs ?? []),
  ]);
  const tokens = new Map<NodePlan['role'], string>();
  for (const node of others) {
    let token = tokens.get(node.role);
    if (token === undefined) {
      token = (await init.cliOk(['swarm', 'join-token', '-q', node.role])).stdout.trim();
      tokens.set(node.role, token);
    }
    // One at a time, as Docker advises for managers: each join changes the Raft membership.
    await cluster
      .byName(node.name)
      .cliOk(['swarm', 'join', '--token', token, '--advertise-addr', node.ip, '--listen-addr', `${node.ip}:2377`, `${first.ip}:2377`]);
  }
}

class ClusterImpl implements Cluster {
  readonly manager: DaemonHandle;
  readonly workers: readonly DaemonHandle[];

  constructor(
    readonly nodes: readonly [DaemonHandle, ...DaemonHandle[]],
    plan: readonly NodePlan[],
    readonly dataRoot: string,
  ) {
    this.manager = nodes[0];
    const workerNames = new Set(plan.filter((node) => node.role === 'worker').map((node) => node.name));
    this.workers = nodes.filter((node) => workerNames.has(node.name));
  }

  byName(name: string): DaemonHandle {
    const node = this.nodes.find((candidate) => candidate.name === name);
    if (!node) throw new Error(`no node '${name}' in this cluster (${this.nodes.map((n) => n.name).join(', ')})`);
    return node;
  }

  waitForReady(options: WaitForReadyOptions = {}): Promise<ClusterNodeJson[]> {
    const { count = this.nodes.length, timeoutMs = 30_000, via = this.manager } = options;
    return waitFor(
      async () => {
        const nodes = await via.api.get<ClusterNodeJson[]>('/nodes');
        const ready = nodes.filter((node) => node.Status?.State === 'ready');
        if (ready.length < count) throw new Error(`${ready.length}/${count} Ready: ${summarize(nodes)}`);
        // A manager joins Raft as a learner and votes once promoted: until then it shows no reachability.
        const learning = nodes.filter((n) => n.ManagerStatus && !n.ManagerStatus.Leader && n.ManagerStatus.Reachability !== 'reachable');
        if (learning.length > 0) throw new Error(`managers not yet voting: ${learning.map((n) => n.Description?.Hostname ?? n.ID).join(' ')}`);
        return nodes;
      },
      { what: `${count} nodes Ready (managers voting) in GET /nodes on ${via.name}`, timeoutMs },
    );
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.stop()));
  }
}

function summarize(nodes: readonly ClusterNodeJson[]): string {
  if (nodes.length === 0) return 'no nodes';
  return nodes.map((node) => `${node.Description?.Hostname ?? node.ID}=${node.Status?.State ?? '?'}`).join(' ');
}

// Placement as a pipeline of filters that can explain a rejection, with swarmkit's
// texts (manager/scheduler/filter.go) and aggregation (pipeline.go): each node is
// charged to the first filter it fails; filters with more failures come first.
import type { NodeObject, TaskObject } from '@shoal/store';
import { nodeMatches, type Constraint } from './constraint';
import { constraintsOf } from './tasks';

/** What the scheduler knows about a node during one pass; counts change as it assigns. */
export interface NodeInfo {
  node: NodeObject;
  /** Assigned-but-not-stopped tasks desired to run, per service and in total. */
  activeByService: Map<string, number>;
  active: number;
  availableNanoCpus: number;
  availableMemoryBytes: number;
  /** `protocol/port` of host-mode published ports in use. */
  hostPorts: Set<string>;
  /** Recent failures per service version (failureKey: failed or rejected within the failure window). */
  recentFailures: Map<string, number>;
}

/** What a task asks of a node; shared by all tasks of one service version. */
export interface TaskDemand {
  serviceId: string;
  constraints: Constraint[];
  nanoCpus: number;
  memoryBytes: number;
  /** Generic resources asked for (`--generic-resource`); no Shoal node advertises any. */
  genericResources: number;
  hostPorts: string[];
  maxReplicas: number;
  /** The image's platforms; empty: any node. */
  platforms: ReadonlyArray<{ architecture: string; os: string }>;
}

export interface Filter {
  readonly name: string;
  enabled(d: TaskDemand): boolean;
  check(d: TaskDemand, n: NodeInfo): boolean;
  explain(nodes: number): string;
}

const plural = (nodes: number, one: string, many: (n: number) => string): string => (nodes === 1 ? one : many(nodes));

/** Ready and active: a node the scheduler may give new tasks (not down, paused or drained). */
export function takesNewTasks(node: NodeObject): boolean {
  return node.status.state === 'ready' && node.spec.availability === 'active';
}

export const FILTERS: readonly Filter[] = [
  {
    name: 'ready',
    enabled: () => true,
    check: (_d, n) => takesNewTasks(n.node),
    explain: (k) => plural(k, '1 node not available for new tasks', (c) => `${c} nodes not available for new tasks`),
  },
  {
    name: 'resources',
    enabled: (d) => d.nanoCpus > 0 || d.memoryBytes > 0 || d.genericResources > 0,
    // swarmkit's ResourceFilter; a generic resource needs a node that offers it, and none does.
    check: (d, n) => d.nanoCpus <= n.availableNanoCpus && d.memoryBytes <= n.availableMemoryBytes && d.genericResources === 0,
    explain: (k) => plural(k, 'insufficient resources on 1 node', (c) => `insufficient resources on ${c} nodes`),
  },
  {
    name: 'constraints',
    enabled: (d) => d.constraints.length > 0,
    check: (d, n) => nodeMatches(d.constraints, n.node),
    explain: (k) => plural(k, 'scheduling constraints not satisfied on 1 node', (c) => `scheduling constraints not satisfied on ${c} nodes`),
  },
  {
    name: 'platform',
    enabled: (d) => d.platforms.length > 0,
    check: (d, n) => d.platforms.some((p) => platformMatches(p, n.node.description.platform)),
    explain: (k) => plural(k, 'unsupported platform on 1 node', (c) => `unsupported platform on ${c} nodes`),
  },
  {
    name: 'host-ports',
    enabled: (d) => d.hostPorts.length > 0,
    check: (d, n) => d.hostPorts.every((p) => !n.hostPorts.has(p)),
    explain: (k) => plural(k, 'host-mode port already in use on 1 node', (c) => `host-mode port already in use on ${c} nodes`),
  },
  {
    name: 'max-replicas',
    enabled: (d) => d.maxReplicas > 0,
    check: (d, n) => (n.activeByService.get(d.serviceId) ?? 0) < d.maxReplicas,
    explain: () => 'max replicas per node limit exceed',
  },
];

export function demandOf(t: TaskObject): TaskDemand {
  const reservations = t.spec.resources.reservations;
  return {
    serviceId: t.serviceId,
    constraints: constraintsOf(t.spec),
    nanoCpus: reservations?.nanoCpus ?? 0,
    memoryBytes: reservations?.memoryBytes ?? 0,
    genericResources: reservations?.generic?.length ?? 0,
    hostPorts: t.endpointPorts.filter((p) => p.publishMode === 'host' && p.publishedPort !== 0).map((p) => `${p.protocol}/${p.publishedPort}`),
    maxReplicas: t.spec.placement.maxReplicas,
    platforms: t.spec.placement.platforms ?? [],
  };
}

/** swarmkit's PlatformFilter: empty fields match anything; x86_64 is amd64 and aarch64 is arm64. */
export function platformMatches(image: { architecture: string; os: string }, node: { architecture: string; os: string }): boolean {
  const arch = (a: string): string => (a === 'x86_64' ? 'amd64' : a === 'aarch64' ? 'arm64' : a);
  return (image.architecture === '' || arch(image.architecture) === arch(node.architecture)) && (image.os === '' || image.os === node.os);
}

export class Pipeline {
  private readonly filters: readonly Filter[];

  constructor(private readonly demand: TaskDemand) {
    this.filters = FILTERS.filter((f) => f.enabled(demand));
  }

  passes(n: NodeInfo): boolean {
    return this.firstFailure(n) < 0;
  }

  /** Index (among enabled filters) of the first filter the node fails, or -1. */
  firstFailure(n: NodeInfo): number {
    for (let i = 0; i < this.filters.length; i++) {
      if (!(this.filters[i] as Filter).check(this.demand, n)) return i;
    }
    return -1;
  }

  /** "1 node not available for new tasks; scheduling constraints not satisfied on 2 nodes" */
  explain(nodes: Iterable<NodeInfo>): string {
    const failures = this.filters.map(() => 0);
    for (const n of nodes) {
      const i = this.firstFailure(n);
      if (i >= 0) failures[i] = (failures[i] ?? 0) + 1;
    }
    return this.filters
      .map((f, i) => ({ f, count: failures[i] ?? 0 }))
      .filter((x) => x.count > 0)
      .sort((a, b) => b.count - a.count)
      .map((x) => x.f.explain(x.count))
      .join('; ');
  }
}

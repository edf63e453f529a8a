// Scheduler throughput: 10,000 pending tasks over 1,000 nodes in one pass of the
// pure scheduler (WorkingSet + filter pipeline + heap + StoreOps), median of 5 runs.
// Run: pnpm exec vitest run --config bench/scheduler/vitest.config.mts
import { expect, test } from 'vitest';
import type { NodeObject, ServiceObject, TaskObject } from '@shoal/store';
import { reconcile, runScheduler, type ClusterView } from '../../packages/manager/src/orchestrator';
import { makeNode, makeService, makeSpec, makeTask, sequentialIds, T0 } from '../../packages/manager/src/orchestrator/testing';

const NODES = 1000;
const TASKS = 10_000;
const RUNS = 5;

function nodes(): NodeObject[] {
  return Array.from({ length: NODES }, (_, i) =>
    makeNode(`node${String(i).padStart(4, '0')}`, { labels: { zone: `z${i % 4}` }, role: i < 5 ? 'manager' : 'worker' }),
  );
}

/** `services` services sharing TASKS pending tasks; every other one has a zone constraint. */
function pendingView(services: number): ClusterView {
  const svc: ServiceObject[] = [];
  const tasks: TaskObject[] = [];
  const per = TASKS / services;
  for (let s = 0; s < services; s++) {
    const spec = makeSpec(`svc${s}`, { mode: { type: 'replicated', replicas: per } });
    const constraints = s % 2 === 1 ? [`node.labels.zone!=z${s % 4}`] : [];
    const service = makeService(`s${s}`, { ...spec, task: { ...spec.task, placement: { constraints, maxReplicas: 0 } } });
    svc.push(service);
    for (let i = 0; i < per; i++) tasks.push(makeTask(`s${s}-t${i}`, service, { slot: i + 1 }));
  }
  return { nodes: nodes(), services: svc, tasks };
}

/** The same service after convergence: every task running on a node. */
function convergedView(): ClusterView {
  const ns = nodes();
  const service = makeService('big', makeSpec('big', { mode: { type: 'replicated', replicas: TASKS } }));
  const tasks = Array.from({ length: TASKS }, (_, i) =>
    makeTask(`t${i}`, service, { slot: i + 1, nodeId: (ns[i % NODES] as NodeObject).id, state: 'running' }),
  );
  return { nodes: ns, services: [service], tasks };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function measure(name: string, run: () => number, expected = TASKS): string {
  run(); // warm-up (JIT)
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    const placed = run();
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    expect(placed).toBe(expected);
    times.push(ms);
  }
  const ms = median(times);
  const rate = expected === 0 ? '–' : Math.round((TASKS / ms) * 1000).toLocaleString('en-US');
  return `| ${name} | ${TASKS} | ${NODES} | ${ms.toFixed(1)} | ${rate} |`;
}

test('scheduler throughput', () => {
  const ctx = () => ({ now: T0, newId: sequentialIds() });
  const oneService = pendingView(1);
  const hundred = pendingView(100);
  const created: ClusterView = {
    nodes: nodes(),
    services: [makeService('big', makeSpec('big', { mode: { type: 'replicated', replicas: TASKS } }))],
    tasks: [],
  };
  const converged = convergedView();
  const rows = [
    measure('scheduler: 1 service × 10,000 tasks', () => runScheduler(oneService, ctx()).ops.length),
    measure('scheduler: 100 services × 100 tasks, half constrained', () => runScheduler(hundred, ctx()).ops.length),
    measure('reconcile: `service create --replicas 10000` (create + place)', () => reconcile(created, ctx()).ops.length),
    measure('reconcile: converged, nothing to do (cost of one idle pass)', () => reconcile(converged, ctx()).ops.length, 0),
  ];
  const table = [
    `Scheduler benchmark (median of ${RUNS} runs, Node ${process.version})`,
    '',
    '| scenario | tasks | nodes | ms | placements/s |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n');
  console.log(table);
});

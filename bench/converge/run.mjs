#!/usr/bin/env node
// End-to-end convergence: `service create --replicas 50` on 3 real shoald nodes
// until 50/50 tasks run, then `scale 50→100`; median of N runs.
//   node bench/converge/run.mjs [--runs 5] [--replicas 50]
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);
const { startCluster } = require(path.join(root, 'packages/testkit/dist/core.js'));

const args = Object.fromEntries(process.argv.slice(2).map((a, i, all) => (a.startsWith('--') ? [a.slice(2), all[i + 1]] : null)).filter(Boolean));
const RUNS = Number(args.runs ?? 5);
const N = Number(args.replicas ?? 50);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function running(m, name) {
  const filters = encodeURIComponent(JSON.stringify({ service: { [name]: true }, 'desired-state': { running: true } }));
  const tasks = await m.api.get(`/v1.41/tasks?filters=${filters}`);
  return tasks.filter((t) => t.Status.State === 'running').length;
}

async function until(m, name, n) {
  for (;;) {
    if ((await running(m, name)) >= n) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

const cluster = await startCluster({ size: 3, baseIp: '127.0.42.', names: ['manager', 'worker1', 'worker2'] });
const create = [];
const scale = [];
try {
  const m = cluster.manager;
  for (let i = 0; i < RUNS; i++) {
    const name = `conv${i}`;
    const t0 = Date.now();
    await m.cliOk(['service', 'create', '-d', '--name', name, '--replicas', String(N), 'shoal/whoami'], { timeoutMs: 60_000 });
    await until(m, name, N);
    create.push(Date.now() - t0);
    const t1 = Date.now();
    await m.cliOk(['service', 'scale', '-d', `${name}=${2 * N}`], { timeoutMs: 60_000 });
    await until(m, name, 2 * N);
    scale.push(Date.now() - t1);
    await m.cliOk(['service', 'rm', name]);
    for (;;) {
      const tasks = await m.api.get('/v1.41/tasks');
      if (!tasks.some((t) => t.Status.State === 'running')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
} finally {
  await cluster.stopAll();
  rmSync(cluster.dataRoot, { recursive: true, force: true }); // testkit removes it only inside vitest
}
console.log(`\n| measurement | median | runs |`);
console.log('|---|---|---|');
console.log(`| service create --replicas ${N} → ${N}/${N} running (3 nodes) | ${(median(create) / 1000).toFixed(2)} s | ${create.map((x) => (x / 1000).toFixed(2)).join(', ')} |`);
console.log(`| service scale ${N}→${2 * N} → ${2 * N}/${2 * N} running | ${(median(scale) / 1000).toFixed(2)} s | ${scale.map((x) => (x / 1000).toFixed(2)).join(', ')} |`);

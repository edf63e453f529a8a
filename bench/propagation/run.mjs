#!/usr/bin/env node
// Endpoint propagation: time from a task being reported running (its status timestamp)
// to the moment every node's ingress routes to it. 3 real shoald nodes on loopback.
//   node bench/propagation/run.mjs [--samples 20]
import { rmSync } from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);
const { startCluster } = require(path.join(root, 'packages/testkit/dist/core.js'));
const args = Object.fromEntries(process.argv.slice(2).map((a, i, all) => (a.startsWith('--') ? [a.slice(2), all[i + 1]] : null)).filter(Boolean));
const SAMPLES = Number(args.samples ?? 20);
const PORT = 8200;

const get = (ip) =>
  new Promise((resolve) => {
    const req = http.get({ host: ip, port: PORT, path: '/', agent: false, timeout: 500 }, (res) => {
      let b = '';
      res.on('data', (c) => (b += c));
      res.on('end', () => resolve(/^Task: (\S+)/m.exec(b)?.[1]));
    });
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => req.destroy());
  });

const cluster = await startCluster({ size: 3, baseIp: '127.0.43.', names: ['manager', 'worker1', 'worker2'] });
const samples = [];
try {
  const m = cluster.manager;
  await m.cliOk(['service', 'create', '-d', '--name', 'prop', '--replicas', '1', '-p', `${PORT}:80`, 'shoal/whoami']);
  for (let i = 0; i < SAMPLES; i++) {
    // Scale up by one; the new task must become routable on every node.
    await m.cliOk(['service', 'scale', '-d', `prop=${i + 2}`]);
    let task;
    for (;;) {
      const filters = encodeURIComponent(JSON.stringify({ service: { prop: true }, 'desired-state': { running: true } }));
      const tasks = await m.api.get(`/v1.41/tasks?filters=${filters}`);
      task = tasks.find((t) => t.Slot === i + 2 && t.Status.State === 'running');
      if (task) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    const runningAt = Date.parse(task.Status.Timestamp);
    const seenAt = await Promise.all(
      cluster.nodes.map(async (n) => {
        for (;;) {
          // Round-robin: ask enough times to come round to the new task.
          for (let k = 0; k < i + 2; k++) if ((await get(n.ip)) === task.ID) return Date.now();
          await new Promise((r) => setTimeout(r, 5));
        }
      }),
    );
    samples.push(Math.max(...seenAt) - runningAt);
  }
} finally {
  await cluster.stopAll();
  rmSync(cluster.dataRoot, { recursive: true, force: true }); // testkit removes it only inside vitest
}
const s = [...samples].sort((a, b) => a - b);
const p = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
console.log('\n| endpoint propagation (task running → routable on all 3 nodes) | p50 | p99 | max | samples |');
console.log('|---|---|---|---|---|');
console.log(`| gossip LAN profile (gossip every 200 ms) | ${p(0.5)} ms | ${p(0.99)} ms | ${s.at(-1)} ms | ${s.length} |`);

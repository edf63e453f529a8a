#!/usr/bin/env node
// Shoal alone, a fixed number of writes: quicker than run.mjs for before/after comparisons of one
// change (same write: a 0-replica `service create` through the leader's Engine API).
//   N=40000 C=64 node bench/raft/probe.mjs      # C concurrent clients, N writes in all
//   M=1 node bench/raft/probe.mjs               # a single manager (no replication)
//   SNAP=1000000000 node bench/raft/probe.mjs   # the swarm's snapshot interval (Raft.SnapshotInterval)
//   AUTOLOCK=1 node bench/raft/probe.mjs        # autolock on: raft records and snapshots sealed at rest
// SHOAL_DAEMON_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' profiles the managers.
//   LAT_OUT=/tmp/lat.txt                        # every write's latency (ms), in completion order; LAT_AT=1: "<ms since the first write> <latency>"
//   KEEP_LOGS=/tmp/run1                         # keeps each manager's shoald.log and raft/ directory
//   WARM=10000                                  # that many writes first, not measured (the daemons' JIT warms up)
//   THREADS=1                                   # the leader's main thread apart (CPU and wake-ups per write); THREADS=all: every thread
// Each manager's CPU time (user + system, from /proc) per write and its resident memory at the end
// are printed with the result, and so are its context switches per write (all threads): woken
// after sleeping / preempted, and its read and write system calls per write (/proc/<pid>/io).
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);
const { startCluster, waitFor } = require(path.join(root, 'packages/testkit/dist/core.js'));
const N = Number(process.env.N ?? 3000);
const C = Number(process.env.C ?? 1);
const M = Number(process.env.M ?? 3);

let leader;
const cluster = await startCluster({ size: M, managers: M, baseIp: '127.0.42.', names: ['m1', 'm2', 'm3'].slice(0, M) });
try {
  for (const n of cluster.nodes) {
    const lead = (await n.api.get('/v1.41/nodes')).find((x) => x.ManagerStatus?.Leader);
    if (lead) leader = cluster.nodes.find((d) => d.name === lead.Description.Hostname);
    if (leader) break;
  }
  if (process.env.SNAP) {
    const swarm = await leader.api.get('/v1.41/swarm');
    await leader.api.post(`/v1.41/swarm/update?version=${swarm.Version.Index}`, { ...swarm.Spec, Raft: { ...swarm.Spec.Raft, SnapshotInterval: Number(process.env.SNAP) } });
  }
  if (process.env.AUTOLOCK === '1') {
    // Autolock on: every manager seals its raft records and snapshots from here on.
    const swarm = await leader.api.get('/v1.41/swarm');
    await leader.api.post(`/v1.41/swarm/update?version=${swarm.Version.Index}`, { ...swarm.Spec, EncryptionConfig: { AutoLockManagers: true } });
    for (const n of cluster.nodes) {
      await waitFor(() => n.logs().includes('raft data now encrypted at rest'), { timeoutMs: 10_000, what: `${n.name} sealing` });
    }
  }
  if (process.env.IDLE) await new Promise((r) => setTimeout(r, Number(process.env.IDLE) * 1000)); // IDLE=S: the cluster idles S seconds before the writes
  const agent = new http.Agent({ keepAlive: true });
  const post = (i) =>
    new Promise((resolve, reject) => {
      const body = JSON.stringify({ Name: `p${i}`, TaskTemplate: { ContainerSpec: { Image: 'bench' } }, Mode: { Replicated: { Replicas: 0 } } });
      const req = http.request(
        { socketPath: leader.socketPath, path: '/v1.41/services/create', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => (res.statusCode === 201 ? resolve() : reject(new Error(`${res.statusCode} ${text}`))));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  // WARM=K: K writes (C clients) before the measured ones, so these see warm (JIT-compiled) daemons.
  const WARM = Number(process.env.WARM ?? 0);
  await Promise.all(Array.from({ length: C }, async (_, c) => { for (let i = c; i < WARM; i += C) await post(N + i); }));
  // CPU time (user + system, ms) of each manager process over the writes, from /proc.
  const cpuOf = (pid) => {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, in clock ticks of 10 ms
  };
  const cpu0 = cluster.nodes.map((n) => cpuOf(n.pid));
  // Context switches (voluntary: the process slept and was woken; involuntary: preempted), all threads.
  const switchesOf = (pid) => {
    let vol = 0;
    let invol = 0;
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      const st = fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      vol += Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(st)?.[1] ?? 0);
      invol += Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(st)?.[1] ?? 0);
    }
    return [vol, invol];
  };
  const sw0 = cluster.nodes.map((n) => switchesOf(n.pid));
  // Read and write system calls (socket, file and pipe alike: syscr / syscw of /proc/<pid>/io).
  const syscallsOf = (pid) => {
    const io = fs.readFileSync(`/proc/${pid}/io`, 'utf8');
    return [Number(/^syscr:\s+(\d+)/m.exec(io)?.[1] ?? 0), Number(/^syscw:\s+(\d+)/m.exec(io)?.[1] ?? 0)];
  };
  const io0 = cluster.nodes.map((n) => syscallsOf(n.pid));
  // THREADS=1: the same per thread (the main thread, then the others by name), for the leader.
  const threadsOf = (pid) => {
    const out = new Map();
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      const st = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = st.slice(st.indexOf('(') + 1, st.lastIndexOf(')'));
      const f = st.split(') ')[1].split(' ');
      const status = fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      const woken = Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
      out.set(`${name}/${tid}`, [((Number(f[11]) + Number(f[12])) * 1000) / 100, woken]);
    }
    return out;
  };
  const threads0 = process.env.THREADS ? threadsOf(leader.pid) : null;
  const lat = [];
  const doneAt = process.env.LAT_AT ? [] : null;
  const start = process.hrtime.bigint();
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: C }, async (_, c) => {
      for (let i = c; i < N; i += C) {
        const t = process.hrtime.bigint();
        await post(i);
        lat.push(Number(process.hrtime.bigint() - t) / 1e6);
        if (doneAt) doneAt.push(Number(process.hrtime.bigint() - start) / 1e6);
      }
    }),
  );
  const wall = Date.now() - t0;
  const cpu = cluster.nodes.map((n, i) => `${n === leader ? 'leader' : n.name} ${Math.round(((cpuOf(n.pid) - cpu0[i]) * 1000) / N)}`);
  const switches = cluster.nodes.map((n, i) => {
    const [v, iv] = switchesOf(n.pid);
    return `${n === leader ? 'leader' : n.name} ${((v - sw0[i][0]) / N).toFixed(2)}/${((iv - sw0[i][1]) / N).toFixed(2)}`;
  });
  const syscalls = cluster.nodes.map((n, i) => {
    const [r, w] = syscallsOf(n.pid);
    return `${n === leader ? 'leader' : n.name} ${((r - io0[i][0]) / N).toFixed(2)}/${((w - io0[i][1]) / N).toFixed(2)}`;
  });
  const rss = cluster.nodes.map((n) => Math.round(Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${n.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024));
  if (threads0) {
    const t1 = threadsOf(leader.pid);
    const byName = new Map();
    for (const [k, [v, w]] of t1) {
      // The main thread apart from the rest (V8's compiler and GC helpers are also called "node").
      const name = k.split("/")[1] === String(leader.pid) ? "main" : process.env.THREADS === "all" ? k : k.split("/")[0];
      const [v0, w0] = threads0.get(k) ?? [0, 0];
      const [sv, sw] = byName.get(name) ?? [0, 0];
      byName.set(name, [sv + v - v0, sw + w - w0]);
    }
    console.log('leader threads, CPU µs / times woken per write:', [...byName].filter(([, [v, w]]) => v > 0 || w > 0).map(([k, [v, w]]) => `${k} ${Math.round((v * 1000) / N)} / ${(w / N).toFixed(2)}`).join(', '));
  }
  if (process.env.LAT_OUT) fs.writeFileSync(process.env.LAT_OUT, (doneAt ? lat.map((l, i) => `${doneAt[i].toFixed(2)} ${l.toFixed(3)}`) : lat).join('\n'));
  lat.sort((a, b) => a - b);
  const at = (p) => lat[Math.floor(p * lat.length)].toFixed(2);
  console.log(`managers ${M}, clients ${C}, writes ${N}: ${Math.round((1000 * N) / wall)} writes/s, p50 ${at(0.5)} ms, p90 ${at(0.9)} ms, p99 ${at(0.99)} ms; CPU µs per write: ${cpu.join(', ')}; RSS MiB: ${rss.join(', ')}; context switches per write (woken/preempted): ${switches.join(', ')}; read/write system calls per write: ${syscalls.join(', ')}`);
} finally {
  await cluster.stopAll();
  if (process.env.KEEP_LOGS) {
    fs.mkdirSync(process.env.KEEP_LOGS, { recursive: true });
    for (const n of cluster.nodes) fs.cpSync(path.join(n.dataDir, 'raft'), path.join(process.env.KEEP_LOGS, `${n.name}-raft`), { recursive: true });
    for (const n of cluster.nodes) fs.copyFileSync(n.logPath, path.join(process.env.KEEP_LOGS, `${n.name}${n === leader ? '-leader' : ''}.log`));
  }
  fs.rmSync(cluster.dataRoot, { recursive: true, force: true });
}

#!/usr/bin/env node
// Raft commit throughput/latency and leader failover: 3 Shoal managers (real shoald
// processes, fsync on) side by side with a 3-member etcd 3.4 cluster (Debian
// etcd-server), both driven by the same Node client over HTTP keep-alive.
//   node bench/raft/run.mjs [--seconds 10] [--slices 5] [--failovers 20] [--cold 10]
// Both clusters run at once and take turns: each load phase is cut into --slices slices, and
// the systems alternate slice by slice (the first of each round alternates too), so a drift of
// the shared machine's speed, which can reach 2x within minutes here, falls on both alike.
// Failover kills alternate the same way.
// Three load phases, all measured and reported: a cold start (--cold S seconds of single-client
// writes into the fresh clusters: a fresh Node process runs its commit path on unoptimized code
// for its first ~1,500–3,000 writes, while etcd's Go code is compiled ahead of time), then the
// steady state, sequential and with 64 clients (--seconds each), then the failovers.
// --cold 0 skips the cold phase, so the steady-state phases start on fresh clusters.
// --snapshot-every N gives both systems the same snapshot policy (Shoal's Raft.SnapshotInterval,
// etcd's --snapshot-count); without it each runs its default (10,000 and 100,000 entries).
// --compare '<node options>' adds a second Shoal cluster whose daemons run with those Node
// options (an A/B of one change under the same interleaving), e.g. --compare '--max-lazy'.
// --baseline DIR adds a Shoal cluster of another checkout's build (e.g. a git worktree of an
// earlier commit, built), under the same interleaving: an A/B of two versions in one run.
// A Shoal write is `POST /services/create` (a 0-replica service: one Raft entry);
// an etcd write is `POST /v3/kv/put`. Results are printed as markdown.
import { spawn, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);
const { startCluster } = require(path.join(root, 'packages/testkit/dist/core.js'));

const args = Object.fromEntries(process.argv.slice(2).map((a, i, all) => (a.startsWith('--') ? [a.slice(2), all[i + 1]] : null)).filter(Boolean));
const SECONDS = Number(args.seconds ?? 10);
const SLICES = Math.max(1, Number(args.slices ?? 5));
const FAILOVERS = Number(args.failovers ?? 20);
const COLD = Number(args.cold ?? SECONDS);
const SNAPSHOT_EVERY = args['snapshot-every'] === undefined ? undefined : Number(args['snapshot-every']);
const COMPARE = args.compare;
const BASELINE = args.baseline;
const CONCURRENCY = 64;

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function request(opts, body, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const req = http.request(opts, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode, body: text }));
    });
    req.on('error', reject);
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.end(body);
  });
}

const CLK_TCK = 100; // Linux's USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s
/** CPU time (user + system, all threads) the processes have used so far, in ms. */
function cpuMs(pids) {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]); // utime, stime (fields 14 and 15)
    } catch {} // gone (a failover's kill)
  }
  return (ticks * 1000) / CLK_TCK;
}

/** Runs `write` sequentially (1 client) or concurrently for `seconds`; returns the writes done and their latencies. */
async function drive(write, clients, seconds) {
  const lat = [];
  let failed = 0;
  const errors = new Map();
  const t0 = process.hrtime.bigint();
  const end = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; Date.now() < end; i++) {
        const t = process.hrtime.bigint();
        try {
          await write(`${c}-${i}`);
          lat.push(Number(process.hrtime.bigint() - t) / 1e6);
        } catch (err) {
          failed++;
          const msg = String(err?.message ?? err).slice(0, 200);
          errors.set(msg, (errors.get(msg) ?? 0) + 1);
        }
      }
    }),
  );
  return { ok: lat.length, ms: Number(process.hrtime.bigint() - t0) / 1e6, lat, failed, errors };
}

/** Slices of one phase put together: the rate over the time they took, percentiles over all their writes. */
function phase(slices) {
  const ok = slices.reduce((n, s) => n + s.ok, 0);
  const ms = slices.reduce((n, s) => n + s.ms, 0);
  const lat = slices.flatMap((s) => s.lat);
  const errors = {};
  for (const s of slices) for (const [k, v] of s.errors) errors[k] = (errors[k] ?? 0) + v;
  const cpu = slices.reduce((n, s) => n + s.cpu, 0);
  return {
    rate: (ok * 1000) / ms,
    /** CPU of the system's three processes per write, µs (all their threads, kernel time included). */
    cpuPerWrite: (cpu * 1000) / ok,
    p50: pct(lat, 50),
    p99: pct(lat, 99),
    failed: slices.reduce((n, s) => n + s.failed, 0),
    errors,
    slices: slices.map((s) => Math.round((s.ok * 1000) / s.ms)),
  };
}

// ---------------- Shoal ----------------
/** `timeoutMs` per attempt: failover probes retry fast instead of waiting on a dead leader. */
let writes = 0; // across writers: every service name is new
function shoalWriter(handle, timeoutMs = 5000) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
  return async (key) => {
    const body = JSON.stringify({
      Name: `b${process.pid}x${writes++}x${key}`.replace(/[^a-zA-Z0-9]/g, 'x'),
      TaskTemplate: { ContainerSpec: { Image: 'bench' } },
      Mode: { Replicated: { Replicas: 0 } },
    });
    const res = await request(
      { socketPath: handle.socketPath, path: '/v1.41/services/create', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      body,
      timeoutMs,
    );
    if (res.status !== 201) throw new Error(res.body);
  };
}

async function shoalLeader(cluster) {
  for (const n of cluster.nodes) {
    if (!n.running) continue;
    try {
      const nodes = await n.api.get('/v1.41/nodes');
      const lead = nodes.find((x) => x.ManagerStatus?.Leader);
      if (lead) return cluster.nodes.find((d) => d.name === lead.Description.Hostname);
    } catch {}
  }
  return undefined;
}

/** A running 3-manager Shoal cluster, as one of the systems the phases alternate between. */
async function startShoal(name, baseIp, nodeArgs = [], start = startCluster) {
  const cluster = await start({ size: 3, managers: 3, baseIp, names: ['m1', 'm2', 'm3'], daemon: { nodeArgs } });
  try {
    const leader = await shoalLeader(cluster);
    if (SNAPSHOT_EVERY !== undefined) {
      const swarm = await leader.api.get('/v1.41/swarm');
      await leader.api.post(`/v1.41/swarm/update?version=${swarm.Version.Index}`, { ...swarm.Spec, Raft: { ...swarm.Spec.Raft, SnapshotInterval: SNAPSHOT_EVERY } });
    }
  } catch (err) {
    await cluster.stopAll();
    throw err;
  }
  return {
    name,
    async writer() {
      return shoalWriter(await waitLeader(() => shoalLeader(cluster)));
    },
    pids: () => cluster.nodes.filter((n) => n.running).map((n) => n.pid),
    async failover(i) {
      const lead = await waitLeader(() => shoalLeader(cluster));
      const other = cluster.nodes.find((n) => n !== lead && n.running);
      const write = shoalWriter(other, 300);
      await lead.kill('SIGKILL');
      const ms = await timeToWrite(write, `f${i}`);
      await lead.restart();
      await waitHealthy(async () => (await cluster.manager.api.get('/v1.41/nodes')).filter((n) => n.ManagerStatus?.Reachability === 'reachable').length === 3);
      return ms;
    },
    async stop() {
      await cluster.stopAll();
      fs.rmSync(cluster.dataRoot, { recursive: true, force: true }); // testkit removes it only inside vitest
    },
  };
}

/** Time from now until `write` first succeeds (bounded: 30 s). */
async function timeToWrite(write, tag) {
  const t0 = Date.now();
  while (Date.now() - t0 < 30_000) {
    try {
      await write(tag);
      return Date.now() - t0;
    } catch {
      await sleep(5);
    }
  }
  throw new Error('no write succeeded within 30 s of the leader kill');
}

async function waitLeader(find) {
  for (let i = 0; i < 400; i++) {
    const l = await find();
    if (l) return l;
    await sleep(25);
  }
  throw new Error('no leader');
}
async function waitHealthy(pred) {
  for (let i = 0; i < 400; i++) {
    if (await pred().catch(() => false)) return;
    await sleep(25);
  }
  throw new Error('cluster did not recover');
}

// ---------------- etcd ----------------
function ensureEtcd() {
  try {
    execFileSync('etcd', ['--version'], { stdio: 'ignore' });
  } catch {
    execFileSync('apt-get', ['install', '-y', '-qq', 'etcd-server'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  }
}

function startEtcd(dir, i, cluster, state = 'new') {
  const ip = `127.0.41.${i}`;
  const child = spawn(
    'etcd',
    [
      '--name', `e${i}`, '--data-dir', path.join(dir, `e${i}`),
      '--listen-client-urls', `http://${ip}:2379`, '--advertise-client-urls', `http://${ip}:2379`,
      '--listen-peer-urls', `http://${ip}:2380`, '--initial-advertise-peer-urls', `http://${ip}:2380`,
      '--initial-cluster', cluster, '--initial-cluster-state', state, '--initial-cluster-token', 'bench',
      ...(SNAPSHOT_EVERY === undefined ? [] : ['--snapshot-count', String(SNAPSHOT_EVERY)]),
    ],
    { stdio: ['ignore', 'ignore', fs.openSync(path.join(dir, `e${i}.log`), 'a')] },
  );
  return { i, ip, child, running: true };
}

function etcdWriter(member, timeoutMs = 5000) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
  return async (key) => {
    const body = JSON.stringify({ key: Buffer.from(`k${key}`).toString('base64'), value: Buffer.from('v').toString('base64') });
    const res = await request({ host: member.ip, port: 2379, path: '/v3/kv/put', method: 'POST', agent, headers: { 'content-length': Buffer.byteLength(body) } }, body, timeoutMs);
    if (res.status !== 200) throw new Error(res.body);
  };
}

async function etcdLeader(members) {
  for (const m of members) {
    if (!m.running) continue;
    try {
      const res = await request({ host: m.ip, port: 2379, path: '/v3/maintenance/status', method: 'POST' }, '{}');
      const st = JSON.parse(res.body);
      if (st.leader && st.header?.member_id === st.leader) return m;
    } catch {}
  }
  return undefined;
}

/** A running 3-member etcd cluster, as one of the systems the phases alternate between. */
async function startEtcdCluster() {
  ensureEtcd();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-etcd-'));
  const initial = [1, 2, 3].map((i) => `e${i}=http://127.0.41.${i}:2380`).join(',');
  let members = [1, 2, 3].map((i) => startEtcd(dir, i, initial));
  const stop = () => {
    for (const m of members) if (m.child.exitCode === null) m.child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitLeader(() => etcdLeader(members));
  } catch (err) {
    stop();
    throw err;
  }
  return {
    name: 'etcd 3.4 (3 members)',
    async writer() {
      return etcdWriter(await waitLeader(() => etcdLeader(members)));
    },
    pids: () => members.filter((m) => m.running).map((m) => m.child.pid),
    async failover(i) {
      const lead = await waitLeader(() => etcdLeader(members));
      const other = members.find((m) => m !== lead && m.running);
      const write = etcdWriter(other, 300);
      lead.child.kill('SIGKILL');
      lead.running = false;
      const ms = await timeToWrite(write, `f${i}`);
      await new Promise((r) => (lead.child.exitCode !== null || lead.child.signalCode !== null ? r() : lead.child.once('exit', r)));
      const restarted = startEtcd(dir, lead.i, initial, 'existing');
      members = members.map((m) => (m === lead ? restarted : m));
      await waitHealthy(async () => {
        const res = await request({ host: restarted.ip, port: 2379, path: '/v3/maintenance/status', method: 'POST' }, '{}');
        return res.status === 200 && JSON.parse(res.body).leader !== undefined;
      });
      return ms;
    },
    async stop() {
      stop();
    },
  };
}

/** The systems in turn: round r starts with system r mod n, so none is always first. */
const inTurn = (systems, r) => systems.map((_, k) => systems[(r + k) % systems.length]);

/** One load phase, `seconds` per system, cut into SLICES turns. */
async function loadPhase(systems, clients, seconds) {
  const slices = new Map(systems.map((s) => [s, []]));
  for (let r = 0; r < SLICES; r++) {
    for (const sys of inTurn(systems, r)) {
      const write = await sys.writer();
      const cpu0 = cpuMs(sys.pids());
      const slice = await drive(write, clients, seconds / SLICES);
      slices.get(sys).push({ ...slice, cpu: cpuMs(sys.pids()) - cpu0 });
    }
  }
  return new Map(systems.map((s) => [s, phase(slices.get(s))]));
}

const fmt = (x) => (Number.isFinite(x) ? x.toFixed(x < 10 ? 2 : 0) : '—');
const systems = [];
try {
  systems.push(await startShoal('Shoal (3 managers)', '127.0.40.'));
  if (COMPARE) systems.push(await startShoal(`Shoal, daemons with \`${COMPARE}\``, '127.0.43.', COMPARE.split(' ').filter(Boolean)));
  if (BASELINE) {
    const { startCluster: startBaseline } = require(path.join(path.resolve(BASELINE), 'packages/testkit/dist/core.js'));
    systems.push(await startShoal(`Shoal at ${BASELINE}`, '127.0.44.', [], startBaseline));
  }
  systems.push(await startEtcdCluster());
  const cold = COLD > 0 ? await loadPhase(systems, 1, COLD) : undefined;
  const seq = await loadPhase(systems, 1, SECONDS);
  const conc = await loadPhase(systems, CONCURRENCY, SECONDS);
  const failover = new Map(systems.map((s) => [s, []]));
  for (let i = 0; i < FAILOVERS; i++) for (const sys of inTurn(systems, i)) failover.get(sys).push(await sys.failover(i));
  for (const sys of systems) console.log(sys.name, JSON.stringify({ cold: cold?.get(sys), seq: seq.get(sys), conc: conc.get(sys), failover: failover.get(sys) }));

  console.log(`\n| system |${cold ? ` cold start: sequential writes/s, first ${COLD} s | p50 ms |` : ''} sequential writes/s | p50 ms | p99 ms | ${CONCURRENCY} clients writes/s | p50 ms | p99 ms | failover p50 ms | p95 ms |`);
  console.log(`|---|${cold ? '---|---|' : ''}---|---|---|---|---|---|---|---|`);
  for (const sys of systems) {
    const [s, c, f] = [seq.get(sys), conc.get(sys), failover.get(sys)];
    const c0 = cold?.get(sys);
    console.log(`| ${sys.name} |${c0 ? ` ${fmt(c0.rate)} | ${fmt(c0.p50)} |` : ''} ${fmt(s.rate)} | ${fmt(s.p50)} | ${fmt(s.p99)} | ${fmt(c.rate)} | ${fmt(c.p50)} | ${fmt(c.p99)} | ${fmt(pct(f, 50))} | ${fmt(pct(f, 95))} |`);
  }
  console.log('\nEach slice in turn (writes/s):\n');
  for (const sys of systems) console.log(`- ${sys.name}:${cold ? ` cold start ${cold.get(sys).slices.join(', ')};` : ''} sequential ${seq.get(sys).slices.join(', ')}; ${CONCURRENCY} clients ${conc.get(sys).slices.join(', ')}`);
  console.log('\nCPU per write of the system\'s three processes (µs, all threads, kernel time included; the machine has 2 vCPUs):\n');
  const us = (ph) => Math.round(ph.cpuPerWrite);
  for (const sys of systems) console.log(`- ${sys.name}:${cold ? ` cold start ${us(cold.get(sys))};` : ''} sequential ${us(seq.get(sys))}; ${CONCURRENCY} clients ${us(conc.get(sys))}`);
  const base = systems[systems.length - 1];
  console.log('');
  for (const sys of systems.slice(0, -1)) {
    const ratio = (ph) => Math.round((100 * ph.get(sys).rate) / ph.get(base).rate);
    console.log(`- ${sys.name} / ${base.name}:${cold ? ` cold start ${ratio(cold)} %,` : ''} sequential ${ratio(seq)} %, ${CONCURRENCY} clients ${ratio(conc)} %`);
  }
  const failed = systems.flatMap((sys) => [cold?.get(sys), seq.get(sys), conc.get(sys)].filter(Boolean).filter((p) => p.failed > 0).map((p) => `${sys.name}: ${p.failed} failed writes ${JSON.stringify(p.errors)}`));
  if (failed.length > 0) console.log(`\nFailed writes: ${failed.join('; ')}`);
  console.log(`\n${SECONDS}s per load phase and system in ${SLICES} alternating slices${cold ? `, after a cold start of ${COLD}s of sequential writes into the fresh clusters` : ', on fresh clusters'}${SNAPSHOT_EVERY === undefined ? '' : `, both snapshotting every ${SNAPSHOT_EVERY} entries`}, ${FAILOVERS} leader kills each, alternating (kill -9, time to the first committed write through a survivor); ${os.cpus().length} CPUs.`);
} finally {
  for (const sys of systems) await sys.stop();
}

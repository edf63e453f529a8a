// One leader failover with a large store, to see where the new leader's time goes.
//   N=60000 C=64 node bench/raft/failover-probe.mjs
// Creates N services (0 replicas) with C writers, kills the leader (SIGKILL) and times the first
// write that succeeds through a survivor (300 ms per attempt), then prints the new leader's log
// lines from its election on. With SHOAL_DAEMON_NODE_ARGS='--cpu-prof --cpu-prof-dir=…' the
// survivors write CPU profiles when the cluster stops (the takeover is in the new leader's).
import * as http from 'node:http';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);
const { startCluster } = require(path.join(root, 'packages/testkit/dist/core.js'));
const N = Number(process.env.N ?? 60000);
const C = Number(process.env.C ?? 64);

function post(handle, name, timeoutMs, agent) {
  const body = JSON.stringify({ Name: name, TaskTemplate: { ContainerSpec: { Image: 'bench' } }, Mode: { Replicated: { Replicas: 0 } } });
  return new Promise((resolve, reject) => {
    const req = http.request(
      { socketPath: handle.socketPath, path: '/v1.41/services/create', method: 'POST', agent, timeout: timeoutMs, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => (res.statusCode === 201 ? resolve() : reject(new Error(text))));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

async function leaderOf(cluster) {
  for (const n of cluster.nodes) {
    if (!n.running) continue;
    const lead = (await n.api.get('/v1.41/nodes').catch(() => [])).find((x) => x.ManagerStatus?.Leader);
    if (lead) return cluster.nodes.find((d) => d.name === lead.Description.Hostname);
  }
  return undefined;
}

const cluster = await startCluster({ size: 3, managers: 3, baseIp: '127.0.43.', names: ['m1', 'm2', 'm3'] });
try {
  const leader = await leaderOf(cluster);
  const agent = new http.Agent({ keepAlive: true, maxSockets: C });
  let next = 0;
  const t0 = Date.now();
  await Promise.all(Array.from({ length: C }, async () => {
    while (next < N) await post(leader, `s${next++}`, 10_000, agent);
  }));
  console.log(`${N} services in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await new Promise((r) => setTimeout(r, 2000));
  const other = cluster.nodes.find((n) => n !== leader);
  const before = Date.now();
  await leader.kill('SIGKILL');
  const killedAt = Date.now();
  let tries = 0;
  for (;;) {
    tries++;
    try {
      await post(other, `after${tries}`, 300, undefined);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  console.log(`first write ${Date.now() - killedAt} ms after the kill (${tries} attempts; kill took ${killedAt - before} ms)`);
  const nl = await leaderOf(cluster);
  console.log(`new leader ${nl?.name}; its log after the kill:`);
  for (const line of nl.logs().split('\n')) {
    try {
      const j = JSON.parse(line);
      if (j.time >= killedAt - 50) console.log(`+${j.time - killedAt} ms ${j.module ?? ''} ${j.msg}`);
    } catch {}
  }
} finally {
  await cluster.stopAll();
}

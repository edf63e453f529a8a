// Ingress benchmark: one run measures a direct connection to nginx and the same requests through
// the Shoal ingress proxy (local task), ingress + tunnel (task "on another node", a second process
// on another loopback address), and HAProxy 2.6 in TCP mode; 100 B and 64 KiB responses,
// keep-alive and `Connection: close`; wrk -t1 -c50; medians of N repetitions (interleaved).
// Usage: see README.md. Every process started here is stopped by PID, also on failure or Ctrl-C.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { cpus, release, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');

const arg = (name, dflt) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : dflt;
};
const flag = (name) => process.argv.includes(`--${name}`);
const DURATION = Number(arg('duration', '5'));
const REPS = Number(arg('reps', '3'));
const CONNECTIONS = Number(arg('connections', '50'));
const WRITE_DOCS = !flag('no-docs');
const EXTRA = flag('variants');
/** A/B of two builds in one run: the ingress and tunnel paths again, served by the build in DIR. */
const VARIANT_DIST = arg('variant-dist', '');
/** Subsets for quick looks: --paths=ingress,tunnel (direct is always measured), --sizes=64KiB, --modes=close. */
const ONLY_PATHS = arg('paths', '');
const ONLY_SIZES = arg('sizes', '');
const ONLY_MODES = arg('modes', '');
/** Extra node flags for the mesh processes, e.g. --node-flags="--cpu-prof --cpu-prof-dir=/tmp/prof". */
const NODE_FLAGS = arg('node-flags', '').split(' ').filter(Boolean);
/** Node flags for the --variant-dist processes only (default: --node-flags), e.g. to A/B a V8 flag on one build. */
const VARIANT_NODE_FLAGS = arg('variant-node-flags', '') ? arg('variant-node-flags', '').split(' ').filter(Boolean) : NODE_FLAGS;
const pick = (list, only) =>
  only ? list.filter((x) => x.id === 'direct' || only.split(',').some((o) => x.id === o || x.id === `${o}-B`)) : list;

const NGINX_PORT = 18080;
const TUNNEL_PORT = 14789;
const A_ADDR = '127.0.1.1';
const B_ADDR = '127.0.1.2';
const VARIANT_ADDR = '127.0.1.3';
/** The kernel fast path's node: its own address, so its DNAT rules touch no other path. */
const KERNEL_ADDR = '127.0.1.6';
/** The two HAProxy processes of the haproxy-tls path (the tunnel's baseline). */
const HAPROXY_A_ADDR = '127.0.1.7';
const HAPROXY_B_ADDR = '127.0.1.8';
const HAPROXY_TLS_PORT = 18086;

const ALL_PATHS = [
  { id: 'direct', label: 'direct (wrk → nginx)', host: '127.0.0.1', port: NGINX_PORT, procs: [] },
  { id: 'ingress', label: 'Shoal ingress, local task (userspace)', host: A_ADDR, port: 18081, procs: ['a'] },
  { id: 'kernel', label: 'Shoal ingress, local task, kernel fast path (DNAT)', host: KERNEL_ADDR, port: 18081, procs: ['ak'] },
  { id: 'tunnel', label: 'Shoal ingress + tunnel, task on node B', host: A_ADDR, port: 18082, procs: ['a', 'b'] },
  { id: 'haproxy', label: 'HAProxy 2.6 TCP mode, 1 thread', host: '127.0.0.1', port: 18083, procs: ['haproxy'] },
  // The tunnel's baseline: the same two hops in C. HAProxy A (client side) opens one mutual-TLS
  // connection to HAProxy B per client connection (kept alive with it); B forwards to nginx.
  { id: 'haproxy-tls', label: 'HAProxy 2.6 → mutual TLS → HAProxy 2.6, 1 thread each', host: HAPROXY_A_ADDR, port: 18085, procs: ['haproxy-a', 'haproxy-b'] },
  ...(EXTRA
    ? [
        { id: 'ingress-no-onread', label: 'ingress, no shared onread buffer', host: VARIANT_ADDR, port: 18081, procs: ['a2'] },
        { id: 'tunnel-1m-window', label: 'ingress + tunnel, 1 MiB stream window', host: VARIANT_ADDR, port: 18082, procs: ['a2', 'b2'] },
        { id: 'node-minimal', label: 'minimal Node proxy (floor)', host: '127.0.0.1', port: 18084, procs: ['minimal'] },
      ]
    : []),
  ...(VARIANT_DIST
    ? [
        { id: 'ingress-B', label: `ingress, build ${VARIANT_DIST}`, host: '127.0.1.4', port: 18081, procs: ['a3'] },
        { id: 'tunnel-B', label: `ingress + tunnel, build ${VARIANT_DIST}`, host: '127.0.1.4', port: 18082, procs: ['a3', 'b3'] },
      ]
    : []),
];
const PATHS = pick(ALL_PATHS, ONLY_PATHS);
const ALL_SIZES = [
  { id: '100B', path: '/100b' },
  { id: '64KiB', path: '/64k' },
];
const SIZES = pick(ALL_SIZES, ONLY_SIZES);
const ALL_MODES = [
  { id: 'keep-alive', headers: [] },
  { id: 'close', headers: ['-H', 'Connection: close'] },
];
const MODES = pick(ALL_MODES, ONLY_MODES);

const children = new Map();
let tmp;

async function main() {
  const from = arg('from', '');
  if (from) {
    // Re-render a saved full run (e.g. after changing the report text).
    const saved = JSON.parse(readFileSync(resolve(from), 'utf8'));
    const md = markdown(saved.meta, summarize(saved.runs));
    console.log(md);
    if (WRITE_DOCS) updateDocs(md);
    return;
  }
  for (const bin of ['wrk', 'nginx', 'haproxy', 'iptables']) {
    try {
      execFileSync('sh', ['-c', `command -v ${bin}`]);
    } catch {
      throw new Error(`${bin} is not installed (apt-get install -y wrk nginx-light haproxy iptables)`);
    }
  }
  if (!existsSync(resolve(root, 'packages/mesh/dist/index.js'))) throw new Error('build first: pnpm exec tsc -b packages/mesh packages/pki');
  tmp = mkdtempSync(join(tmpdir(), 'shoal-ingress-bench-'));
  await writeFixtures();
  await startAll();

  console.log(`warming up (${PATHS.length} paths)…`);
  for (const p of PATHS) for (const s of SIZES) await wrk(p, s, MODES[0], 1);

  const runs = [];
  const total = REPS * PATHS.length * SIZES.length * MODES.length;
  for (let rep = 1; rep <= REPS; rep++) {
    for (const s of SIZES) {
      for (const m of MODES) {
        for (const p of PATHS) {
          const r = await wrk(p, s, m, DURATION);
          runs.push({ rep, path: p.id, size: s.id, mode: m.id, ...r });
          console.log(
            `[${runs.length}/${total}] rep ${rep} ${p.id} ${s.id} ${m.id}: ${r.rps.toFixed(0)} req/s, p50 ${fmtMs(r.p50Ms)}, p99 ${fmtMs(r.p99Ms)}` +
              (r.errors ? `, errors ${r.errors}` : '') +
              (r.cpuUsPerReq !== undefined ? `, proxy CPU ${r.cpuUsPerReq.toFixed(0)} µs/req` : '') +
              (r.cpuUsPerReqEach ? ` (${r.cpuUsPerReqEach.map((c) => c.toFixed(1)).join(' + ')})` : '') +
              (r.syscallsPerReq ? `, syscalls/req r+w ${r.syscallsPerReq.map(([sr, sw]) => `${sr.toFixed(2)}+${sw.toFixed(2)}`).join(' | ')}` : '') +
              `, machine ${(100 * r.machineBusy).toFixed(0)} % busy`,
          );
          await sleep(300);
        }
      }
    }
  }
  const summary = summarize(runs);
  const meta = environment();
  // Only full runs are kept in the repository (and reported in docs/benchmarks.md).
  const full = !ONLY_PATHS && !ONLY_SIZES && !ONLY_MODES && !EXTRA && !VARIANT_DIST && REPS >= 3;
  const outDir = full ? join(here, 'results') : join(tmpdir(), 'shoal-ingress-bench-results');
  mkdirSync(outDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const outFile = join(outDir, `${stamp}.json`);
  writeFileSync(outFile, JSON.stringify({ meta, runs, summary }, null, 2));
  const md = markdown(meta, summary);
  console.log(`\n${md}\n\nraw results: ${outFile}`);
  if (WRITE_DOCS && full) updateDocs(md);
  else console.log('(partial run: docs/benchmarks.md left alone)');
}

// ---------- fixtures and processes ----------

async function writeFixtures() {
  const www = join(tmp, 'www');
  mkdirSync(www);
  writeFileSync(join(www, '100b'), Buffer.alloc(100, 'a'));
  writeFileSync(join(www, '64k'), Buffer.alloc(65536, 'b'));
  writeFileSync(
    join(tmp, 'nginx.conf'),
    `user root;
worker_processes 1;
daemon off;
pid ${tmp}/nginx.pid;
error_log ${tmp}/nginx-error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_requests 100000000;
  keepalive_timeout 120;
  default_type application/octet-stream;
  client_body_temp_path ${tmp}/nginx-body;
  proxy_temp_path ${tmp}/nginx-proxy;
  server {
    listen 127.0.0.1:${NGINX_PORT} backlog=4096;
    listen ${B_ADDR}:${NGINX_PORT} backlog=4096;
    listen 127.0.1.5:${NGINX_PORT} backlog=4096;
    listen ${KERNEL_ADDR}:${NGINX_PORT} backlog=4096;
    root ${www};
    location / { }
  }
}
`,
  );
  // Every HAProxy of the run: one thread, TCP mode.
  const haproxyGlobal = `global
  nbthread 1
  maxconn 8000
defaults
  mode tcp
  timeout connect 5s
  timeout client 120s
  timeout server 120s
`;
  writeFileSync(
    join(tmp, 'haproxy.cfg'),
    `${haproxyGlobal}frontend ingress
  bind 127.0.0.1:18083 backlog 4096
  default_backend task
backend task
  server nginx 127.0.0.1:${NGINX_PORT}
`,
  );
  const pki = require(resolve(root, 'packages/pki/dist/index.js'));
  const ca = await pki.generateRootCA();
  writeFileSync(join(tmp, 'ca.pem'), ca.certPem);
  for (const node of ['a', 'b']) {
    const c = await pki.createNodeCertificate({ caCertPem: ca.certPem, caKeyPem: ca.keyPem, nodeId: `node-${node}`, role: 'worker', clusterId: 'bench' });
    writeFileSync(join(tmp, `${node}.pem`), c.certPem);
    writeFileSync(join(tmp, `${node}-key.pem`), c.keyPem);
    // HAProxy reads a certificate and its key from one file.
    writeFileSync(join(tmp, `${node}-full.pem`), c.certPem + c.keyPem);
  }
  // haproxy-tls: the same node certificates and CA as the tunnel, both sides verified.
  writeFileSync(
    join(tmp, 'haproxy-a.cfg'),
    `${haproxyGlobal}frontend ingress
  bind ${HAPROXY_A_ADDR}:18085 backlog 4096
  default_backend peer
backend peer
  server b ${HAPROXY_B_ADDR}:${HAPROXY_TLS_PORT} ssl crt ${join(tmp, 'a-full.pem')} ca-file ${join(tmp, 'ca.pem')} verify required
`,
  );
  writeFileSync(
    join(tmp, 'haproxy-b.cfg'),
    `${haproxyGlobal}frontend tunnel
  bind ${HAPROXY_B_ADDR}:${HAPROXY_TLS_PORT} ssl crt ${join(tmp, 'b-full.pem')} ca-file ${join(tmp, 'ca.pem')} verify required backlog 4096
  default_backend task
backend task
  server nginx ${B_ADDR}:${NGINX_PORT}
`,
  );
  const port = (published) => [{ published, target: 80, protocol: 'tcp', mode: 'ingress' }];
  const endpoint = (taskId, nodeId, nodeAddr, published) => ({
    serviceId: `svc-${taskId}`,
    serviceName: taskId,
    taskId,
    nodeId,
    nodeAddr,
    port: NGINX_PORT,
    publishedPorts: port(published),
    state: 'running',
  });
  const endpoints = [endpoint('local', 'node-a', '127.0.0.1', 18081), endpoint('remote', 'node-b', B_ADDR, 18082)];
  const base = {
    caFile: join(tmp, 'ca.pem'),
    a: { addr: A_ADDR, ingressBind: A_ADDR, certFile: join(tmp, 'a.pem'), keyFile: join(tmp, 'a-key.pem') },
    b: { addr: B_ADDR, certFile: join(tmp, 'b.pem'), keyFile: join(tmp, 'b-key.pem') },
    tunnelPort: TUNNEL_PORT,
    endpoints,
  };
  writeFileSync(join(tmp, 'mesh.json'), JSON.stringify(base));
  // As on a real node, the local task listens on the node's own address (DNAT keeps the client's
  // address, so a target shared with the direct baseline's 127.0.0.1 would clash in conntrack).
  writeFileSync(
    join(tmp, 'mesh-kernel.json'),
    JSON.stringify({
      ...base,
      a: { ...base.a, addr: KERNEL_ADDR, ingressBind: KERNEL_ADDR },
      endpoints: endpoints.map((e) => (e.nodeId === 'node-a' ? { ...e, nodeAddr: KERNEL_ADDR } : e)),
      kernelFastPath: true,
    }),
  );
  // Variants: same nodes on another address / tunnel port, one knob changed.
  writeFileSync(
    join(tmp, 'mesh-variant.json'),
    JSON.stringify({
      ...base,
      a: { ...base.a, addr: VARIANT_ADDR, ingressBind: VARIANT_ADDR },
      b: { ...base.b },
      tunnelPort: TUNNEL_PORT + 1,
      readBufferBytes: 0,
      streamWindow: 1 << 20,
    }),
  );
  writeFileSync(
    join(tmp, 'mesh-ab.json'),
    JSON.stringify({
      ...base,
      a: { ...base.a, addr: '127.0.1.4', ingressBind: '127.0.1.4' },
      b: { ...base.b, addr: '127.0.1.5' },
      endpoints: endpoints.map((e) => (e.nodeId === 'node-b' ? { ...e, nodeAddr: '127.0.1.5' } : e)),
      meshDist: VARIANT_DIST ? resolve(VARIANT_DIST) : undefined,
    }),
  );
}

async function startAll() {
  mkdirSync(join(tmp, 'nginx-body'));
  mkdirSync(join(tmp, 'nginx-proxy'));
  start('nginx', 'nginx', ['-p', tmp, '-c', join(tmp, 'nginx.conf')]);
  await waitPort('127.0.0.1', NGINX_PORT);
  await waitPort(B_ADDR, NGINX_PORT);
  const needed = new Set(PATHS.flatMap((p) => p.procs));
  if (needed.has('haproxy')) {
    start('haproxy', 'haproxy', ['-db', '-f', join(tmp, 'haproxy.cfg')]);
    await waitPort('127.0.0.1', 18083);
  }
  if (needed.has('haproxy-b')) {
    start('haproxy-b', 'haproxy', ['-db', '-f', join(tmp, 'haproxy-b.cfg')]);
    await waitPort(HAPROXY_B_ADDR, HAPROXY_TLS_PORT);
  }
  if (needed.has('haproxy-a')) {
    start('haproxy-a', 'haproxy', ['-db', '-f', join(tmp, 'haproxy-a.cfg')]);
    await waitPort(HAPROXY_A_ADDR, 18085);
  }
  const node = (name, role, config, flags = NODE_FLAGS) =>
    start(name, process.execPath, [...flags, join(here, 'mesh-node.mjs'), role, join(tmp, config)], 'ready');
  if (needed.has('b')) await node('b', 'b', 'mesh.json');
  if (needed.has('a')) await node('a', 'a', 'mesh.json');
  if (needed.has('ak')) {
    if (process.getuid() !== 0) throw new Error('the kernel fast path needs root (iptables); run as root or pass --paths without kernel');
    await node('ak', 'a', 'mesh-kernel.json');
  }
  if (needed.has('b2')) await node('b2', 'b', 'mesh-variant.json');
  if (needed.has('a2')) await node('a2', 'a', 'mesh-variant.json');
  if (needed.has('minimal')) {
    await start('minimal', process.execPath, [join(here, 'minimal-proxy.mjs'), '127.0.0.1', '18084', '127.0.0.1', String(NGINX_PORT)], 'ready');
  }
  if (needed.has('b3')) await node('b3', 'b', 'mesh-ab.json', VARIANT_NODE_FLAGS);
  if (needed.has('a3')) await node('a3', 'a', 'mesh-ab.json', VARIANT_NODE_FLAGS);
}

function start(name, cmd, args, readyLine) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.set(name, child);
  let out = '';
  child.stderr.on('data', (d) => (out += d));
  child.on('exit', (code, signal) => {
    if (children.get(name) === child && !stopping) {
      console.error(`${name} (pid ${child.pid}) exited early: ${code ?? signal}\n${out}`);
      shutdown(1);
    }
  });
  if (!readyLine) return Promise.resolve(child);
  return new Promise((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start:\n${out}`)), 15_000);
    child.stdout.on('data', (d) => {
      if (String(d).includes(readyLine)) {
        clearTimeout(timer);
        resolveReady(child);
      }
    });
  });
}

async function waitPort(host, port) {
  const until = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise((r) => {
      const s = connect(port, host, () => {
        s.destroy();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nothing listens on ${host}:${port}`);
    await sleep(50);
  }
}

let stopping = false;
async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  const exits = [];
  for (const [name, child] of children) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    exits.push(
      new Promise((r) => {
        const timer = setTimeout(() => {
          console.error(`${name} (pid ${child.pid}) ignored SIGTERM; killing`);
          process.kill(child.pid, 'SIGKILL');
        }, 5000);
        child.on('exit', () => {
          clearTimeout(timer);
          r();
        });
      }),
    );
    // nginx: SIGQUIT is its graceful stop; its master stops its worker.
    process.kill(child.pid, name === 'nginx' ? 'SIGQUIT' : 'SIGTERM');
  }
  await Promise.all(exits);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  process.exit(code);
}

// ---------- measuring ----------

/** CPU seconds (user+system) of a process and its direct children (nginx's worker). */
function cpuSeconds(pid) {
  let ticks = 0;
  const pids = [pid];
  try {
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    if (kids) pids.push(...kids.split(/\s+/).map(Number));
  } catch {
    /* gone */
  }
  for (const p of pids) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      /* gone */
    }
  }
  return ticks / 100;
}

/** Read-like and write-like syscalls of a process so far (/proc/PID/io: syscr, syscw). */
function syscalls(pid) {
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    return [Number(/syscr: (\d+)/.exec(io)?.[1]), Number(/syscw: (\d+)/.exec(io)?.[1])];
  } catch {
    return [NaN, NaN];
  }
}

/** [busy, total] jiffies of the whole machine. */
function machineTicks() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return [total - f[3] - f[4], total];
}

async function wrk(path, size, mode, seconds) {
  const procs = path.procs.map((n) => children.get(n).pid);
  const cpu0 = procs.map(cpuSeconds);
  const sys0 = procs.map(syscalls);
  const m0 = machineTicks();
  const out = await new Promise((resolveRun, reject) => {
    const args = ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', ...mode.headers, `http://${path.host}:${path.port}${size.path}`];
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.set('wrk', child);
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.stderr.on('data', (d) => (text += d));
    child.on('exit', (code) => {
      children.delete('wrk');
      if (code === 0) resolveRun(text);
      else reject(new Error(`wrk failed (${code}):\n${text}`));
    });
  });
  const cpuEach = procs.map(cpuSeconds).map((v, i) => v - cpu0[i]);
  const cpu = cpuEach.reduce((s, v) => s + v, 0);
  const sys = procs.map(syscalls).map(([r, w], i) => [r - sys0[i][0], w - sys0[i][1]]);
  const m1 = machineTicks();
  const machineBusy = (m1[0] - m0[0]) / (m1[1] - m0[1]);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const errLine = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const errors = (errLine ? errLine.slice(1).reduce((s, v) => s + Number(v), 0) : 0) + non2xx;
  if (!Number.isFinite(rps)) throw new Error(`cannot parse wrk output:\n${out}`);
  return {
    rps,
    p50Ms: latency(out, '50%'),
    p99Ms: latency(out, '99%'),
    errors,
    machineBusy,
    ...(procs.length && requests ? { cpuUsPerReq: (cpu * 1e6) / requests } : {}),
    ...(procs.length > 1 && requests ? { cpuUsPerReqEach: cpuEach.map((c) => (c * 1e6) / requests) } : {}),
    // Per proxy process: [reads, writes] per request (a syscall count says how well writes batch).
    ...(procs.length && requests ? { syscallsPerReq: sys.map(([r, w]) => [r / requests, w / requests]) } : {}),
  };
}

function latency(out, pct) {
  const m = new RegExp(`^\\s*${pct}\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(out);
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
}

// ---------- reporting ----------

const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function summarize(runs) {
  const rows = [];
  for (const s of SIZES) {
    for (const m of MODES) {
      const of = (p) => runs.filter((r) => r.path === p && r.size === s.id && r.mode === m.id);
      const direct = median(of('direct').map((r) => r.rps));
      for (const p of PATHS) {
        const rs = of(p.id);
        const rps = median(rs.map((r) => r.rps));
        rows.push({
          path: p.id,
          label: p.label,
          size: s.id,
          mode: m.id,
          rps,
          pctOfDirect: (100 * rps) / direct,
          p50Ms: median(rs.map((r) => r.p50Ms)),
          p99Ms: median(rs.map((r) => r.p99Ms)),
          cpuUsPerReq: median(rs.map((r) => r.cpuUsPerReq ?? NaN)),
          machineBusy: median(rs.map((r) => r.machineBusy ?? NaN)),
          errors: rs.reduce((n, r) => n + r.errors, 0),
          all: rs.map((r) => Math.round(r.rps)),
        });
      }
    }
  }
  return rows;
}

function environment() {
  const version = (cmd) => {
    try {
      return execFileSync('sh', ['-c', cmd], { encoding: 'utf8' }).split('\n')[0].trim();
    } catch {
      return 'unknown';
    }
  };
  return {
    date: new Date().toISOString(),
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
    kernel: release(),
    node: process.version,
    nginx: version('nginx -v 2>&1'),
    haproxy: version('haproxy -v'),
    wrk: `wrk -t1 -c${CONNECTIONS} -d${DURATION}s --latency`,
    reps: REPS,
  };
}

const fmtMs = (ms) => (Number.isFinite(ms) ? (ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(2)} ms`) : '—');

// Local ingress is what a node serves for its own tasks: the kernel fast path where the daemon can
// use iptables (root; its default), else userspace (listed too, without a target).
const TARGETS = [
  { path: 'kernel', size: '100B', mode: 'keep-alive', min: 70 },
  { path: 'kernel', size: '64KiB', mode: 'keep-alive', min: 60 },
  { path: 'kernel', size: '100B', mode: 'close', min: 40 },
  { path: 'kernel', size: '64KiB', mode: 'close', min: 40 },
  { path: 'tunnel', size: '100B', mode: 'keep-alive', min: 50 },
];

function markdown(meta, rows) {
  const lines = [
    '## Ingress',
    '',
    `Run ${meta.date.slice(0, 16).replace('T', ' ')} UTC on ${meta.cpus}, Linux ${meta.kernel}, Node ${meta.node}; backend ${meta.nginx.replace('nginx version: ', '')} (1 worker, static files); ${meta.haproxy.split(' - ')[0]}.`,
    `Command: \`node bench/ingress/run.mjs\` (see bench/ingress/README.md). Each cell: \`${meta.wrk}\`, median of ${meta.reps} interleaved repetitions; % is of the direct median in the same run. Proxy CPU = user+system CPU of the proxy process(es) per request (node A + node B for the tunnel path, both HAProxy processes for HAProxy → mutual TLS → HAProxy).`,
    '',
    '| path | response | connections | req/s | % of direct | p50 | p99 | proxy CPU/req | machine busy | runs (req/s) |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.label} | ${r.size} | ${r.mode} | ${r.rps.toFixed(0)} | ${r.path === 'direct' ? '100 %' : `${r.pctOfDirect.toFixed(0)} %`} | ${fmtMs(r.p50Ms)} | ${fmtMs(r.p99Ms)} | ${Number.isFinite(r.cpuUsPerReq) ? `${r.cpuUsPerReq.toFixed(0)} µs` : '—'} | ${Number.isFinite(r.machineBusy) ? `${(100 * r.machineBusy).toFixed(0)} %` : '—'} | ${r.all.join(', ')}${r.errors ? ` (${r.errors} errors)` : ''} |`,
    );
  }
  lines.push('', 'Targets (issue "Routing mesh"):', '');
  for (const t of TARGETS) {
    const r = rows.find((x) => x.path === t.path && x.size === t.size && x.mode === t.mode);
    if (!r) continue;
    lines.push(`- ${t.path} ${t.size} ${t.mode}: ${r.pctOfDirect.toFixed(0)} % of direct (target ≥ ${t.min} %) — ${r.pctOfDirect >= t.min ? 'met' : '**not met**'}`);
  }
  for (const t of TARGETS.filter((x) => x.path === 'kernel')) {
    const r = rows.find((x) => x.path === 'ingress' && x.size === t.size && x.mode === t.mode);
    if (r) lines.push(`- userspace path (portable fallback, no target) ${t.size} ${t.mode}: ${r.pctOfDirect.toFixed(0)} % of direct`);
  }
  lines.push('', ...reading(rows), '', ...history());
  return lines.join('\n');
}

/** The target cases in every full run kept in bench/ingress/results (code may differ between runs). */
function history() {
  const dir = join(here, 'results');
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : [];
  const cases = [
    ['kernel', '100B', 'keep-alive'],
    ['kernel', '64KiB', 'keep-alive'],
    ['kernel', '100B', 'close'],
    ['ingress', '100B', 'keep-alive'],
    ['ingress', '64KiB', 'keep-alive'],
    ['ingress', '100B', 'close'],
    ['ingress', '64KiB', 'close'],
    ['tunnel', '100B', 'keep-alive'],
    ['haproxy', '100B', 'keep-alive'],
    ['haproxy', '64KiB', 'keep-alive'],
    ['haproxy-tls', '100B', 'keep-alive'],
  ];
  const out = [
    `Every full run kept in \`bench/ingress/results/\` (% of direct in that run; CPU per request in brackets):`,
    '',
    `| run (UTC) | machine | ${cases.map((c) => `${c[0]} ${c[1]} ${c[2]}`).join(' | ')} |`,
    `|---|---|${cases.map(() => '---:').join('|')}|`,
  ];
  for (const f of files) {
    const saved = JSON.parse(readFileSync(join(dir, f), 'utf8'));
    const rows = summarize(saved.runs);
    const cell = ([p, sz, m]) => {
      const r = rows.find((x) => x.path === p && x.size === sz && x.mode === m);
      return r && Number.isFinite(r.pctOfDirect) ? `${r.pctOfDirect.toFixed(0)} % (${Number.isFinite(r.cpuUsPerReq) ? r.cpuUsPerReq.toFixed(0) : '—'} µs)` : '—';
    };
    const machine = String(saved.meta.cpus ?? '').replace(/^2 × /, '').replace(/\(R\)| Processor/g, '');
    out.push(`| ${saved.meta.date.slice(0, 16).replace('T', ' ')} | ${machine} | ${cases.map(cell).join(' | ')} |`);
  }
  return out;
}

/** The interpretation: this run's figures, then supporting measurements taken while building it. */
function reading(rows) {
  const get = (path, size, mode) => rows.find((x) => x.path === path && x.size === size && x.mode === mode);
  const pct = (r) => (r ? `${r.pctOfDirect.toFixed(0)} %` : '—');
  const us = (r) => (r && Number.isFinite(r.cpuUsPerReq) ? `${r.cpuUsPerReq.toFixed(0)} µs` : '—');
  const [iS, iL, hS, hL] = [get('ingress', '100B', 'keep-alive'), get('ingress', '64KiB', 'keep-alive'), get('haproxy', '100B', 'keep-alive'), get('haproxy', '64KiB', 'keep-alive')];
  const [iSc, iLc, hSc, hLc, tSc] = [get('ingress', '100B', 'close'), get('ingress', '64KiB', 'close'), get('haproxy', '100B', 'close'), get('haproxy', '64KiB', 'close'), get('tunnel', '100B', 'close')];
  const [tS, tL] = [get('tunnel', '100B', 'keep-alive'), get('tunnel', '64KiB', 'keep-alive')];
  const [xS, xL, xSc] = [get('haproxy-tls', '100B', 'keep-alive'), get('haproxy-tls', '64KiB', 'keep-alive'), get('haproxy-tls', '100B', 'close')];
  const [kS, kL, kSc, kLc] = [get('kernel', '100B', 'keep-alive'), get('kernel', '64KiB', 'keep-alive'), get('kernel', '100B', 'close'), get('kernel', '64KiB', 'close')];
  const verdict = (...pairs) => (pairs.every(([r, min]) => r && r.pctOfDirect >= min) ? 'met in this run' : '**not met** in this run');
  return [
    'Reading it (2 shared vCPUs: wrk, nginx and the proxy compete for them; other work on the machine shows in "machine busy" and in the spread of the runs):',
    '',
    `- **Local task, kernel fast path** (the daemon's default as root: iptables DNAT rules in the nat table, the same round-robin decision as userspace, ` +
      `no proxy process on the data path, the task sees the client's address): ${pct(kS)} / ${pct(kL)} keep-alive and ${pct(kSc)} / ${pct(kLc)} with ` +
      `\`Connection: close\` (100 B / 64 KiB); targets 70 / 60 / 40 / 40 % ${verdict([kS, 70], [kL, 60], [kSc, 40], [kLc, 40])}. The DNAT target is the task on the ` +
      "node's own address, as in the daemon: a target shared with the direct baseline's 127.0.0.1 makes conntrack reply tuples clash after a run of short " +
      'connections (SYN dropped, 1 s retransmit; perf-notes saw the same).',
    `- **Keep-alive, local task, userspace** (the portable path: not root, or \`--ingress-fast-path off\`): ${pct(iS)} (100 B) and ${pct(iL)} (64 KiB) of direct. HAProxy 2.6 reaches ` +
      `${pct(hS)} and ${pct(hL)} in the same run. CPU per request: Shoal ${us(iS)} / ${us(iL)}, HAProxy ${us(hS)} / ${us(hL)}. Profiles put ~¾ of the ` +
      "proxy's CPU in the read()/write() syscalls (loopback delivery and the reader's wake-up are charged to the writer), little in JavaScript. " +
      'The direct baseline is the noisiest figure (see its runs); Shoal relative to HAProxy and the CPU per request are steadier across runs (table below).',
    `- **\`Connection: close\`, userspace**: ${pct(iSc)} (100 B) and ${pct(iLc)} (64 KiB); 40 % is not reachable in userspace Node here: ` +
      `every request is a new proxied connection, Node pays ${us(iSc)} of CPU for each against HAProxy's ${us(hSc)} (HAProxy: ${pct(hSc)} / ${pct(hLc)}), ` +
      "and even a minimal Node proxy pays most of that (`--variants` below, measured on the earlier machine: 124 µs against 149 µs). 40 % would take about half of Node's floor, which is why the daemon serves local tasks from the kernel when it can (first bullet).",
    `- **Tunnel**: 100 B keep-alive through ingress + tunnel + a second node process: ${pct(tS)} of direct; target 50 % ${verdict([tS, 50])}; ${us(tS)} of CPU per request for ` +
      `both nodes. With \`Connection: close\` a tunnelled connection costs about what a local one does (${us(tSc)} vs ${us(iSc)}): it is a stream on the warm ` +
      `TLS connection, no handshake. 64 KiB through the tunnel (${pct(tL)}, no target) is bounded by Node's TLS and the receiving node's decrypt-and-wake work. ` +
      'CPU profiles of both tunnel ends under this load (session 3): ~62 % of each process is kernel time, mostly the one socket write per request that delivers on loopback ' +
      "and wakes the reader; user space is spread over Node's stream code, V8 entry, malloc and GC, the tunnel's own JavaScript a few per cent; TLS crypto ~1 %. " +
      `Two proxy processes pay ${us(tS)} per request against ${us(iS)} for the one local proxy making the same four socket calls per request; the tunnel's ` +
      'frame batching (several requests per TLS write) is what keeps the second process cheap. ' +
      `The same two hops in C, HAProxy → mutual TLS → HAProxy (one TLS connection per client connection, the only way HAProxy's TCP mode carries them), reach ` +
      `${pct(xS)} of direct with ${us(xS)} of CPU per request for both (64 KiB: ${pct(xL)} against the tunnel's ${pct(tL)}; \`Connection: close\`: ${pct(xSc)} against ${pct(tSc)}, ` +
      `with a TLS handshake per client connection, ${us(xSc)} of CPU each). ` +
      'How far 50 % is depends on what a system call and a wake-up cost on the ' +
      'machine: the history table below names each run\'s machine (on the Intel machine of sessions 1–11 the tunnel was at 39–48 %; on the AMD machine of sessions 12–20, ' +
      'where every figure is ~3–4× lower, at 41–59 % in full runs: the target sits inside the spread of runs on both machines). ' +
      'The kernel path is not allowed for remote tasks (it would bypass the mutual-TLS tunnel). Nor can the kernel carry the TLS here: this kernel is built without ' +
      'kernel TLS (`CONFIG_TLS` is not set; `/proc/sys/net/ipv4/tcp_available_ulp` lists only `mptcp`), so kTLS with splice, the one in-kernel data path that keeps ' +
      'mutual TLS between nodes, is not available on this machine.',
    '',
    'Supporting measurements (while building it; sessions 1–11 ran on the Intel machine, whose absolute figures are ~3–4× those of the AMD machine of session 12):',
    '',
    '- `node bench/ingress/run.mjs --variants --sizes=100B` (3 × 4 s): ingress with the shared `onread` buffer 58 % / 14 µs per request, without it 43 % / 18 µs; ' +
      'a minimal Node proxy (no balancing, no half-close, no backpressure) 46 % / 17 µs keep-alive and 19 % / 124 µs per connection with `Connection: close`; ' +
      'a 1 MiB tunnel stream window instead of 256 KiB: no change.',
    '- `--variant-dist` A/B runs: coalescing the 16 KiB TLS records of a response into one client write (cork until the end of the event-loop turn) took 64 KiB ' +
      'through the tunnel from ~5,500 to ~8,400 req/s; writing each frame batch only when the previous TLS write completed doubled one-stream tunnel throughput; ' +
      'the shared read buffer on the task side of the tunnel took 100 B requests from 19 to 16 µs of CPU. ' +
      'Session 3, 100 B keep-alive tunnel, 5 reps, old and new build in one run: 40 % → 48 % of direct (20 → 16 µs per request): node A reads client sockets into ' +
      'the shared buffer (46 % vs 40 % alone), and tunnel frame batches below one TLS record wait up to 3 event-loop turns / 50 µs while frames keep coming ' +
      '(48 % vs 44 % alone; node B went from 1.25 to 1.15 TLS writes per request). Tried and dropped: TLS 1.3 AES-128-GCM preferred (no change), ' +
      'flushing on nextTick (41 % vs 46 %), a 1 ms flush timer (21 %), holding 6 turns / 100 µs (no change).',
    "- Session 5, tunnel 100 B keep-alive, `--variant-dist` A/B (4 runs of 4–6 × 4 s): the tunnel server holding a small frame batch through up to 2 quiet event-loop turns (8 turns / 100 µs at most) took node B from 0.15–0.17 to 0.12–0.13 TLS writes per request: +2 to +4 % requests/s and 0.2–0.5 µs less CPU per request (e.g. 47.9 → 50.0 % and 48.0 → 49.2 % of direct); `Connection: close` and 64 KiB unchanged within noise. Where a request's ~15 µs go (perf, both processes): write() ~40 % (2.5–2.7 µs each: loopback delivery and waking the reader), read() ~10 %, epoll ~8 %, user space ~39 %, of which the tunnel's own JavaScript ~5 %; `socket.write` costs ~0.05 µs more than a raw handle write, so Node's Writable is not the cost. One TLS write of node B costs both ends ~5–6 µs (flushing at the end of every turn: 0.29 writes per request, +0.9 µs, −7 %). Tried and dropped: quiet turns on the client side too (−1 %), 4 quiet turns / 16 turns / 200 µs (0.09 writes per request, but the extra turns cost node B what they save: +1 %), 1 quiet turn (+1 %), 1 hold turn on node B (no change), `--max-semi-space-size=32` (no change); session 6: Nagle on the tunnel's TLS sockets (`setNoDelay(false)` at both ends, to let the kernel coalesce frame batches): 45 % against 51 % for the same run's current build, p99 27–36 ms (Nagle waiting on delayed ACKs).",
    "- Session 9, tunnel 100 B keep-alive. `perf stat` of both ends under load: node A makes 2.2 system calls per request (1.03 reads, 1.04 writes, 0.15 `epoll_pwait`), node B 2.9 (1.03 reads, 1.12 writes, 0.76 `epoll_pwait`: the turns its frame writer holds a batch through); an empty turn costs ~0.6 µs (a `setImmediate` loop runs 1.3 M turns/s), so the polls are not where node B's time goes. `perf record`: ~62 % of each end is kernel time, mostly waking the reader of each loopback write and switching tasks (four single-threaded processes on two vCPUs). Tried and dropped, `--variant-dist` A/B, 4 reps: node B holding its batch exactly while a stream that was sent a request has not answered yet (then writing at once, without quiet turns): 0.09–0.10 instead of 0.12–0.13 TLS writes per request, 60,979 / 60,950 / 60,649 / 60,877 against 61,409 / 61,026 / 59,557 / 60,389 req/s (no change); both proxy processes under `SCHED_BATCH` (no wake-up preemption): 47 % of direct, no change.",
    "- Session 10, tunnel 100 B keep-alive, three partial runs (`--paths=tunnel --sizes=100B --modes=keep-alive`): 49 %, 45 % and 47 % of direct, 14.7–16 µs of CPU per request (node A 6.8–7.8, node B 7.5–8.3). `perf record` of both ends: ~61 % kernel time; the costliest kernel symbols are waking the reader (`_raw_spin_unlock_irqrestore` 7 %) and task switches (`finish_task_switch` 4 %); the machine's congestion control is BBR (`net.ipv4.tcp_congestion_control=bbr`), whose per-ACK work (`bbr_main`) is ~1 % of both ends' time, with the kernel's clock reads (`read_tsc`) another ~1 % (no Node API sets a socket's congestion control). A `--cpu-prof` of both ends shows JavaScript-visible time as the socket writes alone (`writeBuffer`, ~20 % of wall time; no function of the tunnel or of Node's streams above 0.2 %): per request node A and node B each make one unavoidable write to a socket whose reader sleeps (the client's, the task's), which is where a further 2–3 % would have to come from.",
    "- Session 11, tunnel 100 B keep-alive, four partial runs in a row on a quiet machine (`--paths=tunnel --sizes=100B --modes=keep-alive`, 17:06–17:09 UTC, no change to the mesh this session): 50.7 %, 46.9 %, 51.3 % and 49.0 % of direct. The tunnel itself was steady (66,725–68,804 req/s, 14.5–15.2 µs of CPU per request for both nodes, node A ~7.0 and node B ~7.7); the direct baseline moved 131,840–142,894 req/s. The target sits inside the run-to-run spread of the baseline, so it is not met reliably (full runs, which interleave every path, gave 44–48 %).",
    "- Session 12, on a new machine (2 × AMD EPYC, kernel 6.18.44-fc-v657, a nested VM: every system call and wake-up costs ~3–4× what it did, wrk → nginx direct 30–38k req/s against 127–143k): the full run of 18:31 UTC put the tunnel at 59 % of direct (each rep 56–61 %), and three partial runs right after (`--paths=tunnel --sizes=100B --modes=keep-alive`, 18:33–18:34 UTC, no change to the mesh) at 54 %, 58 % and 51 % (reps 41–59 %); HAProxy reached 73 % in the full run. A second full run at 19:01 UTC, same code: tunnel 47 %, HAProxy 61 %, direct 29,795–32,000 req/s. The machine had no `iptables` (the kernel fast path fell back to userspace, and this benchmark failed): `scripts/bootstrap` now installs it.",
    "- Session 20 (AMD machine, no change to the mesh): three partial runs (`--paths=tunnel,ingress --sizes=100B --modes=keep-alive`, 16:18 UTC) put the tunnel at 52.5, 53.2 and 50.6 % of direct, rep by rep; the two full runs of 16:25 and 16:35 UTC at 41 % and 47 % (their reps 38–55 % and 33–55 %: the direct baseline moved 34,026–40,912 and 29,064–36,736 req/s, the tunnel's CPU per request 46–65 µs, same code). `perf record -a` during a tunnel run: node's kernel time 27 % of the machine, its user space 21 % (the node binary's V8 and C++ 15.5 %, JIT code 3.6 %, libc 2.4 %), no symbol above 0.5 % (`Builtins_CreateTypedArray`, megamorphic loads, V8 entry); in the kernel, waking readers (`_raw_spin_unlock_irqrestore` 4.9 %). New baseline, the same two hops in C: HAProxy → mutual TLS → HAProxy (path `haproxy-tls`) reached 28, 42 and 33 % (partial run, 16:20 UTC) and 37 % (full run of 16:35: tunnel 47 %) of direct for 100 B keep-alive, 16 % for 64 KiB (tunnel 18 %), 6 % with `Connection: close` (tunnel 27 %: a stream on the warm connection against a TLS handshake per connection). In-kernel data paths that would keep the traffic encrypted between nodes are all missing from this kernel: kTLS (`CONFIG_TLS`), IPsec ESP as Docker's encrypted overlay uses it (`CONFIG_INET_ESP`, and `CONFIG_CRYPTO_GCM` for its cipher), WireGuard (`ip link add … type wireguard`: unknown device type).",
    '- `node bench/ingress/tunnel-design.mjs`: a fresh mutual-TLS connection (ECDSA P-256) costs ~3.8 ms of CPU for both ends (~270/s), a stream over the warm ' +
      'multiplexed connection ~0.25 ms (open, 1-byte echo, close), a plain TCP connection ~0.13 ms: hence streams over one warm connection per peer, not a pool of ' +
      'one-connection-per-stream. One TLS connection moves ~600 MB/s on this machine (both ends in one process).',
  ];
}

/** Replaces (or appends) only the `## Ingress` section of docs/benchmarks.md. */
function updateDocs(section) {
  const file = resolve(root, 'docs/benchmarks.md');
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const start = current.search(/^## Ingress\s*$/m);
  let next;
  if (start < 0) {
    next = `${current.trimEnd()}\n\n${section}\n`;
  } else {
    const rest = current.slice(start + 1);
    const end = rest.search(/^## /m);
    next = current.slice(0, start) + section + '\n' + (end < 0 ? '' : '\n' + rest.slice(end));
  }
  writeFileSync(file, next);
  console.log(`updated ${file}`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

process.on('SIGINT', () => shutdown(130));
process.on('SIGTERM', () => shutdown(143));
main().then(
  () => shutdown(0),
  (err) => {
    console.error(err);
    shutdown(1);
  },
);

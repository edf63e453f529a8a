// Stand-ins for shoald and the shoal CLI, so the testkit's own unit tests run without
// the real binaries. They keep the binaries' contract (DESIGN §1, the testkit brief):
//
// fake shoald: `--data-dir DIR --hostname NAME`, pino-like JSON lines on stdout, an
//   HTTP server on DIR/shoald.sock answering GET /_ping with `OK` + `Swarm:` header,
//   GET /nodes from DIR/../fake-swarm.json, clean exit on SIGTERM. Knobs (env):
//   FAKE_SHOALD_EXIT_CODE=n      exit at once with n, never listening
//   FAKE_SHOALD_NO_LISTEN=1      run but never open the socket
//   FAKE_SHOALD_LISTEN_DELAY_MS  open the socket this late
//   FAKE_SHOALD_IGNORE_TERM=1    log and ignore SIGTERM
//   FAKE_SHOALD_NODE_STATE=s     report every node in GET /nodes with Status.State s (default ready)
//   FAKE_SHOALD_TASK=1           spawn a long-lived child in its own process group (a "task"), pid in DIR/task.pid
// fake shoal CLI: `swarm init|join-token -q ROLE|join --token T ... ADDR`, writes the
//   swarm membership to <root>/fake-swarm.json and every argv to <root>/fake-cli.log
//   (root = parent of the data dir found through SHOAL_HOST).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const FAKE_SHOALD = String.raw`'use strict';
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { spawn } = require('node:child_process');

const argv = process.argv.slice(2);
const arg = (name) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
const dataDir = arg('--data-dir') || process.env.SHOAL_HOME;
const hostname = arg('--hostname') || 'fake';
const log = (msg, extra) => process.stdout.write(JSON.stringify({ level: 30, time: Date.now(), hostname, msg, ...extra }) + '\n');

log('fake shoald starting', { argv });
if (process.env.FAKE_SHOALD_EXIT_CODE) {
  log('exiting at once');
  process.exit(Number(process.env.FAKE_SHOALD_EXIT_CODE));
}
fs.mkdirSync(dataDir, { recursive: true });
const socketPath = path.join(dataDir, 'shoald.sock');
try { fs.unlinkSync(socketPath); } catch {}

if (process.env.FAKE_SHOALD_TASK) {
  const task = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' });
  fs.writeFileSync(path.join(dataDir, 'task.pid'), String(task.pid));
  log('task started', { pid: task.pid });
}

function swarmNodes() {
  try { return JSON.parse(fs.readFileSync(path.join(dataDir, '..', 'fake-swarm.json'), 'utf8')); } catch { return []; }
}

const server = http.createServer((req, res) => {
  const url = (req.url || '').replace(/^\/v[0-9.]+/, '');
  const me = swarmNodes().find((n) => n.hostname === hostname);
  if (url === '/_ping') {
    res.setHeader('Swarm', me ? 'active/' + me.role : 'inactive');
    res.end('OK');
  } else if (url === '/nodes' && me && me.role === 'manager') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(swarmNodes().map((n) => ({
      ID: 'id-' + n.hostname, Description: { Hostname: n.hostname }, Spec: { Role: n.role },
      Status: { State: process.env.FAKE_SHOALD_NODE_STATE || 'ready', Addr: n.addr },
    }))));
  } else {
    res.statusCode = 503;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ message: 'This node is not a swarm manager.' }));
  }
});

function listen() { server.listen(socketPath, () => log('listening', { socket: socketPath })); }
if (process.env.FAKE_SHOALD_NO_LISTEN) { log('not listening'); setInterval(() => {}, 1000); }
else if (process.env.FAKE_SHOALD_LISTEN_DELAY_MS) setTimeout(listen, Number(process.env.FAKE_SHOALD_LISTEN_DELAY_MS));
else listen();

process.on('SIGTERM', () => {
  if (process.env.FAKE_SHOALD_IGNORE_TERM) { log('ignoring SIGTERM'); return; }
  log('SIGTERM: shutting down');
  server.close();
  try { fs.unlinkSync(socketPath); } catch {}
  process.exit(0);
});
`;

const FAKE_SHOAL_CLI = String.raw`'use strict';
const fs = require('node:fs');
const path = require('node:path');

const host = process.env.SHOAL_HOST || '';
const dataDir = path.dirname(host.replace(/^unix:\/\//, ''));
const root = path.dirname(dataDir);
const hostname = path.basename(dataDir);
const args = process.argv.slice(2);
const swarmFile = path.join(root, 'fake-swarm.json');
const fail = (msg) => { process.stderr.write('Error response from daemon: ' + msg + '\n'); process.exit(1); };
const opt = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const read = () => { try { return JSON.parse(fs.readFileSync(swarmFile, 'utf8')); } catch { return []; } };
const write = (nodes) => fs.writeFileSync(swarmFile, JSON.stringify(nodes));

fs.appendFileSync(path.join(root, 'fake-cli.log'), JSON.stringify({ hostname, args }) + '\n');
const [group, command] = args;
if (group === 'swarm' && command === 'init') {
  if (read().length > 0) fail('This node is already part of a swarm.');
  write([{ hostname, role: 'manager', addr: opt('--advertise-addr') }]);
  process.stdout.write('Swarm initialized: current node (id-' + hostname + ') is now a manager.\n');
} else if (group === 'swarm' && command === 'join-token') {
  if (args[2] !== '-q') fail('fake CLI only supports join-token -q');
  process.stdout.write('SWMTKN-1-fake-' + args[3] + '\n');
} else if (group === 'swarm' && command === 'join') {
  const role = { 'SWMTKN-1-fake-worker': 'worker', 'SWMTKN-1-fake-manager': 'manager' }[opt('--token')];
  if (!role) fail('invalid join token');
  write([...read(), { hostname, role, addr: opt('--advertise-addr') }]);
  process.stdout.write('This node joined a swarm as a ' + role + '.\n');
} else {
  fail('fake CLI: unsupported command ' + args.join(' '));
}
`;

export interface Fakes {
  daemonScript: string;
  cliScript: string;
}

/** Writes the fake shoald and shoal CLI into `dir` and returns their paths. */
export function writeFakes(dir: string): Fakes {
  mkdirSync(dir, { recursive: true });
  const daemonScript = join(dir, 'fake-shoald.cjs');
  const cliScript = join(dir, 'fake-shoal.cjs');
  writeFileSync(daemonScript, FAKE_SHOALD);
  writeFileSync(cliScript, FAKE_SHOAL_CLI);
  return { daemonScript, cliScript };
}

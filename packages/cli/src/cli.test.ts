// End-to-end through the real EngineClient against a fake Engine API server on a unix socket.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from './cli';
import { defaultHost } from './context';
import { swarmSection } from './commands/system';
import { asManager, buildInfo, buildNode, buildSwarm } from './test-support/builders';

let dir: string;
let sock: string;
let server: http.Server | undefined;
let requests: string[];
/** When set, GET /info fails with this message (a 500). */
let infoFailure: string | undefined;

const manager = buildNode((n) => {
  n.ID = 'm1';
  n.Description.Hostname = 'manager1';
  asManager(true, '10.0.0.1:2377')(n);
});

function startServer(): Promise<void> {
  server = http.createServer((req, res) => {
    requests.push(`${req.method} ${decodeURIComponent(req.url ?? '')}`);
    res.setHeader('Api-Version', '1.51');
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const path = (req.url ?? '').replace(/^\/v[\d.]+/, '').split('?')[0];
    if (req.url === '/_ping') return void res.end();
    if (path === '/nodes') return send(200, [manager]);
    if (path === '/nodes/m1') return send(200, manager);
    if (path === '/info') return infoFailure ? send(500, { message: infoFailure }) : send(200, buildInfo('m1'));
    if (path === '/swarm') return send(200, buildSwarm());
    if (path === '/swarm/init') return send(200, 'm1');
    if (path === '/version') {
      return send(200, {
        Version: '0.1.0',
        ApiVersion: '1.51',
        Os: 'linux',
        Arch: 'amd64',
        Components: [{ Name: 'Engine', Version: '0.1.0', Details: { ApiVersion: '1.51', MinAPIVersion: '1.24', GoVersion: 'v20.0.0', GitCommit: 'abc', BuildTime: 'now', Os: 'linux', Arch: 'amd64', Experimental: 'false' } }],
      });
    }
    send(404, { message: `page not found` });
  });
  return new Promise((resolve) => server?.listen(sock, resolve));
}

async function shoal(argv: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { io: { out: (s) => (out += s), err: (s) => (err += s), env } });
  return { code, out, err };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'shoal-cli-'));
  sock = join(dir, 'shoald.sock');
  requests = [];
});

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('shoal against a fake daemon', () => {
  it('lists nodes over the socket given with -H, on versioned paths', async () => {
    await startServer();
    const r = await shoal(['-H', `unix://${sock}`, 'node', 'ls', '-f', 'role=manager']);
    expect(r.out).toBe(
      'ID        HOSTNAME   STATUS    AVAILABILITY   MANAGER STATUS   ENGINE VERSION\n' +
        'm1 *      manager1   Ready     Active         Leader           1.13.0\n',
    );
    expect(requests).toEqual(['HEAD /_ping', 'GET /v1.51/nodes?filters={"role":{"manager":true}}', 'GET /v1.51/info']);
  });

  it('finds the socket through SHOAL_HOME and SHOAL_HOST', async () => {
    await startServer();
    expect((await shoal(['swarm', 'init'], { SHOAL_HOME: dir })).out).toContain('shoal swarm join --token worker-join-token 10.0.0.1:2377\n');
    expect((await shoal(['node', 'ls', '-q'], { SHOAL_HOST: `unix://${sock}` })).out).toBe('m1\n');
    expect(defaultHost({})).toBe('unix:///var/lib/shoal/shoald.sock');
  });

  it('maps daemon error bodies and a missing daemon to docker text', async () => {
    await startServer();
    const r = await shoal(['-H', `unix://${sock}`, 'node', 'inspect', 'nope']);
    expect(r).toMatchObject({ code: 1, err: 'Error response from daemon: page not found\n' });
    const down = await shoal(['-H', `unix://${dir}/none.sock`, 'node', 'ls']);
    expect(down).toEqual({ code: 1, out: '', err: `Cannot connect to the Shoal daemon at unix://${dir}/none.sock. Is the shoald daemon running?\n` });
  });

  it('prints version and info', async () => {
    await startServer();
    const v = await shoal(['-H', sock, 'version']);
    expect(v.out).toContain('Client:\n Version:           0.1.0\n API version:       1.51\n');
    expect(v.out).toContain('\n\nServer:\n Engine:\n  Version:          0.1.0\n  API version:      1.51 (minimum version 1.24)\n');
    const i = await shoal(['-H', sock, 'info']);
    expect(i.out).toContain('Server:\n Swarm: active\n  NodeID: m1\n  Is Manager: true\n');
    expect(i.out).toContain('  Node Address: 127.0.0.1\n  Manager Addresses:\n   127.0.0.1:2377\n');
  });

  it('renders info and version through --format, as scripts use them', async () => {
    await startServer();
    expect(await shoal(['-H', sock, 'info', '--format', '{{.Swarm.LocalNodeState}} {{.Swarm.NodeID}} {{.ClientInfo.Context}}'])).toEqual({ code: 0, out: 'active m1 default\n', err: '' });
    expect(JSON.parse((await shoal(['-H', sock, 'info', '-f', 'json'])).out).Swarm.NodeID).toBe('m1');
    expect(await shoal(['-H', sock, 'version', '--format', '{{.Client.Version}}/{{.Server.Version}}'])).toEqual({ code: 0, out: '0.1.0/0.1.0\n', err: '' });
    const bad = await shoal(['-H', sock, 'info', '--format', '{{.Swarm'])
    expect(bad.code).toBe(64);
    expect(bad.err).toMatch(/^template parsing error: /);
    // A template of client fields only does not ask the daemon (docker's needsServerInfo).
    expect(await shoal(['-H', `unix://${dir}/none.sock`, 'info', '--format', '{{.ClientInfo.Version}}'])).toEqual({ code: 0, out: '0.1.0\n', err: '' });
    // One that needs the server renders the client's fields and a zero server part (docker 28.2.2
    // prints the same, an empty field, `null`), then fails with the connection error.
    const down = await shoal(['-H', `unix://${dir}/none.sock`, 'info', '--format', '{{.ClientInfo.Version}} [{{.ServerVersion}}] [{{.Swarm.LocalNodeState}}] {{json .ServerErrors}}']);
    expect(down).toEqual({ code: 1, out: '0.1.0 [] [] null\n', err: `Cannot connect to the Shoal daemon at unix://${dir}/none.sock. Is the shoald daemon running?\n` });
    // Its nil slices print as Go's do (docker 28.2.2: `[] null [] null 0 n .`).
    const nil = await shoal(['-H', `unix://${dir}/none.sock`, 'info', '--format', '{{.Labels}} {{json .Labels}} {{.Warnings}} {{json .Swarm.RemoteManagers}} {{len .Labels}} {{if .Labels}}y{{else}}n{{end}} {{range .Labels}}x{{end}}.']);
    expect(nil.out).toBe('[] null [] null 0 n .\n');
    // A daemon that answers with an error: a ServerErrors entry, the error on stderr, success.
    infoFailure = 'boom';
    try {
      const failing = await shoal(['-H', sock, 'info', '--format', '[{{.Swarm.LocalNodeState}}] {{json .ServerErrors}}']);
      expect(failing).toEqual({ code: 0, out: '[] ["Error response from daemon: boom"]\n', err: 'Error response from daemon: boom\n' });
    } finally {
      infoFailure = undefined;
    }
  });
});

describe('command line handling', () => {
  it('reports unknown commands and flags like docker', async () => {
    expect(await shoal(['bogus'])).toEqual({ code: 1, out: '', err: "shoal: unknown command: shoal bogus\n\nRun 'shoal --help' for more information\n" });
    const flag = await shoal(['node', 'ls', '--bogus']);
    expect(flag).toEqual({ code: 125, out: '', err: "unknown flag: --bogus\n\nUsage:  shoal node ls [OPTIONS]\n\nRun 'shoal node ls --help' for more information\n" });
    // docker 28.2.2, byte for byte (QA).
    expect(await shoal(['swarm', 'nope'])).toEqual({
      code: 1,
      out: '',
      err: "shoal: unknown command: shoal swarm nope\n\nUsage:  shoal swarm\n\nRun 'shoal swarm --help' for more information\n",
    });
  });

  it('exits 0 for help', async () => {
    const r = await shoal(['node', 'ls', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('List nodes in the swarm');
  });

  it('formats the swarm part of info as docker does', () => {
    const info = buildInfo('m1');
    info.Swarm.Managers = 1;
    info.Swarm.Nodes = 2;
    const sw = buildSwarm();
    info.Swarm.Cluster = sw;
    expect(swarmSection(info)).toBe(
      ' Swarm: active\n  NodeID: m1\n  Is Manager: true\n  ClusterID: clusterID\n  Managers: 1\n  Nodes: 2\n' +
        '  Default Address Pool: 10.0.0.0/8  \n  SubnetSize: 24\n  Data Path Port: 4789\n' +
        '  Orchestration:\n   Task History Retention Limit: 5\n' +
        '  Raft:\n   Snapshot Interval: 10000\n   Number of Old Snapshots to Retain: 0\n   Heartbeat Tick: 1\n   Election Tick: 10\n' +
        '  Dispatcher:\n   Heartbeat Period: 5 seconds\n  CA Configuration:\n   Expiry Duration: 3 months\n   Force Rotate: 0\n' +
        '  Autolock Managers: false\n  Root Rotation In Progress: false\n  Node Address: 127.0.0.1\n  Manager Addresses:\n   127.0.0.1:2377\n',
    );
  });
});

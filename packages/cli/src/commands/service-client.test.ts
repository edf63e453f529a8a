// `service create` and `service logs` through the real EngineClient, against a fake Engine API on a unix socket.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeStdFrame } from '@shoal/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../cli';
import { buildNode } from '../test-support/builders';
import { buildService, buildTask } from '../test-support/swarm-builders';

let dir: string;
let server: http.Server | undefined;
let requests: string[];
let bodies: unknown[];

const service = buildService((s) => ((s.ID = 'svc1'), (s.Spec.Name = 'web'), (s.Spec.Mode = { Replicated: { Replicas: 1 } })));
const task = buildTask((t) => ((t.ID = 'task1abcdefghijklmnop'), (t.ServiceID = 'svc1'), (t.NodeID = 'n1')));
const node = buildNode((n) => ((n.ID = 'n1'), (n.Spec.Name = ''), (n.Description.Hostname = 'manager1')));

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shoal-svc-'));
  requests = [];
  bodies = [];
  server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      requests.push(`${req.method} ${decodeURIComponent(req.url ?? '')}`);
      if (raw !== '') bodies.push(JSON.parse(raw));
      res.setHeader('Api-Version', '1.51');
      const path = (req.url ?? '').replace(/^\/v[\d.]+/, '').split('?')[0];
      const json = (status: number, body: unknown): void => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.url === '/_ping') return void res.end();
      if (path === '/services/create') return json(201, { ID: 'svc1' });
      if (path === '/services/web') return json(200, service);
      if (path === '/tasks/task1abcdefghijklmnop') return json(200, task);
      if (path === '/nodes/n1') return json(200, node);
      if (path === '/services/svc1') return json(200, service);
      if (path === '/services/web/logs') {
        res.writeHead(200, { 'Content-Type': 'application/vnd.docker.multiplexed-stream' });
        const details = 'com.docker.swarm.node.id=n1,com.docker.swarm.service.id=svc1,com.docker.swarm.task.id=task1abcdefghijklmnop';
        res.write(encodeStdFrame('stdout', `${details} line one\n`));
        res.end(encodeStdFrame('stderr', `${details} line two\n`));
        return;
      }
      json(404, { message: 'page not found' });
    });
  });
  await new Promise<void>((resolve) => server?.listen(join(dir, 'shoald.sock'), resolve));
});

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

async function shoal(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const env = { SHOAL_HOST: `unix://${join(dir, 'shoald.sock')}` };
  const code = await runCli(argv, { io: { out: (s) => (out += s), err: (s) => (err += s), env } });
  return { code, out, err };
}

describe('service commands over the Engine API', () => {
  it('creates a service detached', async () => {
    expect(await shoal('service', 'create', '-d', '--name', 'web', 'nginx')).toEqual({ code: 0, out: 'svc1\n', err: '' });
    expect(requests).toEqual(['HEAD /_ping', 'POST /v1.51/services/create']);
    expect(bodies[0]).toMatchObject({ Name: 'web', TaskTemplate: { ContainerSpec: { Image: 'nginx:latest' } }, Mode: { Replicated: {} } });
  });

  it('streams and demultiplexes logs', async () => {
    const r = await shoal('service', 'logs', 'web');
    expect(r).toEqual({
      code: 0,
      out: 'web.1.task1abcdefg@manager1    | line one\n',
      err: 'web.1.task1abcdefg@manager1    | line two\n',
    });
    expect(requests).toContain('GET /v1.51/services/web/logs?details=1&stderr=1&stdout=1&tail=all');
  });
});

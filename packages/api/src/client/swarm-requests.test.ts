// The exact requests the service, task and network helpers send (what the server must accept).
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EngineClient } from './engine-client';
import { EmptyIdError } from './errors';
import { encodeStdFrame } from './stdcopy';

interface Seen {
  method: string;
  url: string;
  body: string;
}

let dir: string;
let server: http.Server | undefined;
let seen: Seen[];
let client: EngineClient;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shoal-client-'));
  seen = [];
  const sock = join(dir, 'shoald.sock');
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: decodeURIComponent(req.url ?? ''), body });
      res.setHeader('Api-Version', '1.51');
      const path = (req.url ?? '').split('?')[0] ?? '';
      if (path.endsWith('/logs')) {
        res.writeHead(200, { 'Content-Type': 'application/vnd.docker.multiplexed-stream' });
        res.end(encodeStdFrame('stdout', 'hi\n'));
        return;
      }
      if (path.endsWith('/services/create')) {
        res.writeHead(201, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ ID: 'svc1', Warnings: null }));
        return;
      }
      if (req.method === 'DELETE') {
        res.writeHead(200);
        res.end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(path.endsWith('/services') || path.endsWith('/tasks') || path.endsWith('/networks') ? 'null' : '{}');
    });
  });
  await new Promise<void>((resolve) => server?.listen(sock, resolve));
  client = new EngineClient({ host: `unix://${sock}`, apiVersion: '1.51' });
});

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('service, task and network requests', () => {
  it('sends docker-shaped queries', async () => {
    expect(await client.serviceCreate({ Name: 'web', TaskTemplate: {} })).toEqual({ ID: 'svc1', Warnings: null });
    expect(await client.serviceList({ name: ['web'] }, true)).toEqual([]);
    await client.serviceList();
    await client.serviceInspect('web');
    await client.serviceInspect(' web ', { insertDefaults: true });
    await client.serviceUpdate('svc1', 7, { Name: 'web', TaskTemplate: {} }, { registryAuthFrom: 'spec', rollback: 'previous' });
    await client.serviceRemove('web');
    expect(await client.taskList({ service: ['svc1'], '_up-to-date': ['true'] })).toEqual([]);
    await client.taskInspect('t1');
    await client.networkList({ driver: ['overlay'] });
    await client.networkInspect('backend', { scope: 'swarm' });
    await client.networkCreate({ Name: 'backend', Driver: 'overlay' });
    await client.networkRemove('backend');
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'POST /v1.51/services/create',
      'GET /v1.51/services?filters={"name":{"web":true}}&status=true',
      'GET /v1.51/services',
      'GET /v1.51/services/web?insertDefaults=false',
      'GET /v1.51/services/web?insertDefaults=true',
      'POST /v1.51/services/svc1/update?registryAuthFrom=spec&rollback=previous&version=7',
      'DELETE /v1.51/services/web',
      'GET /v1.51/tasks?filters={"_up-to-date":{"true":true},"service":{"svc1":true}}',
      'GET /v1.51/tasks/t1',
      'GET /v1.51/networks?filters={"driver":{"overlay":true}}',
      'GET /v1.51/networks/backend?scope=swarm',
      'POST /v1.51/networks/create',
      'DELETE /v1.51/networks/backend',
    ]);
    expect(JSON.parse(seen[5]?.body ?? '')).toEqual({ Name: 'web', TaskTemplate: {} });
  });

  it('streams logs with the query docker sends', async () => {
    const body = await client.serviceLogs('web', { stdout: true, stderr: true, details: true, tail: 'all', follow: false, timestamps: true });
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c);
    expect(Buffer.concat(chunks)).toEqual(encodeStdFrame('stdout', 'hi\n'));
    await client.taskLogs('t1', { stdout: true, stderr: true, tail: '10', since: '1700000000.000000000', follow: true });
    expect(seen.map((s) => s.url)).toEqual([
      '/v1.51/services/web/logs?details=1&stderr=1&stdout=1&tail=all&timestamps=1',
      '/v1.51/tasks/t1/logs?follow=1&since=1700000000.000000000&stderr=1&stdout=1&tail=10',
    ]);
  });

  it('refuses an empty reference before sending anything', async () => {
    await expect(client.serviceInspect('  ')).rejects.toThrow(new EmptyIdError('service'));
    await expect(client.taskInspect('')).rejects.toThrow('invalid task name or ID: value is empty');
    expect(seen).toEqual([]);
  });
});

// The known images as real processes: shoal/whoami, and nginx (which asserts
// either a working nginx or the clear rejection, depending on the host).
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { collectLogs } from '../test-support/executor-compliance';
import { buildWhoami, ProcessHarness } from '../test-support/process-harness';

/** One datagram to 127.0.0.1:port; resolves with the answer. */
function udpAsk(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.on('error', reject);
    s.on('message', (msg) => {
      s.close();
      resolve(msg.toString());
    });
    s.send(text, port, '127.0.0.1');
  });
}

function httpGet(port: number, urlPath = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: urlPath, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

describe('known images on the process runtime', () => {
  let build: string;
  let whoamiScript: string;
  let h: ProcessHarness;
  beforeAll(async () => {
    build = mkdtempSync(path.join(tmpdir(), 'shoal-whoami-'));
    whoamiScript = await buildWhoami(build);
  });
  afterAll(() => rmSync(build, { recursive: true, force: true }));
  beforeEach(() => {
    h = new ProcessHarness([31300, 31349]);
  });
  afterEach(async () => {
    await h.cleanup();
  });

  it('runs shoal/whoami on its PORT, answering HTTP and UDP with the task id', async () => {
    const c = h.executor({ whoamiScript }).controller(h.spec('who1', { image: 'shoal/whoami:latest', command: [] }));
    await c.prepare();
    await c.start();
    const port = c.endpoint()?.port ?? 0;
    await collectLogs(c, (rs) => rs.some((r) => r.line === `Starting up on port ${port}`));
    const { status, body } = await httpGet(port, '/');
    expect(status).toBe(200);
    expect(body).toContain('Task: who1\nService: web\nSlot: 1\nNode: node-one\n');
    expect(await httpGet(port, '/health')).toEqual({ status: 200, body: 'ok' });
    await collectLogs(c, (rs) => rs.some((r) => r.line === `Answering UDP on port ${port}`));
    const answer = await udpAsk(port, 'ping');
    expect(answer).toContain('Task: who1\nService: web\nSlot: 1\nNode: node-one\n');
    expect(answer.endsWith('\nProtocol: udp\n\nping')).toBe(true);
    await c.shutdown();
    expect(await c.wait()).toMatchObject({ signal: 'SIGTERM' });
  });

  // SHOAL_TEST_NGINX points at another nginx binary (e.g. one unpacked from a .deb).
  const nginxPath = process.env['SHOAL_TEST_NGINX'] ?? '/usr/sbin/nginx';
  const nginx = existsSync(nginxPath);
  it(nginx ? 'serves the task page with the host nginx' : 'rejects nginx clearly when it is not installed', async () => {
    const e = h.executor({ nginxPath });
    const c = e.controller(h.spec('ngx1', { image: 'nginx:1.27-alpine', command: [] }));
    if (!nginx) {
      await expect(c.prepare()).rejects.toMatchObject({
        code: 'IMAGE_NOT_SUPPORTED',
        message: 'nginx is not installed on this node',
      });
      expect(e.describe().images).not.toContain('nginx');
      return;
    }
    await c.prepare();
    await c.start();
    const port = c.endpoint()?.port ?? 0;
    let res: { status: number; body: string } | null = null;
    for (let i = 0; i < 100 && !res; i++) {
      res = await httpGet(port).catch(() => null); // nginx binds a moment after it starts
      if (!res) await new Promise((r) => setTimeout(r, 50));
    }
    expect(res?.body).toContain('Task: ngx1');
    expect(res?.body).toContain('Node: node-one');
    await collectLogs(c, (rs) => rs.some((r) => r.stream === 'stdout' && r.line.includes('GET / HTTP/1.1')));
    await c.shutdown();
  });
});

// The Engine API over HTTP, below what either CLI shows: the headers of every answer, request
// targets and bodies that are not what a CLI sends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCleanup, startCluster, type Cluster } from '@shoal/testkit';

registerCleanup();

let cluster: Cluster;

describe('Engine API over HTTP', () => {
  beforeAll(async () => {
    cluster = await startCluster({ size: 1, baseIp: '127.0.15.' });
  });
  afterAll(async () => {
    await cluster?.stopAll();
  });

  it("carries the daemon's headers on every answer; a target that is no path gets an answer (it hung before)", async () => {
    const api = cluster.manager.api;
    for (const [method, path, status] of [['GET', '/v1.41/nodes', 200], ['GET', '/v1.41/nodes/nosuch', 404], ['GET', '/_ping', 200], ['GET', '/v1.41/nodes/../info', 200], ['GET', '//v1.41/nodes', 404]] as const) {
      const res = await api.request(method, path);
      expect({ path, status: res.status }).toEqual({ path, status });
      expect(res.headers).toMatchObject({ 'api-version': '1.51', ostype: 'linux', swarm: 'active/manager', 'docker-experimental': 'false', 'cache-control': 'no-cache, no-store, must-revalidate' });
      expect(res.headers['server']).toMatch(/^Shoal\//);
    }
  });

  it("reads a lone surrogate in a body as U+FFFD, as Go's JSON decoding makes it", async () => {
    const api = cluster.manager.api;
    expect((await api.request('POST', '/v1.41/networks/create', { Name: 'sur', Driver: 'overlay', Labels: { k: 'a\ud800' } })).status).toBe(201);
    expect((await api.get<{ Labels: Record<string, string> }>('/v1.41/networks/sur')).Labels).toEqual({ k: 'a\ufffd' });
    expect((await api.request('DELETE', '/v1.41/networks/sur')).status).toBe(200);
  });
});

// A promotion whose manager cannot start (its listen address is taken): the node reports swarm
// state "error" with the reason and keeps trying, as moby's node runner does, and becomes a
// manager once the address is free, instead of silently dropping out of the swarm (QA).
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { managerStatuses, registerCleanup, startCluster, waitFor, type Cluster } from '@shoal/testkit';

registerCleanup();

const BASE = '127.0.31.';
let cluster: Cluster;

type SwarmInfo = { Swarm: { LocalNodeState: string; Error: string; NodeID: string } };

describe('a promotion that cannot start its manager', () => {
  beforeAll(async () => {
    cluster = await startCluster({ size: 2, baseIp: BASE });
  });
  afterAll(async () => {
    await cluster?.stopAll();
  });

  it('shows state "error" with the reason, and becomes a manager once its address is free', async () => {
    const worker = cluster.byName('worker1');
    const nodeId = (await worker.api.get<SwarmInfo>('/v1.41/info')).Swarm.NodeID;
    const squatter = net.createServer();
    await new Promise<void>((resolve, reject) => squatter.once('error', reject).listen(2377, worker.ip, resolve));
    try {
      await cluster.manager.cliOk(['node', 'promote', 'worker1']);
      const failed = await waitFor(async () => {
        const info = await worker.api.get<SwarmInfo>('/v1.41/info');
        return info.Swarm.LocalNodeState === 'error' ? info.Swarm : undefined;
      }, { timeoutMs: 20_000, what: 'worker1 in state error' });
      expect(failed.Error).toBe(`manager stopped: failed to listen on remote API address: listen tcp ${worker.ip}:2377: bind: address already in use`);
      expect(failed.NodeID).toBe(nodeId);
      const shown = await worker.cli(['info']);
      expect(shown.stdout).toContain(' Swarm: error\n');
      // Still in a swarm: a second init or join is refused.
      expect((await worker.cli(['swarm', 'init'])).stderr).toContain('This node is already part of a swarm');
    } finally {
      await new Promise((r) => squatter.close(r));
    }
    await waitFor(async () => (await worker.ping()).swarm === 'active/manager', { timeoutMs: 30_000, what: 'worker1 running as a manager' });
    await waitFor(async () => (await managerStatuses(cluster.manager)).worker1 === 'reachable', { timeoutMs: 20_000, what: 'worker1 a reachable manager' });
    expect((await worker.api.get<SwarmInfo>('/v1.41/info')).Swarm).toMatchObject({ LocalNodeState: 'active', Error: '', NodeID: nodeId });
  });

  it('starts as what the managers say when it was demoted while failing (review: it came back a manager)', async () => {
    const worker = cluster.byName('worker1');
    await cluster.manager.cliOk(['node', 'demote', 'worker1']);
    await waitFor(async () => (await worker.ping()).swarm === 'active/worker', { timeoutMs: 20_000, what: 'worker1 a worker again' });
    const squatter = net.createServer();
    await new Promise<void>((resolve, reject) => squatter.once('error', reject).listen(2377, worker.ip, resolve));
    try {
      await cluster.manager.cliOk(['node', 'promote', 'worker1']);
      await waitFor(async () => (await worker.api.get<SwarmInfo>('/v1.41/info')).Swarm.LocalNodeState === 'error', { timeoutMs: 20_000, what: 'worker1 in state error' });
      await cluster.manager.cliOk(['node', 'demote', 'worker1']);
    } finally {
      await new Promise((r) => squatter.close(r));
    }
    await waitFor(async () => (await worker.ping()).swarm === 'active/worker', { timeoutMs: 30_000, what: 'worker1 back as a worker' });
    expect((await managerStatuses(cluster.manager)).worker1).toBe('');
    type NodeJson = { Description: { Hostname: string }; Status: { State: string } };
    await waitFor(async () => (await cluster.manager.api.get<NodeJson[]>('/v1.41/nodes')).find((n) => n.Description.Hostname === 'worker1')?.Status.State === 'ready', { timeoutMs: 15_000, what: 'worker1 Ready' });
  });
});

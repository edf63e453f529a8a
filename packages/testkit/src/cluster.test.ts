// startCluster against the fake shoald and fake shoal CLI (test-support/fakes.ts): the
// commands it runs, in order, with the right addresses and tokens, and the Ready wait.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startCluster } from './cluster';
import { registeredDaemons } from './daemon';
import { TestkitConfigError } from './errors';
import { writeFakes } from './test-support/fakes';
import { registerCleanup } from './vitest-hooks';

const fakesDir = mkdtempSync(join(tmpdir(), 'shoal-testkit-fakes-'));
const fakes = writeFakes(fakesDir);
afterAll(() => rmSync(fakesDir, { recursive: true, force: true }));
registerCleanup();

function cliCalls(dataRoot: string): { hostname: string; args: string[] }[] {
  return readFileSync(join(dataRoot, 'fake-cli.log'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { hostname: string; args: string[] });
}

describe('startCluster', () => {
  it('inits the first node, joins the others with the worker token, waits for Ready', async () => {
    const cluster = await startCluster({ size: 3, baseIp: '127.0.9.', firstHost: 5, heartbeat: '200ms', daemon: fakes });
    expect(cluster.nodes.map((n) => [n.name, n.ip])).toEqual([
      ['manager', '127.0.9.5'],
      ['worker1', '127.0.9.6'],
      ['worker2', '127.0.9.7'],
    ]);
    expect(cluster.manager.name).toBe('manager');
    expect(cluster.workers.map((n) => n.name)).toEqual(['worker1', 'worker2']);
    expect(cluster.byName('worker2').dataDir).toBe(join(cluster.dataRoot, 'worker2'));
    expect(() => cluster.byName('worker9')).toThrow(/no node 'worker9'.*manager, worker1, worker2/);
    expect(cliCalls(cluster.dataRoot)).toEqual([
      {
        hostname: 'manager',
        args: ['swarm', 'init', '--advertise-addr', '127.0.9.5', '--listen-addr', '127.0.9.5:2377', '--dispatcher-heartbeat', '200ms'],
      },
      { hostname: 'manager', args: ['swarm', 'join-token', '-q', 'worker'] },
      {
        hostname: 'worker1',
        args: ['swarm', 'join', '--token', 'SWMTKN-1-fake-worker', '--advertise-addr', '127.0.9.6', '--listen-addr', '127.0.9.6:2377', '127.0.9.5:2377'],
      },
      {
        hostname: 'worker2',
        args: ['swarm', 'join', '--token', 'SWMTKN-1-fake-worker', '--advertise-addr', '127.0.9.7', '--listen-addr', '127.0.9.7:2377', '127.0.9.5:2377'],
      },
    ]);
    const nodes = await cluster.waitForReady();
    expect(nodes.map((n) => n.Description?.Hostname)).toEqual(['manager', 'worker1', 'worker2']);
    expect((await cluster.byName('worker1').ping()).swarm).toBe('active/worker');

    await cluster.stopAll();
    expect(cluster.nodes.every((n) => !n.running)).toBe(true);
  });

  it('joins extra managers with the manager token', async () => {
    const cluster = await startCluster({ size: 3, managers: 2, baseIp: '127.0.9.', firstHost: 10, daemon: fakes });
    expect(cluster.nodes.map((n) => n.name)).toEqual(['manager1', 'manager2', 'worker1']);
    const joins = cliCalls(cluster.dataRoot).filter((call) => call.args[1] === 'join');
    expect(joins.map((call) => [call.hostname, call.args[3]])).toEqual([
      ['manager2', 'SWMTKN-1-fake-manager'],
      ['worker1', 'SWMTKN-1-fake-worker'],
    ]);
    expect((await cluster.byName('manager2').ping()).swarm).toBe('active/manager');
  });

  it('stops what it started and says which step failed', async () => {
    const failure = startCluster({
      size: 2,
      baseIp: '127.0.9.',
      firstHost: 20,
      daemon: { ...fakes, env: { FAKE_SHOALD_EXIT_CODE: '7' } },
    });
    await expect(failure).rejects.toThrow(/startCluster \(data under \S+\) failed: shoald \w+ exited \(code 7\)/);
  });

  it('stops the nodes when the swarm never becomes Ready', async () => {
    const failure = startCluster({
      size: 2,
      names: ['alpha', 'beta'],
      baseIp: '127.0.9.',
      firstHost: 30,
      readyTimeoutMs: 300,
      daemon: { ...fakes, env: { FAKE_SHOALD_NODE_STATE: 'down' } },
    });
    const error = (await failure.catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/waiting for 2 nodes Ready \(managers voting\) in GET \/nodes on alpha .*last error: 0\/2 Ready: alpha=down beta=down/);
    const nodes = registeredDaemons().filter((d) => ['alpha', 'beta'].includes(d.name));
    expect(nodes).toHaveLength(2);
    expect(nodes.some((d) => d.running)).toBe(false);
  });

  it('rejects alias ranges and sizes it cannot honour', async () => {
    await expect(startCluster({ size: 0 })).rejects.toThrow(TestkitConfigError);
    await expect(startCluster({ size: 3, baseIp: '127.0.9.', firstHost: 253, daemon: fakes })).rejects.toThrow(/host number 255/);
    await expect(startCluster({ size: 2, baseIp: '127.0.9', daemon: fakes })).rejects.toThrow(/baseIp must look like/);
    await expect(startCluster({ size: 2, names: ['a', 'a'], daemon: fakes })).rejects.toThrow(/unique/);
  });
});

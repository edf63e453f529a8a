// The control API on a local store: node removal.
import { describe, expect, it } from 'vitest';
import { ClusterStore, MemoryStore, createOp, resultToEvents, type Proposer } from '@shoal/store';
import { ControlApi } from './control-api';
import { DEFAULT_CLUSTER_SPEC } from './manager';
import type { RaftView } from './raft-view';
import { makeNode, makeService, makeSpec, makeTask } from './orchestrator/testing';

function localControl(): { api: ControlApi; memory: MemoryStore } {
  const memory = new MemoryStore();
  const proposer: Proposer = { propose: async (command) => resultToEvents(memory.apply(memory.appliedIndex + 1, command)) };
  const raft: RaftView = { selfId: 'm', leader: 'm', status: () => ({}) as never, members: () => ({ voters: ['m'], learners: [], addrs: new Map() }) };
  return { api: new ControlApi(new ClusterStore(memory, proposer), raft), memory };
}

const strip = <T extends { version: number; createdAt: string; updatedAt: string }>({ version: _v, createdAt: _c, updatedAt: _u, ...rest }: T) => rest;

describe('ControlApi.removeNode', () => {
  it("orphans the removed node's tasks that had not stopped, as swarmkit does, and leaves stopped ones alone", async () => {
    const { api, memory } = localControl();
    const down = makeNode('w2', { state: 'down' });
    const svc = makeService('s', makeSpec('web'));
    const running = makeTask('t1', svc, { nodeId: 'w2', slot: 1, state: 'running', desired: 'shutdown' });
    const failed = makeTask('t2', svc, { nodeId: 'w2', slot: 2, state: 'failed', desired: 'shutdown' });
    memory.apply(1, {
      type: 'batch',
      at: new Date().toISOString(),
      ops: [
        createOp('cluster', { id: 'c', spec: DEFAULT_CLUSTER_SPEC, rootCA: { certPem: '', keyPem: '' }, joinTokens: { worker: '', manager: '' }, revokedNodes: [] }),
        createOp('node', strip(down)),
        createOp('task', strip(running)),
        createOp('task', strip(failed)),
      ],
    });
    await api.removeNode('w2', false);
    expect(memory.get('node', 'w2')).toBeUndefined();
    expect(memory.get('task', 't1')?.status).toMatchObject({ state: 'orphaned', message: 'Task belonged to a node that has been deleted' });
    expect(memory.get('task', 't2')?.status.state).toBe('failed');
  });

  it('refuses a Raft member, and removes a node promoted while down that never joined Raft (as swarmkit: membership decides, not the role)', async () => {
    const { api, memory } = localControl();
    memory.apply(1, {
      type: 'batch',
      at: new Date().toISOString(),
      ops: [
        createOp('cluster', { id: 'c', spec: DEFAULT_CLUSTER_SPEC, rootCA: { certPem: '', keyPem: '' }, joinTokens: { worker: '', manager: '' }, revokedNodes: [] }),
        createOp('node', strip(makeNode('m', { role: 'manager' }))),
        createOp('node', strip(makeNode('w1', { role: 'manager', state: 'down' }))),
      ],
    });
    await expect(api.removeNode('m', true)).rejects.toThrow(
      'rpc error: code = FailedPrecondition desc = node m is a cluster manager and is a member of the raft cluster. It must be demoted to worker before removal',
    );
    await api.removeNode('w1', false);
    expect(memory.get('node', 'w1')).toBeUndefined();
    expect(memory.get('node', 'm')).toBeDefined();
  });
});

describe('ControlApi.createNetwork', () => {
  function withIngress(): { api: ControlApi; memory: MemoryStore } {
    const local = localControl();
    local.memory.apply(1, {
      type: 'batch',
      at: new Date().toISOString(),
      ops: [createOp('network', { id: 'ing', name: 'ingress', driver: 'overlay', ingress: true, attachable: false, labels: {}, subnet: '10.0.0.0/24', gateway: '10.0.0.1' })],
    });
    return local;
  }
  const req = (name: string, more: Partial<Parameters<ControlApi['createNetwork']>[0]> = {}) => ({ name, driver: 'overlay', attachable: false, labels: {}, ...more });

  it('keeps the subnet, gateway, --internal and driver options asked for, and numbers VXLAN IDs from 4097', async () => {
    const { api, memory } = withIngress();
    const { id } = await api.createNetwork(req('net1', { configs: [{ subnet: '10.20.0.7/24', gateway: '10.20.0.254' }], internal: true, options: { encrypted: '', 'com.docker.network.driver.mtu': '1400' } }));
    expect(memory.get('network', id)).toMatchObject({
      subnet: '10.20.0.0/24',
      gateway: '10.20.0.254',
      internal: true,
      options: { encrypted: '', 'com.docker.network.driver.mtu': '1400' },
      vxlanId: 4097,
    });
    const second = await api.createNetwork(req('net2', { configs: [{ subnet: '192.168.5.0/24' }] }));
    expect(memory.get('network', second.id)).toMatchObject({ subnet: '192.168.5.0/24', gateway: '192.168.5.1', vxlanId: 4098 });
    const auto = await api.createNetwork(req('net3'));
    expect(memory.get('network', auto.id)).toMatchObject({ subnet: '10.0.1.0/24', gateway: '10.0.1.1', vxlanId: 4099 });
  });

  it('refuses a second ingress network, bad or overlapping subnets and a gateway without a subnet, creating nothing', async () => {
    const { api, memory } = withIngress();
    const cases: Array<[Parameters<ControlApi['createNetwork']>[0], string]> = [
      [req('x', { ingress: true }), 'rpc error: code = AlreadyExists desc = ingress network (ing) is already present'],
      [req('x', { configs: [{ subnet: '10.0.0.128/25' }] }), 'rpc error: code = InvalidArgument desc = invalid pool request: Pool overlaps with other one on this address space'],
      [req('x', { configs: [{ subnet: '300.1.1.0/24' }] }), 'rpc error: code = InvalidArgument desc = invalid subnet 300.1.1.0/24'],
      [req('x', { configs: [{ subnet: '10.9.0.0/24', gateway: 'nope' }] }), 'rpc error: code = InvalidArgument desc = invalid gateway nope'],
      [req('x', { configs: [{ gateway: '10.9.0.1' }] }), 'every ip-range or gateway must have a corresponding subnet'],
    ];
    for (const [r, message] of cases) await expect(api.createNetwork(r)).rejects.toThrow(message);
    expect(memory.list('network')).toHaveLength(1);
  });

  it('keeps every pool, range and auxiliary address, IPv4 first, and refuses an overlap between two of its own subnets', async () => {
    const { api, memory } = withIngress();
    const { id } = await api.createNetwork(
      req('multi', {
        configs: [{ subnet: 'fd00::/64' }, { subnet: '10.5.0.0/24', ipRange: '10.5.0.128/25', auxAddresses: { a: '10.5.0.9' } }, { subnet: '10.6.0.0/24', gateway: '10.6.0.9' }],
        ipamDriver: { name: 'default', options: { k: 'v' } },
        enableIPv6: true,
      }),
    );
    expect(memory.get('network', id)).toMatchObject({
      subnet: '10.5.0.0/24',
      gateway: '10.5.0.1',
      ipamConfigs: [
        { subnet: '10.5.0.0/24', gateway: '10.5.0.1', ipRange: '10.5.0.128/25', auxAddresses: { a: '10.5.0.9' } },
        { subnet: '10.6.0.0/24', gateway: '10.6.0.9' },
        { subnet: 'fd00::/64' },
      ],
      ipamDriver: { name: 'default', options: { k: 'v' } },
      enableIPv6: true,
    });
    // Only IPv6 asked for: an IPv4 pool is still carved from the default pool, as Docker does.
    const v6 = await api.createNetwork(req('v6only', { configs: [{ subnet: 'fd01::/64' }], enableIPv6: true }));
    expect(memory.get('network', v6.id)?.ipamConfigs).toEqual([{ subnet: '10.0.1.0/24', gateway: '10.0.1.1' }, { subnet: 'fd01::/64' }]);
    await expect(api.createNetwork(req('self', { configs: [{ subnet: '10.7.0.0/16' }, { subnet: '10.7.1.0/24' }] }))).rejects.toThrow('Pool overlaps with other one');
    expect(memory.list('network').map((n) => n.name).sort()).toEqual(['ingress', 'multi', 'v6only']);
  });
});

describe('ControlApi.removeNetwork', () => {
  it('refuses an ID prefix that matches several networks with moby\'s text, removing nothing; a unique one works', async () => {
    const { api, memory } = localControl();
    const net = (id: string, name: string) => createOp('network', { id, name, driver: 'overlay', ingress: false, attachable: false, labels: {}, subnet: '', gateway: '' });
    memory.apply(1, { type: 'batch', at: new Date().toISOString(), ops: [net('cab1', 'one'), net('cab2', 'two'), net('dd3', 'cab')] });
    await expect(api.removeNetwork('ca')).rejects.toThrow(/^network ca is ambiguous \(2 matches found based on ID prefix\)$/);
    expect(memory.list('network')).toHaveLength(3);
    await api.removeNetwork('cab'); // a name before an ID prefix
    expect(memory.get('network', 'dd3')).toBeUndefined();
    await api.removeNetwork('cab2');
    expect(memory.list('network').map((n) => n.name)).toEqual(['one']);
  });
});

describe('ControlApi.updateCluster and the unlock key', () => {
  it('makes a key when autolock goes on, keeps it across updates, rotates it on request and drops it when autolock goes off', async () => {
    const { api, memory } = localControl();
    memory.apply(1, {
      type: 'batch',
      at: new Date().toISOString(),
      ops: [createOp('cluster', { id: 'c', spec: DEFAULT_CLUSTER_SPEC, rootCA: { certPem: '', keyPem: '' }, joinTokens: { worker: '', manager: '' }, revokedNodes: [] })],
    });
    const update = async (autoLockManagers: boolean, rotate = {}) => {
      const c = api.cluster();
      await api.updateCluster(c.version, { ...c.spec, autoLockManagers }, rotate);
      return api.cluster().unlockKey;
    };
    expect(api.cluster().unlockKey).toBeUndefined();
    const key = await update(true);
    expect(key).toMatch(/^SWMKEY-1-/);
    expect(await update(true)).toBe(key);
    expect(await update(false, { rotateManagerUnlockKey: true })).toBeUndefined();
    const again = await update(true);
    expect(again).toMatch(/^SWMKEY-1-/);
    expect(again).not.toBe(key);
    const rotated = await update(true, { rotateManagerUnlockKey: true });
    expect(rotated).not.toBe(again);
    expect('unlockKey' in (await (async () => (await update(false), api.cluster()))())).toBe(false);
  });
});

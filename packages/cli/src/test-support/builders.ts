// Test data shaped like docker/cli's internal/test/builders, so docker's goldens apply.
import type { Node, Swarm, SystemInfo } from '@shoal/api';

export function buildNode(patch: (n: Node) => void = () => undefined): Node {
  const node: Node = {
    ID: 'nodeID',
    Version: { Index: 1 },
    CreatedAt: '2009-11-10T23:00:00Z',
    UpdatedAt: '2009-11-10T23:00:00Z',
    Spec: { Name: 'defaultNodeName', Labels: {}, Role: 'worker', Availability: 'active' },
    Description: {
      Hostname: 'defaultNodeHostname',
      Platform: { Architecture: 'x86_64', OS: 'linux' },
      Resources: { NanoCPUs: 4, MemoryBytes: 20 * 1024 * 1024 },
      Engine: {
        EngineVersion: '1.13.0',
        Labels: { engine: 'label' },
        Plugins: [
          { Type: 'Volume', Name: 'local' },
          { Type: 'Network', Name: 'bridge' },
          { Type: 'Network', Name: 'overlay' },
        ],
      },
      TLSInfo: {},
    },
    Status: { State: 'ready', Addr: '127.0.0.1' },
  };
  patch(node);
  return node;
}

export const asManager =
  (leader = false, addr = '127.0.0.1') =>
  (n: Node): void => {
    n.Spec.Role = 'manager';
    n.ManagerStatus = { Reachability: 'reachable', Addr: addr, ...(leader ? { Leader: true } : {}) };
  };

export function buildSwarm(): Swarm {
  return {
    ID: 'clusterID',
    Version: { Index: 11 },
    CreatedAt: '2009-11-10T23:00:00Z',
    UpdatedAt: '2009-11-10T23:00:00Z',
    Spec: {
      Name: 'default',
      Orchestration: { TaskHistoryRetentionLimit: 5 },
      Raft: { SnapshotInterval: 10000, KeepOldSnapshots: 0, LogEntriesForSlowFollowers: 500, ElectionTick: 10, HeartbeatTick: 1 },
      Dispatcher: { HeartbeatPeriod: 5e9 },
      CAConfig: { NodeCertExpiry: 7776000e9 },
      EncryptionConfig: { AutoLockManagers: false },
      TaskDefaults: {},
    },
    TLSInfo: {},
    RootRotationInProgress: false,
    DataPathPort: 4789,
    DefaultAddrPool: ['10.0.0.0/8'],
    SubnetSize: 24,
    JoinTokens: { Worker: 'worker-join-token', Manager: 'manager-join-token' },
  };
}

export function buildInfo(nodeId: string, manager = true): SystemInfo {
  return {
    ID: 'host-id',
    Name: 'host',
    Swarm: {
      NodeID: nodeId,
      NodeAddr: '127.0.0.1',
      LocalNodeState: 'active',
      ControlAvailable: manager,
      Error: '',
      RemoteManagers: [{ NodeID: nodeId, Addr: '127.0.0.1:2377' }],
    },
  };
}

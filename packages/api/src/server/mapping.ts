// Store objects ↔ Docker Engine JSON. Durations cross as integer nanoseconds.
import { InvalidArgumentError, type ClusterObject, type ClusterSpec, type NodeObject, type NodeSpec } from '@shoal/store';
import type { ClusterInfo, Node, NodeSpec as EngineNodeSpec, Swarm, SwarmSpec, TLSInfo } from '../engine/types';

const NS_PER_MS = 1_000_000;

/** `fallbackTls`: for a node that has not reported its own TLS info yet. */
export function toEngineNode(node: NodeObject, fallbackTls: TLSInfo): Node {
  const own = node.description.tls;
  const tls: TLSInfo = own ? { TrustRoot: own.trustRoot, CertIssuerSubject: own.certIssuerSubject, CertIssuerPublicKey: own.certIssuerPublicKey } : fallbackTls;
  const out: Node = {
    ID: node.id,
    Version: { Index: node.version },
    CreatedAt: goTime(node.createdAt),
    UpdatedAt: goTime(node.updatedAt),
    Spec: {
      ...(node.spec.name ? { Name: node.spec.name } : {}),
      Labels: { ...node.spec.labels },
      Role: node.spec.role,
      Availability: node.spec.availability,
    },
    Description: {
      Hostname: node.description.hostname,
      Platform: { Architecture: node.description.platform.architecture, OS: node.description.platform.os },
      Resources: { NanoCPUs: node.description.resources.nanoCpus, MemoryBytes: node.description.resources.memoryBytes },
      Engine: { EngineVersion: node.description.engineVersion },
      TLSInfo: tls,
    },
    Status: { State: node.status.state, ...(node.status.message ? { Message: node.status.message } : {}), Addr: node.status.addr },
  };
  if (node.managerStatus) {
    out.ManagerStatus = {
      ...(node.managerStatus.leader ? { Leader: true } : {}),
      Reachability: node.managerStatus.reachability,
      Addr: node.managerStatus.addr,
    };
  }
  return out;
}

export function toEngineSwarmSpec(spec: ClusterSpec): SwarmSpec {
  return {
    Name: spec.name,
    Labels: { ...spec.labels },
    Orchestration: { TaskHistoryRetentionLimit: spec.taskHistoryRetentionLimit },
    Raft: {
      SnapshotInterval: spec.snapshotInterval,
      KeepOldSnapshots: spec.keepOldSnapshots ?? 0,
      LogEntriesForSlowFollowers: 500,
      ElectionTick: spec.electionTick,
      HeartbeatTick: spec.heartbeatTick,
    },
    Dispatcher: { HeartbeatPeriod: spec.heartbeatPeriodMs * NS_PER_MS },
    CAConfig: { NodeCertExpiry: spec.nodeCertExpiryMs * NS_PER_MS, ...(spec.caForceRotate ? { ForceRotate: spec.caForceRotate } : {}) },
    TaskDefaults: {},
    EncryptionConfig: { AutoLockManagers: spec.autoLockManagers === true },
  };
}

/** Applies an Engine SwarmSpec over a base spec; absent or zero fields keep the base value, like swarmkit's defaults. */
export function fromEngineSwarmSpec(spec: SwarmSpec | undefined, base: ClusterSpec): ClusterSpec {
  const out: ClusterSpec = { ...base, labels: { ...(spec?.Labels ?? base.labels) } };
  if (!spec) return out;
  if (spec.Name) out.name = spec.Name;
  const hb = spec.Dispatcher?.HeartbeatPeriod;
  if (hb !== undefined && hb !== 0) out.heartbeatPeriodMs = nsToMs(hb);
  const limit = spec.Orchestration?.TaskHistoryRetentionLimit;
  if (limit !== undefined) out.taskHistoryRetentionLimit = limit;
  const expiry = spec.CAConfig?.NodeCertExpiry;
  if (expiry !== undefined && expiry !== 0) out.nodeCertExpiryMs = nsToMs(expiry);
  if (spec.Raft?.SnapshotInterval) out.snapshotInterval = spec.Raft.SnapshotInterval;
  const keepOld = spec.Raft?.KeepOldSnapshots;
  if (keepOld !== undefined && keepOld !== null) out.keepOldSnapshots = keepOld;
  if (spec.Raft?.ElectionTick) out.electionTick = spec.Raft.ElectionTick;
  if (spec.Raft?.HeartbeatTick) out.heartbeatTick = spec.Raft.HeartbeatTick;
  const forceRotate = spec.CAConfig?.ForceRotate;
  if (forceRotate !== undefined) out.caForceRotate = forceRotate;
  const autoLock = spec.EncryptionConfig?.AutoLockManagers;
  if (autoLock !== undefined) out.autoLockManagers = autoLock;
  return out;
}

function nsToMs(ns: number): number {
  return Math.round(ns / NS_PER_MS);
}

export function toEngineClusterInfo(cluster: ClusterObject, tls: TLSInfo): ClusterInfo {
  return {
    ID: cluster.id,
    Version: { Index: cluster.version },
    CreatedAt: goTime(cluster.createdAt),
    UpdatedAt: goTime(cluster.updatedAt),
    Spec: toEngineSwarmSpec(cluster.spec),
    TLSInfo: tls,
    RootRotationInProgress: cluster.rootRotation !== undefined,
    DefaultAddrPool: [...(cluster.defaultAddrPool ?? ['10.0.0.0/8'])],
    SubnetSize: cluster.subnetSize ?? 24,
    DataPathPort: cluster.dataPathPort ?? 4789,
  };
}

export function toEngineSwarm(cluster: ClusterObject, tls: TLSInfo): Swarm {
  return {
    ...toEngineClusterInfo(cluster, tls),
    JoinTokens: { Worker: cluster.joinTokens.worker, Manager: cluster.joinTokens.manager },
  };
}

/** Docker's NodeSpec → the store's; moby rejects unknown roles and availabilities with these texts. */
export function fromEngineNodeSpec(spec: EngineNodeSpec): NodeSpec {
  // In any case, as moby's NodeSpecToGRPC (it looks the upper-cased value up).
  const role = (spec.Role ?? '').toLowerCase();
  if (role !== 'manager' && role !== 'worker') throw new InvalidArgumentError(`invalid Role: ${JSON.stringify(spec.Role ?? '')}`);
  const availability = (spec.Availability ?? '').toLowerCase();
  if (availability !== 'active' && availability !== 'pause' && availability !== 'drain') {
    throw new InvalidArgumentError(`invalid Availability: ${JSON.stringify(spec.Availability ?? '')}`);
  }
  return { name: spec.Name ?? '', labels: { ...(spec.Labels ?? {}) }, role, availability };
}

/**
 * A stored time (ISO 8601 in milliseconds, as Date.toISOString writes it) as Go's time.Time
 * marshals to JSON: RFC 3339 with the fraction's trailing zeros cut (`…07.470Z` is `…07.47Z`,
 * `…07.000Z` is `…07Z`). Anything else is left as it is.
 */
export function goTime(iso: string): string {
  const m = /^(.*T\d\d:\d\d:\d\d)\.(\d+)Z$/.exec(iso);
  if (!m) return iso;
  const fraction = (m[2] as string).replace(/0+$/, '');
  return fraction === '' ? `${m[1] as string}Z` : `${m[1] as string}.${fraction}Z`;
}

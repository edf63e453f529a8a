// What a daemon says about itself and its host: `docker version`, the host part of `docker info`,
// the node description its agent reports, and Docker's warning before a manager leaves.
import * as os from 'node:os';
import { API_VERSION, MIN_API_VERSION, SHOAL_VERSION, toEngineClusterInfo } from '@shoal/api';
import type { LocalNodeState, SystemInfo, SystemVersion, TLSInfo } from '@shoal/api';
import { machineArch } from '@shoal/agent';
import { nodeTlsInfo } from '@shoal/pki';
import type { Manager } from '@shoal/manager';
import { SWARM_LOCKED_TEXT, type ClusterObject, type NodeDescription, type NodeObject } from '@shoal/store';
import type { TlsMaterial } from '@shoal/wire';
import type { PersistedNode } from './node-state';

export function systemVersion(): SystemVersion {
  const details = {
    ApiVersion: API_VERSION,
    Arch: goArch(),
    BuildTime: '',
    Experimental: 'false',
    GitCommit: '',
    GoVersion: `node${process.versions.node}`,
    KernelVersion: os.release(),
    MinAPIVersion: MIN_API_VERSION,
    Os: 'linux',
  };
  return {
    Platform: { Name: 'Shoal' },
    Components: [{ Name: 'Engine', Version: SHOAL_VERSION, Details: details }],
    Version: SHOAL_VERSION,
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: '',
    GoVersion: details.GoVersion,
    Os: 'linux',
    Arch: goArch(),
    KernelVersion: os.release(),
    BuildTime: '',
  };
}

/** The swarm part of `docker info`; the cluster's counts and spec only on a manager that can tell. */
export async function swarmInfo(o: {
  node: PersistedNode | null;
  state: LocalNodeState;
  /** Why the node's membership is in state "error". */
  error?: string;
  manager: Manager | null;
  clusterTlsInfo: (cluster: ClusterObject) => TLSInfo;
}): Promise<SystemInfo['Swarm']> {
  const swarm: SystemInfo['Swarm'] = {
    NodeID: o.node?.nodeId ?? '',
    NodeAddr: o.node?.advertiseAddr ?? '',
    LocalNodeState: o.state,
    ControlAvailable: o.manager !== null,
    Error: o.state === 'locked' ? SWARM_LOCKED_TEXT : (o.error ?? ''),
    // The Raft members a manager knows, else the managers the node was last told of.
    RemoteManagers: o.manager
      ? o.manager.managers().map((m) => ({ NodeID: m.nodeId, Addr: m.addr }))
      : (o.node?.managers.map((addr) => ({ NodeID: '', Addr: addr })) ?? null),
  };
  if (o.manager) {
    try {
      const nodes = await o.manager.call<NodeObject[]>('nodes');
      swarm.Nodes = nodes.length;
      swarm.Managers = nodes.filter((n) => n.managerStatus).length;
      const cluster = await o.manager.call<ClusterObject>('cluster');
      swarm.Cluster = toEngineClusterInfo(cluster, o.clusterTlsInfo(cluster));
    } catch (err) {
      swarm.Error = (err as Error).message;
    }
  }
  return swarm;
}

/** `docker info` around the swarm part. */
export function hostInfo(o: { id: string; hostname: string; dataDir: string; swarm: SystemInfo['Swarm'] }): SystemInfo {
  return {
    ID: o.id,
    Name: o.hostname,
    NCPU: os.cpus().length,
    MemTotal: os.totalmem(),
    OperatingSystem: 'Shoal',
    OSType: 'linux',
    Architecture: machineArch(),
    KernelVersion: os.release(),
    ServerVersion: SHOAL_VERSION,
    DockerRootDir: o.dataDir,
    Swarm: o.swarm,
    Warnings: null,
  };
}

/** The node description the agent reports, its TLS info (trusted root, certificate issuer) included. */
export function describeNode(hostname: string, addr: string, tls: TlsMaterial): NodeDescription {
  const info = nodeTlsInfo(tls);
  return {
    tls: { trustRoot: info.TrustRoot, certIssuerSubject: info.CertIssuerSubject, certIssuerPublicKey: info.CertIssuerPublicKey },
    hostname,
    addr,
    platform: { os: 'linux', architecture: machineArch() },
    resources: { nanoCpus: os.cpus().length * 1e9, memoryBytes: os.totalmem() },
    engineVersion: SHOAL_VERSION,
  };
}

/** Docker's refusal to let a manager leave without --force, with the quorum arithmetic (`nodes`: null when unknown). */
export function managerLeaveWarning(nodes: readonly NodeObject[] | null): string {
  let msg = 'You are attempting to leave the swarm on a node that is participating as a manager. ';
  if (nodes === null) {
    msg += 'Doing so may lose the consensus of your cluster. ';
  } else {
    const managers = nodes.filter((n) => n.managerStatus);
    const reachable = managers.filter((n) => n.managerStatus?.reachability === 'reachable').length;
    const unreachable = managers.length - reachable;
    if (reachable - 2 <= unreachable) {
      if (reachable === 1 && unreachable === 0) {
        return msg + 'Removing the last manager erases all current state of the swarm. Use `--force` to ignore this message. ';
      }
      msg += `Removing this node leaves ${reachable - 1} managers out of ${reachable + unreachable}. Without a Raft quorum your swarm will be inaccessible. `;
    }
  }
  return msg + 'The only way to restore a swarm that has lost consensus is to reinitialize it with `--force-new-cluster`. Use `--force` to suppress this message.';
}

/** `docker version` reports Go's GOARCH (amd64). */
function goArch(): string {
  const map: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386' };
  return map[process.arch] ?? process.arch;
}

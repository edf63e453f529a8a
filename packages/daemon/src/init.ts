// `swarm init` on this node: a new cluster's identity, root CA, this node's manager certificate,
// and what the first manager commits (the counterpart of join.ts).
import { fromEngineSwarmSpec, type SwarmInitRequest } from '@shoal/api';
import { DEFAULT_CLUSTER_SPEC, addrPoolProblem, clusterSpecProblem, dataPathPortProblem, nodeCertValidity, type InitClusterOptions } from '@shoal/manager';
import {
  createNodeCertificate,
  generateClusterId,
  generateJoinToken,
  generateNodeId,
  generateRootCA,
  generateUnlockKey,
  parseNodeCertificate,
} from '@shoal/pki';
import { InvalidArgumentError, rpcText } from '@shoal/store';
import type { TlsMaterial } from '@shoal/wire';
import { checkDataPathAddr, joinHostPort, resolveAdvertiseAddr, resolveListenAddr } from './addr';
import { describeNode } from './node-info';
import type { PersistedNode } from './node-state';

export async function newCluster(req: SwarmInitRequest, hostname: string): Promise<{ node: PersistedNode; tls: TlsMaterial; init: InitClusterOptions }> {
  const listen = resolveListenAddr(req.ListenAddr);
  const advertise = resolveAdvertiseAddr(req.AdvertiseAddr, listen);
  checkDataPathAddr(req.DataPathAddr);
  const availability = parseAvailability(req.Availability);
  // moby's checks of the swarm-wide network settings (daemon/cluster/listen_addr.go).
  const problem = addrPoolProblem(req.DefaultAddrPool ?? undefined, req.SubnetSize) ?? dataPathPortProblem(req.DataPathPort);
  if (problem) throw new InvalidArgumentError(problem);
  // Docker's data path is UDP; Shoal's tunnel is TCP, where the manager and gossip listen too.
  const taken = req.DataPathPort === listen.port ? 'the manager listener' : req.DataPathPort === 7946 ? 'gossip' : undefined;
  if (req.DataPathPort && taken) throw new InvalidArgumentError(`data path port ${req.DataPathPort} is taken by ${taken} (Shoal's mesh tunnel is TCP)`);
  const spec = fromEngineSwarmSpec(req.Spec, DEFAULT_CLUSTER_SPEC);
  if (req.AutoLockManagers === true) spec.autoLockManagers = true;
  // moby initialises the swarm, then applies the spec through swarmkit's checks and reports their
  // refusal (leaving the defaults in place); here the refusal comes first and nothing is created.
  const specProblem = clusterSpecProblem(spec);
  if (specProblem) throw new InvalidArgumentError(`error updating cluster settings: ${rpcText('InvalidArgument', specProblem)}`);
  const clusterId = generateClusterId();
  const nodeId = generateNodeId();
  const rootCA = await generateRootCA();
  const nodeCert = await createNodeCertificate({ caCertPem: rootCA.certPem, caKeyPem: rootCA.keyPem, nodeId, role: 'manager', clusterId, ...nodeCertValidity(spec) });
  const tls: TlsMaterial = { caCertPem: rootCA.certPem, certPem: nodeCert.certPem, keyPem: nodeCert.keyPem };
  const node: PersistedNode = {
    nodeId,
    clusterId,
    role: 'manager',
    listenAddr: joinHostPort(listen),
    advertiseAddr: advertise.host,
    managers: [joinHostPort(advertise)],
  };
  const cert = parseNodeCertificate(nodeCert.certPem);
  const init: InitClusterOptions = {
    clusterId,
    rootCA,
    joinTokens: { worker: generateJoinToken(rootCA.certPem), manager: generateJoinToken(rootCA.certPem) },
    spec,
    description: describeNode(hostname, advertise.host, tls),
    availability,
    certificate: { serial: cert.serial, notAfter: cert.notAfter.toISOString() },
    ...(spec.autoLockManagers ? { unlockKey: generateUnlockKey() } : {}),
    // As swarmkit, the mask length only comes with a pool (alone it is ignored).
    ...(req.DefaultAddrPool?.length ? { defaultAddrPool: [...req.DefaultAddrPool], ...(req.SubnetSize ? { subnetSize: req.SubnetSize } : {}) } : {}),
    ...(req.DataPathPort ? { dataPathPort: req.DataPathPort } : {}),
  };
  return { node, tls, init };
}

export function parseAvailability(value: string | undefined): 'active' | 'pause' | 'drain' {
  if (value === undefined || value === '') return 'active';
  if (value === 'active' || value === 'pause' || value === 'drain') return value;
  throw new InvalidArgumentError(`invalid Availability: ${JSON.stringify(value)}`);
}

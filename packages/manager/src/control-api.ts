// Cluster-state operations behind the Engine API's /swarm and /nodes endpoints,
// with swarmkit's validation and error texts. Runs on the leader.
import { X509Certificate, createPublicKey } from 'node:crypto';
import { certificatePems, crossSignRootCA, firstCertificatePem, generateJoinToken, generateRootCA, generateUnlockKey, signingCAProblem } from '@shoal/pki';
import { generateNodeId } from '@shoal/pki';
import {
  AlreadyExistsError,
  ConflictError,
  createOp,
  FailedPreconditionError,
  networkMatches,
  isTerminal,
  labelMatches,
  InvalidArgumentError,
  NotFoundError,
  OutOfSequenceError,
  deleteOp,
  PermissionDeniedError,
  rpcText,
  updateOp,
  type ClusterObject,
  type ClusterSpec,
  type ClusterStore,
  type NetworkCreateRequest,
  type NetworkIpamConfig,
  type NetworkObject,
  type NodeObject,
  type NodeSpec,
  type ServiceObject,
  type ServiceSpec,
  type TaskObject,
} from '@shoal/store';
import { requestGossipKeyRotation } from './gossip-keys';
import { DEFAULT_ADDR_POOL, DEFAULT_SUBNET_SIZE, allocateSubnet, cidrsOverlap, parseCidr, parseIpv4 } from './address-pool';
import { findNode } from './node-lookup';
import { ServiceApi } from './service-api';
import { managerStatusOf, type RaftView } from './raft-view';

export const CLUSTER_ID_KEY = 'cluster';

export interface RotateOptions {
  rotateWorkerToken?: boolean;
  rotateManagerToken?: boolean;
  rotateManagerUnlockKey?: boolean;
  /** `swarm ca --rotate --ca-cert --ca-key`: rotate to this root instead of a new one. */
  signingCA?: { certPem: string; keyPem: string };
}

const AVAILABILITIES = ['active', 'pause', 'drain'];
const ROLES = ['manager', 'worker'];

export class ControlApi {
  readonly serviceApi: ServiceApi;

  constructor(
    private readonly store: ClusterStore,
    private readonly raft: RaftView,
  ) {
    this.serviceApi = new ServiceApi(store);
  }

  services(): ServiceObject[] {
    return this.serviceApi.services();
  }
  service(input: string): ServiceObject {
    return this.serviceApi.service(input);
  }
  createService(spec: ServiceSpec): Promise<{ id: string }> {
    return this.serviceApi.createService(spec);
  }
  updateService(input: string, version: number, spec: ServiceSpec, options: { rollback?: boolean }): Promise<void> {
    return this.serviceApi.updateService(input, version, spec, options);
  }
  removeService(input: string): Promise<void> {
    return this.serviceApi.removeService(input);
  }
  tasks(): TaskObject[] {
    return this.serviceApi.tasks();
  }
  task(input: string): TaskObject {
    return this.serviceApi.task(input);
  }
  networks(): NetworkObject[] {
    return this.store.memory.list('network');
  }

  /** `network create -d overlay`: swarm-scoped overlay networks with a /24 from 10.0.0.0/8. */
  async createNetwork(req: NetworkCreateRequest): Promise<{ id: string }> {
    // moby's router looks the name up before anything reaches swarmkit (409, no rpc prefix); the
    // store's own check below catches a create that raced this one.
    if (req.name && this.networks().some((n) => n.name === req.name)) throw new ConflictError(`network with name ${req.name} already exists`);
    // swarmkit's validateNetworkSpec, in its order.
    if (req.ingress && req.attachable) throw new InvalidArgumentError(rpcText('InvalidArgument', 'ingress network cannot be attachable'));
    validateNetworkName(req.name);
    if (Object.hasOwn(req.labels, PREDEFINED_LABEL)) {
      throw new PermissionDeniedError(rpcText('PermissionDenied', `label ${PREDEFINED_LABEL} is for internally created predefined networks and cannot be applied by users`));
    }
    if (req.driver !== 'overlay') {
      throw new InvalidArgumentError(`rpc error: code = InvalidArgument desc = network driver "${req.driver}" is not supported in swarm mode (only overlay)`);
    }
    // The built-in IPAM driver only: any other name is a plugin, and no plugin is ever found here.
    const ipamDriver = req.ipamDriver?.name || 'default';
    if (ipamDriver.toLowerCase() !== 'default') throw new InvalidArgumentError(rpcText('InvalidArgument', `error during lookup of plugin ${ipamDriver}`));
    const existing = this.networks();
    const ingress = existing.find((n) => n.ingress);
    if (req.ingress && ingress) throw new AlreadyExistsError(rpcText('AlreadyExists', `ingress network (${ingress.id}) is already present`));
    const configs = this.networkPools(req.configs ?? [], existing);
    const first = configs.find((c) => parseCidr(c.subnet) !== null) as Required<Pick<NetworkIpamConfig, 'subnet' | 'gateway'>> & NetworkIpamConfig;
    const plain = configs.length === 1 && first.ipRange === undefined && first.auxAddresses === undefined;
    const ipamOptions = req.ipamDriver?.options && Object.keys(req.ipamDriver.options).length > 0 ? req.ipamDriver.options : undefined;
    const vxlanId = Math.max(4096, ...existing.map((n) => n.vxlanId ?? 4096)) + 1;
    const id = generateNodeId();
    try {
      await this.store.commit([
        createOp('network', {
          id,
          name: req.name,
          driver: 'overlay',
          ingress: req.ingress === true,
          attachable: req.attachable,
          labels: { ...req.labels },
          subnet: first.subnet,
          gateway: first.gateway,
          vxlanId,
          ...(req.internal ? { internal: true } : {}),
          ...(req.options ? { options: { ...req.options } } : {}),
          ...(plain ? {} : { ipamConfigs: configs }),
          ...(ipamOptions ? { ipamDriver: { name: ipamDriver, options: { ...ipamOptions } } } : {}),
          ...(req.enableIPv6 ? { enableIPv6: true } : {}),
        }),
      ]);
    } catch (err) {
      if ((err as { code?: string }).code === 'ALREADY_EXISTS') {
        throw new AlreadyExistsError(rpcText('AlreadyExists', `network with name ${req.name} already exists`));
      }
      throw err;
    }
    return { id };
  }

  /**
   * The network's address pools: each IPv4 subnet asked for, checked against every other network's
   * (libnetwork refuses a pool in use), with its gateway (the first host unless given); one from the
   * swarm's default address pool when none is IPv4. IPv6 subnets are kept as given.
   */
  private networkPools(asked: ReadonlyArray<Partial<NetworkIpamConfig>>, existing: readonly NetworkObject[]): NetworkIpamConfig[] {
    const taken = existing.flatMap((n) => (n.ipamConfigs ?? [{ subnet: n.subnet }]).map((c) => c.subnet)).filter((t) => parseCidr(t) !== null);
    const out: NetworkIpamConfig[] = [];
    for (const cfg of asked) {
      if (cfg.subnet === undefined || cfg.subnet === '') {
        if (cfg.gateway || cfg.ipRange) throw new InvalidArgumentError(rpcText('InvalidArgument', 'every ip-range or gateway must have a corresponding subnet'));
        continue;
      }
      const extra = { ...(cfg.ipRange ? { ipRange: cfg.ipRange } : {}), ...(cfg.auxAddresses && Object.keys(cfg.auxAddresses).length > 0 ? { auxAddresses: { ...cfg.auxAddresses } } : {}) };
      if (cfg.subnet.includes(':')) {
        out.push({ subnet: cfg.subnet, ...(cfg.gateway ? { gateway: cfg.gateway } : {}), ...extra });
        continue;
      }
      // swarmkit's validateIPAMConfiguration, and libnetwork's refusal of a pool in use.
      const cidr = parseCidr(cfg.subnet);
      if (!cidr) throw new InvalidArgumentError(rpcText('InvalidArgument', `invalid subnet ${cfg.subnet}`));
      if (taken.some((t) => cidrsOverlap(t, cidr.text))) {
        throw new InvalidArgumentError(rpcText('InvalidArgument', 'invalid pool request: Pool overlaps with other one on this address space'));
      }
      if (cfg.gateway && !parseIpv4(cfg.gateway)) throw new InvalidArgumentError(rpcText('InvalidArgument', `invalid gateway ${cfg.gateway}`));
      taken.push(cidr.text);
      out.push({ subnet: cidr.text, gateway: cfg.gateway || cidr.firstHost, ...extra });
    }
    if (!out.some((c) => parseCidr(c.subnet) !== null)) {
      // The swarm's default address pool (`swarm init --default-addr-pool`), in subnets of its size.
      const cluster = this.store.memory.list('cluster')[0];
      const free = allocateSubnet(cluster?.defaultAddrPool ?? DEFAULT_ADDR_POOL, cluster?.subnetSize ?? DEFAULT_SUBNET_SIZE, taken);
      if (!free) throw new FailedPreconditionError('could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
      out.unshift(free);
    }
    // IPv4 pools first, as Docker lists them.
    return [...out.filter((c) => !c.subnet.includes(':')), ...out.filter((c) => c.subnet.includes(':'))];
  }

  async removeNetwork(input: string): Promise<void> {
    const nets = this.networks();
    const [net, ...others] = networkMatches(nets, input);
    if (!net) throw new NotFoundError(`network ${input} not found`);
    if (others.length > 0) throw new InvalidArgumentError(`network ${input} is ambiguous (${others.length + 1} matches found based on ID prefix)`);
    const user = this.store.memory.list('service').find((s) => s.spec.task.networks?.some((n) => n.target === net.id));
    if (user) throw new FailedPreconditionError(rpcText('FailedPrecondition', `network ${net.id} is in use by service ${user.id}`));
    await this.store.commit([deleteOp('network', net.id)]);
  }

  /** `network prune`: every network no service attaches to (never ingress) that matches; their names. */
  async pruneNetworks(filter: { labels: string[]; notLabels: string[]; until?: string }): Promise<string[]> {
    const used = new Set(this.store.memory.list('service').flatMap((s) => (s.spec.task.networks ?? []).map((n) => n.target)));
    const until = filter.until === undefined ? Infinity : Date.parse(filter.until);
    const doomed = this.networks().filter(
      (n) =>
        !n.ingress &&
        !used.has(n.id) &&
        Date.parse(n.createdAt) < until &&
        filter.labels.every((l) => labelMatches(n.labels, l)) &&
        !filter.notLabels.some((l) => labelMatches(n.labels, l)),
    );
    if (doomed.length === 0) return [];
    await this.store.commit(doomed.map((n) => deleteOp('network', n.id, n.version)));
    return doomed.map((n) => n.name);
  }

  cluster(): ClusterObject {
    const [cluster] = this.store.memory.list('cluster');
    if (!cluster) throw new NotFoundError('cluster not found');
    return cluster;
  }

  async updateCluster(version: number, spec: ClusterSpec, rotate: RotateOptions = {}): Promise<void> {
    const cluster = this.cluster();
    if (version !== cluster.version) throw new OutOfSequenceError();
    validateClusterSpec(spec);
    if (spec.name !== cluster.spec.name) {
      throw new InvalidArgumentError(rpcText('InvalidArgument', 'modification of cluster name is not allowed'));
    }
    const joinTokens = { ...cluster.joinTokens };
    if (rotate.rotateWorkerToken) joinTokens.worker = generateJoinToken(cluster.rootCA.certPem);
    if (rotate.rotateManagerToken) joinTokens.manager = generateJoinToken(cluster.rootCA.certPem);
    // swarmkit: autolock off drops the key; on, a key is made if there is none or a rotation was asked for.
    const { unlockKey: current, rootRotation: rotating, ...rest } = cluster;
    const unlockKey = spec.autoLockManagers !== true ? undefined : current === undefined || rotate.rotateManagerUnlockKey ? generateUnlockKey() : current;
    const rootRotation = await this.nextRootRotation(cluster, spec, rotate.signingCA);
    await this.store.commit([
      updateOp('cluster', { ...rest, spec, joinTokens, ...(unlockKey ? { unlockKey } : {}), ...(rootRotation ? { rootRotation } : {}) }, version),
    ]);
    if (rootRotation !== rotating) this.logRotation?.(rootRotation ? 'root CA rotation started' : 'root CA rotation cancelled');
  }

  /** Logs a rotation's start (set by the manager). */
  logRotation?: (msg: string) => void;

  /**
   * swarmkit's root rotation trigger: a new ForceRotate, or a CA certificate (and key) to rotate
   * to. A new root is made unless one is given; it is cross-signed by the current root. Going
   * back to the current root cancels a rotation in progress.
   */
  private async nextRootRotation(cluster: ClusterObject, spec: ClusterSpec, signing: RotateOptions['signingCA']): Promise<ClusterObject['rootRotation']> {
    const forced = (spec.caForceRotate ?? 0) !== (cluster.spec.caForceRotate ?? 0);
    if (signing) {
      // swarmkit's validateCAConfig, in its order: the certificate and key themselves, the
      // minimum lifetime, then what they are to the current root and rotation.
      const problem =
        (await signingCAProblem(signing)) ??
        (certificatePems(signing.certPem).length !== 1 ? 'the desired CA certificate cannot contain multiple certificates' : null) ??
        (caExpiresTooSoon(signing.certPem) ? 'CA certificate expires too soon' : null);
      if (problem) throw new InvalidArgumentError(rpcText('InvalidArgument', problem));
      // Certificates compare as certificates (swarmkit normalises the PEMs): line endings or text
      // around the block do not make the current root or rotation a new one. Kept normalised.
      signing = { ...signing, certPem: new X509Certificate(signing.certPem).toString() };
      if (sameCertificate(signing.certPem, cluster.rootCA.certPem)) return undefined;
      // A new root on the current key would look rotated on every node at once (nodes are
      // matched by their issuer's key): the swarm would trust it before anyone held a certificate
      // from it. swarmkit compares the key PEMs; the public keys catch another encoding too.
      if (samePublicKey(signing.keyPem, cluster.rootCA.keyPem)) {
        throw new InvalidArgumentError(rpcText('InvalidArgument', 'Cannot update to a cert with an identical key'));
      }
      if (cluster.rootRotation && sameCertificate(signing.certPem, cluster.rootRotation.certPem) && !forced) return cluster.rootRotation;
    } else if (!forced) {
      return cluster.rootRotation;
    }
    const next = signing ?? (await generateRootCA());
    return { certPem: next.certPem, keyPem: next.keyPem, crossSignedPem: await crossSignRootCA(next, { certPem: cluster.rootCA.certPem, keyPem: cluster.rootCA.keyPem }) };
  }

  /** Nodes with their manager status derived from this (leader) manager's view of Raft. */
  nodes(): NodeObject[] {
    return this.store.memory.list('node').map((n) => this.withManagerStatus(n));
  }

  private withManagerStatus(node: NodeObject): NodeObject {
    const { managerStatus: _stored, ...rest } = node;
    const status = managerStatusOf(this.raft, node.id);
    return status ? { ...rest, managerStatus: status } : rest;
  }

  node(input: string): NodeObject {
    return findNode(this.nodes(), input);
  }

  async updateNode(input: string, version: number, spec: NodeSpec): Promise<void> {
    if (!AVAILABILITIES.includes(spec.availability)) {
      throw new InvalidArgumentError(`invalid Availability: ${JSON.stringify(spec.availability)}`);
    }
    if (!ROLES.includes(spec.role)) throw new InvalidArgumentError(`invalid Role: ${JSON.stringify(spec.role)}`);
    const node = this.node(input);
    if (node.spec.role === 'manager' && spec.role === 'worker') this.checkDemotion(node);
    const { managerStatus: _derived, ...stored } = node;
    const next: NodeObject = { ...stored, spec: { ...spec, labels: { ...spec.labels } } };
    await this.store.commit([updateOp('node', next, version)]);
  }

  /** swarmkit's demotion sanity checks: never the last manager, never a loss of quorum. */
  private checkDemotion(node: NodeObject): void {
    const managers = this.store.memory.list('node').filter((n) => n.spec.role === 'manager');
    if (managers.length === 1 && managers[0]?.id === node.id) {
      throw new FailedPreconditionError(rpcText('FailedPrecondition', 'attempting to demote the last manager of the swarm'));
    }
    const { voters } = this.raft.members();
    if (!voters.includes(node.id)) return; // not a voting member yet: nothing to lose
    const remaining = voters.filter((id) => id !== node.id);
    const reachable = remaining.filter((id) => managerStatusOf(this.raft, id)?.reachability === 'reachable').length;
    if (reachable < Math.floor(remaining.length / 2) + 1) {
      throw new FailedPreconditionError(
        rpcText('FailedPrecondition', "can't remove member from the raft: this would result in a loss of quorum"),
      );
    }
  }

  async removeNode(input: string, force: boolean): Promise<void> {
    const node = this.node(input);
    const { voters, learners } = this.raft.members();
    // swarmkit refuses a Raft member only: a node promoted while down, or whose manager join
    // failed, has the manager role but no membership, and can be removed (QA).
    if (voters.includes(node.id) || learners.includes(node.id)) {
      throw new FailedPreconditionError(
        rpcText(
          'FailedPrecondition',
          `node ${node.id} is a cluster manager and is a member of the raft cluster. It must be demoted to worker before removal`,
        ),
      );
    }
    if (!force && node.status.state === 'ready') {
      throw new FailedPreconditionError(rpcText('FailedPrecondition', `node ${node.id} is not down and can't be removed`));
    }
    const cluster = this.cluster();
    const revokedNodes = [...new Set([...cluster.revokedNodes, node.id])];
    // The removed node knows the gossip keys: rotate now rather than at the next interval.
    const rotation = requestGossipKeyRotation(cluster.gossipKeyRotation, Date.now());
    // swarmkit's orphanNodeTasks: the node's tasks that had not stopped never will (nobody is
    // left to report them), so they become orphaned in the same write and stop counting as running.
    const at = new Date().toISOString();
    const orphaned = this.store.memory
      .list('task')
      .filter((t) => t.nodeId === node.id && !isTerminal(t.status.state))
      .map((t) => updateOp('task', { ...t, status: { state: 'orphaned' as const, timestamp: at, message: 'Task belonged to a node that has been deleted' } }));
    await this.store.commit([
      deleteOp('node', node.id),
      updateOp('cluster', { ...cluster, revokedNodes, ...(rotation ? { gossipKeyRotation: rotation } : {}) }, cluster.version),
      ...orphaned,
    ]);
  }
}

function validateClusterSpec(spec: ClusterSpec): void {
  const problem = clusterSpecProblem(spec);
  if (problem) throw new InvalidArgumentError(rpcText('InvalidArgument', problem));
}

/** What swarmkit's UpdateCluster refuses in a cluster spec (its text), if anything. */
export function clusterSpecProblem(spec: ClusterSpec): string | undefined {
  if (spec.heartbeatPeriodMs < 0) return 'heartbeat time period cannot be a negative duration';
  if (spec.nodeCertExpiryMs !== 0 && spec.nodeCertExpiryMs < 3600_000) return 'minimum certificate expiry time is: 1h0m0s';
  return undefined;
}

/** swarmkit's minRootExpiration: a root rotated to must stay valid at least a year. */
const MIN_ROOT_LIFETIME_MS = 8760 * 3600 * 1000;

function caExpiresTooSoon(certPem: string, now = Date.now()): boolean {
  return Date.parse(new X509Certificate(firstCertificatePem(certPem)).validTo) < now + MIN_ROOT_LIFETIME_MS;
}

function sameCertificate(aPem: string, bPem: string): boolean {
  return new X509Certificate(firstCertificatePem(aPem)).raw.equals(new X509Certificate(firstCertificatePem(bPem)).raw);
}

function samePublicKey(aPem: string, bPem: string): boolean {
  try {
    const spki = (pem: string) => createPublicKey(pem).export({ type: 'spki', format: 'der' });
    return spki(aPem).equals(spki(bPem));
  } catch {
    return false;
  }
}

/** swarmkit's label for the networks it makes itself; users may not set it. */
const PREDEFINED_LABEL = 'com.docker.swarm.predefined';
const DNS_NAME_COMPONENT = /^[a-zA-Z0-9](?:[-_]*[A-Za-z0-9]+)*$/;

/** swarmkit's validateAnnotations: a network's name is one DNS label. */
function validateNetworkName(name: string): void {
  if (!name) throw new InvalidArgumentError(rpcText('InvalidArgument', 'meta: name must be provided'));
  if (!DNS_NAME_COMPONENT.test(name)) throw new InvalidArgumentError(rpcText('InvalidArgument', 'name must be valid as a DNS name component'));
  if (name.length > 63) throw new InvalidArgumentError(rpcText('InvalidArgument', 'name must be 63 characters or fewer'));
}

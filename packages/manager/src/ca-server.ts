// The join bootstrap on 2377: hand out the root CA (the joiner pins its digest from
// the token) and turn a valid join token + CSR into a node certificate.
import * as grpc from '@grpc/grpc-js';
import { generateNodeId, issueNodeCertificate, parseNodeCertificate, tokenSecretEquals } from '@shoal/pki';
import { InvalidArgumentError, createOp, updateOp, type ClusterObject, type ClusterSpec, type ClusterStore, type NodeObject, type NodeRole } from '@shoal/store';
import { parseDurationMs } from './duration';
import { CAMethods, CAService, bootstrapCredentials, createClient } from '@shoal/wire';
import type {
  RenewCertificateRequest,
  RenewCertificateResponse,
  GetRootCARequest,
  GetRootCAResponse,
  IssueNodeCertificateRequest,
  IssueNodeCertificateResponse,
  ManagerPeer,
} from '@shoal/wire';
import type { Logger } from 'pino';
import type { ControlApi } from './control-api';
import { GrpcError, callerIdentity, toServiceError } from './identity';
import { notLeaderError } from './raft/raft-server';
import { NO_LEADER_MESSAGE } from './raft/replica';

const INVALID_TOKEN = 'A valid join token is necessary to join this cluster';

export interface CAServerDeps {
  store: ClusterStore;
  control: ControlApi;
  managers: () => ManagerPeer[];
  isLeader: () => boolean;
  leaderAddr: () => string | null;
  logger: Logger;
}

export class CAServer {
  constructor(private readonly deps: CAServerDeps) {}

  handlers(): grpc.UntypedServiceImplementation {
    return {
      GetRootCACertificate: (
        _call: grpc.ServerUnaryCall<GetRootCARequest, GetRootCAResponse>,
        cb: grpc.sendUnaryData<GetRootCAResponse>,
      ) => cb(null, { certPem: this.deps.control.cluster().rootCA.certPem }),
      IssueNodeCertificate: (
        call: grpc.ServerUnaryCall<IssueNodeCertificateRequest, IssueNodeCertificateResponse>,
        cb: grpc.sendUnaryData<IssueNodeCertificateResponse>,
      ) => {
        const run = this.deps.isLeader() ? this.issue(call.request) : this.forwardIssue(call.request);
        run.then(
          (res) => cb(null, res),
          (err: unknown) => cb(toServiceError(err)),
        );
      },
      RenewCertificate: (
        call: grpc.ServerUnaryCall<RenewCertificateRequest, RenewCertificateResponse>,
        cb: grpc.sendUnaryData<RenewCertificateResponse>,
      ) => {
        this.renew(call).then(
          (res) => cb(null, res),
          (err: unknown) => cb(toServiceError(err)),
        );
      },
    };
  }

  /** A joiner may dial any manager; only the leader can record the new node. */
  private async forwardIssue(req: IssueNodeCertificateRequest): Promise<IssueNodeCertificateResponse> {
    const leader = this.deps.leaderAddr();
    if (!leader) throw new GrpcError(grpc.status.UNAVAILABLE, NO_LEADER_MESSAGE);
    const client = createClient(CAService, CAMethods, leader, bootstrapCredentials(this.deps.control.cluster().rootCA.certPem));
    try {
      return await client.unary.IssueNodeCertificate(req, { timeoutMs: 10_000 });
    } finally {
      client.close();
    }
  }

  /** A fresh certificate whose role is the node's current role in the store (promotion/demotion). */
  private async renew(
    call: grpc.ServerUnaryCall<RenewCertificateRequest, RenewCertificateResponse>,
  ): Promise<RenewCertificateResponse> {
    const cluster = this.deps.control.cluster();
    const caller = callerIdentity(call, cluster.id, ['worker', 'manager'], cluster.revokedNodes);
    if (!this.deps.isLeader()) throw notLeaderError(this.deps.leaderAddr());
    // The node object may change while the certificate is made (its status, a role change of the
    // membership reconciler): then read it again and make the certificate again, so the role in
    // the certificate is the one recorded, instead of failing with "update out of sequence".
    for (let attempt = 1; ; attempt++) {
      const node = this.deps.store.memory.get('node', caller.nodeId);
      if (!node) throw new GrpcError(grpc.status.PERMISSION_DENIED, `node ${caller.nodeId} was removed from swarm`);
      const certPem = await issueNodeCertificate({
        ...signingCA(cluster),
        csrPem: call.request.csrPem,
        nodeId: node.id,
        role: node.role,
        clusterId: cluster.id,
        ...nodeCertValidity(cluster.spec),
      });
      const cert = parseNodeCertificate(certPem);
      try {
        await this.deps.store.commit([
          updateOp('node', { ...node, certificate: { serial: cert.serial, notAfter: cert.notAfter.toISOString() } }, node.version),
        ]);
      } catch (err) {
        if ((err as { code?: string }).code === 'OUT_OF_SEQUENCE' && attempt < 5) continue;
        throw err;
      }
      this.deps.logger.info({ nodeId: node.id, role: node.role }, 'node certificate renewed');
      return { certPem, role: node.role };
    }
  }

  /** Which role a join token grants, compared in constant time; null when it grants none. */
  roleForToken(token: string): NodeRole | null {
    const { joinTokens } = this.deps.control.cluster();
    // Compare against both tokens every time so timing does not reveal which one matched.
    const manager = tokenSecretEquals(token, joinTokens.manager);
    const worker = tokenSecretEquals(token, joinTokens.worker);
    if (manager) return 'manager';
    if (worker) return 'worker';
    return null;
  }

  private async issue(req: IssueNodeCertificateRequest): Promise<IssueNodeCertificateResponse> {
    const role = this.roleForToken(req.token);
    if (!role) {
      this.deps.logger.warn({ hostname: req.hostname, addr: req.advertiseAddr }, 'join refused: invalid join token');
      throw new GrpcError(grpc.status.INVALID_ARGUMENT, INVALID_TOKEN);
    }
    const cluster = this.deps.control.cluster();
    const nodeId = generateNodeId();
    const certPem = await issueNodeCertificate({
      ...signingCA(cluster),
      csrPem: req.csrPem,
      nodeId,
      role,
      clusterId: cluster.id,
      ...nodeCertValidity(cluster.spec),
    });
    const cert = parseNodeCertificate(certPem);
    const node: Omit<NodeObject, 'version' | 'createdAt' | 'updatedAt'> = {
      id: nodeId,
      spec: { name: '', labels: {}, role, availability: req.availability ?? 'active' },
      role,
      description: {
        hostname: req.hostname,
        addr: req.advertiseAddr,
        platform: { os: 'linux', architecture: 'x86_64' },
        resources: { nanoCpus: 0, memoryBytes: 0 },
        engineVersion: '',
      },
      status: { state: 'unknown', message: '', addr: req.advertiseAddr },
      certificate: { serial: cert.serial, notAfter: cert.notAfter.toISOString() },
    };
    await this.deps.store.commit([createOp('node', node)]);
    this.deps.logger.info({ nodeId, role, hostname: req.hostname }, 'node joined');
    return { nodeId, clusterId: cluster.id, role, certPem, managers: this.deps.managers() };
  }
}

/**
 * How long the node certificates this manager issues are valid: the cluster's `--cert-expiry`
 * (at least 1 h), or `SHOAL_NODE_CERT_VALIDITY` (e.g. `20s`), which tests use to see certificates
 * expire and be renewed.
 */
export function nodeCertValidity(spec: ClusterSpec, env: Record<string, string | undefined> = process.env): { validityHours: number } | { validityMs: number } {
  const text = env['SHOAL_NODE_CERT_VALIDITY'];
  if (text !== undefined && text !== '') {
    const ms = parseDurationMs(text);
    if (ms === undefined) throw new InvalidArgumentError(`invalid SHOAL_NODE_CERT_VALIDITY ${JSON.stringify(text)}: not a duration like 20s or 2h`);
    return { validityMs: ms };
  }
  return { validityHours: Math.max(1, Math.round(spec.nodeCertExpiryMs / 3600_000)) };
}

/** What signs node certificates: the new root (its cross-signed certificate after each node certificate) during a rotation, else the root. */
export function signingCA(cluster: ClusterObject): { caCertPem: string; caKeyPem: string; chainPem?: string } {
  const r = cluster.rootRotation;
  if (r) return { caCertPem: r.certPem, caKeyPem: r.keyPem, chainPem: r.crossSignedPem };
  const { certPem, keyPem, chainPem } = cluster.rootCA;
  return { caCertPem: certPem, caKeyPem: keyPem, ...(chainPem ? { chainPem } : {}) };
}

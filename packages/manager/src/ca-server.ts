// The join bootstrap on 2377: hand out the root CA (the joiner pins its digest from
// the token) and turn a valid join token + CSR into a node certificate.
import * as grpc from '@grpc/grpc-js';
import { generateNodeId, issueNodeCertificate, parseNodeCertificate, tokenSecretEquals } from '@shoal/pki';
import { createOp, type ClusterStore, type NodeObject, type NodeRole } from '@shoal/store';
import type {
  GetRootCARequest,
  GetRootCAResponse,
  IssueNodeCertificateRequest,
  IssueNodeCertificateResponse,
  ManagerPeer,
} from '@shoal/wire';
import type { Logger } from 'pino';
import type { ControlApi } from './control-api';
import { GrpcError, toServiceError } from './identity';

const INVALID_TOKEN = 'A valid join token is necessary to join this cluster';

export interface CAServerDeps {
  store: ClusterStore;
  control: ControlApi;
  managers: () => ManagerPeer[];
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
        this.issue(call.request).then(
          (res) => cb(null, res),
          (err: unknown) => cb(toServiceError(err)),
        );
      },
    };
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
    if (role === 'manager') {
      throw new GrpcError(
        grpc.status.FAILED_PRECONDITION,
        'joining as a manager needs the replicated manager log (Raft), which this build does not have yet; join as a worker',
      );
    }
    const cluster = this.deps.control.cluster();
    const nodeId = generateNodeId();
    const certPem = await issueNodeCertificate({
      caCertPem: cluster.rootCA.certPem,
      caKeyPem: cluster.rootCA.keyPem,
      csrPem: req.csrPem,
      nodeId,
      role,
      clusterId: cluster.id,
      validityHours: Math.max(1, Math.round(cluster.spec.nodeCertExpiryMs / 3600_000)),
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

// Reading identity out of a peer's certificate, checking it against the CA, and OU-based authorisation (SK ca/auth.go).
import { x509 } from './x509';
import { firstCertificatePem } from './root-ca';
import {
  CertificateExpiredError,
  InvalidCertificateError,
  PermissionDeniedError,
  UnknownAuthorityError,
} from './errors';
import { ouToRole, roleToOU, type NodeRole } from './roles';

export interface NodeIdentity {
  /** Subject CN. */
  nodeId: string;
  /** From the subject OU. */
  role: NodeRole;
  /** Subject O. */
  clusterId: string;
  notBefore: Date;
  notAfter: Date;
  /** Serial number, hex. */
  serial: string;
}

export type CertificateInput = string | Uint8Array;

/** Accepts PEM text or DER bytes (e.g. `tls.TLSSocket#getPeerCertificate().raw`). */
export function parseNodeCertificate(pemOrDer: CertificateInput): NodeIdentity {
  const cert = parseCertificate(pemOrDer);
  const nodeId = singleField(cert, 'CN');
  const ou = singleField(cert, 'OU');
  const clusterId = singleField(cert, 'O');
  const role = ouToRole(ou);
  if (role === undefined) throw new InvalidCertificateError(`unknown organizational unit ${JSON.stringify(ou)}`);
  return { nodeId, role, clusterId, notBefore: cert.notBefore, notAfter: cert.notAfter, serial: cert.serialNumber };
}

export interface VerifyOptions {
  /** Default `new Date()`. */
  now?: Date;
}

/** Checks the certificate is signed by the CA and that both are inside their validity windows. */
export async function verifyCertificateChain(
  cert: CertificateInput,
  caCert: CertificateInput,
  options: VerifyOptions = {},
): Promise<void> {
  const leaf = parseCertificate(cert);
  const ca = parseCertificate(caCert);
  const now = options.now ?? new Date();
  let signed = false;
  if (leaf.issuerName.toString() === ca.subjectName.toString()) {
    try {
      signed = await leaf.verify({ publicKey: ca.publicKey, signatureOnly: true });
    } catch (err) {
      throw new UnknownAuthorityError({ cause: err });
    }
  }
  if (!signed) throw new UnknownAuthorityError();
  for (const c of [leaf, ca]) {
    if (now < c.notBefore || now > c.notAfter) throw new CertificateExpiredError(now, c.notBefore, c.notAfter);
  }
}

export interface AuthorizeOptions {
  /** When set, the certificate's O must equal it. */
  clusterId?: string;
  /** Node IDs removed from the swarm, whose certificates are no longer honoured. */
  removedNodeIds?: ReadonlySet<string>;
}

/** Returns the node ID when the identity's OU is allowed; throws PermissionDeniedError otherwise. */
export function authorize(
  identity: Pick<NodeIdentity, 'nodeId' | 'role' | 'clusterId'>,
  allowedRoles: readonly NodeRole[],
  options: AuthorizeOptions = {},
): string {
  if (!allowedRoles.includes(identity.role)) {
    const ous = allowedRoles.map(roleToOU).join(' ');
    throw new PermissionDeniedError(`remote certificate not part of OUs: [${ous}]`);
  }
  if (options.removedNodeIds?.has(identity.nodeId)) {
    throw new PermissionDeniedError(`node ${identity.nodeId} was removed from swarm`);
  }
  if (options.clusterId !== undefined && identity.clusterId !== options.clusterId) {
    throw new PermissionDeniedError(`remote certificate not part of organization: ${options.clusterId}`);
  }
  return identity.nodeId;
}

function parseCertificate(input: CertificateInput): x509.X509Certificate {
  try {
    // Copy bytes: a Buffer may be a view into a larger pooled ArrayBuffer.
    return new x509.X509Certificate(typeof input === 'string' ? firstCertificatePem(input) : Uint8Array.from(input));
  } catch (err) {
    throw new InvalidCertificateError('cannot parse certificate', { cause: err });
  }
}

function singleField(cert: x509.X509Certificate, field: 'CN' | 'OU' | 'O'): string {
  const values = cert.subjectName.getField(field);
  const value = values[0];
  if (values.length !== 1 || value === undefined || value === '') {
    throw new InvalidCertificateError(`subject must have exactly one ${field}`);
  }
  return value;
}

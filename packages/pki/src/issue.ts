// Manager side of issuance: signs node certificates whose subject carries the
// node's identity (SK ca/certificates.go PrepareCSR): CN=node ID, OU=role, O=cluster ID.
import { x509 } from './x509';
import { parseAndVerifyCSR } from './csr';
import { CertExpiryTooShortError, InvalidCertificateError } from './errors';
import { exportPrivateKeyPem, generateKeyPair, importSigningKey, SIGNING_ALGORITHM, toPem } from './keys';
import { cryptoRandomBytes, type RandomBytes } from './random';
import { firstCertificatePem, type CertificateAndKey } from './root-ca';
import { CA_COMMON_NAME, roleToOU, type NodeRole } from './roles';
import {
  BACKDATE_MS,
  DEFAULT_NODE_CERT_VALIDITY_HOURS,
  HOUR_MS,
  MIN_NODE_CERT_VALIDITY_HOURS,
  randomSerialHex,
} from './validity';

export interface NodeCertificateOptions {
  caCertPem: string;
  /** PKCS#8 (or SEC1) PEM of the CA key. */
  caKeyPem: string;
  nodeId: string;
  role: NodeRole;
  clusterId: string;
  /** Default 2160 (90 days); at least 1. Capped at the CA's own expiry. */
  validityHours?: number;
  /**
   * Instead of validityHours, any validity (no 1 h minimum), and a backdate no longer than it:
   * for exercising certificate renewal in tests (SHOAL_NODE_CERT_VALIDITY).
   */
  validityMs?: number;
  /** Certificates that follow the node certificate in its PEM (a rotation's cross-signed CA). */
  chainPem?: string;
  /** Issue time; default `new Date()`. notBefore is backdated 1 h from it. */
  now?: Date;
  random?: RandomBytes;
}

export interface IssueNodeCertificateOptions extends NodeCertificateOptions {
  /** The joiner's CSR, PEM or DER. Its subject is ignored. */
  csrPem: string | Uint8Array;
}

/** Verifies the CSR's signature, then signs its public key. Returns the certificate PEM. */
export async function issueNodeCertificate(options: IssueNodeCertificateOptions): Promise<string> {
  const csr = await parseAndVerifyCSR(options.csrPem);
  return signNodeCertificate(csr.publicKey, options);
}

/** For the manager's own certificate at `swarm init`: no CSR round trip. */
export async function createNodeCertificate(options: NodeCertificateOptions): Promise<CertificateAndKey> {
  const keys = await generateKeyPair();
  const certPem = await signNodeCertificate(keys.publicKey, options);
  return { certPem, keyPem: await exportPrivateKeyPem(keys.privateKey) };
}

async function signNodeCertificate(publicKey: x509.PublicKeyType, options: NodeCertificateOptions): Promise<string> {
  const validityHours = options.validityHours ?? DEFAULT_NODE_CERT_VALIDITY_HOURS;
  if (options.validityMs === undefined && !(validityHours >= MIN_NODE_CERT_VALIDITY_HOURS)) throw new CertExpiryTooShortError();
  if (options.validityMs !== undefined && !(options.validityMs > 0)) throw new CertExpiryTooShortError();
  const validityMs = options.validityMs ?? validityHours * HOUR_MS;
  if (options.nodeId === '' || options.clusterId === '') {
    throw new InvalidCertificateError('node ID and cluster ID must not be empty');
  }
  const caCert = new x509.X509Certificate(firstCertificatePem(options.caCertPem));
  const caKey = await importSigningKey(options.caKeyPem);
  const now = options.now ?? new Date();
  const notAfter = Math.min(now.getTime() + validityMs, caCert.notAfter.getTime());
  const ou = roleToOU(options.role);
  const dnsNames = options.role === 'manager' ? [ou, options.nodeId, CA_COMMON_NAME] : [ou, options.nodeId];

  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialHex(options.random ?? cryptoRandomBytes),
    // RDN order as Go writes pkix.Name: O, OU, CN.
    subject: [{ O: [options.clusterId] }, { OU: [ou] }, { CN: [options.nodeId] }],
    issuer: caCert.subjectName,
    notBefore: new Date(now.getTime() - Math.min(BACKDATE_MS, validityMs)),
    notAfter: new Date(notAfter),
    publicKey,
    signingKey: caKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension(dnsNames.map((value) => ({ type: 'dns' as const, value }))),
      await x509.SubjectKeyIdentifierExtension.create(publicKey),
      await authorityKeyIdentifier(caCert),
    ],
  });
  return toPem(cert) + (options.chainPem ?? '');
}

async function authorityKeyIdentifier(caCert: x509.X509Certificate): Promise<x509.AuthorityKeyIdentifierExtension> {
  const ski = caCert.getExtension(x509.SubjectKeyIdentifierExtension);
  return ski ? new x509.AuthorityKeyIdentifierExtension(ski.keyId) : x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey);
}

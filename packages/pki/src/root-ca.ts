import { x509 } from './x509';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { exportPrivateKeyPem, generateKeyPair, importSigningKey, SIGNING_ALGORITHM, toPem } from './keys';
import { cryptoRandomBytes, type RandomBytes } from './random';
import { CA_COMMON_NAME } from './roles';
import { BACKDATE_MS, randomSerialHex, ROOT_CA_VALIDITY_MS } from './validity';

export interface RootCAOptions {
  /** Issue time; default `new Date()`. notBefore is backdated 1 h from it. */
  now?: Date;
  /** Default 20 years (630720000 s). */
  validityMs?: number;
  random?: RandomBytes;
}

export interface CertificateAndKey {
  certPem: string;
  /** PKCS#8 PEM. */
  keyPem: string;
}

export async function generateRootCA(options: RootCAOptions = {}): Promise<CertificateAndKey> {
  const now = options.now ?? new Date();
  const keys = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialHex(options.random ?? cryptoRandomBytes),
    name: [{ CN: [CA_COMMON_NAME] }],
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + (options.validityMs ?? ROOT_CA_VALIDITY_MS)),
    signingAlgorithm: SIGNING_ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: toPem(cert), keyPem: await exportPrivateKeyPem(keys.privateKey) };
}

/**
 * The new root's certificate re-signed by the current root (swarmkit's cross-signed CA): same
 * subject and key as `next`, issued by `current`. Node certificates signed by the new key carry
 * it after them, so nodes that still trust only the current root accept them during a rotation.
 */
export async function crossSignRootCA(next: { certPem: string }, current: CertificateAndKey, options: { random?: RandomBytes } = {}): Promise<string> {
  const nextCert = new x509.X509Certificate(firstCertificatePem(next.certPem));
  const currentCert = new x509.X509Certificate(firstCertificatePem(current.certPem));
  const ski = nextCert.getExtension(x509.SubjectKeyIdentifierExtension);
  const currentSki = currentCert.getExtension(x509.SubjectKeyIdentifierExtension);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialHex(options.random ?? cryptoRandomBytes),
    subject: nextCert.subjectName,
    issuer: currentCert.subjectName,
    notBefore: nextCert.notBefore,
    notAfter: new Date(Math.min(nextCert.notAfter.getTime(), currentCert.notAfter.getTime())),
    publicKey: nextCert.publicKey,
    signingKey: await importSigningKey(current.keyPem),
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      ski ?? (await x509.SubjectKeyIdentifierExtension.create(nextCert.publicKey)),
      currentSki ? new x509.AuthorityKeyIdentifierExtension(currentSki.keyId) : await x509.AuthorityKeyIdentifierExtension.create(currentCert.publicKey),
    ],
  });
  return toPem(cert);
}

/** Why a CA certificate and key given for a rotation (`swarm ca --rotate --ca-cert --ca-key`) cannot sign, or null. */
export async function signingCAProblem(ca: CertificateAndKey, now = new Date()): Promise<string | null> {
  let cert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(firstCertificatePem(ca.certPem));
  } catch {
    return 'Invalid CA certificate: could not parse the PEM';
  }
  if (cert.getExtension(x509.BasicConstraintsExtension)?.ca !== true) return 'Invalid CA certificate: it is not a CA certificate';
  if (now < cert.notBefore || now > cert.notAfter) return 'Invalid CA certificate: it has expired or is not yet valid';
  let key;
  try {
    key = createPrivateKey(ca.keyPem);
  } catch {
    return 'Invalid CA key: could not parse the PEM';
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') return 'Invalid CA key: Shoal signs with ECDSA P-256 keys only';
  const fromKey = createPublicKey(key).export({ type: 'spki', format: 'der' });
  if (!Buffer.from(cert.publicKey.rawData).equals(fromKey)) return 'certificate key mismatch';
  return null;
}

/** The first certificate of a PEM bundle (a node certificate followed by its chain). */
export function firstCertificatePem(pem: string): string {
  const end = '-----END CERTIFICATE-----';
  const at = pem.indexOf(end);
  return at < 0 ? pem : `${pem.slice(0, at + end.length)}\n`;
}

/** Every certificate of a PEM bundle, in order. */
export function certificatePems(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)?.map((c) => `${c}\n`) ?? [];
}

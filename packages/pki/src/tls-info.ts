// The root CA as Docker reports it in node and swarm inspect (TLSInfo): the PEM,
// and the issuer's subject and public key as base64 DER.
import { x509 } from './x509';
import { certificatePems, firstCertificatePem } from './root-ca';

export interface CATLSInfo {
  TrustRoot: string;
  CertIssuerSubject: string;
  CertIssuerPublicKey: string;
}

export function tlsInfo(caCertPem: string, issuerPem: string = caCertPem): CATLSInfo {
  const cert = new x509.X509Certificate(firstCertificatePem(issuerPem));
  return {
    TrustRoot: caCertPem,
    CertIssuerSubject: Buffer.from(cert.subjectName.toArrayBuffer()).toString('base64'),
    CertIssuerPublicKey: Buffer.from(cert.publicKey.rawData).toString('base64'),
  };
}

/**
 * A node's TLSInfo as swarmkit reports it: the root it trusts, and the subject and key of the CA
 * that issued its certificate (the certificate after it in its PEM during a root rotation, else
 * the trusted root).
 */
export function nodeTlsInfo(tls: { caCertPem: string; certPem: string }): CATLSInfo {
  const [leafPem, ...chain] = certificatePems(tls.certPem);
  if (leafPem === undefined) return tlsInfo(tls.caCertPem);
  // The issuer is the certificate whose key the leaf names (roots share the subject `swarm-ca`).
  const wanted = new x509.X509Certificate(leafPem).getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId;
  const issuer = [...chain, tls.caCertPem].find((pem) => new x509.X509Certificate(firstCertificatePem(pem)).getExtension(x509.SubjectKeyIdentifierExtension)?.keyId === wanted);
  return tlsInfo(tls.caCertPem, issuer ?? chain[0] ?? tls.caCertPem);
}

// The root CA as Docker reports it in node and swarm inspect (TLSInfo): the PEM,
// and the issuer's subject and public key as base64 DER.
import { x509 } from './x509';

export interface CATLSInfo {
  TrustRoot: string;
  CertIssuerSubject: string;
  CertIssuerPublicKey: string;
}

export function tlsInfo(caCertPem: string): CATLSInfo {
  const cert = new x509.X509Certificate(caCertPem);
  return {
    TrustRoot: caCertPem,
    CertIssuerSubject: Buffer.from(cert.subjectName.toArrayBuffer()).toString('base64'),
    CertIssuerPublicKey: Buffer.from(cert.publicKey.rawData).toString('base64'),
  };
}

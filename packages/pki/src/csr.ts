// Joiner side of issuance: a fresh key and a CSR. The subject stays empty
// because the manager decides the node's identity.
import { x509 } from './x509';
import { InvalidCSRError } from './errors';
import { exportPrivateKeyPem, generateKeyPair, SIGNING_ALGORITHM } from './keys';

export interface KeyAndCSR {
  /** PKCS#8 PEM; keep it, the issued certificate is only usable with it. */
  keyPem: string;
  csrPem: string;
}

export async function createKeyAndCSR(): Promise<KeyAndCSR> {
  const keys = await generateKeyPair();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [],
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
  });
  return { keyPem: await exportPrivateKeyPem(keys.privateKey), csrPem: `${csr.toString('pem')}\n` };
}

/** Parses a PEM or DER CSR and checks its self-signature (proof the requester holds the key). */
export async function parseAndVerifyCSR(csr: string | Uint8Array): Promise<x509.Pkcs10CertificateRequest> {
  let request: x509.Pkcs10CertificateRequest;
  try {
    request = new x509.Pkcs10CertificateRequest(typeof csr === 'string' ? csr : Uint8Array.from(csr));
  } catch (err) {
    throw new InvalidCSRError('cannot parse', { cause: err });
  }
  let ok: boolean;
  try {
    ok = await request.verify();
  } catch (err) {
    throw new InvalidCSRError('cannot verify signature', { cause: err });
  }
  if (!ok) throw new InvalidCSRError('signature does not match its public key');
  return request;
}

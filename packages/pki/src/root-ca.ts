import { x509 } from './x509';
import { exportPrivateKeyPem, generateKeyPair, SIGNING_ALGORITHM, toPem } from './keys';
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

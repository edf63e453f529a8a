// ECDSA P-256 key generation and PEM <-> CryptoKey conversion.
import { createPrivateKey, webcrypto } from 'node:crypto';
import { x509 } from './x509';

export const subtle = webcrypto.subtle;
export const EC_KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
export const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;

export type KeyPair = webcrypto.CryptoKeyPair;

export async function generateKeyPair(): Promise<KeyPair> {
  return subtle.generateKey(EC_KEY_ALGORITHM, true, ['sign', 'verify']);
}

/** PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"), newline-terminated. */
export async function exportPrivateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = await subtle.exportKey('pkcs8', key);
  return `${x509.PemConverter.encode(der, 'PRIVATE KEY')}\n`;
}

/** Accepts PKCS#8 or SEC1 ("EC PRIVATE KEY") PEM for a P-256 key. */
export async function importSigningKey(keyPem: string | Uint8Array): Promise<webcrypto.CryptoKey> {
  const der = createPrivateKey(typeof keyPem === 'string' ? keyPem : Buffer.from(keyPem)).export({
    type: 'pkcs8',
    format: 'der',
  });
  return subtle.importKey('pkcs8', der, EC_KEY_ALGORITHM, false, ['sign']);
}

export function toPem(cert: x509.X509Certificate): string {
  return `${cert.toString('pem')}\n`;
}

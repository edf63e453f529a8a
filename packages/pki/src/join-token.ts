// Join tokens `SWMTKN-1-<root CA digest>-<secret>` (SK ca/config.go:127-170, 375-392).
import { createHash, timingSafeEqual } from 'node:crypto';
import { base36ToBytes, bytesToBase36 } from './base36';
import { InvalidJoinTokenError, RemoteCAMismatchError } from './errors';
import { cryptoRandomBytes, type RandomBytes } from './random';

const TOKEN_PREFIX = 'SWMTKN';
const DIGEST_BYTES = 32;
const DIGEST_BASE36_LENGTH = 50;
const SECRET_BYTES = 16;
const SECRET_BASE36_LENGTH = 25;

export interface ParsedJoinToken {
  version: 1;
  /** SHA-256 of the root CA PEM bytes, 64 lower-case hex chars. */
  rootDigestHex: string;
  /** The base-36 secret part, as written in the token. */
  secret: string;
}

/** SHA-256 (hex) of the exact bytes given; for a PEM string, of its UTF-8 bytes. */
export function caDigest(pem: string | Uint8Array): string {
  return createHash('sha256').update(pem).digest('hex');
}

export function generateJoinToken(rootCertPem: string | Uint8Array, random: RandomBytes = cryptoRandomBytes): string {
  const digest = Buffer.from(caDigest(rootCertPem), 'hex');
  const secret = random(SECRET_BYTES);
  if (secret.length !== SECRET_BYTES) throw new RangeError(`random source returned ${secret.length} bytes`);
  return [
    TOKEN_PREFIX,
    '1',
    bytesToBase36(digest, DIGEST_BASE36_LENGTH),
    bytesToBase36(secret, SECRET_BASE36_LENGTH),
  ].join('-');
}

/** Parses a v1 token; the FIPS form `SWMTKN-2-1-…` is not supported and is rejected. */
export function parseJoinToken(token: string): ParsedJoinToken {
  const parts = token.split('-');
  if (parts.length !== 4) throw new InvalidJoinTokenError();
  const [prefix, version, digestText = '', secret = ''] = parts;
  if (prefix !== TOKEN_PREFIX || version !== '1') throw new InvalidJoinTokenError();
  if (digestText.length !== DIGEST_BASE36_LENGTH || secret.length !== SECRET_BASE36_LENGTH) {
    throw new InvalidJoinTokenError();
  }
  const digest = base36ToBytes(digestText, DIGEST_BYTES);
  if (digest === undefined || base36ToBytes(secret, SECRET_BYTES) === undefined) {
    throw new InvalidJoinTokenError();
  }
  return { version: 1, rootDigestHex: Buffer.from(digest).toString('hex'), secret };
}

/** Checks the CA bytes a manager served against the digest in the join token. */
export function verifyRootCA(rootCertPem: string | Uint8Array, token: ParsedJoinToken): void {
  const actual = caDigest(rootCertPem);
  if (!tokenSecretEquals(actual, token.rootDigestHex)) {
    throw new RemoteCAMismatchError(token.rootDigestHex, actual);
  }
}

/**
 * Constant-time comparison of two tokens or secrets. Both sides are hashed
 * first so neither the content nor the length leaks through timing.
 */
export function tokenSecretEquals(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb);
}

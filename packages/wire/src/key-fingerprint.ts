// A short name for a secret key that logs and tests can compare; the key itself is never logged.
import { createHash } from 'node:crypto';

/** First 12 hex digits of SHA-256 over the key bytes (`key` as bytes or base64). */
export function keyFingerprint(key: string | Uint8Array): string {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'base64') : key;
  return createHash('sha256').update(bytes).digest('hex').slice(0, 12);
}

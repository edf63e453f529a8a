// Swarm autolock's unlock key: `SWMKEY-1-` + unpadded standard base64 of 32 random bytes (as
// swarmkit's HumanReadableKey). It never touches the disk of a locked manager; a key-encryption
// key derived from it (HKDF-SHA256) seals the manager's private key and its raft data key.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { InvalidUnlockKeyFormatError, WrongUnlockKeyError } from './errors';

const PREFIX = 'SWMKEY-1-';
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEK_INFO = 'shoal autolock key-encryption key';

export function generateUnlockKey(): string {
  return PREFIX + randomBytes(KEY_BYTES).toString('base64').replace(/=+$/, '');
}

/** The key's bytes; throws InvalidUnlockKeyFormatError for anything but `SWMKEY-1-<base64>`. */
export function parseUnlockKey(text: string): Buffer {
  if (!text.startsWith(PREFIX)) throw new InvalidUnlockKeyFormatError();
  const b64 = text.slice(PREFIX.length);
  // Go's RawStdEncoding: the standard alphabet, no padding, no stray bits in a final group.
  if (!/^[A-Za-z0-9+/]*$/.test(b64) || b64.length % 4 === 1) throw new InvalidUnlockKeyFormatError();
  const bytes = Buffer.from(b64, 'base64');
  if (bytes.toString('base64').replace(/=+$/, '') !== b64) throw new InvalidUnlockKeyFormatError();
  return bytes;
}

function kek(unlockKey: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', unlockKey, new Uint8Array(0), KEK_INFO, 32));
}

/** `plain` sealed under the unlock key: base64 of nonce | AES-256-GCM ciphertext | tag. */
export function sealWithUnlockKey(unlockKey: Uint8Array, plain: Uint8Array): string {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', kek(unlockKey), nonce);
  return Buffer.concat([nonce, cipher.update(plain), cipher.final(), cipher.getAuthTag()]).toString('base64');
}

export function openWithUnlockKey(unlockKey: Uint8Array, sealed: string): Buffer {
  const buf = Buffer.from(sealed, 'base64');
  if (buf.byteLength < NONCE_BYTES + TAG_BYTES) throw new WrongUnlockKeyError();
  const decipher = createDecipheriv('aes-256-gcm', kek(unlockKey), buf.subarray(0, NONCE_BYTES));
  decipher.setAuthTag(buf.subarray(buf.byteLength - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(buf.subarray(NONCE_BYTES, buf.byteLength - TAG_BYTES)), decipher.final()]);
  } catch (err) {
    throw new WrongUnlockKeyError({ cause: err });
  }
}

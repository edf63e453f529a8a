// Gossip keyring: AES-256-GCM sealing. The primary key seals; every installed key is tried on open,
// so keys rotate without a flag day (install everywhere → make primary → remove the old one).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { KeyringError } from './errors';

export const SEAL_VERSION = 1;
export const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** Bytes sealing adds to a payload: version + nonce + GCM tag. */
export const SEAL_OVERHEAD = 1 + NONCE_BYTES + TAG_BYTES;

export class Keyring {
  private ring: Buffer[];

  /** `keys[0]` becomes the primary key. */
  constructor(keys: readonly Uint8Array[]) {
    if (keys.length === 0) throw new KeyringError('a keyring needs at least one key');
    this.ring = [];
    for (const k of keys) this.addKey(k);
  }

  static generateKey(): Buffer {
    return randomBytes(KEY_BYTES);
  }

  get primaryKey(): Buffer {
    return Buffer.from(this.ring[0] as Buffer);
  }

  get keys(): Buffer[] {
    return this.ring.map((k) => Buffer.from(k));
  }

  /** Installs a key for decryption (no-op when present). */
  addKey(key: Uint8Array): void {
    checkKey(key);
    if (this.indexOf(key) < 0) this.ring.push(Buffer.from(key));
  }

  /**
   * Makes the ring exactly `keys` with `keys[0]` primary, in one step: new keys are installed, the
   * primary switches, keys not listed are dropped (as the managers' rotation hands them out).
   * Returns false when nothing changed.
   */
  setKeys(keys: readonly Uint8Array[]): boolean {
    if (keys.length === 0) throw new KeyringError('a keyring needs at least one key');
    const next: Buffer[] = [];
    for (const k of keys) {
      checkKey(k);
      if (!next.some((n) => n.equals(k))) next.push(Buffer.from(k));
    }
    const same = next.length === this.ring.length && next.every((k, i) => k.equals(this.ring[i] as Buffer));
    this.ring = next;
    return !same;
  }

  /** Makes an installed key the primary (sealing) key. */
  useKey(key: Uint8Array): void {
    const i = this.indexOf(key);
    if (i < 0) throw new KeyringError('cannot use a key that is not installed');
    const [k] = this.ring.splice(i, 1);
    this.ring.unshift(k as Buffer);
  }

  removeKey(key: Uint8Array): void {
    const i = this.indexOf(key);
    if (i === 0) throw new KeyringError('cannot remove the primary key');
    if (i > 0) this.ring.splice(i, 1);
  }

  /** version(1) ‖ nonce(12) ‖ ciphertext ‖ tag(16); the version byte is authenticated too. */
  seal(plaintext: Uint8Array): Buffer {
    const nonce = randomBytes(NONCE_BYTES);
    const header = Buffer.from([SEAL_VERSION]);
    const cipher = createCipheriv('aes-256-gcm', this.ring[0] as Buffer, nonce);
    cipher.setAAD(header);
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([header, nonce, body, cipher.getAuthTag()]);
  }

  /** The plaintext, or undefined when no installed key authenticates the input. */
  open(sealed: Uint8Array): Buffer | undefined {
    if (sealed.length < SEAL_OVERHEAD || sealed[0] !== SEAL_VERSION) return undefined;
    const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    const nonce = buf.subarray(1, 1 + NONCE_BYTES);
    const body = buf.subarray(1 + NONCE_BYTES, buf.length - TAG_BYTES);
    const tag = buf.subarray(buf.length - TAG_BYTES);
    for (const key of this.ring) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, nonce);
        decipher.setAAD(buf.subarray(0, 1));
        decipher.setAuthTag(tag);
        return Buffer.concat([decipher.update(body), decipher.final()]);
      } catch {
        // Authentication failed under this key: try the next one.
      }
    }
    return undefined;
  }

  private indexOf(key: Uint8Array): number {
    return this.ring.findIndex((k) => k.equals(key));
  }
}

function checkKey(key: Uint8Array): void {
  if (key.length !== KEY_BYTES) throw new KeyringError(`gossip keys are ${KEY_BYTES} bytes, got ${key.length}`);
}

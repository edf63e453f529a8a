// Random IDs in swarmkit's format (SK identity/randomid.go).
import { bytesToBigInt } from './base36';
import { cryptoRandomBytes, type RandomBytes } from './random';

const ID_ENTROPY_BYTES = 17;
const ID_LENGTH = 25;

/**
 * 17 random bytes with the top bit forced on, so the base-36 text is always
 * 27 digits; swarmkit keeps digits 1..25, dropping the biased leading one.
 */
export function generateNodeId(random: RandomBytes = cryptoRandomBytes): string {
  const bytes = Uint8Array.from(random(ID_ENTROPY_BYTES));
  if (bytes.length !== ID_ENTROPY_BYTES) throw new RangeError(`random source returned ${bytes.length} bytes`);
  bytes[0] = (bytes[0] ?? 0) | 0x80;
  return bytesToBigInt(bytes).toString(36).slice(1, ID_LENGTH + 1);
}

export function generateClusterId(random: RandomBytes = cryptoRandomBytes): string {
  return generateNodeId(random);
}

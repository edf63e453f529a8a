// Fixed-width base-36 text for byte strings, as Go's big.Int.Text(36) plus zero padding.

const BASE36 = /^[0-9a-z]+$/;

/** Encodes bytes as a big-endian unsigned integer in base 36, left-padded with '0' to `width`. */
export function bytesToBase36(bytes: Uint8Array, width: number): string {
  const text = bytesToBigInt(bytes).toString(36);
  if (text.length > width) {
    throw new RangeError(`${bytes.length} bytes do not fit in ${width} base-36 digits`);
  }
  return text.padStart(width, '0');
}

/**
 * Decodes lower-case base 36 into exactly `byteLength` big-endian bytes.
 * Returns undefined for a bad alphabet or a value that needs more bytes.
 */
export function base36ToBytes(text: string, byteLength: number): Uint8Array | undefined {
  if (!BASE36.test(text)) return undefined;
  let value = 0n;
  for (const ch of text) value = value * 36n + BigInt(parseInt(ch, 36));
  const hex = value.toString(16).padStart(byteLength * 2, '0');
  if (hex.length > byteLength * 2) return undefined;
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

export function bytesToBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
}

// Certificate validity windows (SK ca/certificates.go:51-68).

export const HOUR_MS = 60 * 60 * 1000;
/** Certificates start 1 h in the past to tolerate clock skew between nodes. */
export const BACKDATE_MS = HOUR_MS;
/** 630720000 s: 20 years of 365 days. */
export const ROOT_CA_VALIDITY_MS = 630_720_000 * 1000;
export const DEFAULT_NODE_CERT_VALIDITY_HOURS = 2160;
export const MIN_NODE_CERT_VALIDITY_HOURS = 1;

/** Random positive 128-bit serial; the 0x40 bit keeps the DER integer minimal and non-negative. */
export function randomSerialHex(random: (size: number) => Uint8Array): string {
  const bytes = Uint8Array.from(random(16));
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
  return Buffer.from(bytes).toString('hex');
}

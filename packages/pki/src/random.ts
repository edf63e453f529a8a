import { randomBytes } from 'node:crypto';

/** Source of random bytes; injectable so tests can be deterministic. */
export type RandomBytes = (size: number) => Uint8Array;

export const cryptoRandomBytes: RandomBytes = (size) => randomBytes(size);

import { describe, expect, it } from 'vitest';
import { generateClusterId, generateNodeId } from './identity';

const fixed = (byte: number) => (size: number) => new Uint8Array(size).fill(byte);

describe('generateNodeId', () => {
  it('is always 25 base-36 chars, even at the extremes of the 17-byte range', () => {
    for (const byte of [0x00, 0x01, 0x7f, 0x80, 0xff]) {
      expect(generateNodeId(fixed(byte))).toMatch(/^[0-9a-z]{25}$/);
    }
    for (let i = 0; i < 200; i++) expect(generateNodeId()).toMatch(/^[0-9a-z]{25}$/);
  });

  it('follows swarmkit: set the top bit, take base-36 digits 1..25', () => {
    const n = (1n << 135n) | 0x0102n; // top bit forced on, low bytes 01 02
    const expected = n.toString(36).slice(1, 26);
    const bytes = (size: number) => {
      const b = new Uint8Array(size);
      b[size - 2] = 1;
      b[size - 1] = 2;
      return b;
    };
    expect(generateNodeId(bytes)).toBe(expected);
  });

  it('reads every one of the 17 bytes in place (as the number their hex spells)', () => {
    for (let i = 0; i < 50; i++) {
      const raw = Uint8Array.from({ length: 17 }, () => Math.floor(Math.random() * 256));
      const n = BigInt(`0x${Buffer.from(raw).toString('hex')}`) | (1n << 135n);
      expect(generateNodeId(() => raw)).toBe(n.toString(36).slice(1, 26));
      const inPool = new Uint8Array(40);
      inPool.set(raw, 7);
      expect(generateNodeId(() => inPool.subarray(7, 24))).toBe(n.toString(36).slice(1, 26)); // a view at an offset
    }
  });

  it('does not mutate the random source buffer', () => {
    const buf = new Uint8Array(17);
    generateNodeId(() => buf);
    expect(buf[0]).toBe(0);
  });

  it('cluster IDs share the format', () => {
    expect(generateClusterId()).toMatch(/^[0-9a-z]{25}$/);
    expect(generateClusterId()).not.toBe(generateClusterId());
  });
});

describe('cryptoRandomBytes (pooled)', () => {
  it('never hands out the same bytes twice, across pool refills', async () => {
    const { cryptoRandomBytes } = await import('./random');
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) seen.add(Buffer.from(cryptoRandomBytes(17)).toString('hex')); // > 4 refills
    expect(seen.size).toBe(1000);
    expect(cryptoRandomBytes(5000)).toHaveLength(5000); // large requests bypass the pool
  });
});

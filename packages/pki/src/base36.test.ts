import { describe, expect, it } from 'vitest';
import { base36ToBytes, bytesToBase36 } from './base36';

describe('base36', () => {
  const cases: Array<[string, number[]]> = [
    ['all zero', new Array<number>(32).fill(0)],
    ['all 0xff', new Array<number>(32).fill(0xff)],
    ['leading zero bytes', [0, 0, 0, 1, 2, 3, ...new Array<number>(26).fill(0xab)]],
    ['single trailing one', [...new Array<number>(31).fill(0), 1]],
  ];

  it.each(cases)('round-trips 32 bytes through 50 digits: %s', (_name, values) => {
    const bytes = Uint8Array.from(values);
    const text = bytesToBase36(bytes, 50);
    expect(text).toHaveLength(50);
    expect(text).toMatch(/^[0-9a-z]+$/);
    expect(base36ToBytes(text, 32)).toEqual(bytes);
  });

  it('round-trips 16 bytes through 25 digits', () => {
    const bytes = Uint8Array.from([0, 0x80, ...new Array<number>(14).fill(7)]);
    expect(base36ToBytes(bytesToBase36(bytes, 25), 16)).toEqual(bytes);
    expect(bytesToBase36(new Uint8Array(16).fill(0xff), 25)).toHaveLength(25);
  });

  it('matches Go big.Int.Text(36) for a known value', () => {
    expect(bytesToBase36(Uint8Array.from([0x01, 0x00]), 5)).toBe('00074'); // 256 = 7*36 + 4
  });

  it('rejects bad alphabet and overflow', () => {
    expect(base36ToBytes('ABC', 2)).toBeUndefined();
    expect(base36ToBytes('a-b', 2)).toBeUndefined();
    expect(base36ToBytes('', 2)).toBeUndefined();
    expect(base36ToBytes('z'.repeat(50), 32)).toBeUndefined();
  });

  it('refuses to truncate', () => {
    expect(() => bytesToBase36(new Uint8Array(32).fill(0xff), 49)).toThrow(RangeError);
  });
});

import { describe, expect, it } from 'vitest';
import { encode } from './codec';
import { MsgpackScanError, findMapValue, isAsciiKey, readArrayHeader, readMapHeader, skipValue } from './msgpack-scan';

/** One value of every msgpack form msgpackr writes for Shoal's frames. */
const forms: Record<string, unknown> = {
  fixint: 7,
  negFixint: -5,
  uint8: 200,
  uint16: 60_000,
  uint32: 4_000_000_000,
  uint64: 2 ** 53 - 1,
  int8: -100,
  int16: -30_000,
  int32: -2_000_000_000,
  int64: -(2 ** 53 - 1),
  float: 1.5,
  nil: null,
  undef: undefined,
  bools: [true, false],
  fixstr: 'abc',
  str8: 'x'.repeat(200),
  str16: 'y'.repeat(70_000),
  unicode: 'zürich ✓ 🐟',
  bin: new Uint8Array([1, 2, 3]),
  bin16: new Uint8Array(300),
  date: new Date('2026-01-01T00:00:00Z'),
  fixarray: [1, 2, 3],
  array16: Array.from({ length: 20 }, (_, i) => i),
  fixmap: { a: 1 },
  map16: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, { nested: [i, `s${i}`] }])),
  empty: {},
  emptyArray: [],
};

describe('msgpack scan', () => {
  it('finds the end of every value form', () => {
    for (const [name, value] of Object.entries(forms)) {
      const bytes = encode(value);
      expect(skipValue(bytes, 1), name).toBe(bytes.byteLength);
    }
    const all = encode(forms);
    expect(skipValue(all, 1)).toBe(all.byteLength);
  });

  it('reads map and array headers and finds a key', () => {
    const bytes = encode(forms);
    expect(readMapHeader(bytes, 1)?.count).toBe(Object.keys(forms).length);
    expect(readArrayHeader(bytes, 1)).toBeUndefined();
    const arr = findMapValue(bytes, 1, 'array16');
    expect(arr).toBeDefined();
    expect(readArrayHeader(bytes, arr?.start ?? 0)?.count).toBe(20);
    const str = findMapValue(bytes, 1, 'fixstr');
    expect(Buffer.from(bytes.subarray(str?.start, str?.end)).toString('hex')).toBe('a3616263');
    expect(findMapValue(bytes, 1, 'missing')).toBeUndefined();
    const key = bytes.indexOf(Buffer.from('fixmap')) - 1;
    expect(isAsciiKey(bytes, key, 'fixmap')).toBe(true);
    expect(isAsciiKey(bytes, key, 'fixma')).toBe(false);
  });

  it('refuses truncated values and unknown bytes', () => {
    const bytes = encode(forms);
    for (const cut of [2, 40, bytes.byteLength - 1]) expect(() => skipValue(bytes.subarray(0, cut), 1)).toThrow(MsgpackScanError);
    expect(() => skipValue(new Uint8Array([0xc1]), 0)).toThrow(/unknown msgpack byte 0xc1/);
  });
});

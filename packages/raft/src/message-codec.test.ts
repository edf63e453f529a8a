import { describe, expect, it } from 'vitest';
import { DecodeError } from './codec';
import { decodeMessages, encodeMessages } from './message-codec';
import type { Message } from './messages';

const A = 'n0000000000000000000000aa';
const B = 'n0000000000000000000000bb';
const bytes = (...xs: number[]) => new Uint8Array(xs);

/** One of every message type, with non-default values in every field. */
const ALL: Message[] = [
  { type: 'pre-vote', from: A, to: B, term: 7, lastIndex: 41, lastTerm: 6 },
  { type: 'pre-vote-response', from: B, to: A, term: 7, reject: true },
  { type: 'vote', from: A, to: B, term: 8, lastIndex: 41, lastTerm: 6, transfer: true },
  { type: 'vote-response', from: B, to: A, term: 8, reject: false },
  {
    type: 'append',
    from: A,
    to: B,
    term: 8,
    index: 41,
    logTerm: 6,
    commit: 40,
    entries: [
      { index: 42, term: 8, type: 'normal', data: bytes() },
      { index: 43, term: 8, type: 'conf-change', data: bytes(1, 2, 3) },
      { index: 2 ** 40, term: 2 ** 33, type: 'normal', data: new Uint8Array(5000).fill(9) },
    ],
  },
  { type: 'append-response', from: B, to: A, term: 8, index: 43, reject: true, rejectHint: 30, hintTerm: 5 },
  { type: 'heartbeat', from: A, to: B, term: 8, commit: 43 },
  { type: 'heartbeat-response', from: B, to: A, term: 8 },
  {
    type: 'snapshot',
    from: A,
    to: B,
    term: 8,
    snapshot: { metadata: { index: 100, term: 7, confState: { voters: [A, B], learners: ['ñode-ü'] } }, data: bytes(4, 5) },
  },
  { type: 'timeout-now', from: A, to: B, term: 8 },
  { type: 'transfer-leader', from: B, to: A, term: 8, transferee: B },
];

/** Plain-data view for comparison: typed arrays as arrays. */
function plain(x: unknown): unknown {
  return JSON.parse(JSON.stringify(x, (_k, v: unknown) => (v instanceof Uint8Array ? [...v] : v)));
}

describe('raft message codec', () => {
  it('round-trips every message type', () => {
    expect(plain(decodeMessages(encodeMessages(ALL)))).toEqual(plain(ALL));
  });

  it('round-trips an empty batch', () => {
    expect(decodeMessages(encodeMessages([]))).toEqual([]);
  });

  it('refuses another version, a truncated batch and trailing bytes', () => {
    const good = encodeMessages(ALL);
    const otherVersion = good.slice();
    otherVersion[0] = 2;
    expect(() => decodeMessages(otherVersion)).toThrow(/unknown raft message encoding 2/);
    expect(() => decodeMessages(good.subarray(0, good.length - 1))).toThrow(DecodeError);
    expect(() => decodeMessages(new Uint8Array([...good, 0]))).toThrow(/trailing bytes/);
  });

  it('refuses an unknown message type and entry type', () => {
    const badType = encodeMessages([ALL[7] as Message]).slice();
    badType[5] = 200; // version (1) + count (4), then the type tag
    expect(() => decodeMessages(badType)).toThrow(/unknown raft message type/);
    const oneEntry: Message = { type: 'append', from: A, to: B, term: 1, index: 0, logTerm: 0, commit: 0, entries: [{ index: 1, term: 1, type: 'normal', data: bytes() }] };
    const badEntry = encodeMessages([oneEntry]).slice();
    badEntry[badEntry.length - 5] = 9; // the entry type byte precedes the 4-byte data length
    expect(() => decodeMessages(badEntry)).toThrow(/unknown entry type 9/);
  });
});

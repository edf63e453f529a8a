import { describe, expect, it } from 'vitest';
import { BroadcastQueue } from './broadcast-queue';
import { COMPOUND_OVERHEAD, decodeMessage, encodeMessage, encodedSize } from './codec';
import { GossipDecodeError, FrameTooLargeError } from './errors';
import type { GossipMessage, SingleMessage } from './messages';
import { FrameDecoder, encodeFrame } from './stream-framing';
import { Packr } from 'msgpackr';

const alive = (node: string, incarnation = 0): SingleMessage => ({
  type: 'alive',
  node,
  incarnation,
  addr: '10.0.0.1',
  port: 7946,
  meta: { role: 'worker' },
});

describe('codec', () => {
  it('round-trips every message type behind a version byte', () => {
    const msgs: GossipMessage[] = [
      { type: 'ping', seq: 1, target: 'n1', src: '10.0.0.2:7946' },
      { type: 'indirect-ping', seq: 2, target: 'n1', targetAddr: '10.0.0.1:7946', src: 'x:1', nack: true, timeoutMs: 40 },
      { type: 'ack', seq: 3 },
      { type: 'nack', seq: 4 },
      alive('n1', 5),
      { type: 'suspect', node: 'n1', incarnation: 5, from: 'n2' },
      { type: 'dead', node: 'n1', incarnation: 5, from: 'n1' },
      { type: 'user', payload: { tbl: [{ o: 'n1', k: 'a', n: 1, v: { port: 1 } }] } },
      { type: 'compound', parts: [{ type: 'ack', seq: 9 }, alive('n3')] },
      { type: 'push-pull', join: true, reply: false, src: 'x:1', nodes: [{ id: 'n1', addr: 'a', port: 1, meta: {}, incarnation: 2, state: 'suspect' }], user: null },
    ];
    for (const m of msgs) {
      const bytes = encodeMessage(m);
      expect(bytes[0]).toBe(1);
      expect(decodeMessage(bytes)).toEqual(m);
    }
  });

  it('sizes compound packets within the declared overhead', () => {
    const parts = [alive('a'), alive('b'), { type: 'ack', seq: 1 } as const];
    const total = encodeMessage({ type: 'compound', parts }).length - 1;
    expect(total).toBeLessThanOrEqual(COMPOUND_OVERHEAD + parts.reduce((s, p) => s + encodedSize(p), 0));
  });

  it('rejects a wrong version, unknown tags, malformed fields and nesting', () => {
    const packr = new Packr({ useRecords: false });
    const frame = (v: unknown): Buffer => Buffer.concat([Buffer.from([1]), packr.pack(v)]);
    expect(() => decodeMessage(Buffer.from([2, 0x80]))).toThrow(GossipDecodeError);
    expect(() => decodeMessage(frame({ type: 99 }))).toThrow(/unknown gossip message tag/);
    expect(() => decodeMessage(frame({ type: 0, seq: -1, target: 'a', src: 'b' }))).toThrow(/malformed ping/);
    expect(() => decodeMessage(frame({ type: 4, node: 'a', incarnation: 1, addr: 'x', port: 1, meta: { a: 1 } }))).toThrow(/malformed alive/);
    expect(() => decodeMessage(frame({ type: 8, parts: [{ type: 8, parts: [] }] }))).toThrow(/compound/);
    expect(() => decodeMessage(Buffer.from([1, 0xc1]))).toThrow(GossipDecodeError);
  });
});

describe('broadcast queue', () => {
  it('sends least-transmitted first, drops after the limit, replaces by key', () => {
    let limit = 2;
    const q = new BroadcastQueue({ limit: () => limit });
    q.queue(alive('a'), 'm:a');
    q.queue(alive('b'), 'm:b');
    q.queue(alive('a', 1), 'm:a');
    expect(q.length).toBe(2);
    const first = q.take(10_000);
    expect(first.map((m) => (m as { node: string }).node)).toEqual(['b', 'a']);
    expect((first[1] as { incarnation: number }).incarnation).toBe(1);
    q.queue(alive('c'), 'm:c');
    expect(q.take(10_000).map((m) => (m as { node: string }).node)).toEqual(['c', 'b', 'a']);
    expect(q.length).toBe(1);
    limit = 1;
    expect(q.take(10_000)).toHaveLength(1);
    expect(q.length).toBe(0);
  });

  it('respects the byte budget and hands oversized items to the reliable path', () => {
    const q = new BroadcastQueue({ limit: () => 3 });
    const size = encodedSize(alive('a'));
    q.queue(alive('a'));
    q.queue(alive('b'));
    q.queue({ type: 'user', payload: 'x'.repeat(2000) });
    expect(q.take(size + 1)).toHaveLength(1);
    expect(q.takeOversized(1300)).toHaveLength(1);
  });

  it('calls onSent on the first transmission only', () => {
    const q = new BroadcastQueue({ limit: () => 3 });
    let sent = 0;
    q.queue(alive('a'), undefined, () => sent++);
    q.take(10_000);
    q.take(10_000);
    expect(sent).toBe(1);
  });
});

describe('stream framing', () => {
  it('reassembles frames from arbitrary chunks', () => {
    const a = encodeFrame(Buffer.from('hello'));
    const b = encodeFrame(Buffer.alloc(3000, 7));
    const all = Buffer.concat([a, b]);
    const d = new FrameDecoder(10_000);
    const out: Buffer[] = [];
    for (let i = 0; i < all.length; i += 7) out.push(...d.push(all.subarray(i, i + 7)));
    expect(out.map((f) => f.length)).toEqual([5, 3000]);
    expect(out[0]?.toString()).toBe('hello');
    expect(d.buffered).toBe(0);
  });

  it('refuses a frame above the limit', () => {
    const d = new FrameDecoder(10);
    expect(() => d.push(encodeFrame(Buffer.alloc(11)))).toThrow(FrameTooLargeError);
  });
});

import { describe, expect, it } from 'vitest';
import { TunnelProtocolError } from '../errors';
import { FrameParser, FrameType, HEADER_BYTES, MAX_DATAGRAM_PAYLOAD, PREFACE, decodeOpen, encodeOpen, writeHeader } from './frames';
import type { FrameSink } from './frames';

type Seen = [string, number, string];

function frame(type: FrameType, id: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const b = Buffer.alloc(HEADER_BYTES + payload.length);
  writeHeader(b, 0, type, id, payload.length);
  payload.copy(b, HEADER_BYTES);
  return b;
}

function collector(): { sink: FrameSink; seen: Seen[] } {
  const seen: Seen[] = [];
  return {
    seen,
    sink: {
      control: (type, id, payload) => seen.push([`c${type}`, id, payload.toString('hex')]),
      data: (id, chunk) => seen.push(['data', id, chunk.toString()]),
      datagram: (id, payload) => seen.push(['dgram', id, payload.toString()]),
    },
  };
}

/** Merges adjacent DATA pieces of one stream so results compare independently of chunking. */
function merged(seen: Seen[]): Seen[] {
  const out: Seen[] = [];
  for (const s of seen) {
    const last = out[out.length - 1];
    if (last && last[0] === 'data' && s[0] === 'data' && last[1] === s[1]) last[2] += s[2];
    else out.push([...s]);
  }
  return out;
}

describe('FrameParser', () => {
  const wire = Buffer.concat([
    PREFACE,
    frame(FrameType.Open, 1, encodeOpen(65536, { taskId: 'task-1' })),
    frame(FrameType.Data, 1, Buffer.from('hello ')),
    frame(FrameType.Data, 1, Buffer.from('world')),
    frame(FrameType.Window, 3, Buffer.from([0, 1, 0, 0])),
    frame(FrameType.Data, 3, Buffer.alloc(0)),
    frame(FrameType.Fin, 1),
  ]);
  const expected: Seen[] = [
    [`c${FrameType.Open}`, 1, encodeOpen(65536, { taskId: 'task-1' }).toString('hex')],
    ['data', 1, 'hello world'],
    [`c${FrameType.Window}`, 3, '00010000'],
    [`c${FrameType.Fin}`, 1, ''],
  ];

  it('splits a stream into frames whatever the read boundaries', () => {
    for (const size of [1, 2, 5, 9, 13, wire.length]) {
      const { sink, seen } = collector();
      const p = new FrameParser(sink);
      for (let at = 0; at < wire.length; at += size) p.push(wire.subarray(at, at + size));
      expect(merged(seen)).toEqual(expected);
    }
  });

  it('hands DATA payloads on as views, without waiting for the whole frame', () => {
    const { sink, seen } = collector();
    const p = new FrameParser(sink);
    p.push(Buffer.concat([PREFACE, frame(FrameType.Data, 7, Buffer.from('abcdef')).subarray(0, HEADER_BYTES + 2)]));
    expect(seen).toEqual([['data', 7, 'ab']]);
  });

  it('rejects a connection that is not a tunnel, another version, or a bad frame', () => {
    const parse = (b: Buffer) => () => new FrameParser(collector().sink).push(b);
    expect(parse(Buffer.from('GET / HTTP/1.1\r\n'))).toThrow(/not a shoal tunnel/);
    expect(parse(Buffer.from([0x53, 0x48, 0x54, 0x4e, 9]))).toThrow(/version 9/);
    expect(parse(Buffer.concat([PREFACE, Buffer.from([99, 0, 0, 0, 1, 0, 0, 0, 0])]))).toThrow(TunnelProtocolError);
    const huge = Buffer.alloc(HEADER_BYTES);
    writeHeader(huge, 0, FrameType.Open, 1, 1 << 20);
    expect(parse(Buffer.concat([PREFACE, huge]))).toThrow(/control frame/);
  });
});

describe('datagram frames', () => {
  const wire = Buffer.concat([
    PREFACE,
    frame(FrameType.OpenDatagram, 5, encodeOpen(0, { taskId: 'task-u' })),
    frame(FrameType.Datagram, 5, Buffer.from('first')),
    frame(FrameType.Data, 1, Buffer.from('bytes')),
    frame(FrameType.Datagram, 5, Buffer.alloc(0)),
    frame(FrameType.Datagram, 5, Buffer.from('second')),
    frame(FrameType.Reset, 5, Buffer.from([1])),
  ]);

  it('delivers each DGRAM frame whole, its boundaries kept, whatever the read boundaries', () => {
    for (const size of [1, 3, 9, 10, 17, wire.length]) {
      const { sink, seen } = collector();
      const p = new FrameParser(sink);
      for (let at = 0; at < wire.length; at += size) p.push(wire.subarray(at, at + size));
      expect(merged(seen)).toEqual([
        [`c${FrameType.OpenDatagram}`, 5, encodeOpen(0, { taskId: 'task-u' }).toString('hex')],
        ['dgram', 5, 'first'],
        ['data', 1, 'bytes'],
        ['dgram', 5, ''],
        ['dgram', 5, 'second'],
        [`c${FrameType.Reset}`, 5, '01'],
      ]);
    }
  });

  it('hands on a datagram that owns its bytes', () => {
    const payloads: Buffer[] = [];
    const p = new FrameParser({ control: () => undefined, data: () => undefined, datagram: (_id, d) => payloads.push(d) });
    const chunk = Buffer.concat([PREFACE, frame(FrameType.Datagram, 1, Buffer.from('keep'))]);
    p.push(chunk);
    chunk.fill(0);
    expect(payloads[0]?.toString()).toBe('keep');
  });

  it('accepts a datagram of 65535 bytes and rejects a larger one', () => {
    const { sink, seen } = collector();
    new FrameParser(sink).push(Buffer.concat([PREFACE, frame(FrameType.Datagram, 1, Buffer.alloc(MAX_DATAGRAM_PAYLOAD, 'a'))]));
    expect(seen[0]?.[2].length).toBe(MAX_DATAGRAM_PAYLOAD);
    const huge = Buffer.alloc(HEADER_BYTES);
    writeHeader(huge, 0, FrameType.Datagram, 1, MAX_DATAGRAM_PAYLOAD + 1);
    expect(() => new FrameParser(collector().sink).push(Buffer.concat([PREFACE, huge]))).toThrow(/DGRAM frame/);
  });
});

describe('OPEN target', () => {
  it('round-trips a task id and an address', () => {
    expect(decodeOpen(encodeOpen(1234, { taskId: 'tsk' }))).toEqual({ window: 1234, target: { taskId: 'tsk' } });
    expect(decodeOpen(encodeOpen(9, { addr: '10.0.0.2', port: 30001 }))).toEqual({ window: 9, target: { addr: '10.0.0.2', port: 30001 } });
    expect(() => decodeOpen(Buffer.from([0, 0, 0, 1, 7, 0]))).toThrow(/target kind/);
  });
});

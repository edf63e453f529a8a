import { describe, expect, it } from 'vitest';
import { TunnelProtocolError } from '../errors';
import { FrameParser, FrameType, HEADER_BYTES, PREFACE, decodeOpen, encodeOpen, writeHeader } from './frames';
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

describe('OPEN target', () => {
  it('round-trips a task id and an address', () => {
    expect(decodeOpen(encodeOpen(1234, { taskId: 'tsk' }))).toEqual({ window: 1234, target: { taskId: 'tsk' } });
    expect(decodeOpen(encodeOpen(9, { addr: '10.0.0.2', port: 30001 }))).toEqual({ window: 9, target: { addr: '10.0.0.2', port: 30001 } });
    expect(() => decodeOpen(Buffer.from([0, 0, 0, 1, 7, 0]))).toThrow(/target kind/);
  });
});

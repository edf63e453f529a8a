import { describe, expect, it } from 'vitest';
import { StdcopyDemuxer, demuxStdcopy, encodeStdFrame } from './stdcopy';

const text = (frames: Array<{ stream: string; payload: Buffer }>): string[] => frames.map((f) => `${f.stream}:${f.payload.toString()}`);

async function* chunks(...parts: Buffer[]): AsyncGenerator<Buffer> {
  for (const p of parts) yield p;
}

describe('stdcopy demuxer', () => {
  it('reads the 8-byte header: stream byte, three zeros, big-endian length', () => {
    const frame = encodeStdFrame('stderr', 'oops\n');
    expect([...frame.subarray(0, 8)]).toEqual([2, 0, 0, 0, 0, 0, 0, 5]);
    expect(text(new StdcopyDemuxer().push(frame))).toEqual(['stderr:oops\n']);
  });

  it('reassembles frames split anywhere, one byte at a time included', () => {
    const all = Buffer.concat([encodeStdFrame('stdout', 'a\n'), encodeStdFrame('stderr', 'b\n'), encodeStdFrame('stdout', '')]);
    const d = new StdcopyDemuxer();
    const out = [];
    for (const byte of all) out.push(...d.push(Buffer.from([byte])));
    expect(text(out)).toEqual(['stdout:a\n', 'stderr:b\n', 'stdout:']);
    expect(d.buffered).toBe(0);
  });

  it('keeps a partial frame until the rest arrives', () => {
    const d = new StdcopyDemuxer();
    const frame = encodeStdFrame('stdout', 'hello world');
    expect(d.push(frame.subarray(0, 10))).toEqual([]);
    expect(d.buffered).toBe(10);
    expect(text(d.push(frame.subarray(10)))).toEqual(['stdout:hello world']);
  });

  it('handles a large payload', () => {
    const big = 'x'.repeat(70_000);
    expect(new StdcopyDemuxer().push(encodeStdFrame('stdout', big))[0]?.payload.length).toBe(70_000);
  });

  it("refuses an unknown stream byte with stdcopy's text", () => {
    const bad = Buffer.from([7, 0, 0, 0, 0, 0, 0, 1, 65]);
    expect(() => new StdcopyDemuxer().push(bad)).toThrow('Unrecognized input header: 7');
  });

  it('ends a stream on a daemon error frame, after the frames before it', async () => {
    const got: string[] = [];
    const run = async (): Promise<void> => {
      for await (const f of demuxStdcopy(chunks(encodeStdFrame('stdout', 'ok\n'), encodeStdFrame('systemerr', 'boom')))) {
        got.push(f.payload.toString());
      }
    };
    await expect(run()).rejects.toThrow('error from daemon in stream: boom');
    expect(got).toEqual(['ok\n']);
  });
});

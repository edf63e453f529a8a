import { describe, expect, it } from 'vitest';
import { SharedReadBuffer } from './relay';
import type { ByteStream } from './relay';
import { TunnelStream } from './tunnel/stream';
import type { StreamCarrier } from './tunnel/stream';

// The shared read buffer's contract: once forward() returns, nothing refers to the buffer, since
// every socket's next read lands in it.

/** A destination that keeps what it is given, reporting `held` bytes still unsent. */
function keepingSink(copiesWrites: boolean): ByteStream & { chunks: Buffer[]; held: number } {
  const sink = {
    chunks: [] as Buffer[],
    held: 0,
    copiesWrites,
    get writableLength(): number {
      return sink.held;
    },
    write(chunk: Uint8Array): boolean {
      sink.chunks.push(chunk as Buffer);
      return true;
    },
    end: () => undefined,
    destroy: () => undefined,
    pause: () => undefined,
    resume: () => undefined,
    on: () => sink,
  };
  return sink;
}

/** What the next read of any socket does: overwrite the shared buffer. */
function read(rb: SharedReadBuffer, text: string): number {
  return rb.buffer.write(text);
}

describe('SharedReadBuffer', () => {
  it('gives a socket destination a copy: a later read cannot change bytes it still holds', () => {
    const rb = new SharedReadBuffer(64);
    const sink = keepingSink(false);
    sink.held = 5; // the socket could not send them yet
    rb.forward(sink, read(rb, 'first'));
    rb.forward(keepingSink(false), read(rb, 'other'));
    expect(sink.chunks.map(String)).toEqual(['first']);
  });

  it('reuses the room of a copy the socket sent at once, not of one it still holds', () => {
    const rb = new SharedReadBuffer(64);
    const sink = keepingSink(false);
    rb.forward(sink, read(rb, 'aaaa'));
    rb.forward(sink, read(rb, 'bbbb'));
    sink.held = 4;
    rb.forward(sink, read(rb, 'cccc'));
    rb.forward(sink, read(rb, 'dddd'));
    const [a, b, c, d] = sink.chunks as [Buffer, Buffer, Buffer, Buffer];
    expect(b.byteOffset).toBe(a.byteOffset);
    expect(c.byteOffset).toBe(a.byteOffset);
    expect(d.byteOffset).toBe(c.byteOffset + 4);
    expect(String(c)).toBe('cccc');
  });

  it('gives a destination that copies writes itself a view, no copy', () => {
    const rb = new SharedReadBuffer(64);
    const sink = keepingSink(true);
    rb.forward(sink, read(rb, 'view'));
    expect((sink.chunks[0] as Buffer).buffer).toBe(rb.buffer.buffer);
  });
});

describe('TunnelStream as a SharedReadBuffer destination', () => {
  it('copies what it must queue (no credit yet), so the reader may reuse its buffer', () => {
    const sent: string[] = [];
    const carrier: StreamCarrier = {
      congested: false,
      sendData: (_id, chunk) => void sent.push(String(chunk)),
      sendFin: () => undefined,
      sendReset: () => undefined,
      sendWindow: () => undefined,
      sendOpenOk: () => undefined,
      waitForDrain: () => undefined,
      forget: () => undefined,
    };
    const stream = new TunnelStream(1, carrier, 1024, undefined, 0);
    expect(stream.copiesWrites).toBe(true);
    const rb = new SharedReadBuffer(64);
    rb.forward(stream, read(rb, 'queued'));
    read(rb, 'XXXXXX');
    stream.onOpenOk(1024);
    expect(sent).toEqual(['queued']);
  });
});

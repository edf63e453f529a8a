import { describe, expect, it } from 'vitest';
import { FrameWriter } from './frame-writer';
import type { FrameOutput, FrameWriterOptions } from './frame-writer';
import { FrameType, HEADER_BYTES } from './frames';

// FrameWriter against an output that records each write: which frames leave together, and when,
// counted in event-loop turns (setImmediate), not in time.

class RecordingOutput implements FrameOutput {
  readonly writes: Buffer[] = [];
  destroyed = false;
  writableLength = 0;
  private pending: (() => void) | undefined;

  write(chunk: Buffer, callback: (err?: Error | null) => void): boolean {
    this.writes.push(Buffer.from(chunk));
    this.pending = () => callback();
    return true;
  }

  /** Completes the write in flight, as the TLS socket would. */
  complete(): void {
    const done = this.pending;
    this.pending = undefined;
    done?.();
  }
}

/** The stream ids of the frames in one write. */
function streamIds(write: Buffer): number[] {
  const ids: number[] = [];
  for (let at = 0; at < write.length; at += HEADER_BYTES + write.readUInt32BE(at + 5)) ids.push(write.readUInt32BE(at + 1));
  return ids;
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const payload = Buffer.alloc(100, 1);

/** Time stands still unless a test moves it. */
let clockMs = 0;
function writer(out: FrameOutput, options: FrameWriterOptions = {}, onWritten: () => void = () => undefined): FrameWriter {
  return new FrameWriter(out, onWritten, { now: () => clockMs, ...options });
}

describe('FrameWriter', () => {
  it('writes the frames of every stream pushed in one turn as one write', async () => {
    const out = new RecordingOutput();
    const w = writer(out);
    for (let id = 1; id <= 5; id++) w.push(FrameType.Data, id, payload);
    await turn();
    await turn();
    expect(out.writes.map(streamIds)).toEqual([[1, 2, 3, 4, 5]]);
  });

  it('holds a small batch while frames keep arriving, and writes it in the first turn that brings none', async () => {
    const out = new RecordingOutput();
    const w = writer(out);
    w.push(FrameType.Data, 1, payload);
    await turn();
    w.push(FrameType.Data, 2, payload);
    await turn();
    expect(out.writes).toHaveLength(0);
    await turn();
    expect(out.writes.map(streamIds)).toEqual([[1, 2]]);
  });

  it('with quietTurns, holds a small batch through that many turns in a row that bring no frame', async () => {
    const out = new RecordingOutput();
    const w = writer(out, { holdTurns: 8, quietTurns: 2 });
    w.push(FrameType.Data, 1, payload);
    await turn();
    await turn(); // quiet
    w.push(FrameType.Data, 2, payload);
    await turn(); // a frame: the quiet count starts again
    await turn(); // quiet
    await turn(); // quiet
    expect(out.writes).toHaveLength(0);
    await turn(); // a third quiet turn in a row
    expect(out.writes.map(streamIds)).toEqual([[1, 2]]);

    const bounded = new RecordingOutput();
    const b = writer(bounded, { holdTurns: 2, quietTurns: 5 });
    b.push(FrameType.Data, 1, payload);
    await turn();
    await turn();
    expect(bounded.writes).toHaveLength(0);
    await turn();
    expect(bounded.writes.map(streamIds)).toEqual([[1]]);
  });

  it('holds a batch for holdTurns turns at most', async () => {
    const out = new RecordingOutput();
    const w = writer(out, { holdTurns: 3 });
    const firstWriteAfter: number[] = [];
    for (let t = 1; t <= 8; t++) {
      w.push(FrameType.Data, t, payload);
      await turn();
      if (out.writes.length > 0 && firstWriteAfter.length === 0) firstWriteAfter.push(t);
    }
    expect(firstWriteAfter).toEqual([4]);
    expect(streamIds(out.writes[0] as Buffer)).toEqual([1, 2, 3, 4]);
  });

  it('holds a batch for holdMs at most, however short the turns', async () => {
    const out = new RecordingOutput();
    const w = writer(out, { holdTurns: 10, holdMs: 0.05 });
    w.push(FrameType.Data, 1, payload);
    await turn();
    clockMs += 0.03;
    w.push(FrameType.Data, 2, payload);
    await turn();
    expect(out.writes).toHaveLength(0);
    clockMs += 0.03;
    w.push(FrameType.Data, 3, payload);
    await turn();
    expect(out.writes.map(streamIds)).toEqual([[1, 2, 3]]);
  });

  it('does not hold a batch that fills a TLS record, nor any batch with holdTurns 0', async () => {
    const out = new RecordingOutput();
    const w = writer(out);
    w.push(FrameType.Data, 1, Buffer.alloc(16 * 1024));
    await turn();
    expect(out.writes.map(streamIds)).toEqual([[1]]);

    const eager = new RecordingOutput();
    const e = writer(eager, { holdTurns: 0 });
    e.push(FrameType.Data, 1, payload);
    await turn();
    expect(eager.writes.map(streamIds)).toEqual([[1]]);
  });

  it('sends what arrived during a write in flight once it completes: a full record at once, a small batch like any other', async () => {
    const out = new RecordingOutput();
    let written = 0;
    const w = writer(out, { holdTurns: 0 }, () => written++);
    w.push(FrameType.Data, 1, payload);
    await turn();
    w.push(FrameType.Data, 2, payload);
    w.push(FrameType.Data, 3, payload);
    await turn();
    expect(out.writes.map(streamIds)).toEqual([[1]]);
    out.complete();
    expect(written).toBe(1);
    expect(out.writes).toHaveLength(1);
    await turn();
    expect(out.writes.map(streamIds)).toEqual([[1], [2, 3]]);

    w.push(FrameType.Data, 4, Buffer.alloc(16 * 1024));
    out.complete();
    expect(out.writes.map(streamIds)).toEqual([[1], [2, 3], [4]]);
  });

  it('copies each payload as it is pushed, so the caller may reuse its buffer', async () => {
    const out = new RecordingOutput();
    const w = writer(out, { holdTurns: 0 });
    const reused = Buffer.from('first');
    w.push(FrameType.Data, 1, reused);
    reused.write('xxxxx');
    await turn();
    expect((out.writes[0] as Buffer).subarray(HEADER_BYTES).toString()).toBe('first');
  });
});

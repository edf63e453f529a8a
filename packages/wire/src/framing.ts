// Length-prefixed frames on a byte stream: a 4-byte big-endian length, then the frame.
// Gossip's TCP path and the Raft links between managers both use it.

export const FRAME_HEADER_BYTES = 4;

export function encodeFrame(bytes: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + bytes.length);
  out.writeUInt32BE(bytes.length, 0);
  out.set(bytes, FRAME_HEADER_BYTES);
  return out;
}

export type FrameTooLarge = (size: number, limit: number) => Error;

const defaultTooLarge: FrameTooLarge = (size, limit) => new RangeError(`stream frame of ${size} bytes exceeds the ${limit}-byte limit`);

/**
 * Reassembles frames from arbitrary chunks. Returned frames are views of the chunks (no copy
 * when a chunk holds whole frames); an oversized header throws `tooLarge(size, limit)`.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private total = 0;
  private expected: number | undefined;

  constructor(
    private readonly maxFrameBytes: number,
    private readonly tooLarge: FrameTooLarge = defaultTooLarge,
  ) {}

  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.total += chunk.length;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.expected === undefined) {
        if (this.total < FRAME_HEADER_BYTES) break;
        const len = this.take(FRAME_HEADER_BYTES).readUInt32BE(0);
        if (len > this.maxFrameBytes) throw this.tooLarge(len, this.maxFrameBytes);
        this.expected = len;
      }
      if (this.total < this.expected) break;
      frames.push(this.take(this.expected));
      this.expected = undefined;
    }
    return frames;
  }

  /** Bytes received but not yet returned as a frame. */
  get buffered(): number {
    return this.total;
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.total);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.total = rest.length;
    return all.subarray(0, n);
  }
}

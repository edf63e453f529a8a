// Batches the frames of every stream on a tunnel connection: frames pushed during an event-loop
// turn, and all those pushed while the previous write is still in flight, go out as one buffer,
// one TLS write. (TLS writes complete asynchronously; letting them queue in the socket would make
// Node concatenate them again and multiply SSL_write calls.) Frames are copied into a slab as
// they are pushed, so a payload may live in a reused read buffer; two slabs take turns, since
// TLS has consumed a slab's plaintext once its write completed.
import { HEADER_BYTES, writeHeader } from './frames';
import type { FrameType } from './frames';

const SLAB_BYTES = 64 * 1024;
/** A slab grown past this for a burst is not kept for reuse. */
const MAX_KEPT_SLAB = 1024 * 1024;

export interface FrameOutput {
  write(chunk: Buffer, callback: (err?: Error | null) => void): boolean;
  readonly destroyed: boolean;
  readonly writableLength: number;
}

export class FrameWriter {
  private slab: Buffer = Buffer.allocUnsafeSlow(SLAB_BYTES);
  private spare: Buffer | undefined;
  private writing: Buffer | undefined;
  private used = 0;
  private scheduled = false;

  constructor(
    private readonly out: FrameOutput,
    /** Called after each completed write (the caller may lift backpressure). */
    private readonly onWritten: () => void,
  ) {}

  /** Bytes accepted but not yet handed to the socket, plus what the socket still holds. */
  get backlog(): number {
    return this.used + this.out.writableLength;
  }

  /** Queues a frame; the payload is copied at once and may be reused by the caller. */
  push(type: FrameType, streamId: number, payload?: Uint8Array): void {
    const length = payload?.length ?? 0;
    const need = this.used + HEADER_BYTES + length;
    if (need > this.slab.length) this.grow(need);
    writeHeader(this.slab, this.used, type, streamId, length);
    if (payload) this.slab.set(payload, this.used + HEADER_BYTES);
    this.used = need;
    if (!this.scheduled && this.writing === undefined) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  /** Writes what is pending now, unless a write is in flight (its completion flushes). */
  readonly flush = (): void => {
    this.scheduled = false;
    if (this.used === 0 || this.writing !== undefined || this.out.destroyed) return;
    const full = this.slab;
    const chunk = full.subarray(0, this.used);
    this.writing = full;
    this.slab = this.spare ?? Buffer.allocUnsafeSlow(SLAB_BYTES);
    this.spare = undefined;
    this.used = 0;
    this.out.write(chunk, this.afterWrite);
  };

  private readonly afterWrite = (): void => {
    const done = this.writing;
    this.writing = undefined;
    if (done && done.length <= MAX_KEPT_SLAB && this.spare === undefined) this.spare = done;
    this.flush();
    this.onWritten();
  };

  private grow(need: number): void {
    const bigger = Buffer.allocUnsafeSlow(Math.max(need, this.slab.length * 2));
    this.slab.copy(bigger, 0, 0, this.used);
    this.slab = bigger;
  }
}

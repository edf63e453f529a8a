// Batches the frames of every stream on a tunnel connection: frames pushed during an event-loop
// turn, and all those pushed while the previous write is still in flight, go out as one buffer,
// one TLS write. (TLS writes complete asynchronously; letting them queue in the socket would make
// Node concatenate them again and multiply SSL_write calls.) While frames keep arriving turn
// after turn (a task's responses trickle in one or two per turn), a small batch is held for a
// few more turns: each TLS write costs its sender and wakes its receiver, many times what a turn
// costs. The task side of a tunnel also holds through a couple of quiet turns (quietTurns): the
// task's answers come a few turns apart. Frames are copied into a slab as they are pushed, so a
// payload may live in a reused read buffer; two slabs take turns, since TLS has consumed a slab's
// plaintext once its write completed.
import { HEADER_BYTES, writeHeader } from './frames';
import type { FrameType } from './frames';

const SLAB_BYTES = 64 * 1024;
/** A batch this large fills a TLS record: holding it longer saves nothing. */
const FULL_BATCH_BYTES = 16 * 1024;
/** Defaults for FrameWriterOptions (measured: bench/ingress, 100 B and 64 KiB responses). */
export const DEFAULT_HOLD_TURNS = 3;
export const DEFAULT_HOLD_MS = 0.05;
/**
 * For the tunnel server (the task side): hold through up to 2 turns that bring no frame, up to 8
 * turns / 100 µs in all. Measured (bench/ingress, 100 B keep-alive, A/B in one run): node B's TLS
 * writes from 0.15–0.19 to 0.12–0.13 per request, ~2 % more requests/s. Not for the client side
 * (no gain there: its batches of requests are already ~25 frames), nor more quiet turns (4 quiet
 * turns / 200 µs: fewer writes still, but the extra turns cost node B what they save).
 */
export const TASK_SIDE_HOLD: FrameWriterOptions = { holdTurns: 8, holdMs: 0.1, quietTurns: 2 };
/** A slab grown past this for a burst is not kept for reuse. */
const MAX_KEPT_SLAB = 1024 * 1024;

export interface FrameOutput {
  write(chunk: Buffer, callback: (err?: Error | null) => void): boolean;
  readonly destroyed: boolean;
  readonly writableLength: number;
}

export interface FrameWriterOptions {
  /**
   * Event-loop turns a batch below one TLS record may wait while each turn brings more frames;
   * the first turn that brings none writes it. Never a timer: a pending setImmediate makes the
   * loop poll without blocking, so an idle connection pays one extra turn at most. 0: write at
   * the end of the turn the first frame was pushed in.
   */
  readonly holdTurns?: number;
  /**
   * ... and for this long at most since its first frame. A side moving large responses has long
   * turns; holding its small frames (requests, WINDOW) for several of them only delays the peer
   * (measured: ~10 % fewer 64 KiB responses through the tunnel without this bound).
   */
  readonly holdMs?: number;
  /**
   * Turns in a row that bring no frame a held batch may still wait (within holdTurns and holdMs).
   * Default 0: the first quiet turn writes it.
   */
  readonly quietTurns?: number;
  /** Milliseconds, monotonic. Default performance.now. */
  readonly now?: () => number;
}

export class FrameWriter {
  private slab: Buffer = Buffer.allocUnsafeSlow(SLAB_BYTES);
  private spare: Buffer | undefined;
  private writing: Buffer | undefined;
  private used = 0;
  private scheduled = false;
  /** Frames were pushed since the last end of turn. */
  private arrived = false;
  private turnsHeld = 0;
  /** Quiet turns in a row while holding. */
  private quietHeld = 0;
  private firstAt = 0;
  private readonly holdTurns: number;
  private readonly holdMs: number;
  private readonly quietTurns: number;
  private readonly now: () => number;

  constructor(
    private readonly out: FrameOutput,
    /** Called after each completed write (the caller may lift backpressure). */
    private readonly onWritten: () => void,
    options: FrameWriterOptions = {},
  ) {
    this.holdTurns = options.holdTurns ?? DEFAULT_HOLD_TURNS;
    this.holdMs = options.holdMs ?? DEFAULT_HOLD_MS;
    this.quietTurns = options.quietTurns ?? 0;
    this.now = options.now ?? (() => performance.now());
  }

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
    this.arrived = true;
    if (this.writing === undefined) this.scheduleEndOfTurn();
  }

  private scheduleEndOfTurn(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.turnsHeld = 0;
    this.quietHeld = 0;
    if (this.holdTurns > 0) this.firstAt = this.now();
    setImmediate(this.endOfTurn);
  }

  private readonly endOfTurn = (): void => {
    this.scheduled = false;
    if (
      (this.arrived || this.quietHeld < this.quietTurns) &&
      this.turnsHeld < this.holdTurns &&
      this.used < FULL_BATCH_BYTES &&
      this.writing === undefined &&
      this.now() - this.firstAt < this.holdMs
    ) {
      this.quietHeld = this.arrived ? 0 : this.quietHeld + 1;
      this.arrived = false;
      this.turnsHeld++;
      this.scheduled = true;
      setImmediate(this.endOfTurn);
      return;
    }
    this.flush();
  };

  /** Writes what is pending now, unless a write is in flight (its completion schedules the rest). */
  readonly flush = (): void => {
    this.arrived = false;
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
    // What arrived meanwhile: a full record goes at once, a small batch may wait like any other.
    if (this.used >= FULL_BATCH_BYTES) this.flush();
    else if (this.used > 0) this.scheduleEndOfTurn();
    this.onWritten();
  };

  private grow(need: number): void {
    const bigger = Buffer.allocUnsafeSlow(Math.max(need, this.slab.length * 2));
    this.slab.copy(bigger, 0, 0, this.used);
    this.slab = bigger;
  }
}

// The proxy data path: bytes both ways between two connected streams (sockets or tunnel streams)
// with explicit 'data' handlers and write()/'drain' pause-resume rather than pipe(), which
// measured at half the throughput for large responses (shared/perf-notes.md).
import { Socket } from 'node:net';
import type { OnReadOpts, SocketConstructorOpts, TcpNetConnectOpts } from 'node:net';

/** Write high-water mark of proxied sockets: the 16 KiB default turns every 64 KiB response into a pause/drain cycle. */
export const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;

/**
 * net.connect options plus the stream high-water marks, which Node passes on to the socket's
 * Duplex but @types/node does not declare.
 */
export type ConnectWithHighWaterMark = TcpNetConnectOpts & { readonly writableHighWaterMark?: number; readonly highWaterMark?: number };

/** Pieces this large (TLS records are 16 KiB) suggest more follow in the same turn. */
const COALESCE_MIN_CHUNK = 8 * 1024;

/** The part of net.Socket the relay uses; TunnelStream implements it too. */
export interface ByteStream {
  write(chunk: Uint8Array): boolean;
  end(): unknown;
  destroy(error?: Error): unknown;
  pause(): unknown;
  resume(): unknown;
  readonly writableLength: number;
  /** write() copies the chunk before returning (it keeps no reference to the caller's buffer). */
  readonly copiesWrites?: boolean;
  cork?(): void;
  uncork?(): void;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'end' | 'drain', listener: () => void): unknown;
  on(event: 'close', listener: (hadError: boolean) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

export interface RelayOptions {
  /** `a` delivers its bytes itself (net.Socket `onread`): no 'data' handler is attached to it. */
  readonly aReadsItself?: boolean;
  /** `b` delivers its bytes itself (net.Socket `onread`): no 'data' handler is attached to it. */
  readonly bReadsItself?: boolean;

  /**
   * `b` delivers many pieces per event-loop turn (a tunnel stream: one per 16 KiB TLS record):
   * cork `a` until the turn ends so they leave in one writev (one wakeup of the reader, not four).
   */
  readonly coalesceB?: boolean;
  /** Called once with the first error of either side (then both are destroyed). */
  readonly onError?: (err: Error, side: 'a' | 'b') => void;
  /** Called once when both sides are closed. */
  readonly onClose?: () => void;
}

/**
 * Splices `a` and `b`. Half-close is forwarded (a FIN from one side ends the other's writable
 * side); a side that closes before both directions ended, or errors, takes the other down with
 * it. No timeouts: long-lived connections live.
 */
export function relay(a: ByteStream, b: ByteStream, options: RelayOptions = {}): void {
  let aEnded = false;
  let bEnded = false;
  let failed = false;
  let closed = 0;

  if (!options.aReadsItself) {
    a.on('data', (chunk) => {
      if (!b.write(chunk)) a.pause();
    });
  }
  b.on('drain', () => a.resume());
  a.on('end', () => {
    aEnded = true;
    b.end();
  });

  if (options.coalesceB && a.cork && a.uncork) {
    const sink = a as ByteStream & { cork(): void; uncork(): void };
    let corked = false;
    const uncork = (): void => {
      corked = false;
      sink.uncork();
    };
    b.on('data', (chunk) => {
      // Small pieces end a burst: only record-sized ones are worth holding back.
      if (!corked && chunk.length >= COALESCE_MIN_CHUNK) {
        corked = true;
        sink.cork();
        // Not nextTick: Node runs the tick queue after every TLS record it hands to JS.
        setImmediate(uncork);
      }
      if (!sink.write(chunk)) b.pause();
    });
  } else if (!options.bReadsItself) {
    b.on('data', (chunk) => {
      if (!a.write(chunk)) b.pause();
    });
  }
  a.on('drain', () => b.resume());
  b.on('end', () => {
    bEnded = true;
    a.end();
  });

  const fail = (err: Error, side: 'a' | 'b'): void => {
    if (!failed) {
      failed = true;
      options.onError?.(err, side);
    }
    a.destroy();
    b.destroy();
  };
  a.on('error', (err) => fail(err, 'a'));
  b.on('error', (err) => fail(err, 'b'));
  const onClose = (other: ByteStream) => (): void => {
    // A side gone before both directions finished cannot take (or give) the rest: reset the other.
    if (!(aEnded && bEnded)) other.destroy();
    if (++closed === 2) options.onClose?.();
  };
  a.on('close', onClose(b));
  b.on('close', onClose(a));
  // An `onread` socket accepted paused starts reading here too.
  a.resume();
  if (!options.bReadsItself) b.resume();
}

/** Copies for socket destinations are cut from slabs this large. */
const SPILL_BYTES = 1024 * 1024;

/**
 * One read buffer shared by every socket of a proxy that reads through `onread`: no allocation
 * per read. Every socket's handle keeps a pointer to the buffer between its reads, so the buffer
 * can never be swapped for a fresh one: a read must leave no reference to it behind. A
 * destination that copies what it is given at once (`copiesWrites`: a tunnel stream) gets a
 * view. Any other (a socket keeps the bytes it could not send at once, and the next read of any
 * socket would overwrite them) gets a copy cut from a spill slab; a copy the socket sent at once
 * is not referenced any more, so its room is reused: no allocation either, unless sockets back up.
 */
export class SharedReadBuffer {
  /** For `onread.buffer`. */
  readonly buffer: Buffer;
  private spill: Buffer | undefined;
  private spillUsed = 0;

  constructor(size = 128 * 1024) {
    this.buffer = Buffer.allocUnsafeSlow(size);
  }

  /** Hands the `n` bytes just read to `dst`; returns false when the reader should pause. */
  forward(dst: ByteStream, n: number): boolean {
    if (dst.copiesWrites === true) return dst.write(this.buffer.subarray(0, n));
    if (n > SPILL_BYTES / 4) return dst.write(Buffer.from(this.buffer.subarray(0, n)));
    let spill = this.spill;
    if (!spill || this.spillUsed + n > spill.length) {
      spill = this.spill = Buffer.allocUnsafeSlow(SPILL_BYTES);
      this.spillUsed = 0;
    }
    const copy = spill.subarray(this.spillUsed, this.spillUsed + n);
    this.buffer.copy(copy, 0, 0, n);
    const ok = dst.write(copy);
    // Still held by the socket (queued, or sent in part): that room is taken until the slab is dropped.
    if (dst.writableLength > 0) this.spillUsed += n;
    return ok;
  }
}

/**
 * net.Server has no `onread` option: moves the handle of a socket accepted paused
 * (`pauseOnConnect`) into a Socket that reads into `onread.buffer`, so client reads need no
 * allocation either. The accepting Socket is then released without closing the connection.
 * Returns `accepted` itself when its handle is gone (the client left already).
 */
export function withOnread(accepted: Socket, onread: OnReadOpts, writableHighWaterMark: number): Socket {
  const internal = accepted as unknown as { _handle: unknown };
  const handle = internal._handle;
  if (!handle || accepted.destroyed) return accepted;
  internal._handle = null;
  // `handle` and `pauseOnCreate` are what net.Server itself passes; @types/node does not declare them.
  const options: SocketConstructorOpts & { handle: unknown; pauseOnCreate: boolean; writableHighWaterMark: number; onread: OnReadOpts } = {
    handle,
    pauseOnCreate: true,
    allowHalfOpen: true,
    readable: true,
    writable: true,
    writableHighWaterMark,
    onread,
  };
  const socket = new Socket(options);
  // No handle left: this only settles the server's connection count.
  accepted.destroy();
  return socket;
}

// The proxy data path: bytes both ways between two connected streams (sockets or tunnel streams)
// with explicit 'data' handlers and write()/'drain' pause-resume rather than pipe(), which
// measured at half the throughput for large responses (shared/perf-notes.md).
import type { TcpNetConnectOpts } from 'node:net';

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
  cork?(): void;
  uncork?(): void;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'end' | 'drain', listener: () => void): unknown;
  on(event: 'close', listener: (hadError: boolean) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

export interface RelayOptions {
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

  a.on('data', (chunk) => {
    if (!b.write(chunk)) a.pause();
  });
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
  a.resume();
  if (!options.bReadsItself) b.resume();
}

/**
 * One read buffer shared by every outbound socket of a proxy (net.Socket `onread`): no allocation
 * per read. Safe because the relay writes each read on synchronously; when the write could not
 * complete at once, the destination still references the bytes, so the buffer is retired and a
 * fresh one takes its place.
 */
export class SharedReadBuffer {
  private buffer: Buffer;

  constructor(private readonly size = 128 * 1024) {
    this.buffer = Buffer.allocUnsafeSlow(size);
  }

  /** For `onread.buffer`: Node asks for the buffer again after every read. */
  readonly next = (): Buffer => this.buffer;

  /** Hands `n` bytes read into `buf` to `dst`; returns false when the reader should pause. */
  forward(dst: ByteStream, n: number, buf: Buffer): boolean {
    const ok = dst.write(buf.subarray(0, n));
    if (dst.writableLength > 0 && buf === this.buffer) this.buffer = Buffer.allocUnsafeSlow(this.size);
    return ok;
  }
}

// Docker's stdcopy framing of log and attach streams: each frame is an 8-byte
// header (stream byte, three zero bytes, big-endian uint32 length) and a payload.
// The demuxer is pure: feed it chunks as they arrive, take whole frames out.

export type StdStream = 'stdin' | 'stdout' | 'stderr' | 'systemerr';

export interface StdFrame {
  stream: StdStream;
  payload: Buffer;
}

const HEADER_LEN = 8;
const STREAMS: readonly StdStream[] = ['stdin', 'stdout', 'stderr', 'systemerr'];

/** A header byte stdcopy does not know (stdcopy's "Unrecognized input header"). */
export class StdcopyHeaderError extends Error {
  readonly code = 'STDCOPY_BAD_HEADER';
  constructor(readonly streamByte: number) {
    super(`Unrecognized input header: ${streamByte}`);
    this.name = 'StdcopyHeaderError';
  }
}

/** The daemon reported an error inside the stream (stream 3). */
export class StdcopyDaemonError extends Error {
  readonly code = 'STDCOPY_DAEMON_ERROR';
  constructor(readonly text: string) {
    super(`error from daemon in stream: ${text}`);
    this.name = 'StdcopyDaemonError';
  }
}

/** Splits a multiplexed byte stream into frames, whatever the chunk boundaries. */
export class StdcopyDemuxer {
  private pending: Buffer = Buffer.alloc(0);

  /** Adds bytes; returns the frames completed by them. Throws on an unknown stream byte. */
  push(chunk: Uint8Array): StdFrame[] {
    this.pending = this.pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.pending, chunk]);
    const frames: StdFrame[] = [];
    let offset = 0;
    while (this.pending.length - offset >= HEADER_LEN) {
      const streamByte = this.pending[offset] as number;
      const stream = STREAMS[streamByte];
      if (stream === undefined) throw new StdcopyHeaderError(streamByte);
      const size = this.pending.readUInt32BE(offset + 4);
      if (this.pending.length - offset < HEADER_LEN + size) break;
      frames.push({ stream, payload: this.pending.subarray(offset + HEADER_LEN, offset + HEADER_LEN + size) });
      offset += HEADER_LEN + size;
    }
    this.pending = this.pending.subarray(offset);
    return frames;
  }

  /** Bytes of an unfinished frame; stdcopy drops them silently at end of stream. */
  get buffered(): number {
    return this.pending.length;
  }
}

/** Demultiplexes a whole response, in order; a systemerr frame ends it with an error. */
export async function* demuxStdcopy(source: AsyncIterable<Uint8Array>): AsyncGenerator<StdFrame> {
  const demuxer = new StdcopyDemuxer();
  for await (const chunk of source) {
    for (const frame of demuxer.push(chunk)) {
      if (frame.stream === 'systemerr') throw new StdcopyDaemonError(frame.payload.toString('utf8'));
      yield frame;
    }
  }
}

/** Builds one frame; the inverse of the demuxer, for tests and fakes. */
export function encodeStdFrame(stream: StdStream, payload: string | Uint8Array): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload);
  const header = Buffer.alloc(HEADER_LEN);
  header[0] = STREAMS.indexOf(stream);
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

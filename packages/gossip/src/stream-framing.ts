// Length-prefixed frames on the TCP path (the shared `@shoal/wire` framing), with gossip's error.
import { FrameDecoder as WireFrameDecoder } from '@shoal/wire';
import { FrameTooLargeError } from './errors';

export { FRAME_HEADER_BYTES, encodeFrame } from '@shoal/wire';

/** Reassembles frames from arbitrary chunks; throws FrameTooLargeError on an oversized header. */
export class FrameDecoder extends WireFrameDecoder {
  constructor(maxFrameBytes: number) {
    super(maxFrameBytes, (size, limit) => new FrameTooLargeError(size, limit));
  }
}

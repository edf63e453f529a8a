// The gossip transport contract: a best-effort packet path (UDP) and a reliable stream path (TCP),
// both byte-oriented and addressed by "host:port" (after memberlist's transport.go).

/** `from` is the sender's transport address as seen by the receiver (informational only). */
export type BytesHandler = (bytes: Uint8Array, from: string) => void;

export interface Transport {
  /** Where peers reach this transport ("host:port"). */
  readonly address: string;
  /** Best effort, one datagram; may be dropped, duplicated or reordered. */
  sendPacket(to: string, bytes: Uint8Array): void;
  /** Reliable, ordered delivery of one whole frame (connection errors are logged, not thrown). */
  sendStream(to: string, bytes: Uint8Array): void;
  onPacket(handler: BytesHandler): void;
  onStream(handler: BytesHandler): void;
  close(): Promise<void>;
}

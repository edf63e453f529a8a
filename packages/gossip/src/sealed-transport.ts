// Wraps any Transport so both paths carry keyring-sealed frames; anything that fails
// authentication is dropped (and counted) before it reaches the core.
import type { Keyring } from './keyring';
import type { Logger } from './logger';
import { nullLogger } from './logger';
import type { BytesHandler, Transport } from './transport';

export class SealedTransport implements Transport {
  private rejectedCount = 0;

  constructor(
    private readonly inner: Transport,
    readonly keyring: Keyring,
    private readonly logger: Logger = nullLogger,
  ) {}

  get address(): string {
    return this.inner.address;
  }

  /** Frames dropped because no installed key authenticated them. */
  get rejected(): number {
    return this.rejectedCount;
  }

  sendPacket(to: string, bytes: Uint8Array): void {
    this.inner.sendPacket(to, this.keyring.seal(bytes));
  }

  sendStream(to: string, bytes: Uint8Array): void {
    this.inner.sendStream(to, this.keyring.seal(bytes));
  }

  onPacket(handler: BytesHandler): void {
    this.inner.onPacket(this.opening(handler, 'packet'));
  }

  onStream(handler: BytesHandler): void {
    this.inner.onStream(this.opening(handler, 'stream'));
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private opening(handler: BytesHandler, path: string): BytesHandler {
    return (bytes, from) => {
      const plain = this.keyring.open(bytes);
      if (plain) return handler(plain, from);
      this.rejectedCount++;
      this.logger.warn({ from, path, size: bytes.length }, 'dropped a gossip frame no installed key authenticates');
    };
  }
}

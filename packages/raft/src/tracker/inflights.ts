// Flow control window: the last index of every append message sent to a replicating follower
// and not yet acknowledged. A fixed-capacity ring so a busy leader allocates nothing per message.

export class Inflights {
  private readonly ring: number[];
  private start = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    this.ring = new Array<number>(capacity).fill(0);
  }

  get count(): number {
    return this.size;
  }

  full(): boolean {
    return this.size === this.capacity;
  }

  add(lastIndex: number): void {
    if (this.full()) throw new RangeError('inflights window is full');
    this.ring[(this.start + this.size) % this.capacity] = lastIndex;
    this.size++;
  }

  /** Releases every message whose last index is <= `index` (acknowledged by the follower). */
  freeLE(index: number): void {
    while (this.size > 0 && (this.ring[this.start] as number) <= index) {
      this.start = (this.start + 1) % this.capacity;
      this.size--;
    }
    if (this.size === 0) this.start = 0;
  }

  reset(): void {
    this.start = 0;
    this.size = 0;
  }
}

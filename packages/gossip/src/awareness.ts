// Lifeguard local health: missed nacks and refutations raise a score that stretches our own
// probe timeouts, so a slow node accuses others less eagerly.

export class Awareness {
  private value = 0;

  constructor(private readonly max: number) {}

  get score(): number {
    return this.value;
  }

  applyDelta(delta: number): void {
    this.value = Math.min(this.max - 1, Math.max(0, this.value + delta));
  }

  scaleMs(timeoutMs: number): number {
    return timeoutMs * (this.value + 1);
  }
}

// Entries (and possibly a snapshot) that the core has accepted but the application has not yet
// confirmed durable. They are handed out in Ready and dropped from here on advance().
import type { Entry, Snapshot } from '../types';

export class Unstable {
  /** A snapshot received from the leader, waiting to be persisted. */
  snapshot: Snapshot | undefined = undefined;
  entries: Entry[] = [];

  /** Raft index of entries[0]. */
  constructor(public offset: number) {}

  maybeFirstIndex(): number | undefined {
    return this.snapshot === undefined ? undefined : this.snapshot.metadata.index + 1;
  }

  maybeLastIndex(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    return this.snapshot?.metadata.index;
  }

  maybeTerm(i: number): number | undefined {
    if (i < this.offset) {
      const s = this.snapshot;
      return s !== undefined && s.metadata.index === i ? s.metadata.term : undefined;
    }
    return this.entries[i - this.offset]?.term;
  }

  /**
   * Entries up to (i, t) are durable. The term check matters: a conflicting append may have
   * replaced them while the application was persisting the older version.
   */
  stableTo(i: number, t: number): void {
    if (i < this.offset) return;
    if (this.maybeTerm(i) !== t) return;
    this.entries = this.entries.slice(i + 1 - this.offset);
    this.offset = i + 1;
  }

  stableSnapTo(i: number): void {
    if (this.snapshot !== undefined && this.snapshot.metadata.index === i) this.snapshot = undefined;
  }

  restore(s: Snapshot): void {
    this.offset = s.metadata.index + 1;
    this.entries = [];
    this.snapshot = s;
  }

  truncateAndAppend(ents: readonly Entry[]): void {
    const first = ents[0];
    if (first === undefined) return;
    const after = first.index;
    if (after === this.offset + this.entries.length) {
      for (const e of ents) this.entries.push(e);
    } else if (after <= this.offset) {
      // Replaces everything unstable; storage entries >= after are superseded by these.
      this.offset = after;
      this.entries = ents.slice();
    } else {
      this.entries = this.entries.slice(0, after - this.offset).concat(ents);
    }
  }

  /** Entries in [lo, hi); the caller guarantees the range lies within the unstable entries. */
  slice(lo: number, hi: number): Entry[] {
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}
